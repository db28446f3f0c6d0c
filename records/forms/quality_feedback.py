"""Product quality feedback (产品质量信息反馈单): a product problem reported by
sales, passed to after-sales service."""

from records.forms.capa_report import CORRECTIVE_ACTION
from records.forms.fields import HANDLER, PROBLEM
from records.i18n import N_
from records.roles import CONTROLLER, STAFF_AND_CONTROLLER
from records.types import Field, RecordType, RetentionRule, SignatureLine
from records.workflow import Transition, Workflow, void_step

QUALITY_FEEDBACK = RecordType(
    name="quality_feedback",
    form_code="GAEPC/QR-025",
    edition="A/0",
    titles={
        "zh_Hans": "产品质量信息反馈单",
        "zh_Hant": "產品質量信息反饋單",
        "en": "Product quality feedback",
    },
    numbering_pattern="QR-025-{year}-{seq:04}",
    title_field="product",
    fields=(
        Field("product", "string", N_("Product"), required=True, max_length=120),
        Field("model", "string", N_("Model"), max_length=80),
        Field("batch", "string", N_("Batch or serial number"), max_length=80),
        Field("customer", "string", N_("Customer"), max_length=120),
        Field("reported_by", "string", N_("Reported by (sales)"), required=True, max_length=80),
        Field("reported_on", "date", N_("Reported on"), required=True, not_future=True),
        PROBLEM,
        Field("quantity", "integer", N_("Quantity affected"), min_value=0),
        Field("department", "department", N_("After-sales department")),
        HANDLER,
        Field("action", "text", N_("Action taken")),
    ),
    workflow=Workflow(
        initial="reported",
        states={
            "reported": N_("Reported"),
            "forwarded": N_("With after-sales service"),
            "handled": N_("Handled"),
            "void": N_("Void"),
        },
        transitions=(
            Transition(
                name="forward",
                label=N_("Pass to after-sales service"),
                sources=("reported",),
                target="forwarded",
                roles=(CONTROLLER,),
                fields=("department", "handler"),
                required_fields=("department",),
            ),
            Transition(
                name="handle",
                label=N_("Record the action"),
                sources=("forwarded",),
                target="handled",
                roles=STAFF_AND_CONTROLLER,
                fields=("action",),
                required_fields=("action",),
            ),
            void_step("reported"),
        ),
        editable=("reported", "forwarded"),
        events={"handled": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=STAFF_AND_CONTROLLER,
    handler_field="handler",
    layout=(
        ("product", "model", "batch"),
        ("customer",),
        ("reported_by", "reported_on"),
        ("problem",),
        ("quantity",),
        ("department", "handler"),
        ("action",),
    ),
    signature_lines=(SignatureLine(N_("Reported by")), SignatureLine(N_("After-sales service"))),
    procedure="QP-08",
    follow_ups=(CORRECTIVE_ACTION,),
)
