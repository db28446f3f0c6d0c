"""The permissions of the portal: a vocabulary, registered once with a label.

Every guard (records operations, views, the API, the CLI, templates, the back
office) asks for a permission here, never for a tuple of role names of its
own. A permission names the roles that hold it and its scope: ``all``
records, or only those of the actor's ``department`` (and the records they
received or handle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from records.i18n import N_
from records.roles import ADMIN, APPROVER, AUDITOR, CONTROLLER, STAFF

ALL = "all"
DEPARTMENT = "department"


class HasRoles(Protocol):
    @property
    def roles(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Permission:
    """What a role may do, with a label people read (translated where shown)."""

    name: str
    label: str
    #: Role -> scope (``ALL`` or ``DEPARTMENT``).
    grants: tuple[tuple[str, str], ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(role for role, _scope in self.grants)

    def scope_for(self, roles) -> str | None:
        """The widest scope ``roles`` hold this permission in, or None."""
        scopes = {scope for role, scope in self.grants if role in roles}
        if ALL in scopes:
            return ALL
        return DEPARTMENT if scopes else None


def _everywhere(*roles: str) -> tuple[tuple[str, str], ...]:
    return tuple((role, ALL) for role in roles)


READ_RECORDS = Permission(
    "read_records",
    N_("Read records"),
    (*_everywhere(CONTROLLER, APPROVER, AUDITOR), (STAFF, DEPARTMENT)),
)
READ_CONFIDENTIAL = Permission(
    "read_confidential",
    N_("Read confidential fields (customer contact details)"),
    # Staff: only on the records they received or handle (see records.access).
    (*_everywhere(CONTROLLER, APPROVER, AUDITOR), (STAFF, DEPARTMENT)),
)
READ_HISTORY = Permission(
    "read_history",
    N_("Read past versions"),
    (*_everywhere(CONTROLLER, APPROVER, AUDITOR), (STAFF, DEPARTMENT)),
)
READ_AUDIT_TRAIL = Permission(
    "read_audit_trail", N_("Read the audit trail"), _everywhere(AUDITOR, CONTROLLER, APPROVER)
)
SEARCH_HISTORY = Permission(
    "search_history",
    N_("Search past versions and records as of a date"),
    _everywhere(AUDITOR, CONTROLLER, APPROVER),
)
EXPORT_REGISTERS = Permission(
    "export_registers",
    N_("Read and export registers and reports"),
    (*_everywhere(CONTROLLER, APPROVER, AUDITOR), (STAFF, DEPARTMENT)),
)
CREATE_RECORDS = Permission(
    "create_records",
    N_("Create records in a department"),
    # Which types each role creates is declared on the type (create_roles).
    (*_everywhere(CONTROLLER, APPROVER), (STAFF, DEPARTMENT)),
)
RECEIVE_COMPLAINTS = Permission(
    "receive_complaints",
    N_("Receive complaints (the hotline form)"),
    (*_everywhere(CONTROLLER), (STAFF, DEPARTMENT)),
)
SEND_REMINDERS = Permission(
    "send_reminders", N_("Issue overdue reminders"), _everywhere(CONTROLLER)
)
FILE_REPORTS = Permission(
    "file_reports", N_("File the period's satisfaction analysis report"), _everywhere(CONTROLLER)
)
IMPORT_LEDGERS = Permission(
    "import_ledgers", N_("Import a complaint ledger"), _everywhere(CONTROLLER)
)
ISSUE_CONTROLLED_COPIES = Permission(
    "issue_controlled_copies", N_("Print controlled copies"), _everywhere(CONTROLLER)
)
HOLD = Permission("hold", N_("Place and release holds"), _everywhere(CONTROLLER, APPROVER))
LIST_DISPOSITION = Permission(
    "list_disposition", N_("Read the disposition list"), _everywhere(APPROVER, CONTROLLER, AUDITOR)
)
DISPOSE = Permission("dispose", N_("Dispose of records after retention"), _everywhere(APPROVER))
MANAGE_FORMS = Permission(
    "manage_forms",
    N_("Change form settings, scoring weights and Word templates"),
    _everywhere(CONTROLLER),
)
MANAGE_USERS = Permission(
    "manage_users", N_("Manage users, departments and tokens"), _everywhere(ADMIN)
)
MANAGE_CALENDAR = Permission("manage_calendar", N_("Edit the working calendar"), _everywhere(ADMIN))
READ_HEALTH = Permission("read_health", N_("Read the portal's health"), _everywhere(ADMIN))

#: Every permission, by name, in the order the roles page lists them.
PERMISSIONS: dict[str, Permission] = {
    p.name: p
    for p in (
        READ_RECORDS,
        READ_CONFIDENTIAL,
        READ_HISTORY,
        READ_AUDIT_TRAIL,
        SEARCH_HISTORY,
        EXPORT_REGISTERS,
        CREATE_RECORDS,
        RECEIVE_COMPLAINTS,
        SEND_REMINDERS,
        FILE_REPORTS,
        IMPORT_LEDGERS,
        ISSUE_CONTROLLED_COPIES,
        HOLD,
        LIST_DISPOSITION,
        DISPOSE,
        MANAGE_FORMS,
        MANAGE_USERS,
        MANAGE_CALENDAR,
        READ_HEALTH,
    )
}


def may(who: HasRoles, permission: Permission) -> bool:
    """Whether ``who`` (an actor or a user) holds ``permission`` in some scope."""
    return permission.scope_for(who.roles) is not None


def scope(who: HasRoles, permission: Permission) -> str | None:
    """``ALL``, ``DEPARTMENT`` or None: how far ``permission`` reaches for ``who``."""
    return permission.scope_for(who.roles)
