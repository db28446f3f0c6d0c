"""The Word and Excel files the pages and the API hand out: a record's form,
a blank form, the complaint register and the overdue list.

The files are made by :mod:`records.word.output`, which checks access and
audits each download; this module reads the request (period, filters, the
reader's language) and sends them. The pages (:mod:`portal.pages.word`,
:mod:`portal.pages.work`) and the API (:mod:`portal.api.views`) call it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from flask import current_app, flash, redirect, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.actors import actor_for, message
from portal.inputs import InputError, date_arg, int_arg
from portal.pages.display import state_label
from portal.security import wants_json
from records import worklists
from records.clock import local_now
from records.errors import RecordError
from records.store import database
from records.types import registry
from records.word import output, registers
from records.word.forms import GeneratedFile
from records.word.texts import Texts

#: Most rows a register export holds.
EXPORT_LIMIT = 50_000
#: The register's default period: this month and the two before.
REGISTER_MONTHS = 3
COMPLAINT = "complaint_sheet"

ORGANISATION = "organisation"


def texts() -> Texts:
    """The words of the files, in the reader's language."""
    return Texts(str(get_locale()))


def organisation() -> str:
    """The name printed on forms: the configured one, else the one kept in
    the database, else the product's."""
    configured = current_app.config.get("ORGANISATION_NAME")
    if configured:
        return str(configured)
    stored = database().site_settings.find_one({"_id": ORGANISATION})
    return (stored or {}).get("name") or "Records Portal"


def _actor():
    return actor_for(current_user._get_current_object())


def send(made: GeneratedFile):
    """A made file as a download that no cache keeps."""
    response = send_file(
        io.BytesIO(made.content),
        mimetype=made.media_type,
        as_attachment=True,
        download_name=made.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def download_or_back(make: Callable[[], object], back: Callable[[], str]):
    """For a page's download link: the file ``make()`` sends, or, when it is
    refused, the page ``back()`` again with the reason said."""
    try:
        return make()
    except RecordError as error:
        flash(message(error), "error")
        return redirect(back())


def record_file(number: str):
    """The record's Word file (``?version=n``, ``?controlled=1``)."""
    return send(
        output.record_docx(
            _actor(),
            number,
            texts=texts(),
            organisation=organisation(),
            version=int_arg("version", high=10**9),
            controlled=request.args.get("controlled") == "1",
        )
    )


def blank_file(type_name: str):
    """The type's blank form in its current code and edition."""
    return send(output.blank_docx(_actor(), type_name, texts=texts(), organisation=organisation()))


def _date_arg(name: str, default: date) -> date:
    """A date of the query string: a page says what was wrong and shows the
    default period; the API answers 400."""
    try:
        return date_arg(name) or default
    except InputError as error:
        if wants_json():
            raise
        flash(str(error.message), "error")
        return default


def register_start(today: date) -> date:
    """The first day of the month ``REGISTER_MONTHS - 1`` months before today's."""
    months = today.year * 12 + today.month - 1 - (REGISTER_MONTHS - 1)
    return date(months // 12, months % 12 + 1, 1)


def register_query() -> dict:
    """The register's period, filters and order from the query string."""
    today = local_now().date()
    return {
        # This month and the two before by default: on the 2nd of a month
        # "this month" would show next to nothing, and whole months are
        # counted from the kept measures instead of by reading every row.
        "start": _date_arg("start", register_start(today)),
        "end": _date_arg("end", today),
        **{
            key: request.args.get(key) or None
            for key in ("state", "severity", "department", "subject")
        },
        "sort": request.args.get("sort", "received"),
        # Newest first unless asked otherwise.
        "descending": request.args.get("desc", "1") == "1",
    }


def complaint_register_file(file_format: str):
    """The register of the query string's period and filters as Word or Excel."""
    query = register_query()
    actor = _actor()
    rows = worklists.complaint_register(actor, limit=EXPORT_LIMIT, **query)
    words = texts()
    record_type = registry.get(COMPLAINT)
    described = []
    for key in ("state", "severity", "subject"):
        if query[key]:
            if key == "state":
                label, value = _("State"), state_label(COMPLAINT, query[key])
            else:
                spec = record_type.field(key)
                label, value = _(spec.label), words.field_value(spec, query[key])
            described.append(f"{label}: {value}")
    if query["department"]:
        described.append(f"{_('Department')}: {words.department(query['department'])}")
    register = registers.complaint_register(
        rows, words, query["start"], query["end"], "; ".join(described)
    )
    return send(
        output.register_file(actor, register, file_format, texts=words, organisation=organisation())
    )


def overdue_department(actor) -> str | None:
    """The department of ``?department=``; staff see only their own."""
    department = request.args.get("department") or None
    if not actor.sees_everything():
        department = actor.department
    return department


def overdue_file(file_format: str):
    """The overdue list (of ``?department=``) as Word or Excel."""
    actor = _actor()
    department = overdue_department(actor)
    items = worklists.overdue(actor, department=department, limit=EXPORT_LIMIT)
    words = texts()
    register = registers.overdue_list(items, words, words.department(department))
    return send(
        output.register_file(actor, register, file_format, texts=words, organisation=organisation())
    )
