"""The record page of the back office: what the reader may do next, the
facts grouped as the form fills them, history, diff, workflow, signatures,
attachments, retention and the audit trail, each value as a person reads it.

A mixin of :class:`portal.admin.records.RecordTypeView`, which supplies the
actor, the record type, the step forms and the URLs.
"""

from __future__ import annotations

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
from records.access import can_create, can_edit, visible_data
from records.errors import RecordError
from records.extraction import attachment_pages, extractions
from records.operations import available_transitions, current_lock, get_record
from records.permissions import DISPOSE, HOLD
from records.retention import disposable_reason, retention_day
from records.types import SIGNATURE_MEANINGS, registry


class RecordPage:
    """Builds the record page (``details_view`` and a refused step's page)."""

    def _record_page(self, record, failed_step=None, status: int = 200):
        """The record page; ``failed_step`` is a refused step's form, shown
        again with what was typed and why it was refused (``status`` 400)."""
        actor = self.actor
        try:
            record = get_record(actor, record.number, audit_view=True)
        except RecordError:
            abort(404)
        versions = history.versions(actor, record.number)
        newest = versions[0].version if versions else 1
        shown, older, newer = None, max(1, newest - 1), newest
        try:
            older = int_arg("from", older, high=newest)
            newer = int_arg("to", newer, high=newest)
            if int_arg("version", high=newest):
                shown = history.version(actor, record.number, int_arg("version", high=newest))
            elif request.args.get("as_of"):
                moment = to_utc(datetime_arg("as_of"))
                shown = history.as_of(actor, record.number, moment.replace(tzinfo=None))
        except RecordError as error:
            flash(message(error), "error")
        except InputError as error:
            flash(str(error.message), "error")
        try:
            changes = history.diff(actor, record.number, older, newer)
        except RecordError:
            changes = []
        transitions = available_transitions(actor, record)
        forms = {t.name: self._transition_form(t, record, formdata=None) for t in transitions}
        if failed_step is not None:
            forms[failed_step.transition.data] = failed_step
        names = Names()
        if shown is not None:
            visible, hidden = shown.data, shown.hidden
        else:
            visible = visible_data(actor, self.record_type, record.data or {}, record.created_by)
            hidden = {name for name in (record.data or {}) if name not in visible}
        linked = history.linked(actor, record.number)
        audit_entries = (
            history.audit_trail(actor, record.number, limit=500, newest_first=True)
            if history.may_read_audit(actor)
            else None
        )
        audit_actions = sorted({e.action for e in audit_entries or ()})
        audit_filter = request.args.get("audit_action", "")
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
        step_fields = self._step_fields()
        empty = {
            spec.name
            for spec in self.record_type.fields
            if spec.name not in hidden
            and (
                visible.get(spec.name) in (None, "")
                if spec.kind != "boolean"
                else spec.name in step_fields and not visible.get(spec.name)
            )
        }
        labels = self._field_labels()
        display = ValueDisplay(self.record_type, names, labels)
        read = extractions(actor, record.number)
        return self.render(
            self.details_template,
            record=record,
            record_type=self.record_type,
            shown=shown,
            versions=versions,
            diff_from=older,
            diff_to=newer,
            changes=changes,
            transitions=transitions,
            transition_forms=forms,
            failed_step=failed_step.transition.data if failed_step is not None else None,
            step_shows=lambda t: [
                name
                for name in signed_fields(self.record_type, t)
                if name in visible and visible.get(name)
            ],
            reason_form=ReasonForm(formdata=None, base_version=record.version),
            can_edit_record=can_edit(actor, self.record_type, record),
            lock=current_lock(record),
            audit_entries=audit_entries,
            audit_actions=audit_actions,
            audit_filter=audit_filter,
            audit_hidden_views=hidden_views,
            empty_fields=empty,
            fact_groups=self._fact_groups(),
            audit_details=display.audit_details,
            disposal_refusal=disposable_reason(record),
            field_labels=labels,
            state_label=lambda s: _(self.record_type.workflow.states.get(s, s)),
            meaning_label=lambda m: _(SIGNATURE_MEANINGS.get(m, m)),
            max_upload_mb=current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
            can_hold=actor.may(HOLD),
            can_dispose=actor.may(DISPOSE),
            shown_data=visible,
            hidden_fields=hidden,
            confidential_fields=self._confidential_hidden(record),
            field_text=lambda name, value: field_text(self.record_type, name, value, names),
            change_text=display.change,
            person_name=names.user,
            department_name=names.department,
            linked=linked,
            due=due_text(record),
            follow_ups=self._follow_ups(record),
            any_state_label=state_label,
            any_type_title=any_type_title,
            breadcrumbs=self._breadcrumbs(record),
            retention_until=retention_day(record.retention_ends_on)
            if record.retention_ends_on
            else None,
            attachment_read=read,
            attachment_state=lambda a: state_text(read.get(a.get("id"))),
            viewer=self._viewer(read),
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

    def _confidential_hidden(self, record) -> set[str]:
        """The confidential fields the user may not see on this record."""
        confidential = {f.name for f in self.record_type.fields if f.confidential}
        probe = {**(record.data or {}), **dict.fromkeys(confidential, "")}
        return confidential - set(
            visible_data(self.actor, self.record_type, probe, record.created_by)
        )

    def _follow_ups(self, record) -> list[tuple[str, str]]:
        """Records people raise from this one: a revisit, a CAPA report."""
        actor = self.actor
        links = []
        data = record.data or {}
        if record.type == "complaint_sheet" and record.state in ("replied", "resolved", "closed"):
            revisit = registry.get("revisit_record")
            if can_create(actor, revisit):
                # What the revisit repeats from the complaint is filled in: the
                # customer, the contact (if this reader may see it), the visitor.
                visible = visible_data(actor, self.record_type, data, record.created_by)
                links.append(
                    (
                        _("Record a revisit"),
                        url_for(
                            "records_revisit_record.create_view",
                            complaint=record.number,
                            customer=data.get("customer") or "",
                            contact=visible.get("contact") or "",
                            visitor=actor.full_name,
                        ),
                    )
                )
        if record.type in ("complaint_sheet", "nonconformity_report", "quality_feedback") and (
            record.state not in ("void",)
        ):
            capa = registry.get("capa_report")
            if can_create(actor, capa):
                links.append(
                    (
                        _("Open a corrective action report"),
                        url_for(
                            "records_capa_report.create_view",
                            source=record.number,
                            title=(record.title or "")[:120],
                            problem=data.get("description") or data.get("problem") or "",
                            department=record.department or "",
                        ),
                    )
                )
        return links

    def _fact_groups(self) -> list[tuple[str, list[str]]]:
        """The record's fields grouped as the paper form fills them: what is
        recorded at receipt, then what each workflow step adds, in order."""
        taken: set[str] = set()
        steps = []
        for transition in self.record_type.workflow.transitions:
            names = [n for n in transition.fields if n not in taken]
            taken.update(names)
            if names:
                steps.append((_(transition.label), names))
        first = [f.name for f in self.record_type.fields if f.name not in taken]
        return [(_("Registration") if steps else "", first), *steps]

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
