"""Registers as Word and Excel: the complaint register of a period, the overdue list.

A register is a title, a line saying what it covers, columns and rows. The
Word file is a landscape A4 whose header row repeats on every page; its rows
are written as XML text (ten thousand rows take a second or two, where
python-docx's cell-by-cell path takes minutes). The Excel file is written
in openpyxl's streaming mode with real dates and numbers, and text that
could be read as a formula stays text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt

from records.clock import to_local
from records.i18n import N_
from records.reports import Cell, cell_text
from records.types import registry
from records.word import docx as w
from records.word.forms import FONTS, GeneratedFile
from records.word.texts import Texts

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width_cm: float
    kind: str = "text"  # text, date, datetime, integer


@dataclass
class Register:
    """What a register shows: rows of plain values in the columns' order."""

    name: str
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    rows: list[list]


# --- the registers -----------------------------------------------------------------

COMPLAINT_COLUMNS = (
    Column("number", N_("Number"), 3.4),
    Column("received_at", N_("Received at"), 2.9, "datetime"),
    Column("customer", N_("Customer"), 3.0),
    Column("title", N_("Summary"), 4.4),
    Column("subject", N_("Subject"), 2.2),
    Column("severity", N_("Severity"), 1.5),
    Column("department", N_("Department"), 2.3),
    Column("handler", N_("Handler"), 1.7),
    Column("state", N_("State"), 1.9),
    Column("reply_date", N_("Reply date"), 2.4, "date"),
)

OVERDUE_COLUMNS = (
    Column("number", N_("Number"), 3.4),
    Column("type", N_("Form"), 3.0),
    Column("title", N_("Title"), 5.0),
    Column("department", N_("Department"), 2.6),
    Column("handler", N_("Handler"), 1.9),
    Column("state", N_("State"), 2.2),
    Column("due", N_("Due"), 2.9, "datetime"),
    Column("reminder", N_("Latest reminder"), 3.0),
    Column("promised", N_("Promised date"), 2.1, "date"),
)


def _local(value: str | None) -> datetime | date | None:
    if not value:
        return None
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


def complaint_register(
    rows: list[dict], texts: Texts, start: date, end: date, filters: str = ""
) -> Register:
    record_type = registry["complaint_sheet"]
    subject, severity = record_type.field("subject"), record_type.field("severity")
    assert subject is not None and severity is not None  # the form declares both
    texts.prime_users(row.get("handler") for row in rows)
    table = []
    for row in rows:
        data = row.get("data") or {}
        table.append(
            [
                row["number"],
                _local(data.get("received_at")),
                data.get("customer") or "",
                row.get("title") or "",
                texts.field_value(subject, data.get("subject")),
                texts.field_value(severity, data.get("severity")),
                texts.department(row.get("department")),
                texts.user(row.get("handler")),
                texts(record_type.workflow.states.get(row["state"], row["state"])),
                _local(data.get("reply_date")),
            ]
        )
    period = texts("%(start)s to %(end)s", start=texts.date(start), end=texts.date(end))
    subtitle = texts("Received %(period)s: %(n)d complaints", period=period, n=len(rows))
    return Register(
        "complaint-register",
        texts("Complaint register"),
        f"{subtitle}{'; ' + filters if filters else ''}",
        COMPLAINT_COLUMNS,
        table,
    )


def overdue_list(items, texts: Texts, department_name: str = "") -> Register:
    texts.prime_users(item.record.get("handler") for item in items)
    table = []
    for item in items:
        record = item.record
        record_type = registry.get(record["type"])
        reminder = item.reminder or {}
        table.append(
            [
                record["number"],
                record_type.title(texts.locale) if record_type else record["type"],
                record.get("title") or "",
                texts.department(record.get("department")),
                texts.user(record.get("handler")),
                texts(record_type.workflow.states.get(record["state"], record["state"]))
                if record_type
                else record["state"],
                to_local(record["due_at"]) if record.get("due_at") else None,
                reminder.get("number", ""),
                _local(item.promised),
            ]
        )
    subtitle = texts("%(n)d overdue items", n=len(items))
    if department_name:
        subtitle = f"{department_name}: {subtitle}"
    return Register("overdue", texts("Overdue"), subtitle, OVERDUE_COLUMNS, table)


# --- Word ----------------------------------------------------------------------------


def _text(value, texts: Texts) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return texts.local_datetime(value)
    if isinstance(value, date):
        return texts.date(value)
    return str(value)


def _build_register(
    register: Register, texts: Texts, organisation: str, widths: tuple[float, ...]
) -> bytes:
    fonts = FONTS[texts.locale]
    document = w.new_document(fonts, landscape=True, title=register.title)
    w.add_frame(
        document,
        w.PageFrame(
            header_left=f"{organisation}  {register.title}",
            header_right="⟦subtitle⟧",
            page_of=texts("Page %(page)s of %(pages)s"),
            footer_left="⟦printed⟧",
        ),
        fonts,
    )
    w.title_line(document, register.title, fonts)
    w.centred_line(document, "⟦subtitle⟧", fonts, space_after=6)
    table = w.table_grid(document, 1, [Cm(x) for x in widths], fonts)
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    for cell, column in zip(header.cells, register.columns, strict=True):
        cell._tc.get_or_add_tcPr().append(
            parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="D9D9D9"/>')
        )
        w.add_text(cell.paragraphs[0], texts(column.label), fonts, bold=True, size=9)
    return w.save(document)


def register_docx(
    register: Register, texts: Texts, *, organisation: str, printed: str = ""
) -> GeneratedFile:
    widths = tuple(c.width_cm for c in register.columns)
    key = ("register", register.name, texts.locale, organisation, widths)
    skeleton = w.cached_skeleton(
        key, lambda: _build_register(register, texts, organisation, widths)
    )
    twips = [int(width / 2.54 * 1440) for width in widths]
    rows_xml = "".join(
        w.row_xml([_text(value, texts) for value in row], twips, FONTS[texts.locale])
        for row in register.rows
    )
    content = skeleton.fill(
        {
            "subtitle": register.subtitle,
            "printed": printed,
            "meta_comments": texts("Made with the built-in layout"),
            "meta_identifier": register.name,
        },
        rows_xml=rows_xml,
    )
    return GeneratedFile(f"{register.name}.docx", content, made_with={"layout": "built-in"})


# --- Excel ---------------------------------------------------------------------------


def register_xlsx(
    register: Register, texts: Texts, *, organisation: str, printed: str = ""
) -> GeneratedFile:
    # openpyxl is imported when a workbook is made, not at every start.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(w.strip_invalid(register.title)[:31] or "Sheet1")
    for index, column in enumerate(register.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width_cm * 5
    sheet.freeze_panes = "A4"
    bold = Font(bold=True)

    def cell(value, **style):
        item = WriteOnlyCell(sheet, value=value)
        for key, setting in style.items():
            setattr(item, key, setting)
        return item

    sheet.append([cell(f"{organisation}  {register.title}", font=Font(bold=True, size=14))])
    sheet.append([cell(w.strip_invalid(f"{register.subtitle}  {printed}".strip()))])
    fill = PatternFill("solid", fgColor="D9D9D9")
    sheet.append([cell(texts(c.label), font=bold, fill=fill) for c in register.columns])
    wrap = Alignment(wrap_text=True, vertical="top")
    formats = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
    for row in register.rows:
        cells = []
        for value, column in zip(row, register.columns, strict=True):
            if isinstance(value, str):
                item = WriteOnlyCell(sheet, value=w.strip_invalid(value))
                # Text stays text: "=HYPERLINK(...)" typed by a customer is not a formula.
                item.data_type = "s"
                item.alignment = wrap
            else:
                item = WriteOnlyCell(sheet, value=value)
                if column.kind in formats and value is not None:
                    item.number_format = formats[column.kind]
            cells.append(item)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return GeneratedFile(
        f"{register.name}.xlsx", out.getvalue(), XLSX_TYPE, made_with={"layout": "built-in"}
    )


# --- reports (records.reports) -------------------------------------------------------


def report_docx(report, texts: Texts, *, organisation: str, printed: str = "") -> GeneratedFile:
    """A report's sections as tables in a landscape A4 document."""
    fonts = FONTS[texts.locale]
    document = w.new_document(fonts, landscape=True, title=report.title)
    w.add_frame(
        document,
        w.PageFrame(
            header_left=f"{organisation}  {report.title}",
            header_right=printed,
            page_of=texts("Page %(page)s of %(pages)s"),
        ),
        fonts,
    )
    w.title_line(document, report.title, fonts)
    w.centred_line(
        document,
        texts(
            "%(start)s to %(end)s",
            start=texts.date(report.period.start),
            end=texts.date(report.period.end),
        ),
        fonts,
    )
    width = 26.1
    for section in report.sections:
        title = document.add_paragraph()
        title.paragraph_format.space_before = Pt(10)
        title.paragraph_format.space_after = Pt(4)
        w.add_text(
            title, section.title, fonts, east_asia=fonts.heading_east_asia, size=12, bold=True
        )
        first = min(6.0, width / len(section.columns) * 1.6)
        rest = (width - first) / max(len(section.columns) - 1, 1)
        table = w.table_grid(
            document,
            len(section.rows) + 1,
            [Cm(first)] + [Cm(rest)] * (len(section.columns) - 1),
            fonts,
        )
        for cell, label in zip(table.rows[0].cells, section.columns, strict=True):
            w.add_text(cell.paragraphs[0], label, fonts, bold=True, size=9)
        for row, values in zip(table.rows[1:], section.rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                w.add_text(cell.paragraphs[0], cell_text(value, texts), fonts, size=9)
    content = w.save(document)
    return GeneratedFile(
        f"report-{report.period.key}.docx", content, made_with={"layout": "built-in"}
    )


def report_xlsx(report, texts: Texts, *, organisation: str, printed: str = "") -> GeneratedFile:
    """A report with one sheet per section; rates are numbers formatted as %."""
    # openpyxl is imported when a workbook is made, not at every start.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for section in report.sections:
        sheet = workbook.create_sheet(w.strip_invalid(section.title)[:31])
        sheet.column_dimensions["A"].width = 28
        for index in range(2, len(section.columns) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 14
        title = WriteOnlyCell(sheet, value=f"{organisation}  {report.title}")
        title.font = Font(bold=True, size=14)
        sheet.append([title])
        sheet.append([w.strip_invalid(f"{section.title}  {printed}".strip())])
        header = []
        for label in section.columns:
            item = WriteOnlyCell(sheet, value=label)
            item.font = bold
            header.append(item)
        sheet.append(header)
        for values in section.rows:
            cells = []
            for value in values:
                if isinstance(value, Cell):
                    item = WriteOnlyCell(
                        sheet, value=value.value if value.value is not None else texts("no data")
                    )
                    if value.kind == "rate" and value.value is not None:
                        item.number_format = "0.0%"
                    elif value.kind == "number" and value.value is not None:
                        item.number_format = "0.0"
                else:
                    item = WriteOnlyCell(sheet, value=w.strip_invalid(str(value)))
                    item.data_type = "s"
                cells.append(item)
            sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return GeneratedFile(
        f"report-{report.period.key}.xlsx",
        out.getvalue(),
        XLSX_TYPE,
        made_with={"layout": "built-in"},
    )
