"""Service quality revisit record (服务质量回访记录, QR-018): a callback or visit
after a service or a complaint."""

from records.errors import InvalidData
from records.forms.fields import CONTACT, CUSTOMER
from records.i18n import N_
from records.roles import STAFF_AND_CONTROLLER
from records.types import Field, RecordType, RetentionRule, Rules, SignatureLine, registry
from records.vocabularies import REVISIT_METHODS, SATISFACTION
from records.workflow import FollowUpLink, Workflow, void_step


class RevisitRules(Rules):
    """A complaint is revisited once it has been answered."""

    def prepare(self, change) -> None:
        number = change.data.get("complaint")
        if not number or number == change.old_data.get("complaint"):
            return
        complaint = change.db.records.find_one(
            {"number": number}, {"state": 1}, session=change.session
        )
        answered = registry["complaint_sheet"].workflow.group("answered")
        if complaint and complaint["state"] not in answered:
            raise InvalidData(
                N_("A complaint is revisited after the customer was answered."), field="complaint"
            )


def _revisit_of(record, visible: dict, actor) -> dict:
    """What a revisit repeats from the complaint: the customer, the contact
    (if the reader may see it), the reader as the visitor."""
    return {
        "complaint": record.number,
        "customer": (record.data or {}).get("customer") or "",
        "contact": visible.get("contact") or "",
        "visitor": actor.full_name,
    }


#: Offered on a complaint once the customer was answered.
REVISIT = FollowUpLink(
    type="revisit_record", label=N_("Record a revisit"), group="answered", prefill=_revisit_of
)

REVISIT_RECORD = RecordType(
    name="revisit_record",
    form_code="GAEPC/QR-018",
    edition="A/0",
    titles={
        "zh_Hans": "服务质量回访记录",
        "zh_Hant": "服務質量回訪記錄",
        "en": "Service quality revisit record",
    },
    numbering_pattern="QR-018-{year}-{seq:04}",
    title_field="customer",
    fields=(
        CUSTOMER,
        CONTACT,
        Field("complaint", "record", N_("Complaint"), ref_types=("complaint_sheet",)),
        Field("service", "string", N_("Service revisited"), max_length=200),
        Field("revisit_date", "date", N_("Revisit date"), required=True, not_future=True),
        Field("method", "choice", N_("Method"), required=True, choices=REVISIT_METHODS),
        Field("visitor", "string", N_("Revisited by"), max_length=80),
        Field("feedback", "text", N_("Customer feedback"), required=True),
        Field("satisfaction", "choice", N_("Satisfaction"), required=True, choices=SATISFACTION),
    ),
    workflow=Workflow(
        initial="recorded",
        states={"recorded": N_("Recorded"), "void": N_("Void")},
        transitions=(void_step("recorded"),),
        editable=("recorded",),
        events={"void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="created"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=STAFF_AND_CONTROLLER,
    rules=RevisitRules(),
    layout=(
        ("customer", "contact"),
        ("complaint", "service"),
        ("revisit_date", "method", "visitor"),
        ("feedback",),
        ("satisfaction",),
    ),
    signature_lines=(SignatureLine(N_("Revisited by")),),
    procedure="QP-08",
)
