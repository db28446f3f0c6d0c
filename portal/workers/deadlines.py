"""Time-driven rules while the portal runs: the working calendar is seeded
at start, unresolved complaints are escalated as their time passes, and the
audit trail's head is checkpointed outside the database."""

from __future__ import annotations

import logging

from portal.workers import start_polling
from portal.workers.rounds import RoundThread
from records import audit
from records.calendar import seed_from_package
from records.escalation import escalate
from records.store import database

log = logging.getLogger(__name__)

#: The lease of the escalation rounds (one node of the deployment runs them).
LEASE = "deadlines"


class DeadlineThread(RoundThread):
    """Runs :func:`records.escalation.escalate` every ``minutes`` on the node
    holding the ``deadlines`` lease, then writes this node's audit checkpoint
    if the trail grew (so a truncation of the trail is found by `portal audit
    verify`). The checkpoint file is each node's own, outside the database:
    every node writes it, lease or not."""

    def __init__(self, app, minutes: float):
        super().__init__(app, "deadlines", minutes * 60, lease_name=LEASE)

    def round(self, lease) -> None:
        raised = escalate(keep_going=self.keep_going)
        if raised:
            log.info("escalated %d complaints", len(raised))

    def on_every_node(self) -> None:
        audit.checkpoint(database(), self.app.config["AUDIT_CHECKPOINTS"])


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
    if app.testing:
        return None
    return start_polling(app, DeadlineThread, "DEADLINE_CHECK_MINUTES")
