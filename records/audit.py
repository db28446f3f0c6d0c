"""The audit trail: append-only, one entry per action, each chained to the one
before it by a SHA-256 hash, so a changed or removed entry is detected.

A hash chain alone does not stop someone who can write the database: they
can recompute every hash after a change, or delete the last entries and
rewind the head. So each entry also carries an HMAC (``mac``) under a key
kept outside the database (:func:`use_key`), and checkpoints of the head
(sequence and hash, with their own HMAC) are appended to a file outside the
database (:func:`checkpoint`); :func:`verify` checks both. Entries written
before the key existed have no ``mac``: they verify by the chain alone, and
only before the first authenticated entry; the first checkpoint covers them,
since the head's hash depends on every entry before it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database

from records.clock import utcnow
from records.i18n import N_
from records.store import unit_of_work

GENESIS = "0" * 64
HEAD_ID = "head"

#: The actions the trail records (one vocabulary, used by filters and exports).
ACTIONS = {
    "create": N_("Created"),
    "change": N_("Changed"),
    "revert": N_("Reverted"),
    "transition": N_("Workflow step"),
    "signature": N_("Signed"),
    "signature_refused": N_("Signature refused"),
    "view": N_("Viewed"),
    "download": N_("Downloaded"),
    "export": N_("Exported"),
    "attach": N_("File attached"),
    "lock_takeover": N_("Edit lock taken over"),
    "hold": N_("Hold placed"),
    "hold_released": N_("Hold released"),
    "dispose": N_("Disposed of"),
    "delete_refused": N_("Deletion refused"),
    "type_settings": N_("Form settings changed"),
    "escalate": N_("Severity raised by time"),
    "calendar_change": N_("Working calendar changed"),
    "scoring_change": N_("Scoring changed"),
    "template_upload": N_("Word template put into use"),
    "template_withdraw": N_("Word template withdrawn"),
    "import": N_("Imported from a ledger"),
    "login": N_("Logged in"),
    "login_failed": N_("Login failed"),
    "logout": N_("Logged out"),
}


# The key entries, versions and checkpoints are authenticated with. Set by
# the portal at start from its configuration (never read from the database).
_key: bytes | None = None


def use_key(key: str | bytes | None) -> None:
    """Authenticate what is written from now on with ``key`` (None: no MACs)."""
    global _key
    _key = key.encode() if isinstance(key, str) else key


def current_key() -> bytes | None:
    return _key


def seal(kind: str, digest: str, key: bytes | None = None) -> str | None:
    """The HMAC-SHA256 of ``digest`` for ``kind`` (entry, version, checkpoint),
    or None without a key. The kind keeps one sort from passing for another."""
    key = key if key is not None else _key
    if not key:
        return None
    return hmac.new(key, f"{kind}\0{digest}".encode(), hashlib.sha256).hexdigest()


def sealed(kind: str, digest: str, mac: str | None, key: bytes | None = None) -> bool:
    expected = seal(kind, digest, key)
    return expected is not None and mac is not None and hmac.compare_digest(expected, mac)


def _canonical(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def entry_hash(entry: dict) -> str:
    """The hash of an entry's content and the hash before it."""
    content = {k: v for k, v in entry.items() if k not in ("_id", "hash", "mac")}
    text = json.dumps(_canonical(content), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def append(
    db: Database,
    session: ClientSession | None,
    *,
    actor: str | None,
    action: str,
    record_type: str | None = None,
    number: str | None = None,
    version: int | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> dict:
    """Append an entry inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    head = db.audit_head.find_one_and_update(
        {"_id": HEAD_ID},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    entry = {
        "seq": head["seq"],
        "at": at or utcnow(),
        "actor": actor,
        "action": action,
        "record_type": record_type,
        "number": number,
        "version": version,
        "details": details or {},
        "prev_hash": head.get("hash", GENESIS),
    }
    entry["hash"] = entry_hash(entry)
    mac = seal("entry", entry["hash"])
    if mac is not None:
        entry["mac"] = mac
    db.audit.insert_one(entry, session=session)
    db.audit_head.update_one({"_id": HEAD_ID}, {"$set": {"hash": entry["hash"]}}, session=session)
    return entry


def record_event(actor: str | None, action: str, **fields) -> dict:
    """Append an entry in a transaction of its own (logins, views, downloads)."""
    return unit_of_work(lambda db, s: append(db, s, actor=actor, action=action, **fields))


def append_on(
    db: Database, session: ClientSession | None, actor, action: str, doc: dict, details: dict
) -> dict:
    """:func:`append` for an entry of ``actor`` about the record ``doc`` at its
    present version, in the caller's transaction (a hold, a lock taken over)."""
    return append(
        db,
        session,
        actor=actor.username,
        action=action,
        record_type=doc["type"],
        number=doc["number"],
        version=doc["version"],
        details=details,
    )


def record_event_on(actor, action: str, doc: dict, details: dict | None = None) -> dict:
    """An entry of ``actor`` about the record (or version) ``doc``, in a
    transaction of its own (a download, a refused step)."""
    return record_event(
        actor.username,
        action,
        record_type=doc["type"],
        number=doc["number"],
        version=doc["version"],
        details=details,
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str = ""
    #: Entries from before the key, checked by the chain only.
    unauthenticated: int = 0
    #: Checkpoints compared with the chain.
    checkpoints: int = 0


class CheckpointError(Exception):
    """The checkpoint file is not what this portal wrote."""


def read_checkpoints(path: Path | str | None, key: bytes | None = None) -> list[dict]:
    """The checkpoints kept in ``path`` (none if it does not exist yet)."""
    if path is None or not Path(path).exists():
        return []
    found = []
    with open(path, encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                point = json.loads(line)
                text = _checkpoint_text(point)
            except (ValueError, KeyError, TypeError):
                raise CheckpointError(f"line {line_number} of {path} is unreadable") from None
            if not sealed("checkpoint", text, point.get("mac"), key):
                raise CheckpointError(
                    f"line {line_number} of {path} is not authenticated with the audit key"
                )
            found.append(point)
    return found


def _checkpoint_text(point: dict) -> str:
    return (
        f"{int(point['seq'])}:{point['hash']}:{point['at']}:{point.get('authenticated_from') or ''}"
    )


def _first_authenticated(db: Database, points: list[dict]) -> int | None:
    """The first entry written with the key: from the checkpoints once one
    has named it (so removing MACs later is found), else from the trail."""
    for point in points:
        if point.get("authenticated_from"):
            return int(point["authenticated_from"])
    first = db.audit.find_one({"mac": {"$exists": True}}, {"seq": 1}, sort=[("seq", 1)])
    return first["seq"] if first else None


def checkpoint(db: Database, path: Path | str, key: bytes | None = None) -> dict | None:
    """Append the head (sequence and hash) to the checkpoint file outside the
    database; None when the head has not moved since the last checkpoint."""
    key = key if key is not None else _key
    if not key:
        raise CheckpointError("no audit key: checkpoints need one")
    head = db.audit_head.find_one({"_id": HEAD_ID}) or {}
    if not head.get("seq") or not head.get("hash"):
        return None
    points = read_checkpoints(path, key)
    if points and points[-1]["seq"] == head["seq"] and points[-1]["hash"] == head["hash"]:
        return None
    point = {
        "seq": head["seq"],
        "hash": head["hash"],
        "at": utcnow().isoformat(timespec="milliseconds"),
        "authenticated_from": _first_authenticated(db, points),
    }
    point["mac"] = seal("checkpoint", _checkpoint_text(point), key)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of one line in append mode, forced to disk: the file only grows.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(point, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return point


def verify(
    db: Database, key: bytes | None = None, checkpoints: Path | str | None = None
) -> Verification:
    """Walk the chain from the first entry; report the first broken link.

    With a key, every entry after the first authenticated one must be
    authenticated; with a checkpoint file, every checkpoint must name an
    entry that is still there with the same hash."""
    key = key if key is not None else _key
    try:
        points = read_checkpoints(checkpoints, key)
    except CheckpointError as error:
        return Verification(False, 0, None, f"the checkpoints are not trustworthy: {error}")
    expected_at = {}
    for point in points:
        if expected_at.setdefault(point["seq"], point["hash"]) != point["hash"]:
            return Verification(False, 0, point["seq"], "two checkpoints disagree about it")
    # The head as it is now: entries appended while the walk runs (a portal
    # at work) are checked too, but do not count as a mismatch.
    head = db.audit_head.find_one({"_id": HEAD_ID}) or {"seq": 0, "hash": GENESIS}
    head_seq, head_hash = head.get("seq", 0), head.get("hash", GENESIS)
    hash_at_head = GENESIS
    # Entries from this one on must carry a MAC, whatever the database says.
    required_from = next(
        (int(p["authenticated_from"]) for p in points if p.get("authenticated_from")), None
    )
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    unauthenticated = 0
    authenticated_seen = False
    for entry in db.audit.find({}, sort=[("seq", 1)], batch_size=1000):
        count += 1
        seq = entry.get("seq")
        if seq != expected_seq:
            return Verification(
                False, count, expected_seq, f"entry {expected_seq} is missing (found {seq})"
            )
        if entry.get("prev_hash") != expected_prev:
            return Verification(False, count, seq, "does not follow the entry before it")
        if entry_hash(entry) != entry.get("hash"):
            return Verification(False, count, seq, "its content was changed")
        if (
            "mac" in entry
            or authenticated_seen
            or (required_from is not None and seq >= required_from)
        ):
            if not key:
                return Verification(
                    False, count, seq, "it is authenticated, but the audit key is missing"
                )
            if not sealed("entry", entry["hash"], entry.get("mac"), key):
                return Verification(
                    False,
                    count,
                    seq,
                    "it was not written with the audit key (forged, or its content was changed)",
                )
            authenticated_seen = True
        else:
            unauthenticated += 1
        if seq in expected_at and expected_at[seq] != entry["hash"]:
            return Verification(False, count, seq, "it differs from the checkpoint kept of it")
        if seq == head_seq:
            hash_at_head = entry["hash"]
        expected_prev = entry["hash"]
        expected_seq += 1
    last_point = max(expected_at, default=0)
    if last_point > count:
        return Verification(
            False,
            count,
            count + 1,
            f"entries up to {last_point}, named in a checkpoint, were removed",
        )
    if head_seq > count:
        return Verification(False, count, count + 1, "entries after this one were removed")
    if hash_at_head != head_hash or (head_seq == 0 and count):
        return Verification(
            False, count, head_seq or 1, "the trail's head does not point at this entry"
        )
    return Verification(True, count, unauthenticated=unauthenticated, checkpoints=len(points))
