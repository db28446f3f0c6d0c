"""The measures of the procedures (domain.md, "Measures"), kept as counts.

Reports must not read every record, and the embedded server aggregates
slowly, so every write adds what a record contributes to the counts of its
month and department and takes back what it contributed before, in the same
transaction (:func:`keep`). A record remembers its contribution
(``measure`` on the record), so a change applies only the difference. A
report of a year then reads twelve months × departments of counts.

Which month a record counts in: a complaint by its receipt time (a complaint
received on 31 March and closed in April counts in March), a repair by its
service date, a questionnaire by the local date it was filed (a
questionnaire still being filled in counts nowhere, not in the sample nor in
the mean score). Months are the organisation's local months. Void records
count nowhere.

What the counts mean (complaints):
- ``dispatched``: sent to a department (any state after receipt);
- ``finished``: answered or beyond (replied, resolved, closed, reopened);
- ``timely``: finished without having passed a deadline (``flags.late`` is
  set when a step is taken after the record's due time);
- ``closed``, ``satisfied`` (the customer accepted: resolved or closed),
  ``open`` (not yet closed);
- count names hold no dots (``severity:hot``): they are field names.
- per severity the closed ones, how many of those were revisited and how
  many in person (a major complaint counts as revisited in its rate only in
  person, as the register counts it: :func:`revisits_counted`); per
  subject, responsibility class and severity the number received.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pymongo import UpdateOne

from records.clock import to_local
from records.store import database
from records.types import registry

COLLECTION = "measure_counts"

REPAIR_DAYS = 15
#: Targets in the procedures: 100% for the complaint rates, 99% customer
#: satisfaction, revisits by severity in records.worklists.
TARGETS = {
    "timeliness": 1.0,
    "closure": 1.0,
    "satisfaction": 1.0,
    "repair_timeliness": 1.0,
    "customer_satisfaction": 0.99,
}


def _month(value) -> str | None:
    if not value:
        return None
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


def contribution(doc: dict, db=None, session=None, revisits: dict | None = None) -> dict | None:
    """``{"bucket": "2026-03|CS", "counts": {...}}`` that ``doc`` adds, or None.

    ``revisits`` (complaint number -> revisit methods) spares a query per
    closed complaint when many are counted at once."""
    if doc.get("state") == "void":
        return None
    record_type = registry.get(doc.get("type"))
    if record_type is None or record_type.measure is None:
        return None
    found = record_type.measure(
        record_type, doc, db if db is not None else database(), session, revisits
    )
    if found is None:
        return None
    month, counts = found
    if not month:
        return None
    return {
        "bucket": f"{month}|{doc.get('department') or ''}",
        "counts": {k: v for k, v in counts.items() if v},
    }


def complaint_counts(record_type, doc: dict, db, session, revisits=None):
    """What a complaint sheet counts for (the type's ``measure``)."""
    data = doc.get("data") or {}
    state = doc["state"]
    severity = data.get("severity") or data.get("suggested_severity") or "general"
    workflow = record_type.workflow
    finished = state in workflow.group("finished")
    counts = {
        "complaints": 1,
        "dispatched": int(state not in ("received",)),
        "finished": int(finished),
        "timely": int(finished and not (doc.get("flags") or {}).get("late")),
        "closed": int(state == "closed"),
        "satisfied": int(state in workflow.group("satisfied")),
        "open": int(state not in workflow.group("ended")),
        f"severity:{severity}": 1,
        f"subject:{data.get('subject') or 'none'}": 1,
        f"responsibility:{data.get('responsibility') or 'none'}": 1,
    }
    if state == "closed":
        methods = (
            revisits.get(doc["number"], [])
            if revisits is not None
            else [
                r["data"].get("method")
                for r in db.records.find(
                    {"refs": doc["number"], "type": "revisit_record", "state": {"$ne": "void"}},
                    {"data.method": 1},
                    session=session,
                )
            ]
        )
        counts[f"closed:{severity}"] = 1
        counts[f"revisited:{severity}"] = int(bool(methods))
        counts[f"in_person:{severity}"] = int("visit" in methods)
    return _month(data.get("received_at")), counts


def service_sheet_counts(record_type, doc: dict, db, session, revisits=None):
    """What a customer service sheet counts for: repairs, returned in time."""
    data = doc.get("data") or {}
    if data.get("service_kind") != "repair" or not data.get("service_date"):
        return None
    served = date.fromisoformat(data["service_date"])
    returned = data.get("returned_on")
    timely = (
        bool(returned)
        and doc["state"] == "returned"
        and (date.fromisoformat(returned) <= served + timedelta(days=REPAIR_DAYS))
    )
    return _month(served), {"repairs": 1, "repairs_timely": int(timely)}


def filed_at(doc: dict) -> datetime | None:
    """When a questionnaire was filed (UTC), or None while it is being filled in."""
    if doc.get("state") != "filed":
        return None
    steps = [h["at"] for h in doc.get("history") or () if h.get("transition") == "file"]
    return steps[-1] if steps else doc.get("updated_at")


def questionnaire_counts(record_type, doc: dict, db, session, revisits=None):
    """What a filed satisfaction questionnaire counts for: the sample, its score."""
    filed = filed_at(doc)
    if filed is None:
        return None
    data = doc.get("data") or {}
    try:
        score = float(data.get("score"))
    except (TypeError, ValueError):
        score = None
    counts = {"sampled": 1, "customers_satisfied": int(data.get("basically_satisfied") == "yes")}
    if score is not None:
        counts.update(
            {
                "scored": 1,
                "score_sum": score,
                "score_squares": score * score,
                f"score_band:{min(int(score // 10), 9)}": 1,
            }
        )
    return _month(to_local(filed)), counts


def keep(db, session, doc: dict, *, deleted: bool = False) -> None:
    """After a write: apply the difference between what ``doc`` contributed
    before (its ``measure``) and contributes now, and remember the new one."""
    before = doc.get("measure")
    after = None if deleted else contribution(doc, db, session)
    if before != after:
        _apply(db, session, before, -1)
        _apply(db, session, after, 1)
        if not deleted:
            db.records.update_one(
                {"_id": doc["_id"]}, {"$set": {"measure": after}}, session=session
            )
            doc["measure"] = after
    # A revisit changes what its complaint contributes.
    if doc.get("type") == "revisit_record" and (doc.get("data") or {}).get("complaint"):
        complaint = db.records.find_one({"number": doc["data"]["complaint"]}, session=session)
        if complaint is not None:
            keep(db, session, complaint)


def _apply(db, session, part: dict | None, sign: int) -> None:
    if not part or not part["counts"]:
        return
    month, department = part["bucket"].split("|", 1)
    db[COLLECTION].update_one(
        {"_id": part["bucket"]},
        {
            "$inc": {f"counts.{k}": sign * v for k, v in part["counts"].items()},
            "$set": {"month": month, "department": department},
        },
        upsert=True,
        session=session,
    )


def rebuild(db=None, batch: int = 2000) -> int:
    """Count everything again from the records (a new installation's data,
    or after a change of what is counted); answers the records counted."""
    db = db if db is not None else database()
    revisits: dict[str, list] = {}
    for revisit in db.records.find(
        {"type": "revisit_record", "state": {"$ne": "void"}},
        {"data.complaint": 1, "data.method": 1},
    ):
        complaint = (revisit.get("data") or {}).get("complaint")
        if complaint:
            revisits.setdefault(complaint, []).append(revisit["data"].get("method"))
    totals: dict[str, dict[str, float]] = {}
    seen = 0
    pending: list[UpdateOne] = []
    counted = [t.name for t in registry if t.measure is not None]
    for doc in db.records.find({"type": {"$in": counted}}).batch_size(batch):
        part = contribution(doc, db, revisits=revisits)
        if doc.get("measure") != part:
            pending.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"measure": part}}))
            if len(pending) >= batch:
                db.records.bulk_write(pending, ordered=False)
                pending = []
        seen += 1
        if part:
            bucket = totals.setdefault(part["bucket"], {})
            for key, value in part["counts"].items():
                bucket[key] = bucket.get(key, 0) + value
    if pending:
        db.records.bulk_write(pending, ordered=False)
    db[COLLECTION].delete_many({})
    if totals:
        db[COLLECTION].insert_many(
            [
                {
                    "_id": key,
                    "month": key.split("|", 1)[0],
                    "department": key.split("|", 1)[1],
                    "counts": counts,
                }
                for key, counts in totals.items()
            ]
        )
    return seen


# --- reading --------------------------------------------------------------------------


@dataclass
class Figures:
    """The counts of a period (and department), with the rates they give."""

    counts: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.counts.get(key, 0)

    def add(self, counts: dict) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    @staticmethod
    def rate(part: float, whole: float) -> float | None:
        """``part / whole``, or None ("no data") when there is nothing to divide."""
        return part / whole if whole else None

    @property
    def timeliness(self) -> float | None:
        return self.rate(self["timely"], self["dispatched"])

    @property
    def closure(self) -> float | None:
        return self.rate(self["closed"], self["dispatched"])

    @property
    def satisfaction(self) -> float | None:
        return self.rate(self["satisfied"], self["dispatched"])

    @property
    def repair_timeliness(self) -> float | None:
        return self.rate(self["repairs_timely"], self["repairs"])

    @property
    def customer_satisfaction(self) -> float | None:
        return self.rate(self["customers_satisfied"], self["sampled"])

    @property
    def mean_score(self) -> float | None:
        return self.rate(self["score_sum"], self["scored"])

    @property
    def score_spread(self) -> float | None:
        """The standard deviation of the scores (population)."""
        n = self["scored"]
        if not n:
            return None
        mean = self["score_sum"] / n
        return max(self["score_squares"] / n - mean * mean, 0.0) ** 0.5

    def revisit_rate(self, severity: str) -> float | None:
        return self.rate(self[revisits_counted(severity)], self[f"closed:{severity}"])

    def by_prefix(self, prefix: str) -> dict[str, float]:
        """``{"hot": 3, ...}`` of the counts named ``prefix:<key>``."""
        start = f"{prefix}:"
        return {k[len(start) :]: v for k, v in self.counts.items() if k.startswith(start) and v}


def revisits_counted(severity: str) -> str:
    """The count a severity's revisit rate divides: major complaints are
    revisited in person (domain.md, step 8), the others by any method."""
    return f"in_person:{severity}" if severity == "major" else f"revisited:{severity}"


def months_between(start: str, end: str) -> list[str]:
    """``"2026-01"`` .. ``"2026-03"`` inclusive (the register counts whole
    months from the kept measures)."""
    year, month = map(int, start.split("-"))
    last = tuple(map(int, end.split("-")))
    out = []
    while (year, month) <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def figures(
    months: Iterable[str], departments: Iterable[str] | None = None, db=None
) -> dict[str, Figures]:
    """Per department (and ``""`` for all) the figures of ``months``.

    Reads one small document per month and department, never the records."""
    db = db if db is not None else database()
    months = list(months)
    query: dict = {"month": {"$gte": months[0], "$lte": months[-1]}} if months else {"_id": None}
    wanted = set(departments) if departments is not None else None
    result: dict[str, Figures] = {"": Figures()}
    for row in db[COLLECTION].find(query):
        if row["month"] not in months:
            continue
        department = row.get("department") or ""
        if wanted is not None and department not in wanted:
            continue
        result.setdefault(department, Figures()).add(row.get("counts") or {})
        result[""].add(row.get("counts") or {})
    return result


def monthly(
    months: Iterable[str], departments: Iterable[str] | None = None, db=None
) -> dict[str, Figures]:
    """Month -> figures of ``departments`` (None: all of them)."""
    db = db if db is not None else database()
    months = list(months)
    wanted = set(departments) if departments is not None else None
    out = {month: Figures() for month in months}
    if not months or wanted == set():
        return out
    query: dict = {"month": {"$gte": months[0], "$lte": months[-1]}}
    for row in db[COLLECTION].find(query):
        if row["month"] in out and (wanted is None or row.get("department") in wanted):
            out[row["month"]].add(row.get("counts") or {})
    return out
