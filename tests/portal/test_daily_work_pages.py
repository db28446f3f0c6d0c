"""What people read on the pages they work from: one retention day on every
page, message, export and Word footer; a controlled copy's own file name; the
favicon; a yearly report without a month; whole-number axes for counts."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from docx import Document

from portal import accounts
from portal.pages import charts
from records.clock import local_now
from records.models import Record
from records.retention import disposable_reason
from tests.helpers import PASSWORD, dispatch, hotline_complaint, session_of


def _new_complaint():
    """A complaint 陈静 has just received on the hotline."""
    return hotline_complaint("暖气不热", "阳光小区", "三栋多户暖气不热")


def _closed_near_midnight():
    """A complaint whose retention ends at 02:00 Beijing time on 2 December
    2029, which is still 1 December in UTC."""
    record = _new_complaint()
    Record.objects(pk=record.pk).update(set__retention_ends_on=datetime(2029, 12, 1, 18, 0))
    return Record.objects.get(pk=record.pk)


def test_the_retention_day_is_the_same_on_every_page_message_export_and_word(app, org):
    record = _closed_near_midnight()
    chen = session_of(app, "chen")
    response = chen.get(f"/admin/records_complaint_sheet/details/?id={record.pk}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[-2000:]
    assert "2029年12月2日" in page and "2029年12月1日" not in page
    listing = chen.get("/admin/records_complaint_sheet/").get_data(as_text=True)
    assert "2029-12-02" in listing and "2029-12-01" not in listing
    api = chen.get(f"/api/v1/records/{record.number}").get_json()
    assert api["retention_ends_on"] == "2029-12-02"
    assert disposable_reason(record)[1]["date"] == "2029-12-02"
    word = Document(io.BytesIO(chen.get(f"/records/{record.number}/docx").data))
    footer = " ".join(p.text for s in word.sections for p in s.footer.paragraphs)
    assert "2029" in footer and "12月2日" in footer or "2029-12-02" in footer


def test_a_controlled_copy_downloads_under_its_own_name(app, org):
    record = _closed_near_midnight()
    chen = session_of(app, "chen")
    normal = chen.get(f"/records/{record.number}/docx")
    controlled = chen.get(f"/records/{record.number}/docx?controlled=1")
    assert normal.status_code == controlled.status_code == 200
    names = [r.headers["Content-Disposition"] for r in (normal, controlled)]
    assert names[0] != names[1]
    assert "%E5%8F%97%E6%8E%A7" in names[1]  # 受控, URL-encoded in filename*


def test_pages_carry_a_favicon_of_their_own(app, org):
    chen = session_of(app, "chen")
    page = chen.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', page).group(1)
    assert href.startswith("/static/")
    with chen.get(href) as icon:
        assert icon.status_code == 200 and b"<svg" in icon.data
    admin = chen.get("/admin/records_complaint_sheet/").get_data(as_text=True)
    assert 'rel="icon"' in admin


def test_a_yearly_report_asks_no_month_or_quarter(app, org):
    chen = session_of(app, "chen")
    year = chen.get(f"/reports?kind=year&year={local_now().year}").get_data(as_text=True)
    group = re.search(r'<span class="period-number"[^>]*>', year).group(0)
    assert " hidden" in group
    month = chen.get(f"/reports?kind=month&year={local_now().year}&number=1").get_data(as_text=True)
    assert " hidden" not in re.search(r'<span class="period-number"[^>]*>', month).group(0)


def test_count_charts_have_whole_number_ticks():
    svg = str(charts.bars("严重程度", ["一般", "重大"], [1, 2]))
    # The x axis's tick labels (the bars' own labels are anchored at their start).
    ticks = re.findall(r'font-size: 9px;[^"]*text-anchor: middle"[^>]*>([^<]+)</text>', svg)
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_a_revisit_from_its_complaint_is_prefilled_and_saving_returns_to_the_complaint(app, org):
    record = _closed_near_midnight()
    Record.objects(pk=record.pk).update(
        set__state="resolved", set__data__contact="周先生 13900001111"
    )
    chen = session_of(app, "chen")
    page = chen.get(f"/admin/records_complaint_sheet/details/?id={record.pk}").get_data(
        as_text=True
    )
    link = re.search(r'href="(/admin/records_revisit_record/new/\?[^"]+)"', page).group(1)
    link = link.replace("&amp;", "&")
    form = chen.get(link).get_data(as_text=True)
    assert 'value="周先生 13900001111"' in form  # the contact
    assert 'value="陈静"' in form  # the visitor is the one who revisits
    assert 'name="reason"' not in form  # a new record has no "reason for the change"
    data = {
        "customer": "阳光小区",
        "contact": "周先生 13900001111",
        "complaint": record.number,
        "service": "",
        "revisit_date": local_now().date().isoformat(),
        "method": "phone",
        "visitor": "陈静",
        "feedback": "已修复",
        "satisfaction": "satisfied",
        "base_version": "",
    }
    saved = chen.post(
        link,
        data={
            **data,
            "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(
                1
            ),
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[-1500:]
    assert saved.headers["Location"].endswith(f"/details/?id={record.pk}")
    landed = chen.get(saved.headers["Location"]).get_data(as_text=True)
    # One confirmation naming the new record, not Flask-Admin's generic one besides.
    assert len(re.findall(r'class="alert alert-success', landed)) == 1
    revisit = Record.objects.get(type="revisit_record")
    assert revisit.number in landed and "成功" not in landed
    assert re.search(
        rf'<a href="[^"]+/details/\?id={revisit.pk}" '
        rf'data-testid="created-record">{revisit.number}</a>',
        landed,
    )


def test_my_tasks_say_what_is_expected_and_come_in_pages_with_a_count(app, org):
    for n in range(55):
        hotline_complaint(f"投诉{n}", "华新水泥厂", "内容")
    chen = session_of(app, "chen")
    first = chen.get("/tasks").get_data(as_text=True)
    assert first.count('data-testid="expected"') == 50
    assert 'data-testid="expected">派单</td>' in first  # a new one waits for dispatch
    # The list is read up to the page and one more: the rest is not counted.
    assert "第 1–50 条，至少 51 条" in first
    home = chen.get("/").get_data(as_text=True)
    assert home.count('data-testid="expected">派单</td>') == 10  # the home page's ten
    second = chen.get("/tasks?page=2").get_data(as_text=True)
    assert second.count('data-testid="expected"') == 5 and "第 51–55 条，共 55 条" in second
    assert chen.get("/tasks?page=99").status_code == 200  # out of range: the first page
    listing = chen.get("/admin/records_complaint_sheet/").get_data(as_text=True)
    assert "第 1–50 条，至少 51 条" in listing and "下一页" in listing
    last = chen.get("/admin/records_complaint_sheet/?page=1").get_data(as_text=True)
    assert "第 51–55 条，共 55 条" in last
    assert "客服中心" in listing  # departments by name, not code


def test_the_edit_page_leaves_the_workflows_own_fields_to_their_steps(app, org):
    record = _closed_near_midnight()
    Record.objects(pk=record.pk).update(set__state="received", set__retention_ends_on=None)
    chen = session_of(app, "chen")
    form = chen.get(f"/admin/records_complaint_sheet/edit/?id={record.pk}").get_data(as_text=True)
    assert 'name="title"' in form and 'name="description"' in form
    for step_field in ("handler", "department", "reply_content", "plan", "result"):
        assert f'name="{step_field}"' not in form, step_field


def test_the_calendar_names_holidays_in_the_readers_language(app, org):
    accounts.create_user("root", "Root", PASSWORD, roles=["admin"])
    page = session_of(app, "root").get("/admin/calendar/?year=2026").get_data(as_text=True)
    days = page[page.index('data-testid="calendar-days"') :]
    assert "春节" in days and "国庆节" in days and "官方日历" in days
    assert "Spring Festival" not in days and "chinesecalendar" not in days


def test_no_page_prints_none_or_a_boolean(app, org):
    accounts.create_user("root", "Root", PASSWORD, roles=["admin"])
    root, chen = session_of(app, "root"), session_of(app, "chen")
    pages = [
        (root, url)
        for url in (
            "/admin/users/",
            "/admin/departments/",
            "/admin/tokens/",
            "/admin/users/new/",
            "/admin/calendar/",
        )
    ]
    pages += [
        (chen, url)
        for url in (
            "/",
            "/tasks",
            "/register",
            "/overdue",
            "/reports",
            "/admin/audit/",
            "/admin/records_complaint_sheet/",
        )
    ]
    for session, url in pages:
        html = re.sub(
            r"<(script|style)\b.*?</\1>", "", session.get(url).get_data(as_text=True), flags=re.S
        )
        assert not re.search(r"\b(None|False|True)\b", html), url


def test_the_register_covers_three_months_newest_first_in_pages_sorted_by_its_headings(app, org):
    # This month and the two before start at least 59 days ago, at most 92.
    for days_ago in (0, 30, 55, 100):
        hotline_complaint(f"{days_ago} 天前", "华新水泥厂", "内容", ago=timedelta(days=days_ago))
    for n in range(50):
        hotline_complaint(f"今天{n}", "华新水泥厂", "内容", ago=timedelta(hours=1))
    chen = session_of(app, "chen")
    page = chen.get("/register").get_data(as_text=True)
    assert "53 条投诉" in page and "第 1–50 条，共 53 条" in page  # not the 100-day-old one
    assert 'data-testid="register-pages"' in page
    last = chen.get("/register?page=2").get_data(as_text=True)
    numbers = re.findall(r'<tr data-number="([^"]+)"', last)
    assert len(numbers) == 3 and "55 天前" in last.split('data-number="')[-1]
    link = re.search(r'href="([^"]+)" data-testid="sort-number"', page).group(1)
    by_number = chen.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'aria-sort="descending"' in by_number  # first click: the highest number first
    rows = re.findall(r'<tr data-number="([^"]+)"', by_number)
    assert rows == sorted(rows, reverse=True)


def test_the_back_office_audit_trail_reads_in_names_and_words(app, org):
    record = _new_complaint()
    dispatch(record.number, subject="service_quality")
    page = session_of(app, "audit").get("/admin/audit/").get_data(as_text=True)
    start = page.index("model-list")
    table = page[start : page.index("</table>", start)]
    assert "陈静" in table and "派单" in table and "服务质量" in table and "王芳" in table
    assert "记录创建" in table  # not 创建时间, the record table's "creation time"
    for raw in ("service_quality", '"transition"', "{", "dispatched"):
        assert raw not in table, raw


def test_a_refused_hotline_form_or_back_office_form_names_each_field_and_keeps_the_input(app, org):
    chen = session_of(app, "chen")
    page = chen.get("/complaints/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    typed = {
        "received_at": local_now().strftime("%Y-%m-%dT%H:%M"),
        "channel": "hotline",
        "customer": "阳光小区",
        "contact": "李女士 13800000000",
        "title": "",
        "description": "三栋多户暖气不热",
        "complainants": "2",
        "csrf_token": token,
    }
    refused = chen.post("/complaints/new", data=typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    summary = html[html.index('data-testid="form-errors"') :]
    summary = summary[: summary.index("</div>")]
    assert "摘要" in summary and 'href="#title"' in summary
    assert "李女士 13800000000" in html and "三栋多户暖气不热" in html
    assert Record.objects(type="complaint_sheet").count() == 0

    form = chen.get("/admin/records_complaint_sheet/new/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    back = chen.post("/admin/records_complaint_sheet/new/", data={**typed, "csrf_token": token})
    html = back.get_data(as_text=True)
    assert back.status_code == 400 and 'data-testid="form-errors"' in html
    assert "李女士 13800000000" in html and "三栋多户暖气不热" in html


def test_a_rates_chart_of_one_period_says_its_values():
    svg = str(charts.rates("及时率", ["2026-12"], {"及时率": [0.5]}, target=1.0))
    assert ">50%<" in svg


def test_a_customers_rejection_says_which_new_sheet_was_opened_and_links_it(app, org):
    record = _new_complaint()
    Record.objects(pk=record.pk).update(set__state="replied")
    chen = session_of(app, "chen")
    url = f"/admin/records_complaint_sheet/details/?id={record.pk}"
    page = chen.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    step = {"csrf_token": token, "transition": "reject", "base_version": "1", "password": ""}
    refused = chen.post(
        f"/admin/records_complaint_sheet/transition/?id={record.pk}", data={**step, "comment": ""}
    )
    assert refused.status_code == 400
    assert "意见" in refused.get_data(as_text=True).split('data-testid="step-errors"')[1][:400]
    done = chen.post(
        f"/admin/records_complaint_sheet/transition/?id={record.pk}",
        data={**step, "comment": "客户不接受维修结果"},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    opened = Record.objects.get(pk=record.pk).data["reopened_as"]
    new = Record.objects.get(number=opened)
    assert re.search(
        rf'<a href="[^"]+details/\?id={new.pk}" data-testid="opened-sheet">'
        rf"{opened}</a>",
        html,
    )
    assert "已执行“" in html and "新投诉单" in html


def test_an_escalation_reads_in_the_readers_language_also_when_stored_in_english(app, org):
    from records.escalation import escalate
    from records.models import AuditEntry, RecordVersion
    from records.store import database

    record = _new_complaint()
    # Received 40 days ago and still unresolved.
    long_ago = (local_now() - timedelta(days=40)).replace(microsecond=0).isoformat()
    database().records.update_one(
        {"number": record.number}, {"$set": {"data.received_at": long_ago}}
    )
    assert escalate() == [(record.number, "major")]
    version = RecordVersion.objects.get(number=record.number, operation="escalate")
    assert version.reason == "severity_raised_by_time"  # a code, not a sentence
    url = f"/admin/records_complaint_sheet/details/?id={record.pk}"
    chen = session_of(app, "chen")
    page = chen.get(url).get_data(as_text=True)
    assert page.count("超过时限仍未解决：已提高严重程度。") == 2  # versions and audit tabs
    assert "severity_raised_by_time" not in page
    # What older versions stored: the English sentence, shown translated too.
    english = "Unresolved past its time limit: severity raised."
    database().record_versions.update_one({"_id": version.pk}, {"$set": {"reason": english}})
    entry = AuditEntry.objects.get(number=record.number, action="escalate")
    database().audit.update_one({"_id": entry.pk}, {"$set": {"details.reason": english}})
    page = chen.get(url).get_data(as_text=True)
    assert page.count("超过时限仍未解决：已提高严重程度。") == 2 and english not in page
    audit = session_of(app, "audit").get("/admin/audit/").get_data(as_text=True)
    assert "超过时限仍未解决：已提高严重程度。" in audit and english not in audit
