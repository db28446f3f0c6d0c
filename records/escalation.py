"""Escalation: time raises the severity of unresolved complaints.

What is due is the complaint rules' answer (:func:`records.complaints.due_escalations`);
each raise is a change by the procedures themselves, written by the operations.
"""

from __future__ import annotations

from datetime import datetime

from records.clock import utcnow
from records.complaints import due_escalations
from records.i18n import N_
from records.operations import rule_change
from records.store import database


def escalate(now: datetime | None = None) -> list[tuple[str, str]]:
    """Raise the severity of unresolved complaints as time passes.

    Answers the (number, new severity) pairs raised."""
    raised = due_escalations(database(), now or utcnow())
    for number, level in raised:
        rule_change(
            number,
            {"severity": level},
            operation="escalate",
            reason=N_("Unresolved past its time limit: severity raised."),
        )
    return raised
