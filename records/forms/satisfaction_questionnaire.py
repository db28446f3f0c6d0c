"""Customer satisfaction questionnaire (顾客满意度调查问卷, QR-019): the yearly
survey of a customer, scored by :mod:`records.scoring`."""

from records.errors import InvalidData
from records.forms.fields import CONTACT, CUSTOMER
from records.i18n import N_
from records.measures import questionnaire_counts
from records.roles import STAFF_AND_CONTROLLER
from records.scoring import DEFAULT_ITEMS, ITEM_FIELDS, load_settings, score
from records.types import Field, RecordType, RetentionRule, Rules, SignatureLine
from records.vocabularies import LEVELS, YES_NO
from records.workflow import Transition, Workflow, void_step


class QuestionnaireRules(Rules):
    """Scores every change; a filed questionnaire answers every item."""

    def prepare(self, change) -> None:
        data = change.data
        verified = data.get("verified_complaints") or 0
        serious = data.get("serious_complaints") or 0
        if serious > verified:
            raise InvalidData(
                N_("More serious complaints than verified ones."), field="serious_complaints"
            )
        result = score(data, verified, serious, load_settings(change.db, change.session))
        if (
            change.transition
            and change.transition.name == "file"
            and result.answered < len(ITEM_FIELDS)
        ):
            raise InvalidData(N_("Rate every item before filing the questionnaire."))
        data["base_score"] = f"{result.base:g}"
        data["score"] = f"{result.total:g}"
        data["basically_satisfied"] = "yes" if result.basically_satisfied else "no"


ITEMS = tuple(
    Field(name, "choice", label, choices=LEVELS)
    for name, (label, _weight) in zip(ITEM_FIELDS, DEFAULT_ITEMS, strict=True)
)

SATISFACTION_QUESTIONNAIRE = RecordType(
    name="satisfaction_questionnaire",
    form_code="GAEPC/QR-019",
    edition="A/0",
    titles={
        "zh_Hans": "顾客满意度调查问卷",
        "zh_Hant": "顧客滿意度調查問卷",
        "en": "Customer satisfaction questionnaire",
    },
    numbering_pattern="QR-019-{year}-{seq:04}",
    title_field="customer",
    fields=(
        CUSTOMER,
        CONTACT,
        Field("survey_year", "integer", N_("Survey year"), required=True, min_value=2000),
        *ITEMS,
        Field(
            "verified_complaints",
            "integer",
            N_("Complaints verified as our responsibility"),
            min_value=0,
        ),
        Field(
            "serious_complaints",
            "integer",
            N_("Of which about product quality, delivery or service"),
            min_value=0,
        ),
        Field("opinion", "text", N_("Customer's opinions and suggestions")),
        Field("base_score", "string", N_("Score before deductions"), computed=True),
        Field("score", "string", N_("Score"), computed=True),
        Field(
            "basically_satisfied",
            "choice",
            N_("Basically satisfied (70 or more)"),
            choices=YES_NO,
            computed=True,
        ),
    ),
    workflow=Workflow(
        initial="open",
        states={"open": N_("Being filled in"), "filed": N_("Filed"), "void": N_("Void")},
        transitions=(
            Transition(
                name="file",
                label=N_("File"),
                sources=("open",),
                target="filed",
                roles=STAFF_AND_CONTROLLER,
            ),
            void_step("open"),
        ),
        editable=("open",),
        events={"filed": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="created"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=STAFF_AND_CONTROLLER,
    rules=QuestionnaireRules(),
    custom_labels=lambda: load_settings().item_labels(),
    layout=(
        ("customer", "contact", "survey_year"),
        *((name,) for name in ITEM_FIELDS),
        ("verified_complaints", "serious_complaints"),
        ("opinion",),
        ("base_score", "score", "basically_satisfied"),
    ),
    signature_lines=(SignatureLine(N_("Customer's signature or stamp")),),
    procedure="QP-08",
    measure=questionnaire_counts,
)
