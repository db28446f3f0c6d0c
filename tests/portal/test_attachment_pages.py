"""The attachments tab: what was read of each file, its thumbnail and page
images, seen by exactly those who may see the record; the search page names
the file and page a scan matched on; hostile files fail while the portal
keeps answering."""

from __future__ import annotations

import io
import time

import pytest

from portal.workers import start_workers, stop_workers
from records import extraction
from records.clock import local_now
from records.extraction import Limits, work_once
from records.models import Record
from records.operations import create_record
from tests import attachment_files as files
from tests.helpers import actor_of, csrf_token, login
from tests.portal.test_cli import portal_cli  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

URL = "/admin/records_handover_log"


def _record(username="wang"):
    return create_record(
        actor_of(username),
        "handover_log",
        {
            "title": "夜班",
            "shift_date": local_now().date().isoformat(),
            "shift": "night",
            "handed_over_by": "王芳",
            "events": "交接",
        },
    )


def _upload(client, record, filename, content):
    page = f"{URL}/details/?id={record.pk}"
    answer = client.post(
        f"{URL}/attach/?id={record.pk}",
        data={
            "csrf_token": csrf_token(client, page),
            "base_version": str(Record.objects.get(pk=record.pk).version),
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]


def _tab(client, record, lang=None, **args):
    query = "".join(f"&{k}={v}" for k, v in args.items())
    headers = {"Accept-Language": lang} if lang else {}
    return client.get(f"{URL}/details/?id={record.pk}{query}", headers=headers).get_data(
        as_text=True
    )


def test_the_tab_shows_the_state_thumbnail_and_pages_and_search_names_the_page(app, org, tmp_path):
    client = app.test_client()
    login(client, "wang")
    record = _record()
    pdf = files.libreoffice_pdf(["维修服务单", "客户签字确认漏水已修复"], tmp_path, 0)
    _upload(client, record, "service.pdf", pdf)
    with app.app_context():
        assert "等待读取…" in _tab(client, record)
        assert work_once(Limits())["state"] == "done"
        app.extensions["search_indexer"].drain()
    html = _tab(client, record)
    assert "找到文字：" in html and "2 页" in html
    english = _tab(client, record, lang="en")
    assert "text found: " in english and "characters, 2 pages" in english
    attachment = Record.objects.get(pk=record.pk).attachments[0]["id"]
    thumb = client.get(f"{URL}/preview/?id={record.pk}&attachment={attachment}&page=1&size=thumb")
    assert thumb.status_code == 200 and thumb.data.startswith(b"\x89PNG")
    viewer = _tab(client, record, viewer=attachment, viewer_page=2)
    assert 'data-testid="viewer-page" data-page="2"' in viewer
    page_two = client.get(f"{URL}/preview/?id={record.pk}&attachment={attachment}&page=2")
    assert page_two.status_code == 200 and page_two.data != thumb.data
    # The search names the file and page, and shows the words.
    found = client.get("/search?q=漏水已修复").get_data(as_text=True)
    assert "service.pdf，第 2 页" in found
    assert "<mark>漏水已修复</mark>" in found or "<mark>漏水</mark>" in found
    answer = client.get("/api/v1/search?q=漏水已修复")  # the API takes the session too
    assert answer.json["results"][0]["found_in"] == "service.pdf，第 2 页"

    # Someone who may not see the record sees neither its pages nor its text.
    other = app.test_client()
    login(other, "zhao")
    assert other.get(
        f"{URL}/preview/?id={record.pk}&attachment={attachment}&page=1"
    ).status_code in (403, 404)
    assert "service.pdf" not in other.get("/search?q=漏水已修复").get_data(as_text=True)


def test_hostile_files_fail_with_reasons_while_the_portal_answers(make_app, org):
    app = make_app(EXTRACT_POLL_SECONDS=0.2)
    client = app.test_client()
    login(client, "wang")
    record = _record()
    hostile = {
        "locked.pdf": files.encrypted_pdf(),
        "damaged.pdf": files.corrupt_pdf(),
        "bomb.png": files.png_bomb(),
        "sheet.xlsx": files.docx_bytes(["不是表格"]),
        "register.pdf": files.many_pages_pdf(3000),
    }
    for name, content in hostile.items():
        _upload(client, record, name, content)
    # As `portal serve` starts it.
    assert "extract_thread" in start_workers(app)
    slowest, deadline = 0.0, time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert client.get("/healthz").status_code in (200, 503)
            html = _tab(client, record, lang="en")
            slowest = max(slowest, time.monotonic() - started)
            if html.count("waiting to be read") + html.count("reading the scan") == 0:
                break
            time.sleep(0.2)
    finally:
        stop_workers(app)
    assert "no text could be read: the PDF is protected by a password" in html
    assert "no text could be read: the PDF is damaged" in html
    assert "no text could be read: the image is too large (100000 × 100000 pixels)" in html
    assert "no text could be read: its content is a Word file, but its name says otherwise" in html
    assert (
        "not read in full: it has 3,000 pages: only the first 200 were read,"
        " and only they can be found" in html
    )
    assert slowest < 5, f"a page took {slowest:.1f} s while files were read"
    # Every file is still there to download.
    assert len(Record.objects.get(pk=record.pk).attachments) == len(hostile)


def test_reextract_command(app, org, portal_cli):  # noqa: F811
    record = _record()
    from records.attachments import attach_file

    attach_file(
        actor_of("wang"), record.number, "v.xlsx", files.xlsx_bytes([["回访"]]), base_version=1
    )
    with app.app_context():
        work_once(Limits())
    answer = portal_cli("attachments", "reextract", "--record", record.number)
    assert answer.exit_code == 0 and "1 attachments queued" in answer.output
    with app.app_context():
        assert extraction.database()[extraction.COLLECTION].find_one()["state"] == "pending"
    assert portal_cli("attachments", "reextract", "--all").exit_code == 0


def test_a_workbook_is_seen_as_its_text_sheet_by_sheet(app, org):
    from records.attachments import attach_file

    record = _record()
    attach_file(
        actor_of("wang"),
        record.number,
        "visits.xlsx",
        files.xlsx_bytes([["回访客户", "满意度"], ["华东物业", 97]]),
        base_version=1,
    )
    with app.app_context():
        work_once(Limits())
    client = app.test_client()
    login(client, "wang")
    attachment = Record.objects.get(pk=record.pk).attachments[0]["id"]
    assert 'data-testid="view-text"' in _tab(client, record)
    html = _tab(client, record, viewer=attachment)
    assert 'data-testid="viewer-text"' in html and "华东物业  97" in html
    assert ">回访</a>" in html  # the sheet, by its name
