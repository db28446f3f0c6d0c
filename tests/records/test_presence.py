"""A process killed inside a transaction does not hold the audit trail's head
until the server gives up on it (60 s): whoever sees it dead ends its sessions
(records.presence)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from records import audit, presence
from records.clock import utcnow
from records.store import database as records_db
from records.store import unit_of_work
from tests.conftest import TEST_DB

ROOT = Path(__file__).resolve().parents[2]

# A process of the deployment that dies in the middle of an audited change:
# it has written the audit head in its transaction when it says so.
HOLDER = """
import sys, time
from portal import database as portal_db
from records import audit
from records.store import unit_of_work

portal_db.connect(sys.argv[1], sys.argv[2])

def work(db, session):
    audit.append(db, session, actor="dying", action="login")
    print("inside", flush=True)
    time.sleep(600)

unit_of_work(work)
"""


def _holder(database):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database.uri, TEST_DB],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout.readline().strip() == "inside"
    return process


def _kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.stdout.close()


def test_a_save_goes_through_at_once_after_a_process_died_inside_its_transaction(app, database):
    db = records_db()
    holder = _holder(database)
    _kill(holder)
    entry = db[presence.COLLECTION].find_one({"pid": holder.pid})
    assert entry is not None and entry["lsids"], "the dead process had not noted its session"

    started = time.monotonic()
    reaped = presence.reap(db)
    saved = audit.record_event("chen", "login")
    took = time.monotonic() - started

    assert [doc["pid"] for doc in reaped] == [holder.pid]
    assert took < 5, f"the save waited {took:.1f} s for the dead process's transaction"
    assert db[presence.COLLECTION].find_one({"pid": holder.pid}) is None
    # The dead transaction left nothing: the trail goes on without a gap.
    assert saved["seq"] == 1
    assert audit.verify(db).ok


def test_a_live_process_is_never_taken_for_dead_on_its_own_machine(app, database):
    db = records_db()
    holder = _holder(database)
    try:
        entry = db[presence.COLLECTION].find_one({"pid": holder.pid})
        # Even with a heartbeat long past (it runs no thread that beats):
        # its pid runs, on this machine, so its transaction is left alone.
        old = utcnow() - timedelta(hours=1)
        db[presence.COLLECTION].update_one({"_id": entry["_id"]}, {"$set": {"heartbeat_at": old}})
        assert presence.reap(db) == []
        assert db[presence.COLLECTION].find_one({"_id": entry["_id"]}) is not None
    finally:
        _kill(holder)
        # Dead now: ended, or it would hold the head for the next tests.
        assert [doc["pid"] for doc in presence.reap(db)] == [holder.pid]


def test_a_process_elsewhere_is_dead_when_its_heartbeat_is_old(app):
    db = records_db()
    now = utcnow()
    elsewhere = {
        "host": "node2",
        "pid": 4242,
        "pid_space": "node2/another-boot/pid:[1]",
        "started": "1",
        "lsids": [],
    }
    fresh = {**elsewhere, "_id": "fresh", "heartbeat_at": now - timedelta(seconds=3)}
    stale = {**elsewhere, "_id": "stale", "heartbeat_at": now - timedelta(seconds=30)}
    db[presence.COLLECTION].insert_many([fresh, stale])

    assert [doc["_id"] for doc in presence.reap(db, now)] == ["stale"]
    assert [doc["_id"] for doc in db[presence.COLLECTION].find()] == ["fresh"]


def test_a_reused_pid_is_not_the_process_that_noted_the_sessions(app):
    me = presence.this_process()
    if me.pid_space is None:  # pragma: no cover - machines without /proc
        return
    # Our own pid, but started at another moment: a process that had this
    # pid before us and died.
    earlier = {
        "_id": "earlier",
        "host": me.host,
        "pid": me.pid,
        "pid_space": me.pid_space,
        "started": str(int(me.started) - 1),
        "heartbeat_at": utcnow(),
    }
    assert presence.is_dead(earlier)
    assert not presence.is_dead({**earlier, "started": me.started})


def test_saves_do_not_write_the_process_entry_each_time(app):
    db = records_db()
    audit.record_event("chen", "login")
    presence.beat(db)
    me = presence.this_process()
    before = db[presence.COLLECTION].find_one({"_id": me.id})
    assert before is not None and before["lsids"]
    for _ in range(20):
        unit_of_work(lambda db, s: audit.append(db, s, actor="chen", action="login"))
    after = db[presence.COLLECTION].find_one({"_id": me.id})
    # One session serves the saves one after another: no write was needed.
    assert after == before


def test_a_heartbeat_brings_back_an_entry_that_was_removed(app):
    db = records_db()
    audit.record_event("chen", "login")
    me = presence.this_process()
    db[presence.COLLECTION].delete_many({})
    presence.beat(db)
    entry = db[presence.COLLECTION].find_one({"_id": me.id})
    assert entry is not None and set(entry["lsids"]) == set(me.lsids)
