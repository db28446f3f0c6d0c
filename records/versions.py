"""Versions: every change of a record leaves an immutable version behind.

A version is hashed (and sealed outside the database, see
:mod:`records.integrity`), names the change that made it and the fields it
changed. A save names the version it is based on; one over a newer version is
refused with what changed since.
"""

from __future__ import annotations

import hashlib
import json

from records import audit
from records.access import Actor, hidden_fields
from records.errors import InvalidData, StaleVersion
from records.i18n import N_
from records.types import record_type_of

#: The largest version number anyone may name (anything above is no version).
MAX_VERSION = 10**9


def version_hash(doc: dict) -> str:
    """SHA-256 over what a version says: number, version, state, fields, files."""
    content = {
        "number": doc["number"],
        "version": doc["version"],
        "state": doc["state"],
        "data": doc.get("data", {}),
        "attachments": [a.get("sha256") for a in doc.get("attachments", [])],
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def changes_between(old: dict, new: dict) -> list[dict]:
    """Field by field, what differs between two data dicts."""
    names = list(dict.fromkeys([*old, *new]))
    return [
        {"field": name, "old": old.get(name), "new": new.get(name)}
        for name in names
        if old.get(name) != new.get(name)
    ]


def version_number(value, refusal: str = N_("Say which version the change is based on.")) -> int:
    """``value`` as a version: a whole number from 1 (an int or its digits),
    never a float, a boolean or a number beyond any record's history."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidData(refusal, field="version")
    try:
        number = int(value)
    except ValueError:
        raise InvalidData(refusal, field="version") from None
    if not 1 <= number <= MAX_VERSION:
        raise InvalidData(refusal, field="version")
    return number


def base_version_of(value) -> int:
    """The version a change is based on (see :func:`version_number`)."""
    return version_number(value)


def write_version(db, session, doc: dict, *, operation, actor: Actor, reason, changes) -> str:
    """Store ``doc`` as its version, in the caller's transaction; its hash."""
    digest = version_hash(doc)
    version = {
        "record_id": doc["_id"],
        "number": doc["number"],
        "type": doc["type"],
        "version": doc["version"],
        "state": doc["state"],
        "title": doc.get("title"),
        "data": doc.get("data", {}),
        "department": doc.get("department"),
        "attachments": doc.get("attachments", []),
        "operation": operation,
        "changed_by": actor.username,
        "changed_by_name": actor.full_name,
        "changed_at": doc["updated_at"],
        "reason": reason,
        "changes": changes,
        "hash": digest,
    }
    # Authenticated outside the database, so an edited version cannot be
    # given a recomputed hash unseen (records.integrity checks it).
    mac = audit.seal("version", digest)
    if mac is not None:
        version["mac"] = mac
    db.record_versions.insert_one(version, session=session)
    return digest


def stale_version(db, session, doc_id, base: int, actor: Actor) -> StaleVersion:
    """The refusal of a save over a newer version, with what changed since
    ``base`` as far as ``actor`` may read it."""
    current = db.records.find_one({"_id": doc_id}, session=session)
    hidden = hidden_fields(actor, record_type_of(current["type"]), current)
    base_version = db.record_versions.find_one(
        {"record_id": doc_id, "version": base}, session=session
    ) or {"data": {}}
    latest = (
        db.record_versions.find_one(
            {"record_id": doc_id, "version": current["version"]}, session=session
        )
        or {}
    )
    return StaleVersion(
        base=base,
        current=current["version"],
        changes=[
            c
            for c in changes_between(base_version.get("data", {}), current.get("data", {}))
            if c["field"] not in hidden
        ],
        changed_by=latest.get("changed_by_name") or current.get("updated_by") or "?",
    )
