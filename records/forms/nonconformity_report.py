"""Nonconformity report (不合格报告): a nonconforming work item (QP-07)."""

from records.forms.capa_report import CORRECTIVE_ACTION
from records.forms.fields import TITLE, VERIFICATION, verification_step
from records.i18n import N_
from records.roles import STAFF_AND_CONTROLLER
from records.types import Choice, Field, RecordType, RetentionRule, SignatureLine
from records.workflow import Transition, Workflow, void_step

NONCONFORMITY_REPORT = RecordType(
    name="nonconformity_report",
    form_code="GAEPC/QR-016",
    edition="A/0",
    titles={
        "zh_Hans": "不合格报告",
        "zh_Hant": "不合格報告",
        "en": "Nonconformity report",
    },
    numbering_pattern="QR-016-{year}-{seq:04}",
    fields=(
        TITLE,
        Field("found_on", "date", N_("Found on"), required=True, not_future=True),
        Field("found_by", "string", N_("Found by"), max_length=80),
        Field("department", "department", N_("Department concerned"), required=True),
        Field("work_item", "string", N_("Work item"), required=True, max_length=200),
        Field("description", "text", N_("Description of the nonconformity"), required=True),
        Field(
            "grade",
            "choice",
            N_("Grade"),
            choices=(Choice("minor", N_("Minor")), Choice("serious", N_("Serious"))),
        ),
        Field("disposition", "text", N_("Disposition of the nonconforming work")),
        Field("cause", "text", N_("Cause")),
        Field("capa_required", "boolean", N_("Corrective action needed")),
        VERIFICATION,
    ),
    workflow=Workflow(
        initial="open",
        states={
            "open": N_("Open"),
            "dispositioned": N_("Dispositioned"),
            "closed": N_("Closed"),
            "void": N_("Void"),
        },
        transitions=(
            Transition(
                name="disposition",
                label=N_("Record the disposition"),
                sources=("open",),
                target="dispositioned",
                roles=STAFF_AND_CONTROLLER,
                fields=("disposition", "cause", "capa_required"),
                required_fields=("disposition",),
            ),
            verification_step(
                name="close",
                label=N_("Verify and close"),
                sources=("dispositioned",),
                target="closed",
            ),
            void_step("open"),
        ),
        editable=("open",),
        events={"closed": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=STAFF_AND_CONTROLLER,
    layout=(
        ("found_on", "found_by"),
        ("department", "work_item"),
        ("description",),
        ("grade",),
        ("disposition",),
        ("cause",),
        ("capa_required",),
        ("verification",),
    ),
    signature_lines=(SignatureLine(N_("Reported by")), SignatureLine(N_("Verified by"), "close")),
    procedure="QP-07",
    follow_ups=(CORRECTIVE_ACTION,),
)
