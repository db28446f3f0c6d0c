"""The demo's clock: stories (generators) run in time order, each step on a
simulated clock set to the moment it happens."""

from __future__ import annotations

import contextlib
import heapq
import itertools
from collections.abc import Generator
from datetime import datetime

from records import clock

# --- the simulated clock ------------------------------------------------------


@contextlib.contextmanager
def simulated_clock():
    """Make the records layer read the time from the demo's clock.

    Yields a dict whose ``"now"`` (UTC, naive) is the moment; None means the
    real clock. Restored on exit."""
    moment: dict = {"now": None}
    with clock.simulated(lambda: moment["now"]):
        yield moment


Story = Generator[datetime, None, object]


class Scheduler:
    """Runs stories (generators) in time order on the simulated clock.

    A story takes its steps when resumed and yields the local moment of its
    next step; steps after ``end`` are not taken."""

    def __init__(self, moment: dict, end: datetime):
        self.moment = moment
        self.end = end
        self.now = end
        self._heap: list = []
        self._order = itertools.count()

    def spawn(self, at: datetime, story: Story) -> None:
        heapq.heappush(self._heap, (at, next(self._order), story))

    def run(self) -> None:
        while self._heap:
            at, _order, story = heapq.heappop(self._heap)
            if at > self.end:
                story.close()
                continue
            self.now = at
            self.moment["now"] = clock.from_local(at)
            try:
                following = next(story)
            except StopIteration:
                continue
            self.spawn(max(following, at), story)
        self.moment["now"] = None
