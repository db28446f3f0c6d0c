"""Time as the records keep it: UTC, naive, at MongoDB's millisecond precision."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def add_years(moment: datetime, years: int) -> datetime:
    """``moment`` plus whole years; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


# The organisation's time zone: dates people enter (a receipt time, a reply
# date) are local; stored moments are UTC. The portal sets it from its
# configuration at start.
_zone = ZoneInfo("Asia/Shanghai")


def set_local_zone(name: str) -> None:
    global _zone
    _zone = ZoneInfo(name)


def to_local(moment: datetime) -> datetime:
    """A stored UTC moment as local wall-clock time (naive)."""
    return moment.replace(tzinfo=UTC).astimezone(_zone).replace(tzinfo=None)


def from_local(moment: datetime) -> datetime:
    """Local wall-clock time (naive) as a stored UTC moment (naive)."""
    return moment.replace(tzinfo=_zone).astimezone(UTC).replace(tzinfo=None)


def local_now(now: datetime | None = None) -> datetime:
    return to_local(now or utcnow())
