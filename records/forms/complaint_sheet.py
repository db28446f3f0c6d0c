"""Complaint sheet (顾客投诉处理单): one complaint from receipt to closure.

The rules of the complaint process (severity, approval, revisits, the
customer's rejection) are in :mod:`records.complaints`.
"""

from records.complaints import ComplaintRules
from records.forms.capa_report import CORRECTIVE_ACTION
from records.forms.fields import ADDRESS, CHANNEL, CONTACT, CUSTOMER, HANDLER, RECEIVED_AT, SUMMARY
from records.forms.revisit_record import REVISIT
from records.i18n import N_
from records.measures import complaint_counts
from records.roles import CONTROLLER, STAFF_AND_CONTROLLER
from records.types import Deadline, Field, RecordType, RetentionRule, SignatureLine
from records.vocabularies import REPLY_METHODS, RESPONSIBILITY, SEVERITIES, SUBJECTS
from records.workflow import Transition, Workflow, approval_step, rework_step, void_step

DISPATCH_FIELDS = (
    "department",
    "handler",
    "subject",
    "responsibility",
    "severity",
    "severity_reason",
)

COMPLAINT_SHEET = RecordType(
    name="complaint_sheet",
    form_code="GAEPC/QR-015",
    edition="A/0",
    titles={
        "zh_Hans": "顾客投诉处理单",
        "zh_Hant": "顧客投訴處理單",
        "en": "Customer complaint sheet",
    },
    numbering_pattern="QR-015-{year}-{seq:04}",
    fields=(
        SUMMARY,
        RECEIVED_AT,
        CHANNEL,
        Field(
            "first_receiver",
            "string",
            N_("First receiver"),
            max_length=80,
            help=N_("Whoever first hears a complaint owns getting it recorded."),
        ),
        CUSTOMER,
        CONTACT,
        ADDRESS,
        Field("description", "text", N_("What happened"), required=True),
        Field("customer_request", "text", N_("What the customer asks for")),
        Field("complainants", "integer", N_("Number of complainants"), min_value=1),
        Field("lawsuit", "boolean", N_("A lawsuit has been started")),
        Field("media", "boolean", N_("Exposed in the media")),
        Field("exposure_risk", "boolean", N_("A lawsuit or media exposure is possible")),
        Field(
            "major_impact",
            "boolean",
            N_(
                "Damages our reputation, causes the customer major "
                "loss or comes from their senior management"
            ),
        ),
        Field("outside_help", "boolean", N_("Needs outside help")),
        Field("urgent", "boolean", N_("Urgent (also phoned through at once)")),
        Field(
            "original",
            "record",
            N_("Earlier complaint"),
            ref_types=("complaint_sheet",),
            help=N_("The complaint this one repeats or reopens."),
        ),
        Field(
            "suggested_severity",
            "choice",
            N_("Suggested severity"),
            choices=SEVERITIES,
            computed=True,
        ),
        Field(
            "severity",
            "choice",
            N_("Severity"),
            choices=SEVERITIES,
            help=N_("Left empty, the suggested severity is used."),
        ),
        Field("severity_reason", "text", N_("Reason for a lower severity"), max_length=1000),
        Field("subject", "choice", N_("Subject"), choices=SUBJECTS),
        Field("responsibility", "choice", N_("Responsibility class"), choices=RESPONSIBILITY),
        Field("department", "department", N_("Handling department")),
        HANDLER,
        Field("plan", "text", N_("Handling plan")),
        Field("reply_method", "choice", N_("Reply method"), choices=REPLY_METHODS),
        Field("reply_date", "date", N_("Reply date"), not_future=True, not_before="received_at"),
        Field("reply_content", "text", N_("Reply to the customer")),
        Field("capa_required", "boolean", N_("Corrective action needed (cause is ours)")),
        Field("result", "text", N_("Result")),
        Field(
            "reopened_as",
            "record",
            N_("Reopened as"),
            ref_types=("complaint_sheet",),
            computed=True,
        ),
    ),
    workflow=Workflow(
        initial="received",
        states={
            "received": N_("Received"),
            "dispatched": N_("Dispatched"),
            "plan_submitted": N_("Plan submitted"),
            "approved": N_("Plan approved"),
            "replied": N_("Replied"),
            "resolved": N_("Resolved"),
            "closed": N_("Closed"),
            "reopened": N_("Rejected by the customer, reopened"),
            "void": N_("Void"),
        },
        transitions=(
            Transition(
                name="dispatch",
                label=N_("Dispatch"),
                sources=("received",),
                target="dispatched",
                roles=(CONTROLLER,),
                fields=DISPATCH_FIELDS,
                required_fields=("department", "handler", "subject", "responsibility"),
            ),
            Transition(
                name="redispatch",
                label=N_("Dispatch again"),
                sources=("dispatched",),
                target="dispatched",
                roles=(CONTROLLER,),
                fields=DISPATCH_FIELDS,
                comment_required=True,
                required_fields=("department", "handler"),
                task=False,
            ),
            Transition(
                name="submit_plan",
                label=N_("Submit the handling plan"),
                sources=("dispatched",),
                target="plan_submitted",
                roles=STAFF_AND_CONTROLLER,
                fields=("plan",),
                required_fields=("plan",),
            ),
            approval_step(
                name="approve_plan",
                label=N_("Approve the plan"),
                sources=("plan_submitted",),
                target="approved",
            ),
            rework_step(
                name="return_plan",
                label=N_("Return the plan"),
                sources=("plan_submitted",),
                target="dispatched",
            ),
            Transition(
                name="reply",
                label=N_("Reply to the customer"),
                sources=("approved",),
                target="replied",
                roles=STAFF_AND_CONTROLLER,
                fields=("reply_method", "reply_date", "reply_content", "capa_required"),
                required_fields=("reply_method", "reply_date", "reply_content"),
            ),
            Transition(
                name="accept",
                label=N_("The customer accepts"),
                sources=("replied",),
                target="resolved",
                roles=(CONTROLLER,),
            ),
            Transition(
                name="reject",
                label=N_("The customer rejects: open a new sheet"),
                sources=("replied",),
                target="reopened",
                roles=(CONTROLLER,),
                comment_required=True,
            ),
            Transition(
                name="close",
                label=N_("Close"),
                sources=("resolved",),
                target="closed",
                roles=(CONTROLLER,),
                fields=("result",),
                required_fields=("result",),
            ),
            void_step("received", "dispatched"),
        ),
        editable=("received", "dispatched"),
        events={"closed": "closed", "reopened": "closed", "void": "closed"},
        groups={
            "answered": ("replied", "resolved", "closed"),
            "unresolved": ("received", "dispatched", "plan_submitted", "approved", "replied"),
            "finished": ("replied", "resolved", "closed", "reopened"),
            "satisfied": ("resolved", "closed"),
            "ended": ("closed", "reopened"),
        },
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=(CONTROLLER,),
    handler_field="handler",
    deadlines=(Deadline("plan", N_("Handling plan due"), ("dispatched",), working_days=3),),
    rules=ComplaintRules(),
    layout=(
        ("title",),
        ("received_at", "channel", "first_receiver"),
        ("customer", "contact"),
        ("address",),
        ("description",),
        ("customer_request",),
        ("complainants", "urgent", "original"),
        ("lawsuit", "media"),
        ("exposure_risk", "outside_help"),
        ("major_impact",),
        ("suggested_severity", "severity"),
        ("severity_reason",),
        ("subject", "responsibility"),
        ("department", "handler"),
        ("plan",),
        ("reply_method", "reply_date", "capa_required"),
        ("reply_content",),
        ("result",),
        ("reopened_as",),
    ),
    signature_lines=(
        SignatureLine(N_("Received by")),
        SignatureLine(N_("Head of the handling department")),
        SignatureLine(N_("Plan approved by"), "approve_plan"),
        SignatureLine(N_("Customer's confirmation")),
    ),
    procedure="QP-08",
    follow_ups=(REVISIT, CORRECTIVE_ACTION),
    measure=complaint_counts,
)
