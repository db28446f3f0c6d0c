"""What the records operations refuse, with a message the portal translates.

``message`` is an English msgid marked with ``N_``; ``params`` fill its
``%(name)s`` placeholders. ``kind`` tells the web layer which status to answer.
"""

from __future__ import annotations

from records.i18n import N_


class RecordError(Exception):
    kind = "invalid"

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


class NotFound(RecordError):
    kind = "not_found"


class PermissionDenied(RecordError):
    kind = "forbidden"

    def __init__(self, message: str = N_("You may not do this with this record."), **params):
        super().__init__(message, **params)


class InvalidData(RecordError):
    kind = "invalid"


class StaleVersion(RecordError):
    """Saving over a newer version: nothing was saved."""

    kind = "conflict"

    def __init__(self, base: int, current: int, changes: list[dict], changed_by: str):
        super().__init__(
            N_("This record was changed by %(who)s (version %(current)d) after you opened "
               "version %(base)d. Nothing was saved; review their changes and save again."),
            who=changed_by, current=current, base=base,
        )
        self.base = base
        self.current = current
        self.changes = changes


class Locked(RecordError):
    kind = "locked"


class RetentionError(RecordError):
    kind = "conflict"
