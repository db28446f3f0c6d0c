"""The back-office settings of the procedures: working calendar (admins) and
questionnaire scoring (controllers)."""

from __future__ import annotations

from datetime import date

import pytest

from portal.actors import actor_for
from portal.models import User
from records.calendar import WorkingCalendar
from records.models import AuditEntry
from records.operations import create_record
from records.scoring import ITEMS, load_settings
from tests.helpers import login, post_form


@pytest.fixture
def people(app, make_user):
    make_user("root", roles=["admin"], full_name="管理员")
    make_user("chen", roles=["controller"], full_name="陈静")
    make_user("wang", roles=["staff"], full_name="王芳")


def _scoring_form(weights, **extra):
    data = {f"weight_{n}": str(w) for n, w in enumerate(weights)}
    data.update({f"x_{level}": str(x) for level, x in load_settings().coefficients.items()})
    data.update(deduction="5", serious_deduction="10", threshold="70")
    data.update({f"label_{n}": "" for n in range(ITEMS)})
    data.update(extra)
    return data


def test_an_admin_enters_a_year_the_official_calendar_does_not_know(client, people):
    login(client, "root")
    page = client.get("/admin/calendar/?year=2027").get_data(as_text=True)
    assert "2027" in page and "按周一至周五计算" in page
    post_form(
        client,
        "/admin/calendar/",
        {"year": "2027", "day": "2027-01-01", "working": "0", "name": "元旦"},
        page="/admin/calendar/?year=2027",
    )
    post_form(
        client,
        "/admin/calendar/",
        {"year": "2027", "action": "cover"},
        page="/admin/calendar/?year=2027",
    )
    calendar = WorkingCalendar.load()
    assert not calendar.is_working(date(2027, 1, 1)) and 2027 in calendar.covered
    # 2026-12-31 (Thu) + 1 working day skips the new holiday to Mon 4 January.
    assert calendar.add_working_days(date(2026, 12, 31), 1)[0] == date(2027, 1, 4)
    assert AuditEntry.objects(action="calendar_change").count() == 2
    assert "元旦" in client.get("/admin/calendar/?year=2027").get_data(as_text=True)


def test_only_admins_keep_the_calendar(client, people):
    login(client, "chen")
    assert client.get("/admin/calendar/").status_code == 403


def test_a_controller_changes_the_scoring_and_words_an_item(client, people, app):
    login(client, "chen")
    weights = [10, 8, 8, 8, 7, 8, 7, 6, 6, 6, 7, 5, 7, 7]
    bad = post_form(
        client, "/admin/scoring/", _scoring_form([*weights[:-1], 20]), follow_redirects=True
    )
    assert "权重合计为 113，而不是 100" in bad.get_data(as_text=True)
    assert load_settings().weights[-1] == 7
    post_form(
        client,
        "/admin/scoring/",
        _scoring_form([18, 0, *weights[2:]], label_0="计量检定报告的准确性"),
        follow_redirects=True,
    )
    settings = load_settings()
    assert settings.weights[:2] == (18, 0) and settings.labels[0] == "计量检定报告的准确性"
    wang = actor_for(User.objects.get(username="wang"))
    record = create_record(
        wang,
        "satisfaction_questionnaire",
        {"customer": "华新水泥厂", "survey_year": 2026, "item_01": "very_satisfied"},
    )
    assert record.data["base_score"] == "18"
    page = client.get(
        f"/admin/records_satisfaction_questionnaire/details/?id={record.pk}"
    ).get_data(as_text=True)
    assert "计量检定报告的准确性" in page
    new_form = client.get("/admin/records_satisfaction_questionnaire/new/").get_data(as_text=True)
    assert "计量检定报告的准确性" in new_form
    assert AuditEntry.objects(action="scoring_change").count() == 1


def test_staff_cannot_change_the_scoring(client, people):
    login(client, "wang")
    assert client.get("/admin/scoring/").status_code == 403


def test_loading_the_official_years_is_audited(client, people):
    login(client, "root")
    response = post_form(
        client,
        "/admin/calendar/",
        {"year": "2025", "action": "seed"},
        page="/admin/calendar/",
        follow_redirects=True,
    )
    assert "2025" in response.get_data(as_text=True)
    assert 2026 in WorkingCalendar.load().covered
    entry = AuditEntry.objects.get(action="calendar_change")
    assert entry.actor == "root" and 2025 in entry.details["seeded"]
