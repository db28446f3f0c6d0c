"""The back office of record types: list, create, edit, conflicts, locks, deletion."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from records.models import AuditEntry, Record
from records.operations import create_record, revise_record
from tests.helpers import csrf_token, login, post_form, save_departments
from tests.records.conftest import HANDOVER, REVISIT, actor

LIST = "/admin/records_handover_log/"
SETTINGS = "/admin/form_settings/"


@pytest.fixture
def people(app, make_user):
    save_departments("CS", "HEAT")
    make_user("wang", roles=["staff"], department="CS", full_name="王芳")
    make_user("li", roles=["staff"], department="CS", full_name="李雷")
    make_user("zhao", roles=["staff"], department="HEAT", full_name="赵强")
    make_user("chen", roles=["controller"], department="CS", full_name="陈静")
    make_user("audit", roles=["auditor"], full_name="审核员")


def _new_form(client):
    return {
        **HANDOVER,
        "taken_over_by": "",
        "serious_events": "",
        "open_items": "",
        "reason": "",
        "base_version": "",
        "csrf_token": csrf_token(client, LIST + "new/"),
    }


def test_staff_creates_a_record_from_the_form_and_sees_its_number(client, people):
    login(client, "wang")
    response = client.post(LIST + "new/", data=_new_form(client), follow_redirects=True)
    record = Record.objects.get()
    assert record.number.startswith("QR-021-") and record.department == "CS"
    assert f"记录 {record.number} 已创建" in response.get_data(
        as_text=True
    ) or record.number in response.get_data(as_text=True)
    listing = client.get(LIST).get_data(as_text=True)
    assert record.number in listing and "GAEPC/QR-021" in listing
    assert "/delete/" not in listing  # no delete button


def test_a_number_already_taken_shows_a_clear_message_not_a_500(client, people):
    from records.store import database

    taken = create_record(actor("wang", "staff"), "revisit_record", REVISIT).number
    # Settings kept from before patterns were checked.
    database().type_settings.insert_one(
        {"_id": "handover_log", "numbering_pattern": "QR-018-{year}-{seq:04}"}
    )
    login(client, "wang")
    response = client.post(LIST + "new/", data=_new_form(client))
    assert response.status_code < 500
    assert f"编号 {taken} 已被另一条记录占用" in response.get_data(as_text=True)
    assert Record.objects(type="handover_log").count() == 0


def test_a_bad_form_shows_the_error_and_creates_nothing(client, people):
    login(client, "wang")
    data = {**_new_form(client), "shift": "tea"}
    response = client.post(LIST + "new/", data=data)
    # Refused (400) and shown again with the field marked, nothing typed lost.
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "is-invalid" in html and data["events"] in html
    assert Record.objects.count() == 0


def test_list_shows_only_what_the_user_may_see(client, people):
    mine = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    theirs = create_record(actor("zhao", "staff", department="HEAT"), "handover_log", HANDOVER)
    login(client, "wang")
    listing = client.get(LIST).get_data(as_text=True)
    assert mine.number in listing and theirs.number not in listing
    hidden = client.get(f"{LIST}details/?id={theirs.pk}")
    assert hidden.status_code == 404
    login(auditor := client.application.test_client(), "audit")
    assert theirs.number in auditor.get(LIST).get_data(as_text=True)
    assert auditor.get(f"{LIST}new/").status_code in (302, 403)


def test_details_page_shows_tabs_and_audits_the_view(client, people):
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    revise_record(actor("wang", "staff"), record.number, {"events": "第二稿"}, base_version=1)
    login(client, "li")
    page = client.get(f"{LIST}details/?id={record.pk}&from=1&to=2").get_data(as_text=True)
    for text in ("历史", "比较", "签名", "附件", "第二稿", HANDOVER["events"]):
        assert text in page, text
    # Staff do not read the audit trail (who viewed and downloaded what).
    assert "审计追踪" not in page and 'data-testid="audit"' not in page
    assert AuditEntry.objects(action="view", number=record.number, actor="li").count() == 1
    login(auditor := client.application.test_client(), "audit")
    page = auditor.get(f"{LIST}details/?id={record.pk}").get_data(as_text=True)
    assert "审计追踪" in page and 'data-testid="audit"' in page


def test_stale_edit_is_refused_and_keeps_what_was_typed(app, people):
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    wang, li = app.test_client(), app.test_client()
    login(wang, "wang")
    login(li, "li")
    edit = f"{LIST}edit/?id={record.pk}"
    wang_page = wang.get(edit).get_data(as_text=True)
    assert 'name="base_version" type="hidden" value="1"' in wang_page or re.search(
        r'name="base_version"[^>]*value="1"', wang_page
    )
    # Li takes the edit over from Wang and saves first.
    li_edit = f"{edit}&takeover=1"
    assert li.get(li_edit).status_code == 200
    li_form = {
        **HANDOVER,
        "events": "李雷改过",
        "taken_over_by": "",
        "serious_events": "",
        "open_items": "",
        "reason": "",
        "base_version": "1",
        "csrf_token": csrf_token(li, edit),
    }
    assert li.post(edit, data=li_form).status_code == 302
    typed = "王芳写了很长的一段交接说明"
    form = {
        **HANDOVER,
        "events": typed,
        "taken_over_by": "",
        "serious_events": "",
        "open_items": "",
        "reason": "",
        "base_version": "1",
        "csrf_token": csrf_token(wang, edit),
    }
    response = wang.post(edit, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert typed in html  # nothing typed is lost
    assert "李雷改过" in html  # what the other person changed is shown
    assert Record.objects.get(pk=record.pk).data["events"] == "李雷改过"


def test_an_edit_lock_is_shown_to_others_and_can_be_taken_over(app, people):
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    wang, li = app.test_client(), app.test_client()
    login(wang, "wang")
    login(li, "li")
    wang.get(f"{LIST}edit/?id={record.pk}")
    blocked = li.get(f"{LIST}edit/?id={record.pk}", follow_redirects=True)
    assert "王芳" in blocked.get_data(as_text=True)
    assert "lock-notice" in blocked.get_data(as_text=True)
    assert blocked.get_data(as_text=True).count("正在编辑此记录") == 1  # said once, not twice
    taken = li.get(f"{LIST}edit/?id={record.pk}&takeover=1")
    assert taken.status_code == 200
    assert AuditEntry.objects(action="lock_takeover", actor="li").count() == 1


def test_deleting_from_the_back_office_is_refused_and_audited(client, people, make_user):
    make_user("director", roles=["approver"], full_name="主任")
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    login(client, "director")
    response = post_form(
        client,
        f"{LIST}delete/?id={record.pk}",
        {"reason": "清理"},
        page=f"{LIST}details/?id={record.pk}",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert Record.objects(pk=record.pk).count() == 1
    assert AuditEntry.objects(action="delete_refused", number=record.number).count() == 1


def _handover_settings(client, edition, pattern, retention_years, reason):
    """The handover log's edition, numbering and retention saved on the form
    settings page."""
    settings = {
        "type": "handover_log",
        "edition": edition,
        "numbering_pattern": pattern,
        "retention_years": retention_years,
        "reason": reason,
    }
    return post_form(client, SETTINGS, settings)


def test_controllers_change_a_forms_edition_and_numbering(client, people):
    login(client, "chen")
    response = _handover_settings(client, "B/1", "JJB-{year}-{seq:03}", "5", "换版")
    assert response.status_code == 302
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    assert record.number.startswith("JJB-") and record.edition == "B/1"
    bad = _handover_settings(client, "B/2", "JJB-{seq}", "5", "x")
    assert bad.status_code == 400
    login(staff := client.application.test_client(), "wang")
    assert staff.get(SETTINGS).status_code == 403


def test_a_pattern_equal_to_another_forms_is_refused_with_a_clear_message(client, people):
    login(client, "chen")
    refused = _handover_settings(client, "A/0", "QR-018-{year}-{seq:04}", "3", "改编号")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "此编号规则与表单 GAEPC/QR-018 的编号（QR-018-{year}-{seq:04}）相同" in text
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    assert record.number.startswith("QR-021-")  # nothing was changed


def test_auditors_filter_and_export_the_audit_trail_and_the_export_is_audited(client, people):
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    login(client, "audit")
    assert client.get("/admin/audit/").status_code == 200
    exported = client.get(f"/admin/audit/export.csv?number={record.number}")
    rows = exported.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert rows[0].startswith("seq,at,actor,action")
    assert len(rows) == 2 and record.number in rows[1]
    assert AuditEntry.objects(action="export", actor="audit").count() == 1
    login(staff := client.application.test_client(), "wang")
    assert staff.get("/admin/audit/").status_code == 403
    assert staff.get("/admin/audit/export.csv").status_code == 403


def test_the_record_page_shows_the_record_as_it_was_on_a_date(client, people):
    from records.models import RecordVersion

    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    revise_record(actor("wang", "staff"), record.number, {"events": "后来的内容"}, base_version=1)
    first = RecordVersion.objects.get(number=record.number, version=1).changed_at
    # The page takes local time (Asia/Shanghai, UTC+8).
    local = first + timedelta(hours=8)
    login(client, "wang")
    page = client.get(f"{LIST}details/?id={record.pk}&as_of={local.isoformat()}")
    html = page.get_data(as_text=True)
    assert "版本 1。" in html  # "you are reading version 1 of …"
    fields = html.split('data-testid="record-fields"')[1].split("</table>")[0]
    assert HANDOVER["events"] in fields and "后来的内容" not in fields
