"""Reading attachments' text: each kind of file, and hostile files that end
in a failed state with a reason (the attachment kept)."""

from __future__ import annotations

import time

import pytest

from records import extraction
from records.attachments import attach_file, read_attachment
from records.extraction import DONE, FAILED, Limits
from records.operations import create_record
from records.store import database
from tests import attachment_files as files
from tests.records.conftest import HANDOVER

pytestmark = pytest.mark.slow


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _attached(staff, filename, content):
    record = create_record(
        staff, "handover_log", {**HANDOVER, "events": "扫描件", "taken_over_by": "李雷"}
    )
    record = attach_file(staff, record.number, filename, content, base_version=1)
    return record, record.attachments[-1]["id"]


def _read(limits=None):
    """What the worker does: find the new attachment, read it."""
    entry = extraction.work_once(limits or Limits())
    assert entry is not None
    return entry


def test_a_scan_of_chinese_text_is_read_with_its_engine_and_checksum(ctx, staff):
    png = files.scan_png(["顾客满意度调查表", "回访记录 产品质量良好"])
    record, attachment = _attached(staff, "survey.png", png)
    assert database()[extraction.COLLECTION].count_documents({}) == 0
    entry = _read()
    assert entry["_id"] == attachment
    assert entry["state"] == DONE
    assert "回访记录" in entry["pages"][0]["text"]
    assert entry["engine"] == "tesseract"
    assert entry["language"] == "chi_sim+eng"  # the scan is in simplified characters
    assert entry["source_sha256"] == record.attachments[-1]["sha256"]
    assert entry["chars"] == sum(len(p["text"]) for p in entry["pages"])
    assert entry["page_count"] == entry["pages_read"] == 1
    assert entry["previews"][0]["thumb"] and entry["previews"][0]["large"]
    # Nothing left to do; a second round finds nothing.
    assert extraction.work_once(Limits()) is None


def test_a_libreoffice_pdf_and_an_excel_file_are_read_directly(ctx, staff, tmp_path):
    pdf = files.libreoffice_pdf(
        ["第一页：服务单", "第二页：客户签字确认维修完成"], tmp_path, page_break_after=0
    )
    _attached(staff, "service.pdf", pdf)
    entry = _read()
    assert entry["state"] == DONE
    assert entry["page_count"] == 2
    assert "客户签字确认维修完成" in entry["pages"][1]["text"]
    assert entry["engine"].startswith("pypdfium2") and "tesseract" not in entry["engine"]
    assert len(entry["previews"]) == 2

    _attached(staff, "visits.xlsx", files.xlsx_bytes([["客户", "满意度"], ["华东物业", 95]]))
    entry = _read()
    assert entry["state"] == DONE
    assert entry["engine"] == "openpyxl"
    assert "华东物业" in entry["pages"][0]["text"] and "95" in entry["pages"][0]["text"]
    assert entry["pages"][0]["label"] == "回访"


@pytest.mark.parametrize(
    ("filename", "make", "reason"),
    [
        ("damaged.pdf", files.corrupt_pdf, "corrupt_pdf"),
        ("locked.pdf", files.encrypted_pdf, "encrypted"),
        ("bomb.png", files.png_bomb, "image_too_large"),
        # A Word file named as a workbook: the name is not believed.
        ("sheet.xlsx", lambda: files.docx_bytes(["不是表格"]), "type_mismatch"),
    ],
)
def test_hostile_files_fail_with_a_reason_and_the_attachment_is_kept(
    ctx, staff, filename, make, reason
):
    content = make()
    record, attachment = _attached(staff, filename, content)
    started = time.monotonic()
    entry = _read()
    assert time.monotonic() - started < 30
    assert entry["state"] == FAILED
    assert entry["reason"] == reason
    assert not entry.get("pages")
    assert read_attachment(staff, record.number, attachment)[1] == content


def test_a_pdf_of_thousands_of_pages_fails_but_keeps_the_pages_read(ctx, staff):
    _attached(staff, "register.pdf", files.many_pages_pdf(3000))
    started = time.monotonic()
    entry = _read(Limits(max_pages=200))
    assert time.monotonic() - started < 60
    assert (entry["state"], entry["reason"]) == (FAILED, "too_many_pages")
    assert (entry["page_count"], entry["pages_read"]) == (3000, 200)
    assert "long register page" in entry["pages"][199]["text"]


def test_a_file_that_takes_too_long_fails_with_the_time_it_was_given(ctx, staff):
    # Dense enough that reading it takes Tesseract well over a second on an
    # idle machine too (six lines did not, when the machine was quiet).
    _attached(staff, "slow.png", files.scan_png(["回访记录 客户满意度调查表 投诉处理"] * 40))
    entry = _read(Limits(seconds=1))
    assert entry["state"] == FAILED
    assert entry["reason"] == "timeout"
    assert entry["reason_params"] == {"seconds": 1}


def test_too_little_memory_fails_the_file_not_the_portal(ctx, staff, tmp_path):
    _attached(staff, "scan.png", files.scan_png(["回访记录"]))
    entry = _read(Limits(memory_mb=40))
    assert entry["state"] == FAILED
    assert entry["reason"] == "too_much_memory"


def test_reextracting_reads_a_record_again(ctx, staff):
    record, _attachment = _attached(staff, "visits.xlsx", files.xlsx_bytes([["回访"]]))
    assert _read()["state"] == DONE
    assert extraction.reextract(record.number) == 1
    entry = database()[extraction.COLLECTION].find_one()
    assert entry["state"] == "pending"
    assert _read()["state"] == DONE


def test_disposal_takes_the_text_and_page_images_with_the_record(ctx, staff, approver):
    from records.retention import dispose_record
    from tests.records.test_audit_retention import _closed_record

    record, _attachment = _attached(staff, "survey.png", files.scan_png(["回访记录"]))
    assert _read()["state"] == DONE
    db = database()
    assert db[f"{extraction.PREVIEWS}.files"].count_documents({}) == 2  # page and thumbnail
    old = _closed_record(staff, 4, record)
    dispose_record(approver, old.number, "保存期满销毁")
    assert db[extraction.COLLECTION].count_documents({}) == 0
    assert db[f"{extraction.PREVIEWS}.files"].count_documents({}) == 0


def _page_images() -> int:
    return database()[f"{extraction.PREVIEWS}.files"].count_documents({})


def test_a_record_disposed_while_its_file_is_read_keeps_no_page_images(ctx, staff, monkeypatch):
    record, _attachment = _attached(staff, "service.pdf", files.many_pages_pdf(2))
    reader = extraction.run_reader

    def disposed_meanwhile(*args, **kwargs):
        result = reader(*args, **kwargs)
        extraction.forget(record.pk)  # what disposal does, while the child read
        return result

    monkeypatch.setattr(extraction, "run_reader", disposed_meanwhile)
    entry = extraction.work_once(Limits())
    assert entry is None  # nothing of it is kept
    assert _page_images() == 0


def _images_of(entry) -> int:
    return sum(("large" in p) + ("thumb" in p) for p in entry["previews"])


def test_reading_again_replaces_the_page_images(ctx, staff):
    record, _attachment = _attached(staff, "service.pdf", files.many_pages_pdf(2))
    first = _read()
    assert first["previews"] and _page_images() == _images_of(first) == 3  # 2 pages, 1 thumb
    assert extraction.reextract(record.number) == 1
    second = _read()
    assert second["state"] == DONE
    # The old images are gone, the new ones are those the entry names.
    assert _page_images() == _images_of(second) == 3
