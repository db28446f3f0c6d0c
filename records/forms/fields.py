"""Fields several forms share, declared once so that they keep one meaning:
the customer and how to reach them (confidential on every form), who
handles a record, when and how something was received; and the step that
fills in the verification (a nonconformity's, a corrective action's)."""

from __future__ import annotations

from records.i18n import N_
from records.roles import APPROVER
from records.types import Field
from records.vocabularies import CHANNELS
from records.workflow import Transition

CUSTOMER = Field("customer", "string", N_("Customer"), required=True, max_length=120)
#: Confidential wherever it is asked: hidden from roles that do not need it.
CONTACT = Field(
    "contact", "string", N_("Contact person and telephone"), max_length=120, confidential=True
)
ADDRESS = Field("address", "string", N_("Address"), max_length=200, confidential=True)
HANDLER = Field("handler", "user", N_("Handler"))
TITLE = Field("title", "string", N_("Title"), required=True, max_length=120)
SUMMARY = Field("title", "string", N_("Summary"), required=True, max_length=120)
RECEIVED_AT = Field("received_at", "datetime", N_("Received at"), required=True, not_future=True)
CHANNEL = Field("channel", "choice", N_("Channel"), required=True, choices=CHANNELS)
SERVICE_DATE = Field("service_date", "date", N_("Service date"), required=True, not_future=True)
PROBLEM = Field("problem", "text", N_("Problem"), required=True)
VERIFICATION = Field("verification", "text", N_("Verification"))


def verification_step(
    *, name: str, label: str, sources: tuple[str, ...], target: str
) -> Transition:
    """An approver writes the verification and signs it as "verified"."""
    return Transition(
        name=name,
        label=label,
        roles=(APPROVER,),
        signature="verified",
        fields=(VERIFICATION.name,),
        required_fields=(VERIFICATION.name,),
        sources=sources,
        target=target,
    )
