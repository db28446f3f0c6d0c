"""Overdue reminder (催办单): the controller chases an overdue item; the
department answers with the reason for the delay and a new date."""

from records.clock import local_now
from records.errors import InvalidData
from records.i18n import N_
from records.roles import CONTROLLER, STAFF_AND_CONTROLLER
from records.types import Field, RecordType, RetentionRule, Rules, SignatureLine
from records.workflow import Transition, Workflow, void_step


class ReminderRules(Rules):
    """The new date the department promises is not in the past."""

    def prepare(self, change) -> None:
        new_date = change.data.get("new_date")
        if (
            new_date
            and new_date != change.old_data.get("new_date")
            and (new_date < local_now(change.now).date().isoformat())
        ):
            raise InvalidData(N_("The new date is in the past."), field="new_date")


OVERDUE_REMINDER = RecordType(
    name="overdue_reminder",
    form_code="GAEPC/QR-026",
    edition="A/0",
    titles={
        "zh_Hans": "催办单",
        "zh_Hant": "催辦單",
        "en": "Overdue reminder",
    },
    numbering_pattern="QR-026-{year}-{seq:04}",
    title_field="item",
    fields=(
        Field("item", "record", N_("Overdue record"), required=True),
        Field("department", "department", N_("Department"), required=True),
        Field("due", "string", N_("Was due"), max_length=40),
        Field("message", "text", N_("Reminder")),
        Field("delay_reason", "text", N_("Reason for the delay")),
        Field("new_date", "date", N_("New date")),
    ),
    workflow=Workflow(
        initial="issued",
        states={"issued": N_("Issued"), "answered": N_("Answered"), "void": N_("Void")},
        transitions=(
            Transition(
                name="answer",
                label=N_("Answer with a reason and a new date"),
                sources=("issued",),
                target="answered",
                roles=STAFF_AND_CONTROLLER,
                fields=("delay_reason", "new_date"),
                required_fields=("delay_reason", "new_date"),
            ),
            void_step("issued"),
        ),
        editable=(),
        events={"answered": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=(CONTROLLER,),
    edit_roles=(CONTROLLER,),
    rules=ReminderRules(),
    layout=(("item", "department"), ("due",), ("message",), ("delay_reason",), ("new_date",)),
    signature_lines=(SignatureLine(N_("Issued by")), SignatureLine(N_("Head of the department"))),
    procedure="QP-08",
)
