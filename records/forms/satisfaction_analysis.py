"""Customer satisfaction analysis report (顾客满意度统计分析报告): a period's
surveys and complaints, input to the management review."""

from records.forms.fields import TITLE
from records.i18n import N_
from records.roles import CONTROLLER
from records.types import Field, RecordType, RetentionRule, SignatureLine
from records.workflow import Workflow, approval_step, void_step

SATISFACTION_ANALYSIS = RecordType(
    name="satisfaction_analysis",
    form_code="GAEPC/QR-022",
    edition="A/0",
    titles={
        "zh_Hans": "顾客满意度统计分析报告",
        "zh_Hant": "顧客滿意度統計分析報告",
        "en": "Customer satisfaction analysis report",
    },
    numbering_pattern="QR-022-{year}-{seq:04}",
    fields=(
        TITLE,
        Field("period_start", "date", N_("Period from"), required=True),
        Field("period_end", "date", N_("Period to"), required=True, not_before="period_start"),
        Field("questionnaires", "integer", N_("Questionnaires returned"), min_value=0),
        Field("average_score", "string", N_("Average score"), max_length=16),
        Field("satisfied_rate", "string", N_("Customer satisfaction rate"), max_length=16),
        Field("complaints_summary", "text", N_("Complaints of the period")),
        Field("analysis", "text", N_("Analysis"), required=True),
        Field("improvements", "text", N_("Improvements proposed")),
    ),
    workflow=Workflow(
        initial="draft",
        states={"draft": N_("Draft"), "approved": N_("Approved"), "void": N_("Void")},
        transitions=(
            approval_step(
                name="approve", label=N_("Approve"), sources=("draft",), target="approved"
            ),
            void_step("draft"),
        ),
        editable=("draft",),
        events={"approved": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="created"),
    create_roles=(CONTROLLER,),
    edit_roles=(CONTROLLER,),
    layout=(
        ("period_start", "period_end"),
        ("questionnaires", "average_score", "satisfied_rate"),
        ("complaints_summary",),
        ("analysis",),
        ("improvements",),
    ),
    signature_lines=(SignatureLine(N_("Prepared by")), SignatureLine(N_("Approved by"), "approve")),
    procedure="QP-11",
)
