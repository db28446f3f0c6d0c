"""Word templates a document controller supplies for a type (docxtpl placeholders).

An upload is checked before it is used: a .docx, placeholders whose tags
parse, only names the portal fills, the record number on it, and a trial
render with sample values that python-docx can reopen. A template in use is
a controlled document: each upload is a new edition kept with its SHA-256,
the one it replaces is marked superseded (never deleted), and every change
is audited. A generated file records the template edition and hash that made
it. With no template in use the built-in layout is used.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

import gridfs
from bson import ObjectId
from docx import Document
from docx.shared import Cm
from docxtpl import DocxTemplate, Listing
from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from records import audit
from records.access import Actor
from records.clock import utcnow
from records.errors import InvalidData, NotFound, PermissionDenied
from records.files import check_size, read_checked
from records.i18n import N_
from records.permissions import MANAGE_FORMS
from records.settings import effective
from records.store import database, unit_of_work
from records.types import RecordType, registry
from records.word import docx as w
from records.word.forms import FONTS, GeneratedFile, blank_values, file_stem, record_values
from records.word.samples import sample_doc
from records.word.texts import Texts

BUCKET = "word_templates"
MAX_BYTES = 5 * 1024 * 1024

#: Names every template may use besides the type's own field names.
COMMON_NAMES = {
    "number": N_("the record number"),
    "form_code": N_("the form code"),
    "edition": N_("the form edition"),
    "title": N_("the form title"),
    "organisation": N_("the organisation's name"),
    "state": N_("the record's state"),
    "version": N_("the record's version"),
    "printed": N_("who printed it and when"),
    "controlled": N_("the controlled-copy mark, if any"),
    "signatures": N_("the electronic signatures (name, meaning, at)"),
    "labels": N_("the field labels, by field name"),
}


class TemplateProblem(InvalidData):
    """An uploaded template cannot be used; the message says why."""


def allowed_names(record_type: RecordType) -> set[str]:
    return set(COMMON_NAMES) | {spec.name for spec in record_type.fields}


def _environment() -> SandboxedEnvironment:
    # A template is the controller's document, not code: sandboxed, escaped.
    return SandboxedEnvironment(autoescape=True)


def _clean(value: str) -> str:
    return w.strip_invalid(value)


def context_for(
    record_type: RecordType,
    values: dict[str, str],
    texts: Texts,
    *,
    organisation: str,
    form_code: str,
    edition: str,
    doc: dict | None,
) -> dict:
    """What a template's placeholders see: formatted values, never raw data."""
    context = {
        "number": _clean(values.get("number", "")),
        "form_code": form_code,
        "edition": edition,
        "title": record_type.title(texts.locale),
        "organisation": organisation,
        "state": texts(record_type.workflow.states.get((doc or {}).get("state", ""), ""))
        if doc
        else "",
        "version": (doc or {}).get("version") or "",
        "printed": _clean(values.get("printed", "")),
        "controlled": values.get("controlled", ""),
        "signatures": [
            {
                "name": s.get("name") or s.get("signer"),
                "meaning": s.get("meaning"),
                "at": texts.utc_datetime(s.get("at")),
                "text": texts.signature(s),
            }
            for s in (doc or {}).get("signatures") or ()
        ],
        "labels": {spec.name: texts(spec.label) for spec in record_type.fields},
    }
    for spec in record_type.fields:
        text = _clean(values.get(f"f_{spec.name}", ""))
        context[spec.name] = Listing(text) if "\n" in text else text
    return context


@dataclass(frozen=True)
class Checked:
    placeholders: tuple[str, ...]


def check_template(record_type: RecordType, content: bytes, texts: Texts) -> Checked:
    """Refuse a template that would fail or mislead, with a message saying why."""
    check_size(content, MAX_BYTES, TemplateProblem)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            if "word/document.xml" not in package.namelist():
                raise zipfile.BadZipFile
        template = DocxTemplate(io.BytesIO(content))
        template.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise TemplateProblem(N_("This is not a Word (.docx) file."), field="file") from None
    environment = _environment()
    try:
        used = template.get_undeclared_template_variables(environment)
    except TemplateSyntaxError as error:
        near = " ".join(t.strip() for t in getattr(error, "docx_context", ()) if t.strip())
        raise TemplateProblem(
            N_("A placeholder is broken (%(error)s) near: %(near)s"),
            field="file",
            error=error.message or "",
            near=near[:200],
        ) from None
    except TemplateError as error:
        raise TemplateProblem(
            N_("A placeholder is broken (%(error)s) near: %(near)s"),
            field="file",
            error=str(error),
            near="",
        ) from None
    unknown = sorted(set(used) - allowed_names(record_type))
    if unknown:
        raise TemplateProblem(
            N_("Unknown placeholders: %(unknown)s. This form's are: %(known)s."),
            field="file",
            unknown=", ".join(unknown),
            known=", ".join(sorted(allowed_names(record_type))),
        )
    if "number" not in used:
        raise TemplateProblem(
            N_("The template must show the record number: put {{ number }} in its header."),
            field="file",
        )
    # A trial render with a sample record, hostile characters included.
    sample = sample_doc(record_type, text='样例 <&> "引号" 😀\n第二行')
    try:
        _render(
            template,
            record_type,
            sample,
            texts,
            organisation="Sample",
            form_code=record_type.form_code,
            edition=record_type.edition,
            values=record_values(record_type, sample, texts, printed_by="Sample"),
        )
    except TemplateError as error:
        raise TemplateProblem(
            N_("The trial render with sample values failed: %(error)s"),
            field="file",
            error=str(error)[:200],
        ) from None
    return Checked(tuple(sorted(used)))


def _render(
    template: DocxTemplate,
    record_type: RecordType,
    doc: dict | None,
    texts: Texts,
    *,
    organisation: str,
    form_code: str,
    edition: str,
    values: dict,
    comment: str = "",
) -> bytes:
    context = context_for(
        record_type,
        values,
        texts,
        organisation=organisation,
        form_code=form_code,
        edition=edition,
        doc=doc,
    )
    template.render(context, _environment(), autoescape=True)
    template.docx.core_properties.comments = comment
    out = io.BytesIO()
    template.save(out)
    content = out.getvalue()
    Document(io.BytesIO(content))  # reopens, or the render is refused
    return content


# --- the controlled store ------------------------------------------------------------


def in_use(type_name: str, db=None) -> dict | None:
    db = db if db is not None else database()
    return db.word_templates.find_one({"type": type_name, "state": "in_use"})


def editions(type_name: str) -> list[dict]:
    return list(database().word_templates.find({"type": type_name}).sort("uploaded_at", -1))


def upload_template(
    actor: Actor,
    type_name: str,
    *,
    edition: str,
    filename: str,
    content: bytes,
    reason: str,
    texts: Texts,
) -> dict:
    """Check and put a controller's template into use; the one it replaces is
    marked superseded. Nothing is kept if anything is wrong."""
    if not actor.may(MANAGE_FORMS):
        raise PermissionDenied()
    record_type = registry.get(type_name)
    if record_type is None:
        raise NotFound(N_("There is no record type %(name)s."), name=type_name)
    edition = (edition or "").strip()
    if not edition or len(edition) > 16:
        raise InvalidData(N_("Enter an edition such as A/0."), field="edition")
    if not (reason or "").strip():
        raise InvalidData(N_("Say why the template changes."), field="reason")
    if not (filename or "").lower().endswith(".docx"):
        raise TemplateProblem(N_("This is not a Word (.docx) file."), field="file")
    checked = check_template(record_type, content, texts)
    digest = hashlib.sha256(content).hexdigest()
    bucket = gridfs.GridFSBucket(database(), bucket_name=BUCKET)
    file_id = bucket.upload_from_stream(
        filename[-200:], content, metadata={"type": type_name, "sha256": digest}
    )

    def work(db, session):
        now = utcnow()
        if db.word_templates.find_one({"type": type_name, "edition": edition}, session=session):
            raise InvalidData(
                N_("Edition %(edition)s of this template exists already."),
                field="edition",
                edition=edition,
            )
        previous = db.word_templates.find_one(
            {"type": type_name, "state": "in_use"}, session=session
        )
        if previous:
            db.word_templates.update_one(
                {"_id": previous["_id"], "state": "in_use"},
                {"$set": {"state": "superseded", "superseded_at": now, "superseded_by": edition}},
                session=session,
            )
        entry = {
            "_id": ObjectId(),
            "type": type_name,
            "edition": edition,
            "filename": filename[-200:],
            "sha256": digest,
            "file_id": file_id,
            "size": len(content),
            "placeholders": list(checked.placeholders),
            "state": "in_use",
            "uploaded_by": actor.username,
            "uploaded_at": now,
            "reason": reason.strip(),
        }
        db.word_templates.insert_one(entry, session=session)
        audit.append(
            db,
            session,
            actor=actor.username,
            action="template_upload",
            record_type=type_name,
            details={
                "edition": edition,
                "sha256": digest,
                "filename": entry["filename"],
                "replaces": previous["edition"] if previous else None,
                "reason": reason.strip(),
            },
            at=now,
        )
        return entry

    try:
        return unit_of_work(work)
    except BaseException:
        bucket.delete(file_id)
        raise


def withdraw_template(actor: Actor, type_name: str, reason: str) -> None:
    """Stop using the type's template: the built-in layout is used again."""
    if not actor.may(MANAGE_FORMS):
        raise PermissionDenied()
    if not (reason or "").strip():
        raise InvalidData(N_("Say why the template changes."), field="reason")

    def work(db, session):
        current = db.word_templates.find_one(
            {"type": type_name, "state": "in_use"}, session=session
        )
        if current is None:
            raise NotFound(N_("No template is in use for this form."))
        now = utcnow()
        db.word_templates.update_one(
            {"_id": current["_id"]},
            {"$set": {"state": "withdrawn", "superseded_at": now}},
            session=session,
        )
        audit.append(
            db,
            session,
            actor=actor.username,
            action="template_withdraw",
            record_type=type_name,
            details={
                "edition": current["edition"],
                "sha256": current["sha256"],
                "reason": reason.strip(),
            },
            at=now,
        )

    unit_of_work(work)


def template_file(type_name: str, edition: str) -> tuple[dict, bytes]:
    entry = database().word_templates.find_one({"type": type_name, "edition": edition})
    if entry is None:
        raise NotFound(N_("There is no such template."))
    return entry, read_checked(BUCKET, entry)


def render_with_template(
    entry: dict,
    record_type: RecordType,
    doc: dict | None,
    texts: Texts,
    *,
    organisation: str,
    blank: bool = False,
    **options,
) -> GeneratedFile:
    """A record (or a blank form) through the controller's template ``entry``."""
    settings = effective(record_type, texts.db)
    record = doc or {}  # none for a blank form
    form_code = record.get("form_code") or settings.form_code
    edition = record.get("edition") or settings.edition
    values = (
        blank_values(record_type, settings, texts)
        if blank
        else record_values(record_type, record, texts, **options)
    )
    comment = texts(
        "Made with template edition %(edition)s (SHA-256 %(sha256)s)",
        edition=entry["edition"],
        sha256=entry["sha256"],
    )
    content = _render(
        DocxTemplate(io.BytesIO(read_checked(BUCKET, entry))),
        record_type,
        None if blank else doc,
        texts,
        organisation=organisation,
        form_code=form_code,
        edition=edition,
        values=values,
        comment=comment,
    )
    name = (
        f"{file_stem(settings.form_code)}_{file_stem(settings.edition)}.docx"
        if blank
        else f"{file_stem(record['number'])}.docx"
    )
    return GeneratedFile(
        name,
        content,
        made_with={
            "template": record_type.name,
            "template_edition": entry["edition"],
            "sha256": entry["sha256"],
        },
    )


def starter_template(record_type: RecordType, texts: Texts) -> bytes:
    """A .docx with every placeholder of the type, for a controller to restyle."""
    fonts = FONTS[texts.locale]
    document = w.new_document(fonts, title=record_type.title(texts.locale))
    number_label = texts("Record no.:")
    w.add_frame(
        document,
        w.PageFrame(
            header_left="{{ organisation }}  {{ form_code }}  {{ edition }}",
            header_right=number_label + "{{ number }}",
            page_of=texts("Page %(page)s of %(pages)s"),
            footer_left="{{ controlled }}",
            footer_right="{{ printed }}",
        ),
        fonts,
    )
    heading = document.add_paragraph()
    w.add_text(heading, "{{ title }}", fonts, east_asia=fonts.heading_east_asia, size=16, bold=True)
    rows = list(record_type.fields)
    table = w.table_grid(document, len(rows) + 1, (Cm(5), Cm(12.4)), fonts)
    for row, spec in zip(table.rows, rows, strict=False):
        w.add_text(row.cells[0].paragraphs[0], f"{{{{ labels.{spec.name} }}}}", fonts, bold=True)
        w.add_text(row.cells[1].paragraphs[0], f"{{{{ {spec.name} }}}}", fonts)
    last = table.rows[-1]
    w.add_text(last.cells[0].paragraphs[0], texts("Signatures"), fonts, bold=True)
    w.add_text(
        last.cells[1].paragraphs[0], "{% for s in signatures %}{{ s.text }}  {% endfor %}", fonts
    )
    return w.save(document)
