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
            N_(
                "This record was changed by %(who)s (version %(current)d) after you opened "
                "version %(base)d. Nothing was saved; review their changes and save again."
            ),
            who=changed_by,
            current=current,
            base=base,
        )
        self.base = base
        self.current = current
        self.changes = changes


class Locked(RecordError):
    kind = "locked"


class RetentionError(RecordError):
    kind = "conflict"


class NumberTaken(RecordError):
    """The number the pattern gives is already a record's: nothing was saved."""

    kind = "conflict"

    def __init__(self, number: str):
        super().__init__(
            N_(
                "Number %(number)s is already taken by another record, so nothing was saved. "
                "Each form needs a numbering pattern of its own: a document controller "
                "changes it under Records › Form settings."
            ),
            number=number,
        )


class TypeDeclarationError(ValueError):
    """A record type declaration is inconsistent (raised when the forms are
    imported: a programming error, never shown to a user)."""
