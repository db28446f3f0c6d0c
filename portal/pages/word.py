"""Word and Excel downloads: a record's form, a batch of records, the forms
library of blank forms, and the registers. The files are made by
:mod:`records.word.output`, which checks access and audits each download."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.actors import actor_for, message
from portal.inputs import int_arg
from portal.pages.display import crumbs, record_url
from portal.security import permission_required
from records.errors import RecordError
from records.permissions import READ_RECORDS
from records.settings import effective
from records.store import database
from records.types import registry
from records.word import output, templates
from records.word.forms import GeneratedFile
from records.word.texts import Texts

bp = Blueprint("word", __name__)

ORGANISATION = "organisation"


def texts() -> Texts:
    return Texts(str(get_locale()))


def organisation() -> str:
    """The name printed on forms: the configured one, else the one kept in
    the database, else the product's."""
    configured = current_app.config.get("ORGANISATION_NAME")
    if configured:
        return str(configured)
    stored = database().site_settings.find_one({"_id": ORGANISATION})
    return (stored or {}).get("name") or "Records Portal"


def actor():
    return actor_for(current_user._get_current_object())


def send(made: GeneratedFile):
    response = send_file(
        io.BytesIO(made.content),
        mimetype=made.media_type,
        as_attachment=True,
        download_name=made.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def record_file(number: str):
    """The record's Word file (``?version=n``, ``?controlled=1``)."""
    return send(
        output.record_docx(
            actor(),
            number,
            texts=texts(),
            organisation=organisation(),
            version=int_arg("version", high=10**9),
            controlled=request.args.get("controlled") == "1",
        )
    )


def blank_file(type_name: str):
    return send(output.blank_docx(actor(), type_name, texts=texts(), organisation=organisation()))


@bp.route("/records/<path:number>/docx")
@permission_required(READ_RECORDS)
def record_docx(number):
    try:
        return record_file(number)
    except RecordError as error:
        flash(message(error), "error")
        return redirect(record_url(number) or url_for("pages.home"))


@bp.route("/forms")
@permission_required(READ_RECORDS)
def library():
    """Every form's blank Word file, in its current code and edition only."""
    locale = str(get_locale())
    forms = []
    for record_type in registry:
        settings = effective(record_type)
        entry = templates.in_use(record_type.name)
        forms.append(
            {
                "type": record_type,
                "title": record_type.title(locale),
                "form_code": settings.form_code,
                "edition": settings.edition,
                "template": entry,
            }
        )
    forms.sort(key=lambda f: (f["type"].procedure, f["form_code"]))
    return render_template(
        "work/forms_library.html", forms=forms, breadcrumbs=crumbs((_("Forms library"), None))
    )


@bp.route("/forms/<type_name>/blank.docx")
@permission_required(READ_RECORDS)
def blank(type_name):
    try:
        return blank_file(type_name)
    except RecordError as error:
        flash(message(error), "error")
        return redirect(url_for(".library"))
