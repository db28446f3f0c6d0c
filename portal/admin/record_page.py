"""The record page of the back office: what the reader may do next, the
facts grouped as the form fills them, history, diff, workflow, signatures,
attachments, retention and the audit trail, each value as a person reads it.

A mixin of :class:`portal.admin.records.RecordTypeView`, which supplies the
actor, the record type, the step forms and the URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from markupsafe import Markup, escape

from portal.actors import message
from portal.admin.record_forms import ReasonForm
from portal.inputs import InputError, datetime_arg, int_arg
from portal.pages.attachment_text import state_text
from portal.pages.display import (
    Names,
    ValueDisplay,
    crumbs,
    due_text,
    field_text,
    record_url,
    signed_fields,
    state_label,
)
from portal.pages.display import type_title as any_type_title
from records import history
from records.access import Actor, can_create, can_edit, visible_data
from records.errors import RecordError
from records.extraction import attachment_pages, extractions
from records.models import Record
from records.operations import available_transitions, current_lock, get_record
from records.permissions import DISPOSE, HOLD
from records.retention import disposable_reason, retention_day
from records.types import SIGNATURE_MEANINGS, FollowUpLink, RecordType, registry


def field_labels(record_type: RecordType) -> dict[str, str]:
    """Each field's label in the reader's language (the organisation's own
    wording where it has one), and the page's own columns."""
    labels = {spec.name: _(spec.label) for spec in record_type.fields}
    if record_type.custom_labels is not None:
        labels.update(record_type.custom_labels())
    labels.update(state=_("State"), attachments=_("Attachments"))
    return labels


def step_fields(record_type: RecordType) -> set[str]:
    """The fields the workflow's steps fill in."""
    return {name for t in record_type.workflow.transitions for name in t.fields}


def fact_groups(record_type: RecordType) -> list[tuple[str, list[str]]]:
    """The record's fields grouped as the paper form fills them: what is
    recorded at receipt, then what each workflow step adds, in order."""
    taken: set[str] = set()
    steps = []
    for transition in record_type.workflow.transitions:
        names = [n for n in transition.fields if n not in taken]
        taken.update(names)
        if names:
            steps.append((_(transition.label), names))
    first = [f.name for f in record_type.fields if f.name not in taken]
    return [(_("Registration") if steps else "", first), *steps]


@dataclass
class RecordPageModel:
    """What the record page shows one reader, built from the record and the
    query's arguments, without a request: the view adds forms and links.

    ``problems`` are what was wrong with the arguments (a version beyond the
    history), shown as messages; the page then shows the defaults."""

    actor: Actor
    record_type: RecordType
    record: Record
    shown: Any
    versions: list
    diff_from: int
    diff_to: int
    changes: list
    transitions: list
    visible: dict
    hidden: set[str]
    linked: Any
    audit_entries: list | None
    audit_actions: list[str]
    audit_filter: str
    audit_hidden_views: int
    empty_fields: set[str]
    labels: dict[str, str]
    names: Names
    #: What was read of each attachment (by attachment id), as the reader may see it.
    attachments_read: dict = dataclass_field(default_factory=dict)
    problems: list[str] = dataclass_field(default_factory=list)

    @classmethod
    def build(
        cls, actor: Actor, record_type: RecordType, number: str, args: Mapping[str, str]
    ) -> RecordPageModel:
        """The page of record ``number`` (audited as a view); NotFound if the
        reader may not see it."""
        record = get_record(actor, number, audit_view=True)
        problems: list[str] = []
        versions = history.versions(actor, record.number)
        newest = versions[0].version if versions else 1
        shown, older, newer = None, max(1, newest - 1), newest
        try:
            older = int_arg("from", older, high=newest, source=args)
            newer = int_arg("to", newer, high=newest, source=args)
            wanted = int_arg("version", high=newest, source=args)
            if wanted:
                shown = history.version(actor, record.number, wanted)
            elif args.get("as_of"):
                moment = to_utc(datetime_arg("as_of", source=args))
                shown = history.as_of(actor, record.number, moment.replace(tzinfo=None))
        except RecordError as error:
            problems.append(message(error))
        except InputError as error:
            problems.append(str(error.message))
        try:
            changes = history.diff(actor, record.number, older, newer)
        except RecordError:
            changes = []
        if shown is not None:
            visible, hidden = shown.data, shown.hidden
        else:
            visible = visible_data(actor, record_type, record.data or {}, record.created_by)
            hidden = {name for name in (record.data or {}) if name not in visible}
        audit_entries = (
            history.audit_trail(actor, record.number, limit=500, newest_first=True)
            if history.may_read_audit(actor)
            else None
        )
        audit_actions = sorted({e.action for e in audit_entries or ()})
        audit_filter = args.get("audit_action", "")
        hidden_views = 0
        if audit_entries is not None and audit_filter != "all":
            # Views are most of a trail; they are shown when asked for.
            kept = [
                e
                for e in audit_entries
                if (e.action == audit_filter if audit_filter else e.action != "view")
            ]
            hidden_views = 0 if audit_filter else len(audit_entries) - len(kept)
            audit_entries = kept
        # Unfilled fields fold away; a step's unticked box counts as unfilled
        # too, so a stage not reached yet shows no row of "No".
        steps = step_fields(record_type)
        empty = {
            spec.name
            for spec in record_type.fields
            if spec.name not in hidden
            and (
                visible.get(spec.name) in (None, "")
                if spec.kind != "boolean"
                else spec.name in steps and not visible.get(spec.name)
            )
        }
        return cls(
            actor=actor,
            record_type=record_type,
            record=record,
            shown=shown,
            versions=versions,
            diff_from=older,
            diff_to=newer,
            changes=changes,
            transitions=available_transitions(actor, record),
            visible=visible,
            hidden=hidden,
            linked=history.linked(actor, record.number),
            audit_entries=audit_entries,
            audit_actions=audit_actions,
            audit_filter=audit_filter,
            audit_hidden_views=hidden_views,
            empty_fields=empty,
            labels=field_labels(record_type),
            names=Names(),
            attachments_read=extractions(actor, record.number),
            problems=problems,
        )

    def confidential_hidden(self) -> set[str]:
        """The confidential fields the reader may not see on this record."""
        confidential = {f.name for f in self.record_type.fields if f.confidential}
        probe = {**(self.record.data or {}), **dict.fromkeys(confidential, "")}
        return confidential - set(
            visible_data(self.actor, self.record_type, probe, self.record.created_by)
        )

    def follow_ups(self) -> list[tuple[FollowUpLink, dict]]:
        """Records the reader may raise from this one (declared on its type:
        a revisit, a CAPA report), with the values they repeat."""
        record, actor = self.record, self.actor
        offered = []
        for link in self.record_type.follow_ups:
            target = registry.get(link.type)
            if target is None or not link.offered_in(self.record_type.workflow, record.state):
                continue
            if not can_create(actor, target):
                continue
            data = record.data or {}
            visible = visible_data(actor, self.record_type, data, record.created_by)
            offered.append((link, link.prefill(record, visible, actor) if link.prefill else {}))
        return offered

    def step_shows(self, transition) -> list[str]:
        """The filled fields a signing step signs, as the reader sees them."""
        return [
            name
            for name in signed_fields(self.record_type, transition)
            if name in self.visible and self.visible.get(name)
        ]

    def template_values(self) -> dict:
        """What the page template reads, besides forms and links."""
        record, record_type, names = self.record, self.record_type, self.names
        display = ValueDisplay(record_type, names, self.labels)
        return {
            "record": record,
            "record_type": record_type,
            "shown": self.shown,
            "versions": self.versions,
            "diff_from": self.diff_from,
            "diff_to": self.diff_to,
            "changes": self.changes,
            "transitions": self.transitions,
            "step_shows": self.step_shows,
            "can_edit_record": can_edit(self.actor, record_type, record),
            "lock": current_lock(record),
            "audit_entries": self.audit_entries,
            "audit_actions": self.audit_actions,
            "audit_filter": self.audit_filter,
            "audit_hidden_views": self.audit_hidden_views,
            "empty_fields": self.empty_fields,
            "fact_groups": fact_groups(record_type),
            "audit_details": display.audit_details,
            "disposal_refusal": disposable_reason(record),
            "field_labels": self.labels,
            "state_label": lambda s: _(record_type.workflow.states.get(s, s)),
            "meaning_label": lambda m: _(SIGNATURE_MEANINGS.get(m, m)),
            "can_hold": self.actor.may(HOLD),
            "can_dispose": self.actor.may(DISPOSE),
            "shown_data": self.visible,
            "hidden_fields": self.hidden,
            "confidential_fields": self.confidential_hidden(),
            "field_text": lambda name, value: field_text(record_type, name, value, names),
            "change_text": display.change,
            "person_name": names.user,
            "department_name": names.department,
            "linked": self.linked,
            "due": due_text(record),
            "any_state_label": state_label,
            "any_type_title": any_type_title,
            "retention_until": retention_day(record.retention_ends_on)
            if record.retention_ends_on
            else None,
            "attachment_read": self.attachments_read,
            "attachment_state": lambda a: state_text(self.attachments_read.get(a.get("id"))),
        }


class RecordPage:
    """Renders the record page (``details_view`` and a refused step's page)
    from a :class:`RecordPageModel`, adding the step forms and the links."""

    def _record_page(self, record, failed_step=None, status: int = 200):
        """The record page; ``failed_step`` is a refused step's form, shown
        again with what was typed and why it was refused (``status`` 400)."""
        try:
            page = RecordPageModel.build(self.actor, self.record_type, record.number, request.args)
        except RecordError:
            abort(404)
        for problem in page.problems:
            flash(problem, "error")
        record = page.record
        forms = {t.name: self._transition_form(t, record, formdata=None) for t in page.transitions}
        if failed_step is not None:
            forms[failed_step.transition.data] = failed_step
        return self.render(
            self.details_template,
            **page.template_values(),
            transition_forms=forms,
            failed_step=failed_step.transition.data if failed_step is not None else None,
            reason_form=ReasonForm(formdata=None, base_version=record.version),
            max_upload_mb=current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
            follow_ups=[
                (_(link.label), url_for(f"records_{link.type}.create_view", **values))
                for link, values in page.follow_ups()
            ],
            breadcrumbs=self._breadcrumbs(record),
            viewer=self._viewer(page.attachments_read),
        ), status

    def _viewer(self, read: dict) -> dict | None:
        """The page images the in-page viewer shows (``?viewer=<attachment>&viewer_page=2``)."""
        entry = read.get(request.args.get("viewer") or "")
        if entry is None:
            return None
        texts = None
        if entry.get("previews"):
            pages = [p["page"] for p in entry["previews"] if p.get("large")]
        else:
            # A Word or Excel file: its text, page by page (sheet by sheet).
            texts = {
                p.get("page"): p
                for p in attachment_pages(self.actor, entry["number"], entry["_id"])
            }
            pages = sorted(texts)
        if not pages:
            return None
        try:
            page = int_arg("viewer_page", pages[0], high=10**6)
        except InputError:
            page = pages[0]
        if page not in pages:
            page = pages[0]
        return {
            "id": entry["_id"],
            "filename": entry.get("filename"),
            "page": page,
            "pages": pages,
            "labels": {n: (texts[n].get("label") or n) for n in pages} if texts else {},
            "text": texts[page].get("text") if texts else None,
        }

    def _breadcrumbs(self, record) -> list[tuple[str, str | None]]:
        """Home › procedure › form › year › number, as the procedures pages lead."""
        from records.vocabularies import PROCEDURES

        code = self.record_type.procedure
        items = []
        if code in PROCEDURES:
            items += [
                (_("Procedures"), url_for("work.procedures")),
                (f"{code} {_(PROCEDURES[code])}", url_for("work.procedure", code=code)),
                (any_type_title(record.type), url_for(".index_view")),
                (
                    str(record.year),
                    url_for(
                        "work.records_of_year", code=code, type_name=record.type, year=record.year
                    ),
                ),
            ]
        return crumbs(*items, (record.number, None))

    def _step_done(self, transition, record) -> Markup:
        """What the step did, in words, with a link to what it made."""
        text = escape(
            _(
                "Step “%(step)s” taken: %(number)s is now “%(state)s”.",
                step=_(transition.label),
                number=record.number,
                state=_(self.record_type.workflow.states.get(record.state, record.state)),
            )
        )
        opened = (record.data or {}).get("reopened_as")
        if opened and transition.name == "reject":
            url = record_url(opened, record.type)
            # The msgstr is escaped before the link goes into its placeholder.
            text += Markup(" ") + escape(
                _("The new sheet %(number)s was opened for the customer's rejection.")
            ) % {
                "number": Markup('<a href="{}" data-testid="opened-sheet">{}</a>').format(
                    url, opened
                )
            }
        if record.due_at and record.due_kind:
            text += Markup(" ") + due_text(record)
        return text
