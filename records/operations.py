"""The records operations: creating, revising, reverting and stepping a record
through its workflow.

Each operation checks permission and workflow, then hands the new version to
:func:`records.commit.commit_change`, which writes the record, its immutable
version (:mod:`records.versions`), its audit entry and a search outbox entry
(:mod:`records.outbox`) as one transaction. What a change is and the checks
it passes are in :mod:`records.changes`, edit locks in :mod:`records.locks`.
Every operation takes the actor explicitly. Attachments
(``records.attachments``) take the same commit path; holds and disposal
(``records.retention``) make no version but write their audit and outbox
entries in their own transaction the same way.
"""

from __future__ import annotations

from bson import ObjectId
from pymongo import ReturnDocument

from records import audit
from records.access import Actor, can_create, can_edit, can_view, load_visible, may_file_in
from records.changes import (
    DERIVED,
    Change,
    check_department,
    check_references,
    derived_fields,
    require,
    text_or_none,
    title_of,
    validated,
)
from records.clock import add_years, local_now, utcnow
from records.commit import commit_change, record_written
from records.errors import InvalidData, NotFound, PermissionDenied
from records.i18n import N_
from records.locks import LOCK_MINUTES, acquire_lock, check_lock, current_lock, release_lock
from records.models import Record
from records.outbox import queue_for_index
from records.settings import effective
from records.store import database, load_doc, unit_of_work
from records.types import (
    FieldValueError,
    NewRecord,
    check_dates,
    record_type_of,
)
from records.versions import (
    MAX_VERSION,
    base_version_of,
    changes_between,
    stale_version,
    version_hash,
    version_number,
    write_version,
)

#: Imported from here by other modules and by the other engineers' code:
#: the operations' public names, wherever they are defined.
__all__ = [
    "DERIVED",
    "LOCK_MINUTES",
    "MAX_VERSION",
    "SYSTEM",
    "Change",
    "acquire_lock",
    "available_transitions",
    "base_version_of",
    "changes_between",
    "check_lock",
    "create_in",
    "create_record",
    "current_lock",
    "derived_fields",
    "get_record",
    "load_doc",
    "queue_for_index",
    "record_type_of",
    "record_written",
    "release_lock",
    "revert_record",
    "revise_record",
    "rule_change",
    "stale_version",
    "text_or_none",
    "transition_in",
    "transition_record",
    "version_hash",
    "version_number",
    "write_version",
]

# --- helpers ----------------------------------------------------------------


def _as_record(doc: dict) -> Record:
    return Record._from_son(doc)


def get_record(actor: Actor, number: str, *, audit_view: bool = False) -> Record:
    """The current record, if ``actor`` may see it; a view is audited on request."""
    record = _as_record(load_visible(actor, number))
    if audit_view:
        audit.record_event(
            actor.username, "view", record_type=record.type, number=number, version=record.version
        )
    return record


def _prepare(change: Change) -> None:
    """Every rule a change must pass, beyond each field's own: references,
    dates, the type's rules. Raises InvalidData; nothing is written yet."""
    check_references(change)
    try:
        check_dates(change.record_type, change.data, local_now(change.now))
    except FieldValueError as error:
        raise InvalidData(error.message, field=error.field, **error.params) from None
    if change.record_type.rules is not None:
        for follow_up in change.record_type.rules.prepare(change) or ():
            _carry_out(change, follow_up)


def _carry_out(change: Change, follow_up: NewRecord) -> None:
    """A follow-up a rule asked for, in the change's transaction."""
    created = create_in(
        change.db,
        change.session,
        change.actor,
        follow_up.type,
        follow_up.data,
        department=follow_up.department,
        reason=follow_up.reason,
    )
    if follow_up.link_field:
        change.data[follow_up.link_field] = created["number"]


# --- create -------------------------------------------------------------------


def create_record(
    actor: Actor,
    type_name: str,
    data: dict,
    *,
    department: str | None = None,
    reason: str | None = None,
) -> Record:
    """Create a record: number, version 1, audit and outbox in one transaction."""
    return _as_record(
        unit_of_work(
            lambda db, session: create_in(
                db, session, actor, type_name, data, department=department, reason=reason
            )
        )
    )


def create_in(
    db,
    session,
    actor: Actor,
    type_name: str,
    data: dict,
    *,
    department: str | None = None,
    reason: str | None = None,
) -> dict:
    """:func:`create_record` inside the caller's transaction (composite steps)."""
    record_type = record_type_of(type_name)
    if not can_create(actor, record_type):
        raise PermissionDenied()
    reason = text_or_none(reason, "reason")
    computed = [f.name for f in record_type.fields if f.computed and data.get(f.name)]
    if computed:
        raise InvalidData(N_("This value is computed and cannot be typed in."), field=computed[0])
    cleaned = validated(record_type, data, partial=False)
    require(record_type, cleaned)
    department = department or actor.department
    if not may_file_in(actor, department):
        raise PermissionDenied(N_("Staff create records for their own department only."))
    now = utcnow()
    change = Change(
        db,
        session,
        actor=actor,
        record_type=record_type,
        old=None,
        data=cleaned,
        state=record_type.workflow.initial,
        now=now,
    )
    _prepare(change)
    cleaned = change.data
    settings = effective(record_type, db, session)
    # The organisation's year, not UTC's: 00:30 on 1 January in Shanghai
    # (16:30 UTC on 31 December) starts the new year's sequence.
    year = local_now(now).year
    counter = db.counters.find_one_and_update(
        {"_id": f"{type_name}:{year}"},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    seq = counter["seq"]
    number = settings.numbering_pattern.format(
        code=settings.short_code, form=settings.form_code, year=year, seq=seq
    )
    doc = {
        "_id": ObjectId(),
        "type": type_name,
        "number": number,
        "year": year,
        "seq": seq,
        "version": 1,
        "state": record_type.workflow.initial,
        "title": title_of(record_type, cleaned),
        "data": cleaned,
        "department": department,
        "created_by": actor.username,
        "created_at": now,
        "updated_by": actor.username,
        "updated_at": now,
        "attachments": [],
        "signatures": [],
        "history": [],
        "holds": [],
        "retention_starts_at": None,
        "retention_ends_on": None,
        "lock": {},
        "form_code": settings.form_code,
        "edition": settings.edition,
    }
    doc.update(derived_fields(change, doc))
    check_department(actor, doc)
    if record_type.retention.starts == "created":
        doc["retention_starts_at"] = now
        doc["retention_ends_on"] = add_years(now, settings.retention_years)
    changes = [c for c in changes_between({}, cleaned) if c["new"] is not None]
    return commit_change(
        db,
        session,
        doc,
        actor=actor,
        operation="create",
        base=None,
        reason=reason,
        changes=changes,
        details={"changes": changes, "reason": reason},
    )


# --- revise -------------------------------------------------------------------


def revise_record(
    actor: Actor,
    number: str,
    changes: dict,
    *,
    base_version: int,
    reason: str | None = None,
    operation: str = "change",
    by_rule: bool = False,
) -> Record:
    """Save changed fields over ``base_version``; refused if a newer one exists.

    ``by_rule``: a change the procedures make by themselves (see
    :func:`rule_change`), not subject to the editing permissions."""
    doc = load_doc(number)
    record_type = record_type_of(doc["type"])
    record = _as_record(doc)
    if not by_rule and not can_view(actor, record):
        raise NotFound(N_("There is no record %(number)s."), number=number)
    if not by_rule and not can_edit(actor, record_type, record):
        raise PermissionDenied(N_("This record cannot be changed in its present state."))
    computed = {f.name for f in record_type.fields if f.computed}
    changes = {
        k: v for k, v in changes.items() if k not in computed or v == doc.get("data", {}).get(k)
    }
    cleaned = validated(record_type, changes, partial=True)
    merged = {**{f.name: None for f in record_type.fields}, **doc.get("data", {}), **cleaned}
    require(record_type, merged)
    base_version = base_version_of(base_version)
    reason = text_or_none(reason, "reason")

    def work(db, session):
        now = utcnow()
        current = db.records.find_one({"_id": doc["_id"]}, session=session)
        if current["version"] != base_version:
            raise stale_version(db, session, doc["_id"], base_version, actor)
        if not by_rule:
            check_lock(current, actor, now)
        if not changes_between(current.get("data", {}), merged):
            return current
        change = Change(
            db,
            session,
            actor=actor,
            record_type=record_type,
            old=current,
            data=dict(merged),
            state=current["state"],
            now=now,
        )
        _prepare(change)
        diff = changes_between(current.get("data", {}), change.data)
        new = {
            **current,
            "data": change.data,
            "title": title_of(record_type, change.data),
            "version": base_version + 1,
            "updated_by": actor.username,
            "updated_at": now,
        }
        new.update(derived_fields(change, new))
        if not by_rule:
            check_department(actor, new, current)
        return commit_change(
            db,
            session,
            new,
            actor=actor,
            operation=operation,
            base=base_version,
            fields=("data", "title", "version", "updated_by", "updated_at", *DERIVED),
            reason=reason,
            changes=diff,
            details={"changes": diff, "reason": reason},
        )

    return _as_record(unit_of_work(work))


def revert_record(
    actor: Actor, number: str, to_version: int, *, base_version: int, reason: str
) -> Record:
    """Make a new version whose fields are those of ``to_version``."""
    if not (text_or_none(reason, "reason") or "").strip():
        raise InvalidData(N_("Say why the record is reverted."), field="reason")
    load_visible(actor, number)
    old = database().record_versions.find_one(
        {"number": number, "version": base_version_of(to_version)}
    )
    if old is None:
        raise NotFound(
            N_("Record %(number)s has no version %(version)s."), number=number, version=to_version
        )
    return revise_record(
        actor,
        number,
        old.get("data", {}),
        base_version=base_version,
        reason=reason,
        operation="revert",
    )


#: The actor of changes the procedures make by themselves (escalation).
SYSTEM = Actor(username="system", full_name="System")


def rule_change(
    number: str,
    changes: dict,
    *,
    operation: str,
    reason: str,
    base_version: int | None = None,
) -> Record:
    """A change made by a rule of the procedures (a severity raised as time
    passes): a new version by ``system``, audited like any other.

    ``base_version`` is the version the rule decided on: a record saved since
    is refused as stale (the rule looks again next round) rather than
    overwritten; without it, the current version."""
    if base_version is None:
        base_version = load_doc(number)["version"]
    return revise_record(
        SYSTEM,
        number,
        changes,
        base_version=base_version,
        reason=reason,
        operation=operation,
        by_rule=True,
    )


# --- workflow -----------------------------------------------------------------


def transition_record(
    actor: Actor,
    number: str,
    name: str,
    *,
    comment: str | None = None,
    password: str | None = None,
    base_version: int | None = None,
    changes: dict | None = None,
) -> Record:
    """Take a workflow transition, saving the fields the step asks for with it.

    Approval transitions need a signature: the actor's password again."""
    doc = load_doc(number)
    record_type = record_type_of(doc["type"])
    transition = record_type.workflow.transition(name)
    if (
        transition is not None
        and transition.signature
        and can_view(actor, _as_record(doc))
        and actor.has_role(*transition.roles)
        and (doc["state"] in transition.sources)
        and not _password_confirmed(actor, password)
    ):
        audit.record_event_on(
            actor,
            "signature_refused",
            doc,
            details={"transition": name},
        )
        raise PermissionDenied(N_("The password for the signature is wrong."))
    return _as_record(
        unit_of_work(
            lambda db, session: transition_in(
                db,
                session,
                actor,
                number,
                name,
                comment=comment,
                base_version=base_version,
                changes=changes,
                signed=True,
            )
        )
    )


def transition_in(
    db,
    session,
    actor: Actor,
    number: str,
    name: str,
    *,
    comment: str | None = None,
    base_version: int | None = None,
    changes: dict | None = None,
    signed: bool = False,
) -> dict:
    """:func:`transition_record` inside the caller's transaction.

    ``signed`` says the caller has confirmed the actor's password."""
    current = load_visible(actor, number, db, session)
    record_type = record_type_of(current["type"])
    transition = record_type.workflow.transition(name)
    if transition is None or current["state"] not in transition.sources:
        raise InvalidData(N_("This step is not possible in the record's present state."))
    if not actor.has_role(*transition.roles):
        raise PermissionDenied(N_("Your role may not take this step."))
    comment = (text_or_none(comment, "comment") or "").strip()
    if transition.comment_required and not comment:
        raise InvalidData(N_("This step needs a comment."), field="comment")
    if transition.signature and not signed:
        raise PermissionDenied(N_("The password for the signature is wrong."))
    step_values = {k: v for k, v in (changes or {}).items() if k in transition.fields}
    cleaned = validated(record_type, step_values, partial=True)
    merged = {**{f.name: None for f in record_type.fields}, **current.get("data", {}), **cleaned}
    require(record_type, merged, transition.required_fields)
    now = utcnow()
    base = current["version"] if base_version is None else base_version_of(base_version)
    if current["version"] != base:
        raise stale_version(db, session, current["_id"], base, actor)
    change = Change(
        db,
        session,
        actor=actor,
        record_type=record_type,
        old=current,
        data=dict(merged),
        state=transition.target,
        transition=transition,
        now=now,
        comment=comment,
    )
    if current.get("due_at") and now > current["due_at"]:
        # A step taken after the due time: the record missed a deadline.
        change.flags["late"] = current.get("due_kind") or True
    _prepare(change)
    settings = effective(record_type, db, session)
    entry = {
        "transition": name,
        "from": current["state"],
        "to": transition.target,
        "by": actor.username,
        "by_name": actor.full_name,
        "at": now,
        "comment": comment,
    }
    diff = changes_between(current.get("data", {}), change.data)
    update = {
        "state": transition.target,
        "version": base + 1,
        "updated_by": actor.username,
        "updated_at": now,
        "data": change.data,
        "title": title_of(record_type, change.data),
    }
    push = {"history": entry}
    signature = None
    if transition.signature:
        signed_version = db.record_versions.find_one(
            {"record_id": current["_id"], "version": base}, session=session
        )
        signature = {
            "signer": actor.username,
            "name": actor.full_name,
            "meaning": transition.signature,
            "at": now,
            "transition": name,
            "version": base,
            "version_hash": signed_version["hash"],
        }
        push["signatures"] = signature
    if record_type.workflow.events.get(transition.target) == record_type.retention.starts:
        update["retention_starts_at"] = now
        update["retention_ends_on"] = add_years(now, settings.retention_years)
    new = {**current, **update, "history": [*current.get("history", []), entry]}
    update.update(derived_fields(change, new))
    new.update(update)
    check_department(actor, new, current)
    commit_change(
        db,
        session,
        new,
        actor=actor,
        operation="transition",
        base=base,
        fields=update,
        push=push,
        reason=comment,
        changes=[{"field": "state", "old": current["state"], "new": transition.target}, *diff],
        details={**entry, "changes": diff},
        also_audited=(
            [{"action": "signature", "version": base, "details": signature}] if signature else ()
        ),
    )
    return db.records.find_one({"_id": current["_id"]}, session=session)


def _password_confirmed(actor: Actor, password: str | None) -> bool:
    return bool(password and actor.verify_password is not None and actor.verify_password(password))


def available_transitions(actor: Actor, record: Record):
    """The workflow steps ``actor`` may take on ``record`` now."""
    record_type = record_type_of(record.type)
    return [t for t in record_type.workflow.available(record.state) if actor.has_role(*t.roles)]
