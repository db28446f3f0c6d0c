"""The one way a change of a record is written.

Every operation that makes a new version (create, revise, transition,
attach) ends here, inside its transaction: the record is inserted, or
updated only if it is still at the version the change is based on (else the
change is refused as stale), then its version, its audit entry and what
follows every write (search outbox, measures, e-mail notices).
"""

from __future__ import annotations

from collections.abc import Iterable

from pymongo.errors import DuplicateKeyError

from records import audit, measures, notifications
from records.access import Actor
from records.errors import NumberTaken
from records.outbox import queue_for_index
from records.versions import stale_version, write_version


def record_written(db, session, doc: dict, op: str = "upsert") -> None:
    """Everything kept from a record, after each write in the same
    transaction: the search outbox entry, the measures' counts and the
    e-mail notices the change calls for."""
    queue_for_index(db, session, doc, op)
    measures.keep(db, session, doc, deleted=op == "delete")
    notifications.queue_for_change(db, session, doc, op)


def commit_change(
    db,
    session,
    new: dict,
    *,
    actor: Actor,
    operation: str,
    base: int | None,
    fields: Iterable[str] = (),
    push: dict | None = None,
    reason: str | None = None,
    changes: list[dict],
    details: dict,
    also_audited: Iterable[dict] = (),
) -> dict:
    """Write ``new`` as the record's next version, in the caller's transaction.

    ``base`` None: a new record, inserted (a number taken refuses it).
    Otherwise ``fields`` of ``new`` are set (and ``push`` pushed) only where
    the record is still at version ``base``; a record changed meanwhile
    refuses with :class:`records.errors.StaleVersion`, nothing written.
    ``also_audited``: further audit entries of the change (action, version,
    details), after its own."""
    if base is None:
        # Patterns are checked to differ when saved, but a number may still
        # be taken (settings from before that check, an imported number):
        # refuse clearly, and the transaction takes the counter back.
        if db.records.find_one({"number": new["number"]}, {"_id": 1}, session=session):
            raise NumberTaken(new["number"])
        try:
            db.records.insert_one(new, session=session)
        except DuplicateKeyError:
            raise NumberTaken(new["number"]) from None
    else:
        update: dict = {"$set": {k: new[k] for k in fields if k in new}}
        if push:
            update["$push"] = push
        result = db.records.update_one(
            {"_id": new["_id"], "version": base}, update, session=session
        )
        if result.matched_count != 1:
            raise stale_version(db, session, new["_id"], base, actor)
    write_version(
        db, session, new, operation=operation, actor=actor, reason=reason, changes=changes
    )
    at = new["updated_at"]
    for action, version, entry in (
        (operation, new["version"], details),
        *((a["action"], a["version"], a["details"]) for a in also_audited),
    ):
        audit.append(
            db,
            session,
            actor=actor.username,
            action=action,
            record_type=new["type"],
            number=new["number"],
            version=version,
            details=entry,
            at=at,
        )
    record_written(db, session, new)
    return new
