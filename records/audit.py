"""The audit trail: append-only, one entry per action, each chained to the one
before it by a SHA-256 hash, so a changed or removed entry is detected."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

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
    content = {k: v for k, v in entry.items() if k not in ("_id", "hash")}
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
    db.audit.insert_one(entry, session=session)
    db.audit_head.update_one({"_id": HEAD_ID}, {"$set": {"hash": entry["hash"]}}, session=session)
    return entry


def record_event(actor: str | None, action: str, **fields) -> dict:
    """Append an entry in a transaction of its own (logins, views, downloads)."""
    return unit_of_work(lambda db, s: append(db, s, actor=actor, action=action, **fields))


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str = ""


def verify(db: Database) -> Verification:
    """Walk the chain from the first entry; report the first broken link."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in db.audit.find({}, sort=[("seq", 1)], batch_size=1000):
        count += 1
        seq = entry.get("seq")
        if seq != expected_seq:
            return Verification(False, count, expected_seq,
                                f"entry {expected_seq} is missing (found {seq})")
        if entry.get("prev_hash") != expected_prev:
            return Verification(False, count, seq, "does not follow the entry before it")
        if entry_hash(entry) != entry.get("hash"):
            return Verification(False, count, seq, "its content was changed")
        expected_prev = entry["hash"]
        expected_seq += 1
    head = db.audit_head.find_one({"_id": HEAD_ID}) or {"seq": 0, "hash": GENESIS}
    if head.get("seq", 0) != count or head.get("hash", GENESIS) != expected_prev:
        return Verification(False, count, count + 1 if head.get("seq", 0) > count else count,
                            "entries after this one were removed")
    return Verification(True, count)
