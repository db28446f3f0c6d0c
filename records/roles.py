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

#: Who fills in and moves on the everyday forms: the teams and branches, and
#: the service office, which may do whatever they do.
STAFF_AND_CONTROLLER = (STAFF, CONTROLLER)


DIRECTOR = "director"
TECHNICAL_MANAGER = "technical_manager"
QUALITY_MANAGER = "quality_manager"
DEPARTMENT_MANAGER = "department_manager"

#: Positions approvers hold; some approvals need a particular one.
POSITIONS = {
    DIRECTOR: N_("Director"),
    TECHNICAL_MANAGER: N_("Technical manager"),
    QUALITY_MANAGER: N_("Quality manager"),
    DEPARTMENT_MANAGER: N_("Department manager"),
}
