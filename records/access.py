"""Who may see and change which records: decided here, once, for every path.

The permissions themselves are a vocabulary (:mod:`records.permissions`);
this module applies their scopes to records: which records an actor sees,
which of their fields, and in which departments they may file them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from records.errors import NotFound
from records.i18n import N_
from records.permissions import (
    ALL,
    CREATE_RECORDS,
    READ_CONFIDENTIAL,
    READ_RECORDS,
    Permission,
    may,
    scope,
)
from records.roles import AUDITOR
from records.store import load_doc
from records.types import RecordType


@dataclass(frozen=True)
class Actor:
    """Who performs an operation. The portal builds it from the logged-in user."""

    username: str
    full_name: str
    roles: tuple[str, ...] = ()
    department: str | None = None
    #: Positions that some approvals need (director, technical manager...).
    positions: tuple[str, ...] = ()
    #: Re-checks the actor's password, for electronic signatures.
    verify_password: Callable[[str], bool] | None = field(default=None, compare=False)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    def may(self, permission: Permission) -> bool:
        """Whether the actor holds ``permission`` (in any scope)."""
        return may(self, permission)

    def sees_everything(self) -> bool:
        """Whether the actor reads the records of every department."""
        return scope(self, READ_RECORDS) == ALL


def visible_filter(actor: Actor) -> dict | None:
    """A MongoDB filter of the records ``actor`` may see; None means none at all."""
    reach = scope(actor, READ_RECORDS)
    if reach == ALL:
        return {}
    if reach is not None:
        mine = [{"created_by": actor.username}, {"people": actor.username}]
        if actor.department:
            mine.append({"department": actor.department})
        return {"$or": mine}
    return None


def _get(record, name):
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def load_visible(actor: Actor, number: str, db=None, session=None) -> dict:
    """The stored record ``number`` if ``actor`` may see it. A record one may
    not see answers as one that does not exist: its number tells nothing."""
    doc = load_doc(number, db, session)
    if not can_view(actor, doc):
        raise NotFound(N_("There is no record %(number)s."), number=number)
    return doc


def can_view(actor: Actor, record) -> bool:
    """Whether ``actor`` may see ``record`` (a Record or its stored dict)."""
    reach = scope(actor, READ_RECORDS)
    if reach == ALL:
        return True
    if reach is None:
        return False
    return (
        _get(record, "created_by") == actor.username
        or actor.username in (_get(record, "people") or ())
        or (bool(actor.department) and _get(record, "department") == actor.department)
    )


def can_edit(actor: Actor, record_type: RecordType, record) -> bool:
    """Revise the fields: an edit role, an editable state, and the record in sight."""
    if actor.has_role(AUDITOR) and not actor.has_role(*record_type.edit_roles):
        return False
    return (
        actor.has_role(*record_type.edit_roles)
        and record.state in record_type.workflow.editable
        and can_view(actor, record)
    )


def can_create(actor: Actor, record_type: RecordType) -> bool:
    return actor.has_role(*record_type.create_roles)


def may_file_in(actor: Actor, department: str | None) -> bool:
    """Whether ``actor`` may create or keep a record in ``department``: the
    department scope of staff is their own department."""
    reach = scope(actor, CREATE_RECORDS)
    if reach == ALL:
        return True
    return reach is not None and (not department or department == actor.department)


def sees_confidential(
    actor: Actor, record_type: RecordType, data: dict, created_by: str | None
) -> bool:
    """The first receiver and the handler need the customer's contact details;
    the rest of the department does not."""
    reach = scope(actor, READ_CONFIDENTIAL)
    if reach == ALL:
        return True
    if reach is None:
        return False
    handler = data.get(record_type.handler_field) if record_type.handler_field else None
    return actor.username in (created_by, handler)


def hidden_fields(actor: Actor, record_type: RecordType, record) -> frozenset[str]:
    """The names of the fields of ``record`` that ``actor`` may not read."""
    if sees_confidential(
        actor, record_type, _get(record, "data") or {}, _get(record, "created_by")
    ):
        return frozenset()
    return frozenset(f.name for f in record_type.fields if f.confidential)


def visible_data(actor: Actor, record_type: RecordType, data: dict, created_by: str | None) -> dict:
    """``data`` without the confidential fields ``actor`` has no business with."""
    if sees_confidential(actor, record_type, data, created_by):
        return dict(data)
    hidden = {f.name for f in record_type.fields if f.confidential}
    return {k: v for k, v in data.items() if k not in hidden}
