"""Corrective/preventive action report (纠正和预防措施跟踪报告): verified within
5 working days of completion; executed again until verified effective."""

from datetime import date

from records.clock import local_now, to_local
from records.errors import InvalidData
from records.forms.fields import PROBLEM, TITLE, VERIFICATION, verification_step
from records.i18n import N_
from records.roles import APPROVER, CONTROLLER, STAFF, STAFF_AND_CONTROLLER
from records.types import Deadline, Field, RecordType, RetentionRule, Rules, SignatureLine
from records.workflow import FollowUpLink, Transition, Workflow, void_step


def _round_began(change) -> date:
    """The local day the report's current round began: the report's own
    date, or the day the last round was found not effective."""
    old = change.old or {}
    steps = [h["at"] for h in old.get("history") or () if h.get("transition") == "not_effective"]
    began = steps[-1] if steps else old.get("created_at") or change.now
    return to_local(began).date()


class CapaRules(Rules):
    """Each round that is not effective starts the next one, with a planned
    date of its own; completion is dated within the round."""

    def prepare(self, change) -> None:
        data = change.data
        if data.get("round") is None:
            data["round"] = 1
        if change.transition and change.transition.name == "not_effective":
            data["round"] = (change.old_data.get("round") or 1) + 1
            data["completed_date"] = None
            # The last round's planned date has passed or is the wrong one:
            # kept, it would make the new round late from its first day.
            planned = data.get("planned_date")
            if (
                not planned
                or planned == change.old_data.get("planned_date")
                or planned < local_now(change.now).date().isoformat()
            ):
                raise InvalidData(
                    N_(
                        "Set the planned completion date of the next round: "
                        "today or later, not the last round's."
                    ),
                    field="planned_date",
                )
            return
        completed = data.get("completed_date")
        if completed and completed != change.old_data.get("completed_date"):
            began = _round_began(change)
            if completed < began.isoformat():
                raise InvalidData(
                    N_(
                        "The completion date cannot be earlier than %(date)s, "
                        "when this round of the report began."
                    ),
                    field="completed_date",
                    date=began.isoformat(),
                )


def _capa_from(record, visible: dict, actor) -> dict:
    """A corrective action report opened from a complaint, nonconformity or
    feedback: its source, title, problem and department filled in."""
    data = record.data or {}
    return {
        "source": record.number,
        "title": (record.title or "")[:120],
        "problem": data.get("description") or data.get("problem") or "",
        "department": record.department or "",
    }


#: Offered on the records a corrective action may follow from.
CORRECTIVE_ACTION = FollowUpLink(
    type="capa_report", label=N_("Open a corrective action report"), prefill=_capa_from
)

CAPA_REPORT = RecordType(
    name="capa_report",
    form_code="GAEPC/QR-020",
    edition="A/0",
    titles={
        "zh_Hans": "纠正和预防措施跟踪报告",
        "zh_Hant": "糾正和預防措施跟蹤報告",
        "en": "Corrective and preventive action report",
    },
    numbering_pattern="QR-020-{year}-{seq:04}",
    fields=(
        TITLE,
        Field(
            "source",
            "record",
            N_("Raised from"),
            ref_types=("complaint_sheet", "nonconformity_report", "quality_feedback"),
        ),
        PROBLEM,
        Field("root_cause", "text", N_("Root cause")),
        Field("actions", "text", N_("Corrective and preventive actions"), required=True),
        Field("department", "department", N_("Responsible department"), required=True),
        Field("responsible", "user", N_("Responsible person")),
        Field("planned_date", "date", N_("Planned completion date"), required=True),
        Field("completed_date", "date", N_("Completed on"), not_future=True),
        VERIFICATION,
        Field("round", "integer", N_("Round"), computed=True),
    ),
    workflow=Workflow(
        initial="open",
        states={
            "open": N_("In progress"),
            "completed": N_("Completed, to verify"),
            "verified": N_("Verified effective"),
            "void": N_("Void"),
        },
        transitions=(
            Transition(
                name="complete",
                label=N_("Report completion"),
                sources=("open",),
                target="completed",
                roles=STAFF_AND_CONTROLLER,
                fields=("completed_date", "actions"),
                required_fields=("completed_date",),
            ),
            verification_step(
                name="verify",
                label=N_("Verified effective"),
                sources=("completed",),
                target="verified",
            ),
            Transition(
                name="not_effective",
                label=N_("Not effective: act again"),
                sources=("completed",),
                target="open",
                roles=(APPROVER,),
                fields=("verification", "planned_date"),
                required_fields=("verification", "planned_date"),
                comment_required=True,
            ),
            void_step("open"),
        ),
        editable=("open",),
        events={"verified": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=(CONTROLLER, APPROVER),
    edit_roles=(CONTROLLER, STAFF),
    handler_field="responsible",
    deadlines=(
        Deadline(
            "completion", N_("Completion due"), ("open",), start="planned_date", calendar_days=0
        ),
        Deadline(
            "verification",
            N_("Verification due"),
            ("completed",),
            start="completed_date",
            working_days=5,
        ),
    ),
    rules=CapaRules(),
    layout=(
        ("source", "round"),
        ("problem",),
        ("root_cause",),
        ("actions",),
        ("department", "responsible"),
        ("planned_date", "completed_date"),
        ("verification",),
    ),
    signature_lines=(
        SignatureLine(N_("Responsible person")),
        SignatureLine(N_("Verified by"), "verify"),
    ),
    procedure="QP-07",
)
