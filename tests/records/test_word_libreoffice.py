"""Every generated file opens in LibreOffice: each form (a filled record with
hostile values and a blank one) and a register are converted to PDF by a real
headless LibreOffice, and the PDF's text shows the number and page X of Y."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from docxtpl import DocxTemplate

from records.types import registry
from records.word import templates
from records.word.forms import record_values, render_blank, render_record
from records.word.registers import register_docx
from records.word.samples import sample_doc
from records.word.texts import Texts
from tests.records.test_word import sample_register

# Slow: LibreOffice converts every form.
pytestmark = pytest.mark.slow

HOSTILE = 'A<B & C>D "引号" 😀 ' + "很长的文字" * 300 + "\n第二行"


def _pdf_text(pdf) -> str:
    """The PDF's text without white space (pdftotext spaces CJK text its own way)."""
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", "", text)


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


def test_every_form_and_register_converts_to_pdf_in_libreoffice(app, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed: apt-get install libreoffice-writer-nogui"
    assert shutil.which("pdftotext"), "poppler-utils is needed"
    texts = Texts("zh_Hans")
    files = {}
    with app.app_context():
        for record_type in registry:
            number = f"{record_type.short_code}-2026-0042"
            made = render_record(
                record_type,
                sample_doc(record_type, HOSTILE, number=number),
                texts,
                organisation="测试中心",
            )
            files[f"{record_type.name}.docx"] = (made.content, number)
            blank = render_blank(record_type, texts, organisation="测试中心")
            files[f"{record_type.name}-blank.docx"] = (blank.content, record_type.form_code)
        # A controller's template (the starting one), filled with a sample record.
        complaint = registry.get("complaint_sheet")
        sample = sample_doc(complaint, HOSTILE, number="QR-015-2026-0777")
        filled = templates._render(
            DocxTemplate(io.BytesIO(templates.starter_template(complaint, texts))),
            complaint,
            sample,
            texts,
            organisation="测试中心",
            form_code=complaint.form_code,
            edition=complaint.edition,
            values=record_values(complaint, sample, texts),
        )
        files["template.docx"] = (filled, "QR-015-2026-0777")
        sheet_type = registry.get("customer_service_sheet")
        short = render_record(
            sheet_type, sample_doc(sheet_type, "更换阀门"), texts, organisation="测试中心"
        )
        files["service-short.docx"] = (short.content, "QR-024-2026-0001")
        register = register_docx(
            sample_register(120, summary="摘要"), texts, organisation="测试中心"
        )
        files["register.docx"] = (register.content, "QR-015-2026-0119")
    for name, (content, _expected) in files.items():
        (tmp_path / name).write_bytes(content)
    profile = tmp_path / "profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            *sorted(str(tmp_path / n) for n in files),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    for name, (_content, expected) in files.items():
        pdf = tmp_path / "pdf" / name.replace(".docx", ".pdf")
        assert pdf.exists(), f"LibreOffice could not open {name}"
        text = _pdf_text(pdf)
        assert expected.replace(" ", "") in text, f"{name}: {expected} not in the PDF"
        pages = _pages(pdf)
        assert f"第1页共{pages}页" in text, f"{name}: no page X of Y"
    # Each copy of the service sheet starts its own page: one page each when short.
    sheet = tmp_path / "pdf" / "service-short.pdf"
    assert _pages(sheet) == 3
    assert "客户联" in _pdf_text(sheet) and "总公司联" in _pdf_text(sheet)
    assert _pages(tmp_path / "pdf" / "register.pdf") >= 3


@pytest.mark.parametrize("locale", ["zh_Hant", "en"])
def test_the_other_languages_convert_too(app, tmp_path, locale):
    record_type = registry.get("complaint_sheet")
    with app.app_context():
        made = render_record(
            record_type,
            sample_doc(record_type, "中文 English"),
            Texts(locale),
            organisation="測試中心",
        )
    (tmp_path / "form.docx").write_bytes(made.content)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "form.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    text = _pdf_text(tmp_path / "form.pdf")
    assert ("Page1of1" if locale == "en" else "第1頁共1頁") in text
