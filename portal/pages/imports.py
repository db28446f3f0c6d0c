"""Importing a legacy complaint ledger: upload, map the columns, dry run,
import (all rows or none). Controllers only; the uploaded file is kept in
GridFS between the steps, for its uploader alone, and removed once imported."""

from __future__ import annotations

import gridfs
from bson import ObjectId
from bson.errors import InvalidId
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.actors import actor_for, message
from portal.admin.base import AdminForm
from portal.pages.display import crumbs
from portal.security import permission_required
from records import importer
from records.errors import RecordError
from records.operations import record_type_of
from records.permissions import IMPORT_LEDGERS
from records.store import database

bp = Blueprint("imports", __name__)
BUCKET = "ledger_uploads"


def _actor():
    return actor_for(current_user._get_current_object())


def _bucket():
    return gridfs.GridFSBucket(database(), bucket_name=BUCKET)


@bp.route("/import", methods=("GET", "POST"))
@permission_required(IMPORT_LEDGERS)
def upload():
    if request.method == "POST":
        upload_file = request.files.get("file")
        content = upload_file.read() if upload_file else b""
        filename = (upload_file.filename if upload_file else "") or "ledger.xlsx"
        try:
            importer.read_ledger(filename, content)
        except RecordError as error:
            flash(message(error), "error")
            return redirect(url_for(".upload"))
        file_id = _bucket().upload_from_stream(
            filename[-200:], content, metadata={"by": current_user.username}
        )
        return redirect(url_for(".mapping", file_id=str(file_id)))
    return render_template(
        "work/import_upload.html",
        form=AdminForm(),
        breadcrumbs=crumbs((_("Import a complaint ledger"), None)),
    )


def _ledger(file_id: str) -> importer.Ledger:
    try:
        stored = database()[f"{BUCKET}.files"].find_one({"_id": ObjectId(file_id)})
    except InvalidId:
        abort(404)
    if stored is None or (stored.get("metadata") or {}).get("by") != current_user.username:
        abort(404)
    content = _bucket().open_download_stream(stored["_id"]).read()
    return importer.read_ledger(stored["filename"], content)


@bp.route("/import/<file_id>", methods=("GET", "POST"))
@permission_required(IMPORT_LEDGERS)
def mapping(file_id):
    ledger = _ledger(file_id)
    record_type = record_type_of(importer.TYPE)
    if request.method == "POST":
        chosen = {
            index: request.form.get(f"col_{index}", "") for index in range(len(ledger.headers))
        }
        mapped = {index: name for index, name in chosen.items() if name}
    else:
        mapped = importer.guess_mapping(ledger)
    outcome = None
    if request.method == "POST":
        try:
            outcome = importer.run(
                _actor(), ledger, mapped, dry_run=request.form.get("action") != "import"
            )
        except RecordError as error:
            flash(message(error), "error")
        else:
            if outcome.imported:
                _bucket().delete(ObjectId(file_id))
                flash(
                    _(
                        "%(n)d complaints were imported: %(first)s to %(last)s.",
                        n=len(outcome.numbers),
                        first=outcome.numbers[0],
                        last=outcome.numbers[-1],
                    ),
                    "success",
                )
                return redirect(url_for("work.register"))
    labels = {f.name: _(f.label) for f in record_type.fields}
    problems = [
        (
            p.row,
            labels.get(p.field, p.field or ""),
            message(RecordError(p.message, field=p.field, **p.params)),
        )
        for p in (outcome.problems if outcome else [])
    ]
    return render_template(
        "work/import_mapping.html",
        ledger=ledger,
        mapped=mapped,
        file_id=file_id,
        fields=record_type.input_fields,
        labels=labels,
        outcome=outcome,
        problems=problems,
        sample=ledger.rows[:3],
        form=AdminForm(),
        breadcrumbs=crumbs(
            (_("Import a complaint ledger"), url_for(".upload")), (ledger.filename, None)
        ),
    )
