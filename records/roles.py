"""The roles of the portal (see domain.md), the one place they are named."""

from records.i18n import N_

ADMIN = "admin"
CONTROLLER = "controller"
STAFF = "staff"
APPROVER = "approver"
AUDITOR = "auditor"

#: Role name -> label (translated where shown), in the order menus list them.
ROLES = {
    ADMIN: N_("Administrator"),
    CONTROLLER: N_("Document controller"),
    STAFF: N_("Staff"),
    APPROVER: N_("Approver"),
    AUDITOR: N_("Auditor"),
}


def is_known(role: str) -> bool:
    """Whether ``role`` is one of the portal's roles."""
    return role in ROLES
