"""Working days: the official Chinese calendar, kept in the database.

Each year's arrangement of public holidays and make-up working days (调休)
is published in November, so the calendar is data: seeded from the
``chinesecalendar`` package and editable by administrators for years the
package does not know yet. The days that differ from the plain rule
(Monday to Friday work) are stored, with the year marked as covered, plus
any day an administrator set before its year was seeded (so the seed keeps
the administrator's word).

A year that is not covered falls back to Monday-Friday, and every deadline
computed over it says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bson import ObjectId
from pymongo import UpdateOne

from records import audit
from records.access import Actor
from records.clock import from_local, utcnow
from records.errors import InvalidData, PermissionDenied
from records.i18n import N_
from records.permissions import MANAGE_CALENDAR
from records.store import database

DAYS = "calendar_days"
YEARS = "calendar_years"
#: One document whose ``revision`` changes with every change of the calendar,
#: so a process re-reads the days only when they changed.
META = "calendar_meta"

_cache: dict = {}


def _changed(db) -> None:
    # A fresh token, never a counter: a dropped and refilled database must
    # not look unchanged to a process that read the old one.
    db[META].update_one({"_id": "calendar"}, {"$set": {"revision": ObjectId()}}, upsert=True)


def _plain_working(day: date) -> bool:
    return day.weekday() < 5


@functools.cache
def _package_exceptions() -> dict[int, list[tuple[date, bool, str]]]:
    """The package's exceptions to Monday-Friday by year: (day, working, name)."""
    from chinese_calendar.constants import holidays, workdays

    out: dict[int, list[tuple[date, bool, str]]] = {}
    for day, name in holidays.items():
        if _plain_working(day):
            out.setdefault(day.year, []).append((day, False, str(name or "")))
    for day, name in workdays.items():
        if not _plain_working(day):
            out.setdefault(day.year, []).append((day, True, str(name or "")))
    for year in {d.year for d in holidays} | {d.year for d in workdays}:
        out.setdefault(year, [])
    return dict(sorted(out.items()))


def seed_from_package(db=None, years=None, actor: Actor | None = None) -> list[int]:
    """Store the years ``chinesecalendar`` knows (all by default).

    Days an administrator changed are kept as they are. Answers the years
    that were added; an administrator's seeding (``actor``) is audited."""
    if actor is not None and not actor.may(MANAGE_CALENDAR):
        raise PermissionDenied()
    db = db if db is not None else database()
    exceptions = _package_exceptions()
    wanted = [y for y in exceptions if years is None or y in years]
    seeded = {d["_id"] for d in db[YEARS].find({"_id": {"$in": wanted}}, {"_id": 1})}
    added = [year for year in wanted if year not in seeded]
    if not added:
        return []
    edited = {
        d["_id"] for d in db[DAYS].find({"year": {"$in": added}, "source": "admin"}, {"_id": 1})
    }
    # A few round trips for every year, not one a day: a first start seeds ~600 days.
    days = [
        UpdateOne(
            {"_id": day.isoformat()},
            {
                "$set": {
                    "year": year,
                    "working": working,
                    "name": name,
                    "source": "chinesecalendar",
                }
            },
            upsert=True,
        )
        for year in added
        for day, working, name in exceptions[year]
        if day.isoformat() not in edited
    ]
    if days:
        db[DAYS].bulk_write(days, ordered=False)
    # The years are marked seeded only after their days are written.
    at = utcnow()
    db[YEARS].bulk_write(
        [
            UpdateOne({"_id": year}, {"$set": {"source": "chinesecalendar", "at": at}}, upsert=True)
            for year in added
        ],
        ordered=False,
    )
    if added:
        _changed(db)
        if actor is not None:
            audit.record_event(actor.username, "calendar_change", details={"seeded": added})
    return added


def set_day(
    actor: Actor, day: date, working: bool, name: str = "", *, covers_year: bool = False, db=None
) -> None:
    """An administrator marks ``day`` as a working day or a day off (audited).

    ``covers_year`` marks the day's year as entered in full, so deadlines in it
    stop falling back to Monday-Friday."""
    if not actor.may(MANAGE_CALENDAR):
        raise PermissionDenied()
    if not isinstance(day, date):
        raise InvalidData(N_("Not a valid value."), field="day")
    db = db if db is not None else database()
    key = day.isoformat()
    # A day back to the plain rule needs no entry, unless its year is still to
    # be seeded: then the entry keeps the administrator's word over the seed.
    if working == _plain_working(day) and db[YEARS].find_one({"_id": day.year}):
        db[DAYS].delete_one({"_id": key})
    else:
        db[DAYS].update_one(
            {"_id": key},
            {
                "$set": {
                    "year": day.year,
                    "working": working,
                    "name": (name or "").strip()[:80],
                    "source": "admin",
                    "by": actor.username,
                    "at": utcnow(),
                }
            },
            upsert=True,
        )
    if covers_year:
        db[YEARS].update_one(
            {"_id": day.year},
            {"$set": {"source": "admin", "at": utcnow(), "by": actor.username}},
            upsert=True,
        )
    _changed(db)
    audit.record_event(
        actor.username,
        "calendar_change",
        details={"day": key, "working": working, "name": name, "covers_year": covers_year},
    )


def mark_year_covered(actor: Actor, year: int, db=None) -> None:
    """Say that ``year``'s holidays and make-up days are all entered."""
    if not actor.may(MANAGE_CALENDAR):
        raise PermissionDenied()
    db = db if db is not None else database()
    db[YEARS].update_one(
        {"_id": int(year)},
        {"$set": {"source": "admin", "at": utcnow(), "by": actor.username}},
        upsert=True,
    )
    _changed(db)
    audit.record_event(actor.username, "calendar_change", details={"year": int(year)})


class WorkingCalendar:
    """Working days as stored: a snapshot read once per use."""

    def __init__(self, exceptions: dict[date, tuple[bool, str]], covered: set[int]):
        self.exceptions = exceptions
        self.covered = covered

    @classmethod
    def load(cls, db=None, session=None, years=None) -> WorkingCalendar:
        """The stored calendar; read again only when it changed (or for
        some ``years`` only)."""
        db = db if db is not None else database()
        if years is None:
            meta = db[META].find_one({"_id": "calendar"}, session=session) or {}
            key = meta.get("revision")
            cached = _cache.get("calendar")
            if key is not None and cached is not None and cached[0] == key:
                return cached[1]
            calendar = cls._read(db, session, None)
            if key is not None:
                _cache["calendar"] = (key, calendar)
            return calendar
        return cls._read(db, session, years)

    @classmethod
    def _read(cls, db, session, years) -> WorkingCalendar:
        query = {"year": {"$in": list(years)}} if years else {}
        exceptions = {
            date.fromisoformat(d["_id"]): (bool(d["working"]), d.get("name") or "")
            for d in db[DAYS].find(query, session=session)
        }
        covered = {y["_id"] for y in db[YEARS].find({}, {"_id": 1}, session=session)}
        return cls(exceptions, covered)

    def is_working(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day][0]
        return _plain_working(day)

    def day_name(self, day: date) -> str:
        return self.exceptions.get(day, (None, ""))[1]

    def add_working_days(self, start: date, days: int) -> tuple[date, tuple[int, ...]]:
        """The ``days``-th working day after ``start``, and the years crossed
        that the calendar does not cover (counted Monday-Friday)."""
        day = start
        uncovered = set()
        if start.year not in self.covered:
            uncovered.add(start.year)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if day.year not in self.covered:
                uncovered.add(day.year)
            if self.is_working(day):
                counted += 1
        return day, tuple(sorted(uncovered))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working(day):
                count += 1
        return count


@dataclass(frozen=True)
class Due:
    """A deadline: when (UTC, naive), what for, and whether it was counted on
    plain weekdays because the calendar does not cover a year."""

    at: datetime
    kind: str
    uncovered_years: tuple[int, ...] = ()

    def as_fields(self) -> dict:
        return {
            "due_at": self.at,
            "due_kind": self.kind,
            "due_uncovered": list(self.uncovered_years),
        }


def end_of_local_day(day: date) -> datetime:
    """The last second of ``day`` in the organisation's time zone, as UTC."""
    return from_local(datetime.combine(day, time(23, 59, 59)))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)
