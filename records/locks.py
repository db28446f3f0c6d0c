"""Edit locks (Plone-style): who is editing a record, until when.

A lock only warns others off for a while; saving still checks the version.
Taking over another's lock is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from records import audit
from records.access import Actor, can_edit
from records.clock import utcnow
from records.errors import Locked, PermissionDenied
from records.i18n import N_
from records.models import Record
from records.store import database, load_doc, unit_of_work
from records.types import record_type_of

LOCK_MINUTES = 15


def _held_by_other(lock: dict, actor: Actor, now: datetime) -> bool:
    return bool(
        lock.get("by") and lock["by"] != actor.username and lock.get("expires_at", now) > now
    )


def check_lock(doc: dict, actor: Actor, now: datetime) -> None:
    """Refuse ``actor``'s change while someone else's lock is in force."""
    lock = doc.get("lock") or {}
    if _held_by_other(lock, actor, now):
        raise Locked(
            N_("%(name)s is editing this record until %(until)s."),
            name=lock.get("name") or lock["by"],
            until=lock["expires_at"],
        )


def acquire_lock(
    actor: Actor, number: str, *, takeover: bool = False, minutes: int = LOCK_MINUTES
) -> dict:
    """Lock a record for editing (Plone-style); a takeover is audited."""
    doc = load_doc(number)
    record = Record._from_son(doc)
    if not can_edit(actor, record_type_of(doc["type"]), record):
        raise PermissionDenied(N_("This record cannot be changed in its present state."))
    now = utcnow()
    lock = doc.get("lock") or {}
    held = _held_by_other(lock, actor, now)
    if held and not takeover:
        check_lock(doc, actor, now)
    new_lock = {
        "by": actor.username,
        "name": actor.full_name,
        "since": now,
        "expires_at": now + timedelta(minutes=minutes),
    }

    def work(db, session):
        db.records.update_one({"_id": doc["_id"]}, {"$set": {"lock": new_lock}}, session=session)
        if held:
            audit.append_on(
                db,
                session,
                actor,
                "lock_takeover",
                doc,
                details={"from": lock.get("by"), "lock_expires_at": lock["expires_at"]},
            )
        return new_lock

    return unit_of_work(work)


def release_lock(actor: Actor, number: str) -> None:
    """Give up ``actor``'s own lock on ``number`` (another's stays)."""
    database().records.update_one(
        {"number": number, "lock.by": actor.username}, {"$set": {"lock": {}}}
    )


def current_lock(record: Record, now: datetime | None = None) -> dict | None:
    """The lock on ``record`` if one is in force."""
    lock = record.lock or {}
    if lock.get("by") and lock.get("expires_at") and lock["expires_at"] > (now or utcnow()):
        return lock
    return None
