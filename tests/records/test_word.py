"""Word output of every form: each file is reopened with python-docx and read
as a person checking the printout would: header (code, edition, number),
page X of Y fields, the east Asian font, the values, the signatures."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from docx import Document
from docx.oxml.ns import qn

from records.settings import effective
from records.types import registry
from records.word import docx as w
from records.word.forms import render_blank, render_record
from records.word.registers import (
    COMPLAINT_COLUMNS,
    Register,
    complaint_register,
    register_docx,
    register_xlsx,
)
from records.word.samples import sample_doc
from records.word.texts import Texts

ORG = "广东省某电力检测中心"
HOSTILE = "A<B & C>D \"引号\" '单引号' 😀 ]]> \x07控制符\n第二行"
PRINTED_HOSTILE = "A<B & C>D \"引号\" '单引号' 😀 ]]> 控制符\n第二行"
ALL_TYPES = sorted(t.name for t in registry)


def reopen(content: bytes):
    return Document(io.BytesIO(content))


def header_text(document) -> str:
    return "\n".join(p.text for p in document.sections[0].header.paragraphs)


def footer_xml(document) -> str:
    return document.sections[0].footer._element.xml


def cell_texts(document) -> list[str]:
    return [cell.text for table in document.tables for row in table.rows for cell in row.cells]


def east_asian_fonts(document) -> set[str | None]:
    """The east Asian font named on every run of the body's tables."""
    fonts = set()
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        r_fonts = run._element.rPr.rFonts if run._element.rPr is not None else None
                        fonts.add(r_fonts.get(qn("w:eastAsia")) if r_fonts is not None else None)
    return fonts


def style_east_asia(document, name="Normal") -> str | None:
    return document.styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_every_form_carries_its_code_edition_number_fields_and_font(app, type_name):
    record_type = registry.get(type_name)
    doc = sample_doc(record_type, HOSTILE, number=f"{record_type.short_code}-2026-0042")
    doc["version"] = 3
    with app.app_context():
        made = render_record(record_type, doc, Texts("zh_Hans"), organisation=ORG)
    document = reopen(made.content)
    header = header_text(document)
    assert record_type.form_code in header and record_type.edition in header
    assert f"{record_type.short_code}-2026-0042" in header and "第3版" in header
    footer = footer_xml(document)
    assert "PAGE" in footer and "NUMPAGES" in footer and 'w:fldCharType="begin"' in footer
    assert "第" in document.sections[0].footer.paragraphs[0].text
    assert "保存期限" in document.sections[0].footer.paragraphs[1].text
    assert style_east_asia(document) == "宋体"
    assert east_asian_fonts(document) == {"宋体"}
    body = "\n".join(p.text for p in document.paragraphs)
    assert ORG in body and record_type.title("zh_Hans") in body
    cells = cell_texts(document)
    texts = Texts("zh_Hans")
    for spec in record_type.fields:
        label = (record_type.custom_labels() if record_type.custom_labels else {}).get(
            spec.name
        ) or texts(spec.label)
        assert label in cells, f"{spec.name} has no label"
        value = doc["data"][spec.name]
        if spec.kind in ("string", "text"):
            assert PRINTED_HOSTILE in cells, f"{spec.name} not printed"
        elif spec.kind == "choice":
            assert texts(spec.choices[0].label) in cells
        elif spec.kind == "integer":
            assert str(value) in cells
    # The section is A4 portrait.
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def _signed_complaint(version):
    """A complaint sheet at ``version`` whose plan 张主任 approved in version 3."""
    record_type = registry.get("complaint_sheet")
    doc = sample_doc(record_type, "暖气不热", number="QR-015-2026-0007")
    doc["version"] = version
    doc["signatures"] = [
        {
            "signer": "boss",
            "name": "张主任",
            "meaning": "approved",
            "at": datetime(2026, 3, 2, 6, 30),
            "transition": "approve_plan",
            "version": 3,
        }
    ]
    return record_type, doc


def test_a_signed_record_prints_the_electronic_signature_on_its_line(app):
    record_type, doc = _signed_complaint(version=5)
    with app.app_context():
        document = reopen(
            render_record(record_type, doc, Texts("zh_Hans"), organisation=ORG).content
        )
    cells = cell_texts(document)
    row = next(i for i, text in enumerate(cells) if text == "方案批准人")
    assert cells[row + 1] == "张主任，已批准，2026年3月2日 14:30（电子签名）"
    # Lines for a pen stay empty.
    received = cells.index("受理人")
    assert cells[received + 1] == ""


def test_a_past_version_says_so_and_leaves_out_later_signatures(app):
    record_type, doc = _signed_complaint(version=2)
    with app.app_context():
        made = render_record(record_type, doc, Texts("zh_Hans"), organisation=ORG, latest_version=6)
    document = reopen(made.content)
    assert "第2版；现行版本为第6版" in header_text(document)
    assert made.filename == "QR-015-2026-0007-v2.docx"
    assert not any("张主任" in text for text in cell_texts(document))


def test_the_customer_service_sheet_comes_in_three_marked_copies(app):
    record_type = registry.get("customer_service_sheet")
    doc = sample_doc(record_type, "更换阀门", number="QR-024-2026-0003")
    with app.app_context():
        document = reopen(
            render_record(record_type, doc, Texts("zh_Hans"), organisation=ORG).content
        )
    marks = [p.text for p in document.paragraphs if "联" in p.text]
    assert marks == [
        "客户联（第1联，共3联）",
        "分公司联（第2联，共3联）",
        "总公司联（第3联，共3联）",
    ]
    assert len(document.tables) == 3
    assert document.element.xml.count('w:type="page"') == 2


def test_labels_follow_the_language_and_traditional_chinese_uses_its_own_font(app):
    record_type = registry.get("revisit_record")
    doc = sample_doc(record_type, "回訪", number="QR-018-2026-0001")
    with app.app_context():
        english = reopen(render_record(record_type, doc, Texts("en"), organisation=ORG).content)
        traditional = reopen(
            render_record(record_type, doc, Texts("zh_Hant"), organisation=ORG).content
        )
    assert "Revisit method" in cell_texts(english) or "Method" in " ".join(cell_texts(english))
    assert "Page" in english.sections[0].footer.paragraphs[0].text
    assert style_east_asia(traditional) == "新細明體"
    assert "回訪方式" in cell_texts(traditional)


def test_empty_and_very_long_values_give_a_valid_file(app):
    record_type = registry.get("complaint_sheet")
    empty = {
        "number": "QR-015-2026-0009",
        "type": "complaint_sheet",
        "version": 1,
        "data": {},
        "signatures": [],
    }
    long_text = "长" * 20000
    full = sample_doc(record_type, long_text, number="QR-015-2026-0010")
    with app.app_context():
        for doc in (empty, full):
            made = render_record(record_type, doc, Texts("zh_Hans"), organisation=ORG)
            document = reopen(made.content)
            assert doc["number"] in header_text(document)
    assert long_text in cell_texts(document)
    with zipfile.ZipFile(io.BytesIO(made.content)) as package:
        assert package.testzip() is None


def test_a_blank_form_has_the_current_edition_and_boxes_to_tick(app):
    record_type = registry.get("satisfaction_questionnaire")
    with app.app_context():
        made = render_blank(record_type, Texts("zh_Hans"), organisation=ORG)
        settings = effective(record_type)
    document = reopen(made.content)
    assert f"{settings.form_code}  {settings.edition}" in header_text(document)
    assert made.filename == "GAEPC-QR-019_A-0.docx"
    cells = cell_texts(document)
    assert any(text.startswith("☐ 非常满意") for text in cells)
    assert "☐ 是    ☐ 否" in cells


def test_a_value_cannot_inject_word_markup():
    skeleton_values = {"f_x": "</w:t></w:r><w:r><w:t>injected"}
    assert "&lt;/w:t&gt;" in w.escape_text(skeleton_values["f_x"])
    assert w.escape_text("a\x00b\x1fc") == "abc"
    assert w.escape_text("一\n二") == '一</w:t><w:br/><w:t xml:space="preserve">二'


def sample_register(rows: int, summary: str = "=1+1") -> Register:
    """The complaint register of March 2026 with ``rows`` closed complaints
    (the LibreOffice test prints it too)."""
    table = [
        [
            f"QR-015-2026-{n:04d}",
            datetime(2026, 3, 1, 9, 30),
            "客户<甲>&乙",
            summary,
            "技术",
            "一般",
            "检测部",
            "王芳",
            "已关闭",
            None,
        ]
        for n in range(rows)
    ]
    return Register("complaint-register", "客户投诉一览表", "2026年3月", COMPLAINT_COLUMNS, table)


def test_a_register_repeats_its_header_row_and_keeps_every_row(app):
    with app.app_context():
        made = register_docx(
            sample_register(250), Texts("zh_Hans"), organisation=ORG, printed="打印"
        )
    document = reopen(made.content)
    table = document.tables[0]
    assert len(table.rows) == 251
    assert table.rows[0].cells[0].text == "编号"
    assert "w:tblHeader" in table.rows[0]._tr.xml
    assert table.rows[250].cells[0].text == "QR-015-2026-0249"
    assert table.rows[1].cells[2].text == "客户<甲>&乙"
    section = document.sections[0]
    assert section.page_width > section.page_height  # landscape
    assert "NUMPAGES" in footer_xml(document)
    assert east_asian_fonts(document) == {"宋体"}


def test_a_register_in_excel_keeps_dates_as_dates_and_formulas_as_text(app):
    from openpyxl import load_workbook

    with app.app_context():
        made = register_xlsx(sample_register(3), Texts("zh_Hans"), organisation=ORG)
    sheet = load_workbook(io.BytesIO(made.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][0] == "编号" and rows[3][0] == "QR-015-2026-0000"
    assert rows[3][1] == datetime(2026, 3, 1, 9, 30)
    assert rows[3][3] == "=1+1" and sheet.cell(row=4, column=4).data_type == "s"
    assert len(rows) == 6


def test_the_complaint_register_rows_read_as_on_the_page(app):
    rows = [
        {
            "number": "QR-015-2026-0001",
            "title": "数据有误",
            "state": "closed",
            "department": None,
            "handler": None,
            "data": {
                "received_at": "2026-03-01T09:30:00",
                "customer": "华新",
                "subject": "technical",
                "severity": "hot",
                "reply_date": "2026-03-03",
            },
        }
    ]
    from datetime import date

    with app.app_context():
        register = complaint_register(rows, Texts("zh_Hans"), date(2026, 3, 1), date(2026, 3, 31))
    assert register.rows[0][4] == "技术（检测报告、证书）"
    assert register.rows[0][5] == "热点" and register.rows[0][8] == "已关闭"
    assert "1" in register.subtitle


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_every_blank_form_has_its_code_edition_labels_and_font(app, type_name):
    record_type = registry.get(type_name)
    with app.app_context():
        document = reopen(render_blank(record_type, Texts("zh_Hans"), organisation=ORG).content)
    header = header_text(document)
    assert f"{record_type.form_code}  {record_type.edition}" in header
    assert "记录编号：________" in header
    assert "NUMPAGES" in footer_xml(document)
    assert east_asian_fonts(document) == {"宋体"}
    cells = cell_texts(document)
    texts = Texts("zh_Hans")
    for line in record_type.printed_signatures:
        assert texts(line.label) in cells
    for spec in record_type.fields:
        if spec.kind == "choice":
            assert "    ".join(f"☐ {texts(c.label)}" for c in spec.choices) in cells
