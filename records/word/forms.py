"""A record, one of its versions or a blank form as a Word file in the type's layout.

The header carries the form code and edition and the record number; the
footer page X of Y (real PAGE/NUMPAGES fields), the retention note and, for
a controlled copy, its mark. The fields sit in a bordered table as the
paper form lays them out; signature lines show electronic signatures. A
type printed in several copies (the customer service sheet) repeats its
page once per copy, each marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm

from records.clock import utcnow
from records.retention import retention_day
from records.settings import Effective, effective
from records.types import RETENTION_EVENTS, RecordType
from records.word import docx as w
from records.word.texts import Texts

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BUILT_IN = "built-in"

#: Fonts per language: Song for text, Hei for titles, in the script's own names.
FONTS = {
    "zh_Hans": w.Fonts("宋体", "Times New Roman", "黑体", "zh-CN"),
    "zh_Hant": w.Fonts("新細明體", "Times New Roman", "微軟正黑體", "zh-TW"),
    "en": w.Fonts("宋体", "Times New Roman", "黑体", "zh-CN"),
}

_LABEL = Cm(2.6)
_VALUE = Cm(3.2)
_SHADE = '<w:shd {} w:val="clear" w:color="auto" w:fill="F2F2F2"/>'


@dataclass(frozen=True)
class GeneratedFile:
    """A file made for a user: its name, content and what made it."""

    filename: str
    content: bytes
    media_type: str = DOCX_TYPE
    #: ``{"layout": "built-in"}`` or the template's number, edition and hash.
    made_with: dict = field(default_factory=dict)


def file_stem(text: str) -> str:
    """``GAEPC/QR-018 A/0`` -> ``GAEPC-QR-018_A-0``: safe in a file name."""
    return re.sub(r"[^\w.-]+", "_", text.replace("/", "-")).strip("_") or "form"


@dataclass(frozen=True)
class FormSheet:
    """Everything a form's skeleton depends on (the key of its cache)."""

    type_name: str
    locale: str
    organisation: str
    form_code: str
    edition: str
    retention_years: int
    labels: tuple[tuple[str, str], ...]
    blank: bool


def _labels(record_type: RecordType, texts: Texts) -> dict[str, str]:
    custom = record_type.custom_labels() if record_type.custom_labels else {}
    return {spec.name: custom.get(spec.name) or texts(spec.label) for spec in record_type.fields}


def _shade(cell) -> None:
    cell._tc.get_or_add_tcPr().append(parse_xml(_SHADE.format(nsdecls("w"))))


def _cell_text(cell, text: str, fonts: w.Fonts, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    w.add_text(paragraph, text, fonts, bold=bold)


def _build_form(record_type: RecordType, sheet: FormSheet, texts: Texts) -> bytes:
    fonts = FONTS[sheet.locale]
    labels = dict(sheet.labels)
    title = record_type.title(sheet.locale)
    document = w.new_document(fonts, title=title, subject=f"{sheet.form_code} {sheet.edition}")
    retention = texts(
        "Retention: %(years)d years from %(event)s",
        years=sheet.retention_years,
        event=texts(RETENTION_EVENTS[record_type.retention.starts]),
    )
    form_label, number_label = texts("Form code:"), texts("Record no.:")
    w.add_frame(
        document,
        w.PageFrame(
            header_left=f"{form_label}{sheet.form_code}  {sheet.edition}",
            header_right=f"{number_label}⟦number⟧⟦version_note⟧",
            page_of=texts("Page %(page)s of %(pages)s"),
            footer_left=f"{retention}⟦retention_until⟧",
            footer_right="⟦controlled⟧  ⟦printed⟧",
        ),
        fonts,
    )
    copies = record_type.copies or (None,)
    for index, copy in enumerate(copies):
        if index:
            w.page_break(document)
        w.centred_line(
            document,
            sheet.organisation,
            fonts,
            paragraph=document.paragraphs[0] if index == 0 and document.paragraphs else None,
            east_asia=fonts.heading_east_asia,
            size=12,
        )
        w.title_line(document, title, fonts, space_after=6)
        # "Superseded: for reference only" on a record no longer in force.
        w.centred_line(document, "⟦state_mark⟧", fonts, bold=True)
        if copy is not None:
            mark = document.add_paragraph()
            mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            w.add_text(
                mark,
                texts(
                    "%(name)s (copy %(n)d of %(total)d)",
                    name=texts(copy.label),
                    n=index + 1,
                    total=len(copies),
                ),
                fonts,
                bold=True,
            )
        _form_table(document, record_type, labels, fonts, texts, blank=sheet.blank)
    return w.save(document)


def _form_table(
    document, record_type: RecordType, labels: dict, fonts: w.Fonts, texts: Texts, *, blank: bool
) -> None:
    rows = record_type.printed_rows()
    signatures = record_type.printed_signatures
    signature_rows = [signatures[i : i + 2] for i in range(0, len(signatures), 2)]
    table = w.table_grid(
        document,
        len(rows) + len(signature_rows),
        (_LABEL, _VALUE, _LABEL, _VALUE, _LABEL, _VALUE),
        fonts,
    )
    spans = {1: ((0, 1, 5),), 2: ((0, 1, 2), (3, 4, 5)), 3: ((0, 1, 1), (2, 3, 3), (4, 5, 5))}
    for row, names in zip(table.rows, rows, strict=False):
        cells = row.cells
        for name, (label_at, start, end) in zip(names, spans[len(names)], strict=True):
            value = cells[start].merge(cells[end]) if end > start else cells[start]
            _shade(cells[label_at])
            _cell_text(cells[label_at], labels[name], fonts, bold=True)
            _cell_text(value, f"⟦f_{name}⟧", fonts)
        if blank:
            tall = any(getattr(record_type.field(n), "kind", None) == "text" for n in names)
            row.height, row.height_rule = Cm(2.2 if tall else 0.8), WD_ROW_HEIGHT_RULE.AT_LEAST
    for offset, pair in enumerate(signature_rows):
        row = table.rows[len(rows) + offset]
        row.height, row.height_rule = Cm(1.1), WD_ROW_HEIGHT_RULE.AT_LEAST
        cells = row.cells
        layout = spans[1] if len(pair) == 1 else spans[2]
        for line, (label_at, start, end) in zip(pair, layout, strict=True):
            number = signatures.index(line)
            value = cells[start].merge(cells[end]) if end > start else cells[start]
            _shade(cells[label_at])
            _cell_text(cells[label_at], texts(line.label), fonts, bold=True)
            _cell_text(value, f"⟦s_{number}⟧", fonts)


def skeleton_for(
    record_type: RecordType,
    texts: Texts,
    *,
    organisation: str,
    form_code: str,
    edition: str,
    retention_years: int,
    blank: bool = False,
) -> w.Skeleton:
    labels = _labels(record_type, texts)
    sheet = FormSheet(
        record_type.name,
        texts.locale,
        organisation,
        form_code,
        edition,
        retention_years,
        tuple(sorted(labels.items())),
        blank,
    )
    return w.cached_skeleton(sheet, lambda: _build_form(record_type, sheet, texts))


# --- values --------------------------------------------------------------------------


def record_values(
    record_type: RecordType,
    doc: dict,
    texts: Texts,
    *,
    hidden: frozenset[str] = frozenset(),
    latest_version: int | None = None,
    controlled: bool = False,
    printed_by: str = "",
) -> dict[str, str]:
    """What fills a record's form: its number, fields, signatures, notes."""
    data = doc.get("data") or {}
    values: dict[str, str] = {"number": doc["number"]}
    version = doc.get("version")
    if latest_version and version and version < latest_version:
        values["version_note"] = texts(
            " (version %(n)d; the current version is %(latest)d)", n=version, latest=latest_version
        )
    elif version:
        values["version_note"] = texts(" (version %(n)d)", n=version)
    for spec in record_type.fields:
        if spec.name in hidden:
            values[f"f_{spec.name}"] = texts("(not shown to your role)")
        else:
            values[f"f_{spec.name}"] = texts.field_value(spec, data.get(spec.name))
    signatures = [
        s for s in doc.get("signatures") or () if not version or s.get("version", 0) < version
    ]
    for number, line in enumerate(record_type.printed_signatures):
        found = [
            s for s in signatures if line.transition and s.get("transition") == line.transition
        ]
        values[f"s_{number}"] = texts.signature(found[-1]) if found else ""
    if doc.get("retention_ends_on"):
        values["retention_until"] = texts(
            "; kept until %(date)s", date=texts.date(retention_day(doc["retention_ends_on"]))
        )
    # A record no longer in force is printed marked as such.
    if doc.get("state") in record_type.workflow.group("not_in_force"):
        values["state_mark"] = texts(
            "%(state)s: for reference only",
            state=texts(record_type.workflow.states.get(doc["state"], doc["state"])),
        )
    if controlled:
        values["controlled"] = texts("Controlled copy")
    values["printed"] = (
        texts("Printed %(at)s by %(name)s", at=texts.utc_datetime(utcnow()), name=printed_by)
        if printed_by
        else ""
    )
    values["meta_identifier"] = doc["number"]
    return values


def blank_values(record_type: RecordType, settings: Effective, texts: Texts) -> dict[str, str]:
    values = {f"f_{spec.name}": texts.blank_value(spec) for spec in record_type.fields}
    values.update(
        {
            "number": "_" * 16,
            "meta_identifier": f"{settings.form_code} {settings.edition}",
            "printed": texts("Blank form, edition %(edition)s", edition=settings.edition),
        }
    )
    return values


def render_record(
    record_type: RecordType, doc: dict, texts: Texts, *, organisation: str, **options
) -> GeneratedFile:
    """The built-in layout filled with ``doc`` (a record or a version of one)."""
    settings = effective(record_type, texts.db)
    skeleton = skeleton_for(
        record_type,
        texts,
        organisation=organisation,
        form_code=doc.get("form_code") or settings.form_code,
        edition=doc.get("edition") or settings.edition,
        retention_years=settings.retention_years,
    )
    values = record_values(record_type, doc, texts, **options)
    values["meta_comments"] = texts("Made with the built-in layout")
    version = doc.get("version")
    suffix = (
        f"-v{version}"
        if options.get("latest_version") and version and (version < options["latest_version"])
        else ""
    )
    return GeneratedFile(
        f"{file_stem(doc['number'])}{suffix}.docx",
        skeleton.fill(values),
        made_with={"layout": BUILT_IN},
    )


def render_blank(record_type: RecordType, texts: Texts, *, organisation: str) -> GeneratedFile:
    """The type's blank form in its current code and edition."""
    settings = effective(record_type, texts.db)
    skeleton = skeleton_for(
        record_type,
        texts,
        organisation=organisation,
        form_code=settings.form_code,
        edition=settings.edition,
        retention_years=settings.retention_years,
        blank=True,
    )
    values = blank_values(record_type, settings, texts)
    values["meta_comments"] = texts("Made with the built-in layout")
    name = f"{file_stem(settings.form_code)}_{file_stem(settings.edition)}.docx"
    return GeneratedFile(name, skeleton.fill(values), made_with={"layout": BUILT_IN})
