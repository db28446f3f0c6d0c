"""Demand / inquiry sheet (需求咨询单): answered within 24 hours, 4 if urgent."""

from records.forms.fields import CHANNEL, CONTACT, CUSTOMER, HANDLER, RECEIVED_AT, SUMMARY
from records.i18n import N_
from records.roles import STAFF_AND_CONTROLLER
from records.types import Choice, Deadline, Field, RecordType, RetentionRule, SignatureLine
from records.workflow import Transition, Workflow, void_step

INQUIRY_SHEET = RecordType(
    name="inquiry_sheet",
    form_code="GAEPC/QR-023",
    edition="A/0",
    titles={
        "zh_Hans": "需求咨询单",
        "zh_Hant": "需求諮詢單",
        "en": "Demand / inquiry sheet",
    },
    numbering_pattern="QR-023-{year}-{seq:04}",
    fields=(
        SUMMARY,
        RECEIVED_AT,
        CHANNEL,
        Field(
            "kind",
            "choice",
            N_("Kind of request"),
            choices=(
                Choice("inquiry", N_("Inquiry")),
                Choice("quick_project", N_("Quick project")),
                Choice("potential_project", N_("Potential project")),
            ),
        ),
        CUSTOMER,
        CONTACT,
        Field("request", "text", N_("Request or question"), required=True),
        Field("urgent", "boolean", N_("Urgent (answer within 4 hours)")),
        Field("department", "department", N_("Answering department")),
        HANDLER,
        Field("answer", "text", N_("Answer")),
        Field(
            "answered_at",
            "datetime",
            N_("Answered at"),
            not_future=True,
            not_before="received_at",
        ),
    ),
    workflow=Workflow(
        initial="open",
        states={"open": N_("Open"), "answered": N_("Answered"), "void": N_("Void")},
        transitions=(
            Transition(
                name="answer",
                label=N_("Answer"),
                sources=("open",),
                target="answered",
                roles=STAFF_AND_CONTROLLER,
                fields=("answer", "answered_at"),
                required_fields=("answer", "answered_at"),
            ),
            void_step("open"),
        ),
        editable=("open",),
        events={"answered": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=STAFF_AND_CONTROLLER,
    handler_field="handler",
    deadlines=(
        Deadline(
            "answer",
            N_("Answer due"),
            ("open",),
            start="received_at",
            hours=4,
            when=lambda data: bool(data.get("urgent")),
        ),
        Deadline("answer", N_("Answer due"), ("open",), start="received_at", hours=24),
    ),
    layout=(
        ("received_at", "channel", "kind"),
        ("customer", "contact"),
        ("request",),
        ("urgent",),
        ("department", "handler"),
        ("answer",),
        ("answered_at",),
    ),
    signature_lines=(SignatureLine(N_("Answered by")),),
    procedure="QP-08",
)
