"""On-site service survey (现场服务调查表, QR-017): the customer's evaluation
after on-site work, signed or stamped, back within 15 working days."""

from records.forms.fields import CONTACT, CUSTOMER, SERVICE_DATE
from records.i18n import N_
from records.roles import STAFF_AND_CONTROLLER
from records.types import Deadline, Field, RecordType, RetentionRule, SignatureLine
from records.vocabularies import SATISFACTION
from records.workflow import Transition, Workflow, void_step

SERVICE_SURVEY = RecordType(
    name="service_survey",
    form_code="GAEPC/QR-017",
    edition="A/0",
    titles={
        "zh_Hans": "现场服务调查表",
        "zh_Hant": "現場服務調查表",
        "en": "On-site service survey",
    },
    numbering_pattern="QR-017-{year}-{seq:04}",
    title_field="customer",
    fields=(
        CUSTOMER,
        CONTACT,
        SERVICE_DATE,
        Field("service_content", "text", N_("Work done on site"), required=True),
        Field("attitude", "choice", N_("Service attitude"), choices=SATISFACTION),
        Field("timeliness", "choice", N_("Timeliness"), choices=SATISFACTION),
        Field("quality", "choice", N_("Quality of the work"), choices=SATISFACTION),
        Field("opinion", "text", N_("Customer's opinion")),
        Field("customer_signed", "boolean", N_("Signed or stamped by the customer")),
        Field(
            "returned_on",
            "date",
            N_("Returned to the service office on"),
            not_future=True,
            not_before="service_date",
        ),
    ),
    workflow=Workflow(
        initial="issued",
        states={
            "issued": N_("With the customer"),
            "returned": N_("Returned"),
            "void": N_("Void"),
        },
        transitions=(
            Transition(
                name="return",
                label=N_("Returned signed"),
                sources=("issued",),
                target="returned",
                roles=STAFF_AND_CONTROLLER,
                fields=(
                    "returned_on",
                    "customer_signed",
                    "attitude",
                    "timeliness",
                    "quality",
                    "opinion",
                ),
                required_fields=("returned_on", "customer_signed"),
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
        Deadline("return", N_("Return due"), ("issued",), start="service_date", working_days=15),
    ),
    layout=(
        ("customer", "contact"),
        ("service_date",),
        ("service_content",),
        ("attitude", "timeliness", "quality"),
        ("opinion",),
        ("customer_signed", "returned_on"),
    ),
    signature_lines=(SignatureLine(N_("Customer's signature or stamp")),),
    procedure="QP-08",
)
