"""A background thread that does one round of work every so often, under a
lease when the work must run once per deployment (see :mod:`records.leases`).

Every node runs the thread; only the node holding the lease does the round.
The lease lasts :data:`LEASE_ROUNDS` intervals, so a holder killed mid-round
is replaced within about that long, while one slow round is not taken for a
dead holder (the round renews the lease as it goes, through ``lease.keep``).
"""

from __future__ import annotations

import logging
import threading

from records.leases import Lease
from records.store import database

log = logging.getLogger(__name__)

#: A lease outlives this many intervals of its round.
LEASE_ROUNDS = 3
#: ... and at least this many seconds (an interval of a second would
#: otherwise make a lease shorter than one slow write).
MIN_LEASE_SECONDS = 3.0


def lease_seconds(interval: float) -> float:
    """How long a round's lease lasts without renewal."""
    return max(LEASE_ROUNDS * interval, MIN_LEASE_SECONDS)


class RoundThread(threading.Thread):
    """Calls ``self.round(lease)`` every ``interval`` seconds, in an app
    context; with ``lease_name``, only while this node holds that lease."""

    def __init__(self, app, name: str, interval: float, lease_name: str | None = None):
        super().__init__(name=name, daemon=True)
        self.app = app
        self.interval = interval
        self.lease_name = lease_name
        self.lease: Lease | None = None
        self._stop_event = threading.Event()

    def round(self, lease: Lease | None) -> None:  # pragma: no cover - overridden
        """The work done once per deployment (by the lease's holder)."""
        raise NotImplementedError

    def on_every_node(self) -> None:
        """Work each node does for itself after the round, lease or not."""

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with self.app.app_context():
                    if self.lease_name and self.lease is None:
                        self.lease = Lease(
                            database(), self.lease_name, lease_seconds(self.interval)
                        )
                    if self.lease is None or self.lease.acquire():
                        self.round(self.lease)
            except Exception:
                log.exception("the %s round failed", self.name)
            try:
                with self.app.app_context():
                    self.on_every_node()
            except Exception:
                log.exception("the %s round's own part failed", self.name)
            self._stop_event.wait(self.interval)
        self._release()

    def keep_going(self) -> bool:
        """For long rounds: False once the thread is asked to stop or the
        lease went to another node."""
        if self._stop_event.is_set():
            return False
        return self.lease is None or self.lease.keep()

    def stop(self, timeout: float = 30) -> None:
        """Ask the thread to stop, wait for its round to end (up to ``timeout``
        seconds) and hand the lease over."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)

    def _release(self) -> None:
        if self.lease is None:
            return
        try:
            self.lease.release()
        except Exception:  # the database is away: the lease simply expires
            log.warning("could not release the %s lease; it expires by itself", self.lease_name)
