"""The complaint process (domain.md, "Complaint handling"): severity suggested
from the facts and raised as time passes, approval by the right person, the
customer's rejection reopening the complaint, and what closure needs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from records.calendar import WorkingCalendar, add_months, end_of_local_day
from records.clock import from_local, local_now
from records.errors import InvalidData, PermissionDenied
from records.i18n import N_
from records.roles import DIRECTOR, TECHNICAL_MANAGER
from records.types import NewRecord, Rules, registry
from records.vocabularies import SEVERITIES, SEVERITY_RANK

TYPE = "complaint_sheet"
#: Severities every closed complaint of which is revisited (major in person).
REVISIT_ALL = ("important", "hot", "major")
SIMILAR_DAYS = 30

_LABELS = {choice.value: choice.label for choice in SEVERITIES}


def higher(*severities: str | None) -> str:
    """The highest of ``severities`` (general if none)."""
    known = [s for s in severities if s in SEVERITY_RANK]
    return max(known, key=SEVERITY_RANK.__getitem__) if known else "general"


def fact_severity(data: dict, similar_customers: int = 0) -> str:
    """The severity the facts of a complaint call for (domain.md 2, severity).

    ``similar_customers`` counts other complainants with a complaint of the
    same subject within the month before this one."""
    complainants = data.get("complainants") or 1
    if data.get("lawsuit") or data.get("media") or data.get("major_impact") or (complainants >= 10):
        return "major"
    if (
        data.get("exposure_risk")
        or data.get("original")
        or data.get("outside_help")
        or (complainants >= 3)
    ):
        return "hot"
    if similar_customers + 1 >= 3:
        return "important"
    return "general"


def time_thresholds(received_at: datetime, calendar: WorkingCalendar) -> list[tuple[datetime, str]]:
    """When an unresolved complaint becomes important, hot, major (UTC).

    ``received_at`` is local time: not resolved within 3 working days, one
    week, one month after receipt."""
    day, _uncovered = calendar.add_working_days(received_at.date(), 3)
    return [
        (end_of_local_day(day), "important"),
        (from_local(received_at + timedelta(days=7)), "hot"),
        (
            from_local(datetime.combine(add_months(received_at.date(), 1), received_at.time())),
            "major",
        ),
    ]


def time_severity(
    received_at: datetime, now: datetime, calendar: WorkingCalendar
) -> tuple[str, datetime | None]:
    """The severity time alone gives an unresolved complaint at ``now`` (UTC),
    and since when."""
    level, since = "general", None
    for moment, severity in time_thresholds(received_at, calendar):
        if now > moment:
            level, since = severity, moment
    return level, since


def similar_customers(db, session, data: dict, number: str | None) -> int:
    """Other customers with a complaint of the same subject in the month before."""
    if not data.get("subject") or not data.get("received_at"):
        return 0
    received = datetime.fromisoformat(data["received_at"])
    # Only type and receipt time in the filter: the embedded server's planner
    # then walks the (type, data.received_at) index; with the subject in the
    # filter too it scanned the collection (68 ms against 12 ms at 3,000).
    query = {
        "type": TYPE,
        "data.received_at": {
            "$gte": (received - timedelta(days=SIMILAR_DAYS)).isoformat(),
            "$lte": received.isoformat(),
        },
    }
    customers = {
        d["data"].get("customer")
        for d in db.records.find(
            query, {"number": 1, "state": 1, "data.subject": 1, "data.customer": 1}, session=session
        ).limit(5000)
        if d.get("data", {}).get("subject") == data["subject"]
        and d.get("state") != "void"
        and d.get("number") != number
    }
    customers.discard(data.get("customer"))
    customers.discard(None)
    return len(customers)


def suggested_severity(change) -> str:
    data = change.data
    number = (change.old or {}).get("number")
    level = fact_severity(data, similar_customers(change.db, change.session, data, number))
    received = datetime.fromisoformat(data["received_at"]) if data.get("received_at") else None
    # Three working days take at least three days: a fresh complaint needs no
    # calendar to know that time has not raised it yet.
    if (
        received
        and change.state in change.record_type.workflow.group("unresolved")
        and (local_now(change.now) - received > timedelta(days=3))
    ):
        by_time, _since = time_severity(received, change.now, change.calendar)
        level = higher(level, by_time)
    return level


class ComplaintRules(Rules):
    """The rules of the complaint sheet, checked on every change."""

    def prepare(self, change) -> list[NewRecord]:
        data = change.data
        if change.old is None and not data.get("first_receiver"):
            data["first_receiver"] = change.actor.full_name
        if data.get("complainants") is None:
            data["complainants"] = 1
        suggested = suggested_severity(change)
        data["suggested_severity"] = suggested
        self._check_severity(change, suggested)
        transition = change.transition.name if change.transition else None
        moved = any(data.get(k) != change.old_data.get(k) for k in ("department", "handler"))
        if transition in ("dispatch", "redispatch") or (
            moved and data.get("department") and data.get("handler")
        ):
            _check_handler(change)
        if transition == "approve_plan":
            _check_approver(change)
        elif transition == "close":
            _check_closure(change)
        elif transition == "reject":
            return [_reopened(change)]
        return []

    @staticmethod
    def _check_severity(change, suggested: str) -> None:
        """A person may raise the severity; lowering it below the facts or
        below what it was needs a reason, kept with the record."""
        data, flags = change.data, change.flags
        old = change.old_data.get("severity")
        new = data.get("severity")
        accepted = (
            flags.get("lowered_to") == new
            and SEVERITY_RANK.get(flags.get("lowered_below"), 0) >= SEVERITY_RANK[suggested]
        )
        if not new or (change.old is not None and new == old):
            # Not set by a person now: the facts and the time raise it.
            if not new or (SEVERITY_RANK[new] < SEVERITY_RANK[suggested] and not accepted):
                data["severity"] = higher(suggested, new)
            return
        lowered = bool(old) and SEVERITY_RANK[new] < SEVERITY_RANK[old]
        if SEVERITY_RANK[new] >= SEVERITY_RANK[suggested] and not lowered:
            return
        if accepted and not lowered:
            return
        reason = (data.get("severity_reason") or "").strip()
        if not reason or reason == (change.old_data.get("severity_reason") or "").strip():
            raise InvalidData(
                N_("The severity is lower than %(suggested_label)s: say why in the reason."),
                field="severity_reason",
                suggested_label=_LABELS[higher(suggested, old if lowered else None)],
            )
        flags.update(
            lowered_to=new,
            lowered_below=higher(suggested, old),
            lowered_at=change.now,
            lowered_by=change.actor.username,
        )


def _check_handler(change) -> None:
    """The handler works in the department the complaint is dispatched to."""
    data = change.data
    department = change.db.departments.find_one(
        {"code": data.get("department")}, session=change.session
    )
    user = change.db.users.find_one({"username": data.get("handler")}, session=change.session)
    if department is None or user is None or user.get("department") != department["_id"]:
        raise InvalidData(
            N_("The handler does not work in the handling department."), field="handler"
        )


def _check_approver(change) -> None:
    """Major complaints: the director approves; the others: the director or
    the technical manager."""
    positions = change.actor.positions
    if change.data.get("severity") == "major":
        if DIRECTOR not in positions:
            raise PermissionDenied(N_("Only the director approves the plan of a major complaint."))
    elif DIRECTOR not in positions and TECHNICAL_MANAGER not in positions:
        raise PermissionDenied(N_("The director or the technical manager approves handling plans."))


def revisits_of(db, number: str, session=None) -> list[dict]:
    return list(
        db.records.find(
            {"type": "revisit_record", "refs": number, "state": {"$ne": "void"}},
            {"data": 1, "number": 1},
            session=session,
        )
    )


def _check_closure(change) -> None:
    """Revisited where the quota is 100% (major in person); corrective action
    verified effective where it was needed."""
    number = change.old["number"]
    severity = change.data.get("severity")
    if severity in REVISIT_ALL:
        revisits = revisits_of(change.db, number, change.session)
        if not revisits:
            raise InvalidData(
                N_("Every %(severity_label)s complaint is revisited before it is closed."),
                severity_label=_LABELS[severity],
            )
        if severity == "major" and not any(r["data"].get("method") == "visit" for r in revisits):
            raise InvalidData(N_("Major complaints are revisited in person."))
    if change.data.get("capa_required"):
        verified = change.db.records.find_one(
            {"type": "capa_report", "refs": number, "state": "verified"},
            {"_id": 1},
            session=change.session,
        )
        if verified is None:
            raise InvalidData(N_("The corrective action is not yet verified effective."))


def _reopened(change) -> NewRecord:
    """The customer rejects the result: a new sheet, linked to this one."""
    old = change.old
    data = change.data
    copied = {
        name: data.get(name)
        for name in (
            "channel",
            "customer",
            "contact",
            "address",
            "customer_request",
            "complainants",
            "subject",
            "responsibility",
            "department",
            "handler",
        )
    }
    text = change.comment or ""
    copied.update(
        title=(data.get("title") or "")[:120],
        received_at=local_now(change.now).replace(second=0, microsecond=0).isoformat(),
        description=f"{text}\n\n{data.get('description') or ''}".strip(),
        original=old["number"],
    )
    return NewRecord(
        type=TYPE,
        data=copied,
        department=old.get("department"),
        reason=f"{old['number']}: {text}"[:500],
        link_field="reopened_as",
    )


def due_escalations(db, now: datetime) -> list[tuple[str, str, int]]:
    """The unresolved complaints time has raised: (number, new severity,
    the version this was decided on) triples.

    A severity lowered with a reason is raised again only by a threshold that
    passes after the lowering. Nothing is written here: see
    :func:`records.escalation.escalate`, which writes at that version (a
    record saved since is skipped, not overwritten)."""
    calendar = WorkingCalendar.load(db)
    unresolved = list(registry[TYPE].workflow.group("unresolved"))
    due = []
    for doc in db.records.find(
        {"type": TYPE, "state": {"$in": unresolved}},
        {"number": 1, "version": 1, "data": 1, "flags": 1},
    ):
        data = doc.get("data") or {}
        if not data.get("received_at"):
            continue
        level, since = time_severity(datetime.fromisoformat(data["received_at"]), now, calendar)
        current = data.get("severity") or "general"
        if SEVERITY_RANK[level] <= SEVERITY_RANK[current]:
            continue
        lowered_at = (doc.get("flags") or {}).get("lowered_at")
        if lowered_at and since <= lowered_at:
            continue
        due.append((doc["number"], level, doc["version"]))
    return due
