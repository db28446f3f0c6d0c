"""The declared record types, one module a form.

Importing a form declares its type and registers nothing: the app factory,
the command line and the tests call :func:`register_all` once.
"""

from __future__ import annotations

from records.forms.capa_report import CAPA_REPORT
from records.forms.complaint_sheet import COMPLAINT_SHEET
from records.forms.customer_service_sheet import CUSTOMER_SERVICE_SHEET
from records.forms.handover_log import HANDOVER_LOG
from records.forms.inquiry_sheet import INQUIRY_SHEET
from records.forms.nonconformity_report import NONCONFORMITY_REPORT
from records.forms.overdue_reminder import OVERDUE_REMINDER
from records.forms.procedure_document import PROCEDURE_DOCUMENT
from records.forms.quality_feedback import QUALITY_FEEDBACK
from records.forms.revisit_record import REVISIT_RECORD
from records.forms.satisfaction_analysis import SATISFACTION_ANALYSIS
from records.forms.satisfaction_questionnaire import SATISFACTION_QUESTIONNAIRE
from records.forms.service_survey import SERVICE_SURVEY
from records.types import RecordType, Registry, registry

#: The organisation's forms, in the order lists and menus show them.
ALL_TYPES: tuple[RecordType, ...] = (
    CAPA_REPORT,
    COMPLAINT_SHEET,
    CUSTOMER_SERVICE_SHEET,
    HANDOVER_LOG,
    INQUIRY_SHEET,
    NONCONFORMITY_REPORT,
    OVERDUE_REMINDER,
    PROCEDURE_DOCUMENT,
    QUALITY_FEEDBACK,
    REVISIT_RECORD,
    SATISFACTION_ANALYSIS,
    SATISFACTION_QUESTIONNAIRE,
    SERVICE_SURVEY,
)


def register_all(into: Registry = registry) -> Registry:
    """Register every form in ``into`` (the portal's registry); once is
    enough, and calling it again changes nothing."""
    for record_type in ALL_TYPES:
        if into.get(record_type.name) is not record_type:
            into.register(record_type)
    return into
