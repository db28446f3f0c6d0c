"""The thread that keeps this process's entry among the deployment's
processes fresh and ends the database sessions of processes that died
(see :mod:`records.presence`).

Every `portal` command runs it (``portal_app``), the web processes of
`serve --workers N` included: any of them may die inside a transaction, and
any of them may be the one that notices.
"""

from __future__ import annotations

import logging
import threading
import time

from records import presence
from records.store import database

log = logging.getLogger(__name__)

#: How often the other processes' entries are looked at (one small read).
LOOK_SECONDS = 1.0


class PresenceThread(threading.Thread):
    """Beats every :data:`records.presence.BEAT_SECONDS`, looks for dead
    processes every :data:`LOOK_SECONDS` (or at once when woken)."""

    def __init__(self, app, look: float = LOOK_SECONDS):
        super().__init__(name="presence", daemon=True)
        self.app = app
        self.look = look
        self._stop_event = threading.Event()
        self._wake = threading.Event()

    def run(self) -> None:
        beaten = None
        failing = False
        while not self._stop_event.is_set():
            try:
                with self.app.app_context():
                    db = database()
                    if beaten is None or time.monotonic() - beaten >= presence.BEAT_SECONDS:
                        presence.beat(db)
                        beaten = time.monotonic()
                    presence.reap(db)
                failing = False
            except Exception:
                # The database away: the next look tries again (said once,
                # not every second of the outage).
                if not failing:
                    log.warning("could not look after the deployment's processes", exc_info=True)
                failing = True
            self._wake.wait(self.look)
            self._wake.clear()

    def wake(self) -> None:
        """Look now (a child process was seen to stop)."""
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        """Stop beating and remove this process's entry: it leaves no session open."""
        self._stop_event.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)
        try:
            with self.app.app_context():
                presence.forget(database())
        except Exception:  # the database away: others see our pid gone
            log.warning("could not remove this process's entry; others will", exc_info=True)


def start_presence_thread(app) -> PresenceThread:
    thread = PresenceThread(app)
    thread.start()
    return thread
