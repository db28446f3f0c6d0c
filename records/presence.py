"""Which processes of the deployment are alive, and the database sessions a
dead one may have left in the middle of a transaction.

A process killed inside a transaction (kill -9, the OOM killer, a machine
gone) leaves it open on the server until the server's transaction lifetime
ends (60 s on MongoDB and SecantusDB). Every audited save writes the audit
trail's head, so meanwhile every save of every other process waits on it.
The server ends such a transaction at once when asked to end its session
(``killSessions``; on MongoDB that kills the session's operations and aborts
its transaction), so each process says which sessions it uses, and whoever
sees it dead ends them.

Each process keeps one document in the ``processes`` collection:
``{_id, host, pid, pid_space, started, heartbeat_at, lsids}``. It is written
when the process first uses a session for a transaction (the driver keeps a
small pool of them, so that is a handful of writes in a process's life,
never one per save) and renewed every :data:`BEAT_SECONDS` by a thread of
the long-running commands (:func:`beat`). Every such process also looks at
the others' documents every second or so (:func:`reap`); a process is dead

- on the same machine and in the same process-id namespace: as soon as its
  pid is gone, a zombie, or another program's (a different start time);
- elsewhere: once its heartbeat is :data:`DEAD_AFTER_SECONDS` old.

and then its sessions are killed and its document removed. Taking a live
process for dead (one paused longer than that, on another machine) costs it
one aborted transaction, which :func:`records.store.unit_of_work` runs again.

On MongoDB with access control, ``killSessions`` ends only the sessions of
the user that asks: give every node the same database user (as the README's
deployment does), or a role with ``killAnySession``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bson.binary import Binary

log = logging.getLogger(__name__)

COLLECTION = "processes"
#: How often a long-running process renews its heartbeat.
BEAT_SECONDS = 2.0
#: A process on another machine whose heartbeat is this old is taken for dead.
DEAD_AFTER_SECONDS = 12.0
#: Sessions remembered per process: the driver's pool holds one per
#: transaction running at once and replaces one only after ~30 idle minutes,
#: so this is far more than a process ever has open.
MAX_SESSIONS = 64


def _now() -> datetime:
    """The real time (UTC, naive, milliseconds), never the demo's simulated
    clock (records.clock): heartbeats are compared across processes."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _pid_space() -> str | None:
    """What makes two pids comparable: the machine, its boot and the pid
    namespace (containers on one host that share a host name but not their
    pids must never judge each other's pids). None where /proc is absent."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    if boot is None:
        return None
    return f"{socket.gethostname()}/{boot}/{namespace}"


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None if no
    such process."""
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    # The command name is in parentheses and may hold spaces and ")".
    return text.rsplit(")", 1)[1].split()


def _start_time(pid: int) -> str | None:
    fields = _stat(pid)
    # Field 22 of stat(5), the start time in clock ticks since boot.
    return fields[19] if fields and len(fields) > 19 else None


def _runs(pid: int, started: str | None) -> bool:
    """Whether the process ``pid`` of our own pid space still runs and is the
    one that was started at ``started``."""
    fields = _stat(pid)
    if fields is None:
        return False
    # A zombie (killed, not yet waited for by its parent) holds no session.
    if fields[0] in ("Z", "X"):
        return False
    return started is None or len(fields) <= 19 or fields[19] == started


class _ThisProcess:
    """This process as the ``processes`` collection knows it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.id = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid_space = _pid_space()
        self.started = _start_time(self.pid) if self.pid_space else None
        self.lsids: list[str] = []
        # Per database: the sessions its document is known to hold.
        self.noted: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    def document(self, now: datetime) -> dict:
        return {
            "host": self.host,
            "pid": self.pid,
            "pid_space": self.pid_space,
            "started": self.started,
            "heartbeat_at": now,
            "lsids": list(self.lsids),
        }


_this: _ThisProcess | None = None
_this_lock = threading.Lock()


def this_process() -> _ThisProcess:
    """This process's entry (made again after a fork: a child is another process)."""
    global _this
    with _this_lock:
        if _this is None or _this.pid != os.getpid():
            _this = _ThisProcess()
        return _this


def _write(db, me: _ThisProcess, now: datetime) -> None:
    db[COLLECTION].update_one({"_id": me.id}, {"$set": me.document(now)}, upsert=True)


def note_session(db, session) -> None:
    """Before a transaction in ``session``: make sure the deployment knows
    this process uses it (a write only the first time, outside the
    transaction, so that it is there even if we die inside it)."""
    lsid = bytes(session.session_id["id"]).hex()
    me = this_process()
    with me.lock:
        noted = me.noted.setdefault(db.name, set())
        if lsid in noted:
            return
        if lsid not in me.lsids:
            me.lsids = [*me.lsids, lsid][-MAX_SESSIONS:]
        _write(db, me, _now())
        noted.add(lsid)


def beat(db, now: datetime | None = None) -> None:
    """Renew this process's heartbeat (and its whole document: one removed
    by a restore or by another process that took us for dead comes back)."""
    me = this_process()
    with me.lock:
        _write(db, me, now or _now())
        me.noted[db.name] = set(me.lsids)


def forget(db) -> None:
    """A clean stop: this process's sessions end with it, its entry goes."""
    me = this_process()
    with me.lock:
        db[COLLECTION].delete_one({"_id": me.id})
        me.noted.pop(db.name, None)


def is_dead(doc: dict, now: datetime | None = None) -> bool:
    """Whether the process of entry ``doc`` is gone (see the module's text)."""
    me = this_process()
    if doc.get("_id") == me.id:
        return False
    if me.pid_space is not None and doc.get("pid_space") == me.pid_space:
        return not _runs(int(doc["pid"]), doc.get("started"))
    beat_at = doc.get("heartbeat_at")
    if not isinstance(beat_at, datetime):
        return True
    return (now or _now()) - beat_at > timedelta(seconds=DEAD_AFTER_SECONDS)


def kill_sessions(db, lsids: list[str]) -> None:
    """End the sessions ``lsids`` (hex) on the server, aborting any
    transaction still open in them."""
    if lsids:
        db.client.admin.command(
            "killSessions", [{"id": Binary(bytes.fromhex(h), 4)} for h in lsids]
        )


def reap(db, now: datetime | None = None) -> list[dict]:
    """End the sessions of every process found dead and remove its entry;
    the entries removed."""
    now = now or _now()
    reaped = []
    for doc in db[COLLECTION].find({"_id": {"$ne": this_process().id}}):
        if not is_dead(doc, now):
            continue
        kill_sessions(db, doc.get("lsids") or [])
        # Only if it did not beat meanwhile (taken for dead by mistake: its
        # transaction was aborted and ran again; its entry stays).
        db[COLLECTION].delete_one({"_id": doc["_id"], "heartbeat_at": doc.get("heartbeat_at")})
        log.warning(
            "process %s on %s is gone: its %d database sessions were ended",
            doc.get("pid"),
            doc.get("host"),
            len(doc.get("lsids") or []),
        )
        reaped.append(doc)
    return reaped
