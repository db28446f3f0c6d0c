"""Who may see and change which records: checked in one place, for every path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from records.roles import APPROVER, AUDITOR, CONTROLLER, STAFF
from records.types import RecordType

#: Roles that see the records of every department.
SEE_ALL = (CONTROLLER, APPROVER, AUDITOR)


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


def visible_filter(actor: Actor) -> dict | None:
    """A MongoDB filter of the records ``actor`` may see; None means none at all."""
    if actor.has_role(*SEE_ALL):
        return {}
    if actor.has_role(STAFF):
        mine = [{"created_by": actor.username}, {"people": actor.username}]
        if actor.department:
            mine.append({"department": actor.department})
        return {"$or": mine}
    return None


def can_view(actor: Actor, record) -> bool:
    if actor.has_role(*SEE_ALL):
        return True
    if actor.has_role(STAFF):
        return record.created_by == actor.username or actor.username in (
            record.people or ()) or (
            bool(actor.department) and record.department == actor.department
        )
    return False


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


#: Roles that see confidential fields (customer contact details and the like).
SEE_CONFIDENTIAL = (CONTROLLER, APPROVER, AUDITOR)


def visible_data(actor: Actor, record_type: RecordType, data: dict,
                 created_by: str | None) -> dict:
    """``data`` without the confidential fields ``actor`` has no business with:
    the first receiver and the handler need the customer's contact details,
    the rest of the department does not."""
    handler = data.get(record_type.handler_field) if record_type.handler_field else None
    if actor.has_role(*SEE_CONFIDENTIAL) or actor.username in (created_by, handler):
        return dict(data)
    hidden = {f.name for f in record_type.fields if f.confidential}
    return {k: v for k, v in data.items() if k not in hidden}
