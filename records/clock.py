"""Time as the records keep it: UTC, naive, at MongoDB's millisecond precision."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# A replacement source of "now" (UTC, naive), or None for the real clock.
# Only for loading dated demo history: see :func:`simulated`.
_source: Callable[[], datetime | None] | None = None


def utcnow() -> datetime:
    if _source is not None:
        simulated_now = _source()
        if simulated_now is not None:
            return simulated_now
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@contextmanager
def simulated(source: Callable[[], datetime | None]):
    """Read "now" from ``source`` (None from it = the real clock) while the
    block runs: the demo replays months of history with their own dates.
    Process-wide; never used while the portal serves."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous


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
