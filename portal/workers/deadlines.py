"""Time-driven rules while the portal runs: the working calendar is seeded
at start, unresolved complaints are escalated as their time passes, and the
audit trail's head is checkpointed outside the database."""

from __future__ import annotations

import logging
import threading

from records import audit
from records.calendar import seed_from_package
from records.escalation import escalate
from records.store import database

log = logging.getLogger(__name__)


class DeadlineThread(threading.Thread):
    """Runs :func:`records.escalation.escalate` every ``minutes``, then
    writes an audit checkpoint if the trail grew (so a truncation of the
    trail is found by `portal audit verify`)."""

    def __init__(self, app, minutes: float):
        super().__init__(name="deadlines", daemon=True)
        self.app = app
        self.interval = minutes * 60
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with self.app.app_context():
                    raised = escalate()
                if raised:
                    log.info("escalated %d complaints", len(raised))
            except Exception:
                log.exception("escalating complaints failed")
            try:
                with self.app.app_context():
                    audit.checkpoint(database(), self.app.config["AUDIT_CHECKPOINTS"])
            except Exception:
                log.exception("writing the audit checkpoint failed")
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


def init_app(app) -> None:
    """Seed the calendar with the years the package knows (outside tests,
    which enter the years they need). The checks run in a thread
    :func:`start_deadline_thread` starts, never here."""
    if app.testing:
        return
    try:
        added = seed_from_package()
    except Exception:  # the portal still serves; deadlines fall back to weekdays
        log.exception("seeding the working calendar failed")
    else:
        if added:
            log.info("working calendar: added %s", ", ".join(map(str, added)))


def start_deadline_thread(app) -> DeadlineThread | None:
    """Start the deadline checks (by `portal serve` and `portal worker`)."""
    minutes = app.config["DEADLINE_CHECK_MINUTES"]
    if not minutes or app.testing:
        return None
    thread = DeadlineThread(app, minutes)
    app.extensions["deadline_thread"] = thread
    thread.start()
    return thread
