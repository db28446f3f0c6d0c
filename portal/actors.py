"""From the logged-in user to the records layer's explicit actor, and back
from the records layer's refusals to messages in the user's language."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, gettext

from portal import accounts
from portal.models import User
from records.access import Actor
from records.errors import RecordError

#: HTTP status per kind of refusal.
STATUS = {"not_found": 404, "forbidden": 403, "invalid": 400, "conflict": 409, "locked": 423}


def actor_for(user: User) -> Actor:
    """The records actor for ``user``, able to re-check their password."""
    department = user.department_or_none
    return Actor(
        username=user.username,
        full_name=user.full_name,
        roles=tuple(user.roles),
        department=department.code if department else None,
        positions=tuple(user.positions or ()),
        verify_password=lambda password: accounts.verify_password(user, password),
    )


def message(error: RecordError) -> str:
    """The refusal in the user's language."""
    params = {
        key: format_datetime(value, "short")
        if isinstance(value, datetime)
        # Parameters named *_label are declared labels (N_), translated here.
        else gettext(value)
        if key.endswith("_label") and isinstance(value, str)
        else value
        for key, value in error.params.items()
    }
    return gettext(error.message, **params) if params else gettext(error.message)


def status(error: RecordError) -> int:
    return STATUS.get(error.kind, 400)
