"""The lists people work from: my tasks, the overdue list, the complaint
register (一览表) and the revisit quotas. Views over the records, always
filtered by what the actor may see; never typed by hand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from records import measures
from records.access import Actor, can_view, visible_filter
from records.calendar import end_of_local_day
from records.clock import to_local, utcnow
from records.complaints import REVISIT_ALL
from records.errors import InvalidData, PermissionDenied
from records.i18n import N_
from records.operations import create_record, load_doc, record_type_of
from records.permissions import SEND_REMINDERS
from records.store import database
from records.types import registry
from records.vocabularies import SEVERITIES, SEVERITY_RANK

LIST_LIMIT = 500


def _scoped(actor: Actor, query: dict) -> dict | None:
    visible = visible_filter(actor)
    if visible is None:
        return None
    return {"$and": [visible, query]} if visible else query


def actionable_states(actor: Actor) -> dict[str, list[str]]:
    """Per type, the states in which ``actor`` has a step to take that is
    work to do (not a correction such as voiding or dispatching again)."""
    states = {}
    for record_type in registry:
        mine = sorted(
            {
                s
                for t in record_type.workflow.transitions
                if t.task and t.name != "void" and actor.has_role(*t.roles)
                for s in t.sources
            }
        )
        if mine:
            states[record_type.name] = mine
    return states


_TASK_FIELDS = {
    "number": 1,
    "type": 1,
    "state": 1,
    "title": 1,
    "department": 1,
    "handler": 1,
    "due_at": 1,
    "due_kind": 1,
    "due_uncovered": 1,
    "data.severity": 1,
    "updated_at": 1,
}

#: Earlier than any deadline. A range on ``due_at`` needs a lower bound: the
#: embedded server's index walk otherwise starts at the records without a
#: deadline (null sorts first) and reads every one of them to drop it.
EPOCH = datetime(1970, 1, 1)
NEVER = datetime.max


def task_order(row: dict) -> tuple:
    """Soonest due first, then the undated ones, most recently changed first."""
    return (row.get("due_at") or NEVER, -(row["updated_at"].timestamp()))


def _has_deadline(type_name: str, state: str) -> bool:
    record_type = registry.get(type_name)
    return record_type is not None and any(state in d.states for d in record_type.deadlines)


#: How many records a state held when last read whole, per (type, state):
#: small ones are read in one query, large ones window by window. Only the
#: cost depends on it, never the rows.
_STATE_SIZES: dict[tuple[str, str], int] = {}
#: Above this many records a state is read window by window.
LARGE_STATE = 400


def _state_in_order(db, type_name: str, state: str, want: int, now: datetime) -> list[dict]:
    """The first ``want`` records of one type in one state, in task order.

    The embedded server reads every document its index range holds before it
    sorts and limits, so a large state's range is narrowed instead: due this
    week (and overdue), then the rest; or, without a deadline, changed in the
    last month, then the rest; the rest only if the first fell short. Each
    query rides the (type, state, due_at) or (type, state, updated_at) index;
    a state of thousands of records costs what the list shows of it. A small
    state is read whole, in one query (fewer round trips)."""
    base = {"type": type_name, "state": state}
    key = (type_name, state)
    if _STATE_SIZES.get(key, 0) <= LARGE_STATE:
        rows = list(db.records.find(base, _TASK_FIELDS))
        _STATE_SIZES[key] = len(rows)
        rows.sort(key=task_order)
        return rows[:want]
    if _has_deadline(type_name, state):
        week = now + timedelta(days=7)
        first = {**base, "due_at": {"$gte": EPOCH, "$lt": week}}
        rest = [
            {**base, "due_at": {"$gte": week}},
            # A record whose deadline has no start (no receipt time) has none.
            {**base, "due_at": None},
        ]
    else:
        week, month = now - timedelta(days=7), now - timedelta(days=30)
        first = {**base, "updated_at": {"$gte": week}}
        rest = [
            {**base, "updated_at": {"$gte": month, "$lt": week}},
            {**base, "updated_at": {"$lt": month}},
        ]
    rows = list(db.records.find(first, _TASK_FIELDS))
    for n, query in enumerate(rest):
        if len(rows) >= want:
            break
        rows += db.records.find(query, _TASK_FIELDS)
        if n == len(rest) - 1:
            _STATE_SIZES[key] = len(rows)
    rows.sort(key=task_order)
    return rows[:want]


def my_tasks(actor: Actor, limit: int = 200, now: datetime | None = None) -> list[dict]:
    """What waits for ``actor``: records in a state where they have a step to
    take, soonest due first, then the most recently changed. Staff: their
    department's and the ones they received or handle.

    It costs what it shows, not what the database holds: queries name a
    state (closed records are never read), and a state with many records is
    read only as far as the list goes (:func:`_state_in_order`)."""
    per_type = actionable_states(actor)
    if not per_type or visible_filter(actor) is None:
        return []
    db = database()
    now = now or utcnow()
    found: dict = {}
    if not actor.sees_everything():
        # Staff see their department's and their own: at most what is open
        # in those, read through the (people, state) and (department, state)
        # indexes; the embedded server's planner scans the whole collection
        # for filters that do not lead an index.
        states = sorted({s for mine in per_type.values() for s in mine})
        queries = [{"people": actor.username, "state": {"$in": states}}]
        if actor.department:
            queries.append({"department": actor.department, "state": {"$in": states}})
        for query in queries:
            for row in db.records.find(query, _TASK_FIELDS):
                if row["state"] in per_type.get(row["type"], ()):
                    found[row["_id"]] = row
    else:
        for type_name, states in per_type.items():
            small = [s for s in states if _STATE_SIZES.get((type_name, s), 0) <= LARGE_STATE]
            if len(small) > 1:
                # The small states of a type in one query (one round trip,
                # not one per state), through the (type, state, ...) index.
                rows = list(
                    db.records.find({"type": type_name, "state": {"$in": small}}, _TASK_FIELDS)
                )
                for state in small:
                    _STATE_SIZES[(type_name, state)] = 0
                for row in rows:
                    _STATE_SIZES[(type_name, row["state"])] += 1
                    found[row["_id"]] = row
                states = [s for s in states if s not in small]
            for state in states:
                for row in _state_in_order(db, type_name, state, limit, now):
                    found[row["_id"]] = row
    return sorted(found.values(), key=task_order)[:limit]


@dataclass
class OverdueItem:
    record: dict
    reminder: dict | None

    @property
    def due_at(self) -> datetime:
        return self.record["due_at"]

    @property
    def promised(self) -> str | None:
        """The new date the department gave in its answer to a reminder."""
        if self.reminder and self.reminder["state"] == "answered":
            return self.reminder["data"].get("new_date")
        return None


def overdue_records(
    actor: Actor,
    *,
    department: str | None = None,
    now: datetime | None = None,
    limit: int = LIST_LIMIT,
    fields: dict | None = None,
) -> list[dict]:
    """Records past their deadline, oldest first (only ``fields`` of them:
    the dashboard counts them without the rest)."""
    now = now or utcnow()
    query = (
        {"department": department, "due_at": {"$gte": EPOCH, "$lt": now}}
        if department
        else {"due_at": {"$gte": EPOCH, "$lt": now}}
    )
    # A department's own list needs no further scoping for its staff, and a
    # filter the (department, due_at) index answers is not a collection scan.
    own = bool(department) and department == actor.department and visible_filter(actor) is not None
    scoped = query if own else _scoped(actor, query)
    if scoped is None:
        return []
    found = database().records.find(scoped, {**fields, "due_at": 1} if fields else None)
    return list(found.sort("due_at", 1).limit(limit))


def overdue(
    actor: Actor,
    *,
    department: str | None = None,
    now: datetime | None = None,
    limit: int = LIST_LIMIT,
) -> list[OverdueItem]:
    """Records past their deadline, oldest first, with the latest reminder.

    An item whose department answered a reminder stays listed until done;
    it is overdue again once the promised date has passed."""
    records = overdue_records(actor, department=department, now=now, limit=limit)
    db = database()
    reminders = {}
    # By the refs index alone: the embedded server scans the whole collection
    # for a filter with a second operator beside the $in ($ne on the state).
    found = db.records.find({"refs": {"$in": [r["number"] for r in records]}})
    for reminder in sorted(found, key=lambda r: r["created_at"]):
        if reminder["type"] == "overdue_reminder" and reminder["state"] != "void":
            reminders[reminder["data"]["item"]] = reminder
    return [OverdueItem(r, reminders.get(r["number"])) for r in records]


def issue_reminder(actor: Actor, number: str, message: str = "") -> dict:
    """The controller's one action from the overdue list: a reminder to the
    record's department (refused if one is still waiting for an answer)."""
    if not actor.may(SEND_REMINDERS):
        raise PermissionDenied()
    doc = load_doc(number)
    if not doc.get("due_at") or doc["due_at"] >= utcnow():
        raise InvalidData(N_("%(number)s is not overdue."), number=number)
    if not doc.get("department"):
        raise InvalidData(N_("%(number)s has no department to remind."), number=number)
    waiting = database().records.find_one(
        {"type": "overdue_reminder", "refs": number, "state": "issued"}, {"number": 1}
    )
    if waiting:
        raise InvalidData(
            N_("Reminder %(reminder)s is still waiting for an answer."), reminder=waiting["number"]
        )
    record_type = record_type_of(doc["type"])
    record = create_record(
        actor,
        "overdue_reminder",
        {
            "item": number,
            "department": doc["department"],
            "due": to_local(doc["due_at"]).isoformat(sep=" ", timespec="minutes"),
            "message": message or f"{record_type.title()} {number}: {doc.get('title') or ''}",
        },
        department=doc["department"],
    )
    return record.to_mongo().to_dict()


SORTS = {
    "number": lambda d: d["number"],
    "received": lambda d: d.get("data", {}).get("received_at") or "",
    "severity": lambda d: SEVERITY_RANK.get(d.get("data", {}).get("severity"), -1),
    "state": lambda d: d["state"],
    "department": lambda d: d.get("department") or "",
}


#: Most rows the register reads for an order other than by receipt.
REGISTER_LIMIT = 5000


def complaint_register(
    actor: Actor,
    start: date,
    end: date,
    *,
    state: str | None = None,
    severity: str | None = None,
    department: str | None = None,
    subject: str | None = None,
    sort: str = "received",
    descending: bool = False,
    limit: int = REGISTER_LIMIT,
) -> list[dict]:
    """The complaints received from ``start`` to ``end`` (inclusive)."""
    if end < start:
        raise InvalidData(N_("The end of the period is before its start."), field="end")
    period = {
        "$gte": start.isoformat(),
        "$lt": date.fromordinal(end.toordinal() + 1).isoformat(),
    }
    base: dict = {"type": "complaint_sheet"}
    if state:
        base["state"] = state
    if visible_filter(actor) is None:
        return []
    # The query is what an index answers ((type[, state], data.received_at));
    # the other filters and the access rule apply to its rows: the embedded
    # server scans every record for anything else (the visibility's $or).
    filters = _register_filters(None, severity, department, subject)
    rows = _register_rows(database(), actor, base, period, filters)
    # Sorted, then cut: the first ``limit`` in the order asked for.
    rows.sort(key=SORTS.get(sort, SORTS["received"]), reverse=descending)
    return rows[:limit]


@dataclass
class RegisterPage:
    """Rows of the register for one page, and how many there are: exact when
    known cheaply, else at least ``total`` (more follow)."""

    rows: list[dict]
    total: int
    exact: bool
    #: The kept measures of the period's whole months, if they were read
    #: (the revisit quotas take them instead of reading them again).
    kept: measures.Figures | None = None


def _register_filters(state, severity, department, subject) -> dict:
    return {
        key: value
        for key, value in (
            ("state", state),
            ("data.severity", severity),
            ("department", department),
            ("data.subject", subject),
        )
        if value
    }


def _matches(row: dict, filters: dict) -> bool:
    for key, value in filters.items():
        holder = row.get("data") or {} if key.startswith("data.") else row
        if holder.get(key.removeprefix("data.")) != value:
            return False
    return True


def register_page(
    actor: Actor,
    start: date,
    end: date,
    *,
    state: str | None = None,
    severity: str | None = None,
    department: str | None = None,
    subject: str | None = None,
    sort: str = "received",
    descending: bool = True,
    page: int = 1,
    size: int = 50,
) -> RegisterPage:
    """One page of the complaint register, costing what it shows.

    In the order of receipt (the default) the period is read in windows from
    the end the page starts at (a week first, then as wide as the last
    window's rate says the rows still wanted need) until the page and one
    row more are in hand, through the (type,
    data.received_at) index, or (type, state, data.received_at) with a state
    filter; filters and what staff may see apply to those rows. The count
    is then exact only if the whole period was read, or if the kept measures
    give it (whole months, no filter but the department, every record
    visible); otherwise "at least". Other orders read the whole period."""
    if end < start:
        raise InvalidData(N_("The end of the period is before its start."), field="end")
    if visible_filter(actor) is None:
        return RegisterPage([], 0, True)
    filters = _register_filters(state, severity, department, subject)
    if sort != "received":
        every = complaint_register(
            actor,
            start,
            end,
            state=state,
            severity=severity,
            department=department,
            subject=subject,
            sort=sort,
            descending=descending,
        )
        # Cut at the export's limit: then "at least".
        return RegisterPage(
            every[(page - 1) * size : page * size], len(every), len(every) < REGISTER_LIMIT
        )
    want = page * size + 1
    everyone = actor.sees_everything()
    db = database()
    base: dict = {"type": "complaint_sheet"}
    if state:
        base["state"] = state
    rows: list[dict] = []
    lo, hi = start, date.fromordinal(end.toordinal() + 1)
    tomorrow = to_local(utcnow()).date() + timedelta(days=1)
    span = 7
    read_all = False
    while len(rows) < want:
        if descending:
            window = (max(lo, hi - timedelta(days=span)), hi)
            hi = window[0]
        else:
            window = (lo, min(hi, lo + timedelta(days=span)))
            lo = window[1]
        period = {"$gte": window[0].isoformat(), "$lt": window[1].isoformat()}
        kept = _register_rows(db, actor, base, period, filters)
        kept.sort(key=SORTS["received"], reverse=descending)
        rows += kept
        # The next window as wide as the rows still wanted need at the rate
        # this one had (days up to today: none are received later), a
        # quarter more; four times as wide after an empty one.
        days = max(1, (min(window[1], tomorrow) - window[0]).days)
        if kept:
            span = max(1, int((want - len(rows)) * days / len(kept) * 1.25) + 1)
        else:
            span *= 4
        # Never wider than what is left of the period: a far page of a sparse
        # register would otherwise reach dates before year 1.
        span = min(span, max(1, (hi - lo).days))
        if lo >= hi:
            read_all = True
            break
    shown = rows[(page - 1) * size : page * size]
    if read_all:
        return RegisterPage(shown, len(rows), True)
    months = whole_months(start, end) if everyone else None
    if months is not None and not set(filters) - {"department"}:
        figures = _kept_counts(months, department)
        total = int(figures["complaints"]) + _void_count(start, end, department)
        return RegisterPage(shown, total, True, figures)
    return RegisterPage(shown, len(rows), False)


def whole_months(start: date, end: date) -> list[str] | None:
    """The months ``start`` to ``end`` spans if it is made of whole months
    (the current one up to today counts as whole), else None."""
    after = date.fromordinal(end.toordinal() + 1)
    if start.day != 1 or (after.day != 1 and end < to_local(utcnow()).date()):
        return None
    return measures.months_between(start.isoformat()[:7], end.isoformat()[:7])


def _kept_counts(months: list[str], department: str | None) -> measures.Figures:
    total = measures.Figures()
    for figures in measures.monthly(months, [department] if department else None).values():
        total.add(figures.counts)
    return total


def _register_rows(db, actor: Actor, base: dict, period: dict, filters: dict) -> list[dict]:
    """The complaints of one receipt ``period`` the filters keep and the actor
    may see: read by an index (the period, or staff's own windows), filtered
    here (the embedded server scans every record for anything else)."""
    everyone = actor.sees_everything()
    found: Iterable[dict] | None = None if everyone else _register_window(db, actor, base, period)
    if found is None:
        found = db.records.find({**base, "data.received_at": period})
    return [r for r in found if _matches(r, filters) and (everyone or can_view(actor, r))]


def _register_window(db, actor: Actor, base: dict, period: dict) -> list[dict] | None:
    """What staff may see of a window of the register, read through the
    (type, department, data.received_at) and (people, type, data.received_at)
    indexes, not the whole window; None when no index serves (a state filter:
    then the window is read whole and filtered)."""
    if "state" in base:
        return None
    queries = [{"people": actor.username, "type": base["type"], "data.received_at": period}]
    if actor.department:
        queries.append(
            {"type": base["type"], "department": actor.department, "data.received_at": period}
        )
    found: dict = {}
    for query in queries:
        for row in db.records.find(query):
            found[row["_id"]] = row
    return list(found.values())


def _void_count(start: date, end: date, department: str | None) -> int:
    """Void complaints received in the period (the measures leave them out)."""
    after = date.fromordinal(end.toordinal() + 1)
    void = database().records.find(
        {
            "type": "complaint_sheet",
            "state": "void",
            "data.received_at": {"$gte": start.isoformat(), "$lt": after.isoformat()},
        },
        {"department": 1},
    )
    return sum(1 for r in void if not department or r.get("department") == department)


@dataclass(frozen=True)
class Quota:
    severity: str
    closed: int
    revisited: int
    in_person: int
    target: float

    @property
    def rate(self) -> float | None:
        """Revisited / closed; for major complaints only visits in person
        count (the reports count them the same way)."""
        if not self.closed:
            return None
        counted = self.in_person if self.severity == "major" else self.revisited
        return counted / self.closed

    @property
    def met(self) -> bool | None:
        rate = self.rate
        return None if rate is None else rate >= self.target


def revisit_quotas(
    actor: Actor,
    start: date,
    end: date,
    department: str | None = None,
    kept: measures.Figures | None = None,
) -> list[Quota]:
    """Per severity: closed complaints received in the period, how many were
    revisited (major: in person), against 100% (important and up) or 60%.

    From the kept measures when the period is whole months: those of every
    department, or for staff their own department's (the quota their work
    is measured by); otherwise from the period's records."""
    months = whole_months(start, end)
    if months is not None and not actor.sees_everything():
        if not actor.department or (department and department != actor.department):
            months = None
        elif department != actor.department:
            department, kept = actor.department, None
    if months is not None:
        kept = kept if kept is not None else _kept_counts(months, department)
        return [
            Quota(
                severity=choice.value,
                closed=int(kept[f"closed:{choice.value}"]),
                revisited=int(kept[f"revisited:{choice.value}"]),
                in_person=int(kept[f"in_person:{choice.value}"]),
                target=1.0 if choice.value in REVISIT_ALL else 0.6,
            )
            for choice in SEVERITIES
        ]
    rows = [
        r
        for r in complaint_register(actor, start, end, department=department)
        if r["state"] == "closed"
    ]
    numbers = [r["number"] for r in rows]
    revisits: dict[str, list[str]] = {}
    for revisit in database().records.find(
        {"refs": {"$in": numbers}}, {"type": 1, "state": 1, "data.complaint": 1, "data.method": 1}
    ):
        if revisit["type"] != "revisit_record" or revisit["state"] == "void":
            continue
        revisits.setdefault(revisit["data"]["complaint"], []).append(revisit["data"]["method"])
    quotas = []
    for choice in SEVERITIES:
        mine = [r["number"] for r in rows if r["data"].get("severity") == choice.value]
        quotas.append(
            Quota(
                severity=choice.value,
                closed=len(mine),
                revisited=sum(1 for n in mine if n in revisits),
                in_person=sum(1 for n in mine if "visit" in revisits.get(n, ())),
                target=1.0 if choice.value in REVISIT_ALL else 0.6,
            )
        )
    return quotas


def open_capa(actor: Actor, number: str, planned_date: date, actions: str = "") -> dict:
    """A corrective action report raised from a complaint, a nonconformity or
    a product quality feedback; ``actions`` default to the handling plan."""
    doc = load_doc(number)
    data = doc.get("data") or {}
    record = create_record(
        actor,
        "capa_report",
        {
            "title": (doc.get("title") or number)[:120],
            "source": number,
            "problem": data.get("description") or data.get("problem") or doc.get("title") or number,
            "actions": actions or data.get("plan") or "",
            "department": doc.get("department") or actor.department,
            "responsible": data.get("handler"),
            "planned_date": planned_date.isoformat(),
        },
        department=doc.get("department") or actor.department,
    )
    return record.to_mongo().to_dict()


def is_past(due_at: datetime | None, now: datetime | None = None) -> bool:
    return due_at is not None and due_at < (now or utcnow())


def promised_end(day: str) -> datetime:
    return end_of_local_day(date.fromisoformat(day))
