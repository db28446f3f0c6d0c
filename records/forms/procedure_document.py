"""Procedure documents (程序文件): controlled documents with editions."""

from records.i18n import N_
from records.roles import CONTROLLER
from records.types import Field, RecordType, RetentionRule, SignatureLine
from records.workflow import Transition, Workflow, approval_step, rework_step, void_step

PROCEDURE_DOCUMENT = RecordType(
    name="procedure_document",
    form_code="GAEPC/QP",
    edition="A/0",
    titles={
        "zh_Hans": "程序文件",
        "zh_Hant": "程序文件",
        "en": "Procedure document",
    },
    numbering_pattern="QP-{year}-{seq:04}",
    fields=(
        Field(
            "doc_code",
            "string",
            N_("Document code"),
            required=True,
            max_length=32,
            help=N_("For example QP-09."),
        ),
        Field("title", "string", N_("Title"), required=True, max_length=200),
        Field(
            "doc_edition",
            "string",
            N_("Edition"),
            required=True,
            max_length=16,
            help=N_("Edition letter / amendment number, for example A/0."),
        ),
        Field("body", "text", N_("Text")),
        Field("change_summary", "text", N_("What changed")),
        Field("effective_date", "date", N_("Effective date")),
    ),
    workflow=Workflow(
        initial="draft",
        states={
            "draft": N_("Draft"),
            "review": N_("In review"),
            "effective": N_("Effective"),
            "superseded": N_("Superseded"),
            "void": N_("Void"),
        },
        transitions=(
            Transition(
                name="submit",
                label=N_("Submit for approval"),
                sources=("draft",),
                target="review",
                roles=(CONTROLLER,),
            ),
            approval_step(
                name="approve",
                label=N_("Approve"),
                sources=("review",),
                target="effective",
                required_fields=("effective_date",),
            ),
            rework_step(
                name="return", label=N_("Return for rework"), sources=("review",), target="draft"
            ),
            Transition(
                name="supersede",
                label=N_("Supersede"),
                sources=("effective",),
                target="superseded",
                roles=(CONTROLLER,),
                comment_required=True,
            ),
            void_step("draft"),
        ),
        editable=("draft",),
        events={"effective": "effective", "superseded": "superseded", "void": "closed"},
        groups={"not_in_force": ("superseded", "void")},
    ),
    retention=RetentionRule(years=3, starts="superseded"),
    create_roles=(CONTROLLER,),
    edit_roles=(CONTROLLER,),
    layout=(
        ("doc_code", "doc_edition"),
        ("title",),
        ("effective_date",),
        ("body",),
        ("change_summary",),
    ),
    signature_lines=(SignatureLine(N_("Prepared by")), SignatureLine(N_("Approved by"), "approve")),
    procedure="QP-09",
)
