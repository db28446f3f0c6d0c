"""The declared record types. Importing this package registers them all."""

from records.forms import (  # noqa: F401
    capa_report,
    complaint_sheet,
    customer_service_sheet,
    handover_log,
    inquiry_sheet,
    nonconformity_report,
    overdue_reminder,
    procedure_document,
    quality_feedback,
    revisit_record,
    satisfaction_analysis,
    satisfaction_questionnaire,
    service_survey,
)
