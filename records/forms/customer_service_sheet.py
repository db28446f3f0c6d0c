"""Customer service sheet (客户服务单): a field service, signed by the customer,
made in three copies and returned within half a month."""

from records.forms.fields import ADDRESS, CONTACT, CUSTOMER, SERVICE_DATE
from records.i18n import N_
from records.measures import service_sheet_counts
from records.roles import STAFF_AND_CONTROLLER
from records.types import Choice, Deadline, Field, RecordType, RetentionRule, SignatureLine
from records.vocabularies import SERVICE_SHEET_COPIES
from records.workflow import Transition, Workflow, void_step

CUSTOMER_SERVICE_SHEET = RecordType(
    name="customer_service_sheet",
    form_code="GAEPC/QR-024",
    edition="A/0",
    titles={
        "zh_Hans": "客户服务单",
        "zh_Hant": "客戶服務單",
        "en": "Customer service sheet",
    },
    numbering_pattern="QR-024-{year}-{seq:04}",
    title_field="customer",
    fields=(
        CUSTOMER,
        CONTACT,
        ADDRESS,
        SERVICE_DATE,
        Field(
            "service_kind",
            "choice",
            N_("Kind of service"),
            required=True,
            choices=(
                Choice("repair", N_("Repair")),
                Choice("maintenance", N_("Maintenance")),
                Choice("installation", N_("Installation")),
                Choice("paid", N_("Paid service")),
            ),
        ),
        Field("description", "text", N_("Problem reported"), required=True),
        Field("work_done", "text", N_("Work done")),
        Field("fee", "string", N_("Fee charged"), max_length=40),
        Field("technician", "string", N_("Technician"), max_length=80),
        Field("customer_signed", "boolean", N_("Signed by the customer")),
        Field("returned_on", "date", N_("Returned on"), not_future=True, not_before="service_date"),
    ),
    workflow=Workflow(
        initial="issued",
        states={"issued": N_("Issued"), "returned": N_("Returned"), "void": N_("Void")},
        transitions=(
            Transition(
                name="return",
                label=N_("Returned signed"),
                sources=("issued",),
                target="returned",
                roles=STAFF_AND_CONTROLLER,
                fields=("work_done", "customer_signed", "returned_on"),
                required_fields=("customer_signed", "returned_on"),
            ),
            void_step("issued"),
        ),
        editable=("issued",),
        events={"returned": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=STAFF_AND_CONTROLLER,
    deadlines=(
        Deadline("return", N_("Return due"), ("issued",), start="service_date", calendar_days=15),
    ),
    copies=SERVICE_SHEET_COPIES,
    layout=(
        ("customer", "contact"),
        ("address",),
        ("service_date", "service_kind"),
        ("description",),
        ("work_done",),
        ("fee", "technician"),
        ("customer_signed", "returned_on"),
    ),
    signature_lines=(SignatureLine(N_("Technician")), SignatureLine(N_("Customer's signature"))),
    procedure="QP-08",
    measure=service_sheet_counts,
)
