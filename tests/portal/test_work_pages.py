"""The pages staff work from: the hotline form, my tasks, the register, the
overdue list with its one-click reminder, procedures by year, and the
complaint's steps on its record page."""

from __future__ import annotations

import re
from datetime import timedelta

from records.clock import local_now
from records.models import Record
from records.operations import transition_record
from tests.helpers import (
    actor_of,
    csrf_token,
    dispatch,
    hotline_complaint,
    login,
    post_form,
    session_of,
)


def _complaint(days_ago=0, **extra):
    return hotline_complaint(
        "检测报告数据有误",
        "华新水泥厂",
        "报告第3页数据与原始记录不符",
        ago=timedelta(days=days_ago),
        contact="周先生 13900001111",
        **extra,
    )


def test_the_hotline_form_records_a_complaint_with_its_suggested_severity(client, org):
    login(client, "zhao")
    page = client.get("/complaints/new").get_data(as_text=True)
    assert "新投诉" in page
    assert re.search(r'<option selected value="hotline">', page)
    response = post_form(
        client,
        "/complaints/new",
        {
            "received_at": local_now().strftime("%Y-%m-%dT%H:%M"),
            "channel": "hotline",
            "customer": "阳光小区业主委员会",
            "contact": "李女士 13800000000",
            "address": "",
            "title": "暖气不热",
            "description": "三栋多户暖气不热",
            "customer_request": "",
            "complainants": "12",
            "urgent": "y",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    record = Record.objects.get(type="complaint_sheet")
    assert response.status_code == 200
    assert f"投诉 {record.number} 已登记" in text and "重大" in text
    assert record.data["first_receiver"] == "赵强" and record.created_by == "zhao"
    assert record.data["severity"] == "major"


def test_bad_input_on_the_hotline_form_is_refused_in_chinese_and_nothing_is_saved(client, org):
    login(client, "zhao")
    future = (local_now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = post_form(
        client,
        "/complaints/new",
        {
            "received_at": future,
            "channel": "hotline",
            "customer": "某公司",
            "title": "测试",
            "description": "内容",
            "complainants": "-3",
        },
        page="/complaints/new",
    )
    assert response.status_code == 400
    assert Record.objects(type="complaint_sheet").count() == 0
    text = response.get_data(as_text=True)
    assert "日期在将来" in text or "至少为 1" in text


def test_dispatch_on_the_record_page_takes_the_step_fields_and_checks_the_handler(client, org):
    record = _complaint()
    login(client, "chen")
    url = f"/admin/records_complaint_sheet/details/?id={record.pk}"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="transition-dispatch"' in page and 'name="handler"' in page
    token = csrf_token(client, url)
    base = {
        "csrf_token": token,
        "transition": "dispatch",
        "base_version": "1",
        "comment": "",
        "password": "",
        "subject": "technical",
        "responsibility": "1",
        "severity": "",
        "severity_reason": "",
    }
    wrong = client.post(
        f"/admin/records_complaint_sheet/transition/?id={record.pk}",
        data={**base, "department": "TEST", "handler": "zhao"},
        follow_redirects=True,
    )
    assert "处理人不在处理部门" in wrong.get_data(as_text=True)
    assert Record.objects.get(pk=record.pk).state == "received"
    client.post(
        f"/admin/records_complaint_sheet/transition/?id={record.pk}",
        data={**base, "department": "TEST", "handler": "wang"},
    )
    stored = Record.objects.get(pk=record.pk)
    assert stored.state == "dispatched" and stored.department == "TEST"
    assert stored.handler == "wang" and stored.due_kind == "plan" and stored.due_at


def test_my_tasks_show_what_is_dispatched_to_me_with_the_due_date(app, org):
    record = _complaint()
    dispatch(record.number)
    page = session_of(app, "wang").get("/tasks").get_data(as_text=True)
    assert record.number in page and "处理方案截止" in page
    assert record.number not in session_of(app, "zhao").get("/tasks").get_data(as_text=True)


def test_contact_details_are_hidden_from_the_department_but_not_the_handler(app, org):
    record = _complaint()
    dispatch(record.number)
    url = f"/admin/records_complaint_sheet/details/?id={record.pk}"
    page = session_of(app, "liu").get(url).get_data(as_text=True)  # same department
    assert "13900001111" not in page
    assert "不向您的角色显示" in page
    assert "13900001111" in session_of(app, "wang").get(url).get_data(as_text=True)


def test_staff_of_another_department_cannot_open_the_complaint(client, org):
    record = _complaint()
    dispatch(record.number)
    login(client, "zhao")
    assert client.get(f"/admin/records_complaint_sheet/details/?id={record.pk}").status_code == 404
    assert client.get(f"/api/v1/records/{record.number}").status_code == 404
    assert record.number not in client.get("/register").get_data(as_text=True)


def test_the_register_lists_the_period_with_filters_and_sorting(client, org):
    first = _complaint(days_ago=1, complainants=3)
    second = _complaint(days_ago=0)
    dispatch(second.number)
    login(client, "audit")
    today = local_now().date()
    page = client.get(f"/register?start={today - timedelta(days=3)}&end={today}").get_data(
        as_text=True
    )
    assert page.index(second.number) < page.index(first.number)  # newest first
    assert "2 条投诉" in page
    page = client.get(
        f"/register?start={today - timedelta(days=3)}&end={today}&sort=received&desc=0"
    ).get_data(as_text=True)
    assert page.index(first.number) < page.index(second.number)
    page = client.get(
        f"/register?start={today - timedelta(days=3)}&end={today}&severity=hot"
    ).get_data(as_text=True)
    assert first.number in page and second.number not in page
    bad = client.get("/register?start=2026-13-01")
    assert bad.status_code == 200 and "不是有效日期" in bad.get_data(as_text=True)
    ended = client.get(f"/register?start={today}&end={today - timedelta(days=5)}")
    assert "结束早于开始" in ended.get_data(as_text=True)


def test_the_controller_issues_a_reminder_from_the_overdue_list(app, org):
    record = _complaint(days_ago=0)
    dispatch(record.number)
    # The plan is due three working days after dispatch; move that moment into
    # the past, as time would (the test cannot wait three days).
    Record.objects(pk=record.pk).update(set__due_at=record.created_at - timedelta(days=1))
    staff = session_of(app, "wang")
    assert record.number in staff.get("/overdue").get_data(as_text=True)
    assert 'data-testid="remind"' not in staff.get("/overdue").get_data(as_text=True)
    client = session_of(app, "chen")
    page = client.get("/overdue").get_data(as_text=True)
    assert record.number in page and 'data-testid="remind"' in page
    response = post_form(
        client, "/overdue/remind", {"number": record.number}, page="/overdue", follow_redirects=True
    )
    reminder = Record.objects.get(type="overdue_reminder")
    assert reminder.data["item"] == record.number and reminder.department == "TEST"
    text = response.get_data(as_text=True)
    assert f"催办单 {reminder.number}" in text
    again = post_form(
        client, "/overdue/remind", {"number": record.number}, page="/overdue", follow_redirects=True
    )
    assert "仍在等待答复" in again.get_data(as_text=True)
    assert Record.objects(type="overdue_reminder").count() == 1
    # The department answers with the reason and a new date.
    tomorrow = (local_now() + timedelta(days=1)).date().isoformat()
    transition_record(
        actor_of("wang"),
        reminder.number,
        "answer",
        changes={"delay_reason": "等待原始记录复核", "new_date": tomorrow},
    )
    assert f"新日期 {tomorrow}" in client.get("/overdue").get_data(as_text=True)


def test_procedures_lead_to_their_forms_and_records_by_year(client, org):
    record = _complaint()
    login(client, "chen")
    page = client.get("/procedures").get_data(as_text=True)
    assert "QP-08" in page and "顾客投诉处理单" in page
    page = client.get("/procedures/QP-08").get_data(as_text=True)
    assert 'data-testid="breadcrumbs"' in page
    year = record.year
    assert f"/procedures/QP-08/complaint_sheet/{year}" in page
    page = client.get(f"/procedures/QP-08/complaint_sheet/{year}").get_data(as_text=True)
    assert record.number in page
    crumbs = re.search(r'data-testid="breadcrumbs">(.*?)</ol>', page, re.S).group(1)
    assert "QP-08" in crumbs and str(year) in crumbs
    assert client.get("/procedures/QP-99").status_code == 404
    assert client.get(f"/procedures/QP-07/complaint_sheet/{year}").status_code == 404


def test_pages_need_a_login(client, org):
    for path in ("/tasks", "/register", "/overdue", "/procedures", "/complaints/new"):
        assert client.get(path).status_code in (302, 401)
    login(client, "audit")
    assert client.get("/complaints/new").status_code == 403
