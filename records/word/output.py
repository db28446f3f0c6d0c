"""The Word and Excel files people download, each checked and audited.

Pages, the API and the command line all come here: a record (or one of its
versions) as Word, many records as a zip, a type's blank form, a register.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from typing import Any

from records import audit
from records.access import Actor, load_visible, visible_data
from records.clock import utcnow
from records.errors import InvalidData, NotFound, PermissionDenied
from records.i18n import N_
from records.permissions import ISSUE_CONTROLLED_COPIES
from records.store import database
from records.types import record_type_of, registry
from records.word import templates
from records.word.forms import GeneratedFile, file_stem, render_blank, render_record
from records.word.registers import Register, register_docx, register_xlsx
from records.word.texts import Texts

ZIP_TYPE = "application/zip"
#: At most this many records in one zip.
BATCH_LIMIT = 200


def _printed_by(actor: Actor) -> str:
    return actor.full_name or actor.username


def _render(
    actor: Actor, doc: dict, texts: Texts, *, organisation: str, latest: int, controlled: bool
) -> GeneratedFile:
    record_type = record_type_of(doc["type"])
    shown = visible_data(actor, record_type, doc.get("data") or {}, doc.get("created_by"))
    hidden = frozenset(set(doc.get("data") or {}) - set(shown))
    options: dict[str, Any] = {
        "hidden": hidden,
        "latest_version": latest,
        "controlled": controlled,
        "printed_by": _printed_by(actor),
    }
    entry = templates.in_use(record_type.name, texts.db)
    if entry is not None:
        made = templates.render_with_template(
            entry, record_type, doc, texts, organisation=organisation, **options
        )
    else:
        made = render_record(record_type, doc, texts, organisation=organisation, **options)
    if controlled:
        # A controlled copy must not be mistaken for (or overwrite) a normal
        # copy in a downloads folder: its name says what it is.
        stem = made.filename.removesuffix(".docx")
        made = replace(made, filename=f"{stem}_{file_stem(texts('Controlled copy'))}.docx")
    return made


def _at_version(doc: dict, version: int | None) -> dict:
    if version is None or version == doc["version"]:
        return doc
    past = database().record_versions.find_one({"record_id": doc["_id"], "version": int(version)})
    if past is None:
        raise NotFound(
            N_("%(number)s has no version %(version)s."), number=doc["number"], version=version
        )
    return {**doc, **{k: past.get(k) for k in ("version", "state", "title", "data", "department")}}


def record_docx(
    actor: Actor,
    number: str,
    *,
    texts: Texts,
    organisation: str,
    version: int | None = None,
    controlled: bool = False,
) -> GeneratedFile:
    """A record (or a past version) as a Word file; the download is audited."""
    if controlled and not actor.may(ISSUE_CONTROLLED_COPIES):
        raise PermissionDenied(N_("Only document controllers issue controlled copies."))
    current = load_visible(actor, number)
    doc = _at_version(current, version)
    made = _render(
        actor,
        doc,
        texts,
        organisation=organisation,
        latest=current["version"],
        controlled=controlled,
    )
    audit.record_event_on(
        actor,
        "download",
        doc,
        details={
            "format": "docx",
            "filename": made.filename,
            "controlled": controlled,
            **made.made_with,
        },
    )
    return made


def records_zip(
    actor: Actor, numbers: list[str], *, texts: Texts, organisation: str
) -> GeneratedFile:
    """Many records' Word files in one zip; each record's download is audited."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not wanted:
        raise InvalidData(N_("Choose at least one record."), field="numbers")
    if len(wanted) > BATCH_LIMIT:
        raise InvalidData(N_("At most %(n)d records at a time."), field="numbers", n=BATCH_LIMIT)
    docs = [load_visible(actor, number) for number in wanted]
    out = io.BytesIO()
    made_list = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for doc in docs:
            made = _render(
                actor,
                doc,
                texts,
                organisation=organisation,
                latest=doc["version"],
                controlled=False,
            )
            package.writestr(made.filename, made.content)
            made_list.append((doc, made))
    for doc, made in made_list:
        audit.record_event_on(
            actor,
            "download",
            doc,
            details={"format": "docx", "filename": made.filename, "batch": True, **made.made_with},
        )
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return GeneratedFile(
        f"records-{stamp}.zip", out.getvalue(), ZIP_TYPE, made_with={"records": len(docs)}
    )


def blank_docx(actor: Actor, type_name: str, *, texts: Texts, organisation: str) -> GeneratedFile:
    """A type's blank form, always in its current code and edition."""
    record_type = registry.get(type_name)
    if record_type is None:
        raise NotFound(N_("There is no record type %(name)s."), name=type_name)
    entry = templates.in_use(type_name, texts.db)
    if entry is not None:
        made = templates.render_with_template(
            entry, record_type, None, texts, organisation=organisation, blank=True
        )
    else:
        made = render_blank(record_type, texts, organisation=organisation)
    audit.record_event(
        actor.username,
        "download",
        record_type=type_name,
        details={"format": "docx", "filename": made.filename, "blank": True, **made.made_with},
    )
    return made


def audit_export(actor: Actor, details: dict) -> None:
    """An export (a register, a report) in the audit trail."""
    audit.record_event(actor.username, "export", details=details)


def register_file(
    actor: Actor, register: Register, file_format: str, *, texts: Texts, organisation: str
) -> GeneratedFile:
    """A register as Word or Excel; the export is audited."""
    printed = texts(
        "Printed %(at)s by %(name)s", at=texts.utc_datetime(utcnow()), name=_printed_by(actor)
    )
    if file_format == "docx":
        made = register_docx(register, texts, organisation=organisation, printed=printed)
    elif file_format == "xlsx":
        made = register_xlsx(register, texts, organisation=organisation, printed=printed)
    else:
        raise NotFound(N_("There is no such file format."))
    audit_export(
        actor,
        {
            "register": register.name,
            "format": file_format,
            "rows": len(register.rows),
            "subtitle": register.subtitle,
        },
    )
    return made
