"""Literal choices shared by several forms, each declared once."""

from records.i18n import N_
from records.types import Choice

CHANNELS = (
    Choice("hotline", N_("Hotline / phone")),
    Choice("fax", N_("Fax")),
    Choice("letter", N_("Letter")),
    Choice("email", N_("E-mail")),
    Choice("visit", N_("Visit in person")),
    Choice("box", N_("Complaint box")),
    Choice("online", N_("Online")),
)

SUBJECTS = (
    Choice("technical", N_("Technical (test report, certificate)")),
    Choice("attitude", N_("Service attitude")),
    Choice("service_quality", N_("Service quality")),
    Choice("fees", N_("Fees / price")),
    Choice("product_quality", N_("Product quality")),
    Choice("delivery", N_("Delivery")),
    Choice("other", N_("Other")),
)

RESPONSIBILITY = (
    Choice("1", N_("Class 1: our own management or service")),
    Choice("2", N_("Class 2: legacy of the developer or product")),
    Choice("3", N_("Class 3: external environment, outside our area")),
)

#: Lowest to highest; the order is what "raise" and "lower" mean.
SEVERITIES = (
    Choice("general", N_("General")),
    Choice("important", N_("Important")),
    Choice("hot", N_("Hot")),
    Choice("major", N_("Major")),
)
SEVERITY_RANK = {choice.value: rank for rank, choice in enumerate(SEVERITIES)}

REPLY_METHODS = (
    Choice("letter", N_("Letter")),
    Choice("fax", N_("Fax")),
    Choice("mail", N_("Mail")),
    Choice("phone", N_("Phone")),
    Choice("email", N_("E-mail")),
)

REVISIT_METHODS = (
    Choice("phone", N_("Phone")),
    Choice("visit", N_("Visit in person")),
)

SATISFACTION = (
    Choice("satisfied", N_("Satisfied")),
    Choice("basically", N_("Basically satisfied")),
    Choice("dissatisfied", N_("Dissatisfied")),
)

YES_NO = (Choice("yes", N_("Yes")), Choice("no", N_("No")))

#: The seven levels of the satisfaction questionnaire, best first.
LEVELS = (
    Choice("very_satisfied", N_("Very satisfied")),
    Choice("satisfied", N_("Satisfied")),
    Choice("fairly_satisfied", N_("Fairly satisfied")),
    Choice("neutral", N_("Neutral")),
    Choice("somewhat_dissatisfied", N_("Somewhat dissatisfied")),
    Choice("dissatisfied", N_("Dissatisfied")),
    Choice("very_dissatisfied", N_("Very dissatisfied")),
)

#: The procedures the forms belong to (the organisation's own codes).
PROCEDURES = {
    "QP-07": N_("Control of nonconforming work"),
    "QP-08": N_("Customer service and complaint handling"),
    "QP-09": N_("Control of records"),
    "QP-10": N_("Internal quality audit"),
    "QP-11": N_("Management review"),
}

#: The copies of a customer service sheet, each marked on its page.
SERVICE_SHEET_COPIES = (
    Choice("customer", N_("Customer copy")),
    Choice("branch", N_("Branch copy")),
    Choice("head_office", N_("Head office copy")),
)

#: Why a rule of the procedures changed a record by itself, stored as a code
#: and shown in the reader's language.
RULE_REASONS = {
    "severity_raised_by_time": N_("Unresolved past its time limit: severity raised."),
}


def rule_reason(stored: str | None) -> str | None:
    """The msgid of a stored rule reason: a code of :data:`RULE_REASONS`, or
    the English text versions stored before the codes (the msgid itself);
    None for a reason a person typed."""
    if stored in RULE_REASONS:
        return RULE_REASONS[stored]
    return stored if stored in RULE_REASONS.values() else None
