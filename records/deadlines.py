"""Deadlines declared on record types, computed on the working calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from records.calendar import Due, WorkingCalendar, end_of_local_day
from records.clock import from_local, to_local
from records.types import Deadline, RecordType


def _start(deadline: Deadline, doc: dict) -> datetime | None:
    """When the clock starts, as local wall-clock time."""
    if deadline.start == "entered":
        entered = [h["at"] for h in doc.get("history") or () if h.get("to") == doc["state"]]
        moment = entered[-1] if entered else doc.get("created_at")
        return to_local(moment) if moment else None
    value = (doc.get("data") or {}).get(deadline.start)
    if not value:
        return None
    if "T" in value:
        return datetime.fromisoformat(value)
    return datetime.combine(date.fromisoformat(value), datetime.min.time())


def due_for(record_type: RecordType, doc: dict, calendar: WorkingCalendar) -> Due | None:
    """The deadline in force for ``doc`` in its present state, if any."""
    data = doc.get("data") or {}
    for deadline in record_type.deadlines:
        if doc["state"] not in deadline.states or (deadline.when and not deadline.when(data)):
            continue
        start = _start(deadline, doc)
        if start is None:
            continue
        if deadline.working_days is not None:
            day, uncovered = calendar.add_working_days(start.date(), deadline.working_days)
            return Due(end_of_local_day(day), deadline.kind, uncovered)
        if deadline.hours is not None:
            return Due(from_local(start + timedelta(hours=deadline.hours)), deadline.kind)
        day = start.date() + timedelta(days=deadline.calendar_days or 0)
        return Due(end_of_local_day(day), deadline.kind)
    return None


def deadline_label(record_type: RecordType, kind: str) -> str:
    """The declared label of a deadline kind (an N_ msgid)."""
    return next((d.label for d in record_type.deadlines if d.kind == kind), kind)
