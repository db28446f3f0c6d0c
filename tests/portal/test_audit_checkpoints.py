"""The serving portal checkpoints the audit trail by itself."""

from __future__ import annotations

import json
import time
from pathlib import Path

from portal.workers.deadlines import DeadlineThread
from records import audit
from records.operations import create_record
from records.store import database
from tests.records.conftest import HANDOVER, actor


def test_the_deadline_thread_writes_a_checkpoint_when_the_trail_grew(app):
    path = Path(app.config["AUDIT_CHECKPOINTS"])
    with app.app_context():
        create_record(actor("wang", "staff"), "handover_log", HANDOVER)
        create_record(actor("wang", "staff"), "handover_log", HANDOVER)
        thread = DeadlineThread(app, minutes=0.01)
        thread.start()
        try:
            deadline = time.monotonic() + 20
            while (not path.exists() or not path.read_text().endswith("\n")) and (
                time.monotonic() < deadline
            ):
                time.sleep(0.05)
        finally:
            thread.stop()
            thread.join(20)
        points = [json.loads(line) for line in path.read_text().splitlines()]
        # Once for the two entries; the runs after it found nothing new.
        assert [p["seq"] for p in points] == [2]
        assert audit.verify(database(), checkpoints=path).checkpoints == 1
