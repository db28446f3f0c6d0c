"""The dashboard and the reports as people use them: figures against their
targets, charts drawn on the server, the records behind a figure, the
monthly report as Word and Excel, filing the satisfaction analysis."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from docx import Document
from openpyxl import load_workbook

from records.clock import local_now
from records.models import AuditEntry, Record
from tests.helpers import csrf_token, dispatch, hotline_complaint, session_of


def _complaint(title="检测报告数据有误", hours_ago=2):
    return hotline_complaint(title, "华新水泥厂", "报告数据有误", ago=timedelta(hours=hours_ago))


def _month_args():
    today = local_now().date()
    return f"kind=month&year={today.year}&number={today.month}"


def test_the_controllers_dashboard_shows_figures_against_targets_with_a_chart(app, org):
    first = _complaint()
    dispatch(first.number)
    _complaint("另一条")
    page = session_of(app, "chen").get("/").get_data(as_text=True)
    assert 'data-testid="dashboard"' in page and 'data-testid="figure-overdue"' in page
    assert 'data-testid="figure-open">2<' in page
    rates = page[page.index('data-testid="month-rates"') :]
    rates = rates[: rates.index("</table>")]
    # One dispatched, none come to its end yet and nothing late: the
    # complaint rates say so instead of 0.0% below target.
    assert rates.count("尚无到期") == 3 and "100.0%" in rates
    assert not re.search(r"(?<![0-9])0\.0%", rates) and "未达标" not in rates
    assert "无数据" in rates  # no repairs, no questionnaires this month
    chart = page[page.index('data-testid="dashboard-chart"') :]
    assert "<svg" in chart[:400] and "及时率" in chart


def test_staff_see_their_departments_figures_and_no_charts_of_others(app, org):
    dispatch(_complaint().number, department="HEAT", handler="zhao")
    page = session_of(app, "wang").get("/").get_data(as_text=True)
    assert "本部门逾期事项" in page and 'data-testid="month-rates"' not in page
    report = session_of(app, "wang").get(f"/reports?{_month_args()}&department=HEAT")
    text = report.get_data(as_text=True)
    section = text[text.index('data-testid="section-complaints"') :]
    section = section[: section.index("</table>")]
    assert "检测部" in section and "供热分公司" not in section


def test_the_monthly_report_drills_into_its_records_and_downloads(app, org):
    numbers = []
    for title in ("甲", "乙", "丙"):
        record = _complaint(title)
        numbers.append(record.number)
    dispatch(numbers[0])
    dispatch(numbers[1], department="HEAT", handler="zhao")
    controller = session_of(app, "chen")
    page = controller.get(f"/reports?{_month_args()}").get_data(as_text=True)
    section = page[page.index('data-testid="section-complaints"') :]
    section = section[: section.index("</table>")]
    assert "检测部" in section and "供热分公司" in section and "全部部门" in section
    assert "<svg" in page
    # The total row: 3 received, 2 dispatched; open the "dispatched" figure.
    href = re.findall(r'<a href="([^"]+)" data-metric="dispatched"', section)[-1]
    behind = controller.get(href.replace("&amp;", "&")).get_data(as_text=True)
    listed = {n for n in numbers if f'data-number="{n}"' in behind}
    assert listed == {numbers[0], numbers[1]}

    response = controller.get(f"/reports/export.docx?{_month_args()}")
    document = Document(io.BytesIO(response.data))
    assert "月度小结" in document.paragraphs[0].text
    header = [c.text for c in document.tables[0].rows[0].cells]
    assert header[:3] == ["部门", "已受理", "已派单"]
    total = [c.text for c in document.tables[0].rows[-1].cells]
    # Two dispatched, none finished: the Word file says so rather than 0.0%.
    assert total[:3] == ["全部部门", "3", "2"] and total[4] == "尚无办结"
    workbook = load_workbook(
        io.BytesIO(controller.get(f"/reports/export.xlsx?{_month_args()}").data)
    )
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][:3] == ("全部部门", 3, 2) and rows[-1][4] == 0
    assert sheet.cell(row=len(rows), column=5).number_format == "0.0%"
    assert AuditEntry.objects(action="export").count() == 2


def test_an_empty_period_reads_no_data_and_a_bad_period_is_refused(app, org):
    controller = session_of(app, "chen")
    page = controller.get("/reports?kind=month&year=2025&number=2").get_data(as_text=True)
    assert "无数据" in page and "应于2025年3月25日前提交" in page
    refused = controller.get("/reports?kind=month&year=2026&number=13", follow_redirects=True)
    assert "没有这个期间" in refused.get_data(as_text=True)


def test_the_controller_files_the_satisfaction_analysis_of_a_quarter(app, org):
    today = local_now().date()
    quarter = (today.month - 1) // 3 + 1
    controller = session_of(app, "chen")
    token = csrf_token(controller, f"/reports?kind=quarter&year={today.year}&number={quarter}")
    response = controller.post(
        "/reports/file-analysis",
        data={"kind": "quarter", "year": today.year, "number": quarter, "csrf_token": token},
        follow_redirects=True,
    )
    assert "已生成草稿" in response.get_data(as_text=True)
    record = Record.objects.get(type="satisfaction_analysis")
    assert record.state == "draft" and record.data["questionnaires"] == 0
    assert record.data["satisfied_rate"] == "无数据"
    staff = session_of(app, "wang")
    refused = staff.post(
        "/reports/file-analysis",
        data={
            "kind": "quarter",
            "year": today.year,
            "number": quarter,
            "csrf_token": csrf_token(staff, "/reports"),
        },
    )
    assert refused.status_code == 403


def test_an_item_overdue_from_an_earlier_month_does_not_make_this_month_read_zero(app, org):
    from datetime import timedelta

    from records.clock import utcnow
    from records.store import database

    old = _complaint("上个月的")
    dispatch(old.number)
    database().records.update_one(
        {"number": old.number},
        {
            "$set": {
                "data.received_at": (local_now() - timedelta(days=40)).isoformat(),
                "due_at": utcnow() - timedelta(days=30),
            }
        },
    )
    page = session_of(app, "chen").get("/").get_data(as_text=True)
    assert 'data-testid="figure-overdue">1<' in page
    rates = page[page.index('data-testid="month-rates"') :]
    rates = rates[: rates.index("</table>")]
    assert rates.count("尚无到期") == 3 and "未达标" not in rates
