"""Word and Excel downloads: a record's form, a batch of records, the forms
library of blank forms, and the registers. The files are made by
:mod:`records.word.output`, which checks access and audits each download."""

from __future__ import annotations

from flask import (
    Blueprint,
    render_template,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from portal import exports
from portal.pages.display import crumbs, record_url
from portal.security import permission_required
from records.permissions import READ_RECORDS
from records.settings import effective
from records.types import registry
from records.word import templates

bp = Blueprint("word", __name__)


@bp.route("/records/<path:number>/docx")
@permission_required(READ_RECORDS)
def record_docx(number):
    return exports.download_or_back(
        lambda: exports.record_file(number),
        lambda: record_url(number) or url_for("pages.home"),
    )


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
    return exports.download_or_back(
        lambda: exports.blank_file(type_name), lambda: url_for(".library")
    )
