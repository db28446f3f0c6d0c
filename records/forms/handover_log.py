"""Shift handover log (交接班记录): the events of a shift, handed over with signatures."""

from records.i18n import N_
from records.roles import STAFF_AND_CONTROLLER
from records.types import Choice, Field, RecordType, RetentionRule, SignatureLine
from records.workflow import Transition, Workflow, void_step

HANDOVER_LOG = RecordType(
    name="handover_log",
    form_code="GAEPC/QR-021",
    edition="A/0",
    titles={
        "zh_Hans": "交接班记录",
        "zh_Hant": "交接班記錄",
        "en": "Shift handover log",
    },
    numbering_pattern="QR-021-{year}-{seq:04}",
    title_field="title",
    fields=(
        Field("title", "string", N_("Title"), required=True, max_length=200),
        Field("shift_date", "date", N_("Shift date"), required=True),
        Field(
            "shift",
            "choice",
            N_("Shift"),
            required=True,
            choices=(
                Choice("day", N_("Day shift")),
                Choice("middle", N_("Middle shift")),
                Choice("night", N_("Night shift")),
            ),
        ),
        Field("handed_over_by", "string", N_("Handed over by"), required=True, max_length=80),
        Field("taken_over_by", "string", N_("Taken over by"), max_length=80),
        Field("events", "text", N_("Events of the shift"), required=True),
        Field(
            "serious_events",
            "text",
            N_("Serious or urgent events"),
            help=N_("Serious or urgent events must be recorded."),
        ),
        Field("open_items", "text", N_("Open items handed over")),
    ),
    workflow=Workflow(
        initial="open",
        states={
            "open": N_("Open"),
            "handed_over": N_("Handed over"),
            "accepted": N_("Accepted"),
            "void": N_("Void"),
        },
        transitions=(
            Transition(
                name="hand_over",
                label=N_("Hand over"),
                sources=("open",),
                target="handed_over",
                roles=STAFF_AND_CONTROLLER,
                required_fields=("taken_over_by",),
            ),
            Transition(
                name="accept",
                label=N_("Accept the handover"),
                sources=("handed_over",),
                target="accepted",
                roles=STAFF_AND_CONTROLLER,
                signature="reviewed",
            ),
            void_step("open"),
        ),
        editable=("open",),
        events={"accepted": "closed", "void": "closed"},
    ),
    retention=RetentionRule(years=3, starts="closed"),
    create_roles=STAFF_AND_CONTROLLER,
    edit_roles=STAFF_AND_CONTROLLER,
    layout=(
        ("shift_date", "shift"),
        ("handed_over_by", "taken_over_by"),
        ("events",),
        ("serious_events",),
        ("open_items",),
    ),
    signature_lines=(
        SignatureLine(N_("Handed over by")),
        SignatureLine(N_("Taken over by"), "accept"),
    ),
    procedure="QP-09",
)
