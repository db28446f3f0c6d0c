"""Escalation: time raises the severity of unresolved complaints.

What is due is the complaint rules' answer (:func:`records.complaints.due_escalations`);
each raise is a change by the procedures themselves, written by the operations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from records.clock import utcnow
from records.complaints import due_escalations
from records.errors import RecordError, StaleVersion
from records.operations import rule_change
from records.store import database

log = logging.getLogger(__name__)


def escalate(
    now: datetime | None = None, keep_going: Callable[[], bool] | None = None
) -> list[tuple[str, str]]:
    """Raise the severity of unresolved complaints as time passes.

    ``keep_going`` is asked before each record (a worker's lease: False ends
    the round, another node carries on). Answers the (number, new severity)
    pairs raised."""
    raised = []
    for number, level, version in due_escalations(database(), now or utcnow()):
        if keep_going is not None and not keep_going():
            break
        try:
            rule_change(
                number,
                {"severity": level},
                operation="escalate",
                base_version=version,
                # A code, translated where it is shown (vocabularies.RULE_REASONS).
                reason="severity_raised_by_time",
            )
        except StaleVersion:
            # Someone saved the record between our read and our write: skip
            # it rather than end the round for every other complaint; the
            # next round sees its new version.
            log.info("escalation of %s skipped this round: saved meanwhile", number)
            continue
        except RecordError as error:
            # One record the rule cannot save (data an older release let
            # through) must not keep every other complaint from escalating.
            log.warning("escalation of %s refused: %s", number, error)
            continue
        raised.append((number, level))
    return raised
