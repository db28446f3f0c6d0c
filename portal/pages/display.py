"""How record values read on pages: choices by their label, departments and
people by name, record numbers as links, deadlines with their date."""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal.models import Department, User
from records.clock import from_local, utcnow
from records.deadlines import deadline_label
from records.i18n import N_
from records.models import Record
from records.operations import SYSTEM
from records.types import RecordType, registry
from records.vocabularies import rule_reason


class Names:
    """Department and user names, looked up once per page."""

    def __init__(self):
        self._departments = None
        self._users: dict[str, str] = {}

    def department(self, code: str | None) -> str:
        if not code:
            return ""
        if self._departments is None:
            self._departments = {d.code: d.name for d in Department.objects.only("code", "name")}
        return self._departments.get(code, code)

    def preload(self, usernames) -> None:
        """Look up the names of ``usernames`` in one query (a page of rows
        would otherwise ask once per person)."""
        missing = sorted({u for u in usernames if u and u not in self._users})
        if missing:
            for found in User.objects(username__in=missing).only("username", "full_name"):
                self._users[found.username] = found.full_name

    def user(self, username: str | None) -> str:
        if not username:
            return ""
        if username not in self._users:
            found = User.objects(username=username).only("full_name").first()
            # Changes the procedures make by themselves (escalation) are by
            # `system`, no person: named in the reader's language.
            self._users[username] = (
                found.full_name
                if found
                else _("System")
                if username == SYSTEM.username
                else username
            )
        return self._users[username]


def crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """Breadcrumbs from the home page: (label, url) pairs, the last unlinked."""
    return [(_("Home"), url_for("pages.home")), *items]


def record_url(number: str, type_name: str | None = None) -> str | None:
    """The record page of ``number`` (None if it does not exist)."""
    if type_name is None:
        found = Record.objects(number=number).only("id", "type").first()
        if found is None:
            return None
        return url_for(f"records_{found.type}.details_view", id=str(found.pk))
    found = Record.objects(number=number).only("id").first()
    return url_for(f"records_{type_name}.details_view", id=str(found.pk)) if found else None


def row_url(row: dict) -> str:
    """The record page of a record read as a raw row (with its ``_id``)."""
    return url_for(f"records_{row['type']}.details_view", id=str(row["_id"]))


def type_title(type_name: str) -> str:
    record_type = registry.get(type_name)
    return record_type.title(str(get_locale())) if record_type else type_name


def state_label(type_name: str, state: str) -> str:
    record_type = registry.get(type_name)
    return _(record_type.workflow.states.get(state, state)) if record_type else state


def field_text(record_type: RecordType, name: str, value, names: Names) -> Markup | str:
    """A field's value as the page shows it."""
    spec = record_type.field(name)
    if spec is not None and spec.kind == "boolean":
        return _("Yes") if value else _("No")
    if value is None or value == "" or spec is None:
        return ""
    if spec.kind == "choice":
        return next((_(c.label) for c in spec.choices if c.value == value), value)
    if spec.kind == "department":
        return names.department(value)
    if spec.kind == "user":
        return names.user(value)
    if spec.kind == "record":
        url = record_url(value)
        return Markup('<a href="{}">{}</a>').format(url, value) if url else value
    if spec.kind == "date":
        return format_date(date.fromisoformat(value), "medium")
    if spec.kind == "datetime":
        return format_datetime(from_local(datetime.fromisoformat(value)), "short")
    return value


def due_text(record) -> Markup:
    """'Handling plan due 11 Oct 2025 23:59', with a warning if overdue or
    counted on plain weekdays."""
    due_at = record.get("due_at") if isinstance(record, dict) else record.due_at
    if not due_at:
        return Markup("")
    type_name = record.get("type") if isinstance(record, dict) else record.type
    kind = record.get("due_kind") if isinstance(record, dict) else record.due_kind
    uncovered = (
        record.get("due_uncovered") if isinstance(record, dict) else record.due_uncovered
    ) or []
    record_type = registry.get(type_name)
    label = _(deadline_label(record_type, kind)) if record_type else kind
    parts = [
        Markup('<span class="due{}" data-testid="due">{}: {}</span>').format(
            " text-danger font-weight-bold" if due_at < utcnow() else "",
            label,
            format_datetime(due_at, "short"),
        )
    ]
    if due_at < utcnow():
        parts.append(Markup(' <span class="badge badge-danger">{}</span>').format(_("Overdue")))
    if uncovered:
        parts.append(
            Markup(' <small class="text-warning" data-testid="due-fallback">{}</small>').format(
                _(
                    "Counted Monday to Friday: the calendar of %(years)s is not entered yet.",
                    years=", ".join(map(str, uncovered)),
                )
            )
        )
    return Markup("").join(parts)


def signed_fields(record_type: RecordType, transition) -> list[str]:
    """For a signature step, the fields the step before it filled (the plan
    an approver signs), so the signer reads what they sign."""
    if not transition.signature:
        return []
    names: list[str] = []
    for earlier in record_type.workflow.transitions:
        if earlier.target in transition.sources:
            names += [n for n in earlier.fields if n not in names]
    return names


#: Audit detail keys that repeat the entry's own columns (who, when) or are
#: only for machines; the page leaves them out.
_AUDIT_SKIPPED = {"by", "by_name", "at", "signer", "version_hash", "sha256", "id"}

_AUDIT_KEYS = {
    "transition": N_("Step"),
    "from": N_("From"),
    "to": N_("To"),
    "comment": N_("Comment"),
    "reason": N_("Reason"),
    "filename": N_("File"),
    "size": N_("Size"),
    "meaning": N_("Meaning"),
    "name": N_("Name"),
    "version": N_("Version"),
    "hold": N_("Hold"),
    "certificate": N_("Certificate"),
    "format": N_("Format"),
    "controlled": N_("Controlled copy"),
    "lock_expires_at": N_("Lock until"),
}


class ValueDisplay:
    """Stored values as a person reads them, for one record type: choice
    labels, people's and departments' names, local dates, 是/否 for booleans.
    Diffs and audit details go through it, so no stored code reaches a page."""

    def __init__(self, record_type: RecordType, names: Names, labels: dict[str, str]):
        self.record_type = record_type
        self.names = names
        self.labels = labels

    def change(self, name: str, value) -> Markup | str:
        """One side of a change of field ``name``."""
        if name == "state":
            return state_label(self.record_type.name, value) if value else "—"
        spec = self.record_type.field(name)
        if (spec is None or spec.kind != "boolean") and value in (None, ""):
            return "—"
        if spec is None:
            return self.plain(value)
        return field_text(self.record_type, name, value, self.names)

    def plain(self, value) -> str:
        """A value of no declared field: booleans and moments read as words."""
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, datetime):
            return format_datetime(value, "short")
        if value is None or value == "":
            return "—"
        return str(value)

    def audit_details(self, entry) -> list[tuple[str, Markup | str]]:
        """An audit entry's details as (label, text) lines."""
        details = entry.details if hasattr(entry, "details") else entry.get("details")
        action = entry.action if hasattr(entry, "action") else entry.get("action")
        lines: list[tuple[str, Markup | str]] = []
        for key, value in (details or {}).items():
            if key in _AUDIT_SKIPPED or value is None or value == "":
                continue
            if key == "changes":
                for change in value or ():
                    field = change.get("field", "")
                    lines.append(
                        (
                            self.labels.get(field) or field,
                            Markup("{} → {}").format(
                                self.change(field, change.get("old")),
                                self.change(field, change.get("new")),
                            ),
                        )
                    )
                continue
            label = _(_AUDIT_KEYS[key]) if key in _AUDIT_KEYS else key
            if key == "transition":
                step = self.record_type.workflow.transition(value)
                text = _(step.label) if step else value
            elif key == "from" and action == "lock_takeover":
                label, text = _("Who"), self.names.user(value)
            elif key in ("from", "to"):
                text = state_label(self.record_type.name, value)
            elif key == "meaning":
                from records.types import SIGNATURE_MEANINGS

                text = _(SIGNATURE_MEANINGS.get(value, value))
            elif key == "reason" and rule_reason(value):
                text = _(rule_reason(value))
            elif key == "size" and isinstance(value, int):
                text = f"{value / 1024:.1f} KB"
            elif isinstance(value, dict | list):
                continue
            else:
                text = self.plain(value)
            lines.append((label, text))
        return lines


def reason_text(reason: str | None) -> str:
    """A version's or audit entry's reason: a rule's in the reader's
    language, a person's as typed."""
    msgid = rule_reason(reason)
    return _(msgid) if msgid else reason or ""


def audit_lines(entry, names: Names) -> list[tuple[str, Markup | str]]:
    """An audit entry's details as a person reads them, whatever it is about
    (a record of a declared type, or the portal itself: logins, settings)."""
    record_type = registry.get(entry.record_type) if entry.record_type else None
    if record_type is not None:
        labels = {f.name: _(f.label) for f in record_type.fields}
        labels.update(state=_("State"), attachments=_("Attachments"))
        return ValueDisplay(record_type, names, labels).audit_details(entry)
    lines: list[tuple[str, Markup | str]] = []
    for key, value in (entry.details or {}).items():
        if key in _AUDIT_SKIPPED or value in (None, "") or isinstance(value, dict | list):
            continue
        label = _(_AUDIT_KEYS[key]) if key in _AUDIT_KEYS else key
        if isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif isinstance(value, datetime):
            text = format_datetime(value, "short")
        else:
            text = str(value)
        lines.append((label, text))
    return lines


def expected_steps(actor, row: dict) -> str:
    """The steps a task waits for from ``actor`` (what is expected of them)."""
    record_type = registry.get(row["type"])
    if record_type is None:
        return ""
    return " / ".join(
        _(t.label)
        for t in record_type.workflow.available(row["state"])
        # Voiding is possible, never what a task waits for.
        if t.task and t.name != "void" and actor.has_role(*t.roles)
    )
