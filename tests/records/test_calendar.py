"""The working calendar (seeded from ``chinesecalendar`` into the database,
editable by administrators) and the deadlines computed on it, with exact dates.

Stored deadlines are UTC; working-day and calendar-day deadlines end at the
last second of the local (Asia/Shanghai, UTC+8) day, i.e. 15:59:59 UTC.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from records.access import Actor
from records.calendar import (
    DAYS,
    YEARS,
    Due,
    WorkingCalendar,
    add_months,
    end_of_local_day,
    mark_year_covered,
    seed_from_package,
    set_day,
)
from records.clock import from_local, simulated, to_local
from records.deadlines import due_for
from records.errors import InvalidData, PermissionDenied
from records.models import AuditEntry
from records.operations import create_record, record_type_of, transition_record
from records.store import database
from tests.helpers import save_departments

ADMIN = Actor("root", "Root", roles=("admin",), verify_password=lambda p: True)
CONTROLLER = Actor(
    "chen", "Chen", roles=("controller",), department="CS", verify_password=lambda p: True
)
STAFF = Actor("wang", "Wang", roles=("staff",), department="CS", verify_password=lambda p: True)

COMPLAINT = record_type_of("complaint_sheet")
SURVEY = record_type_of("service_survey")
INQUIRY = record_type_of("inquiry_sheet")
SERVICE_SHEET = record_type_of("customer_service_sheet")
CAPA = record_type_of("capa_report")


def end_of(day: date) -> datetime:
    """The end of a Shanghai day, as stored (UTC)."""
    return datetime(day.year, day.month, day.day, 15, 59, 59)


@pytest.fixture
def db(app):
    return database()


@pytest.fixture
def cal2025(db):
    assert seed_from_package(db, years=[2025]) == [2025]
    return WorkingCalendar.load(db)


# --- seeding -----------------------------------------------------------------


def test_seeding_stores_the_exceptions_of_the_year_and_marks_it_covered(db):
    assert seed_from_package(db, years=[2025]) == [2025]
    # 2025: 18 holidays fall on weekdays, 5 weekend days are make-up working days.
    assert db[DAYS].count_documents({"year": 2025}) == 23
    assert db[DAYS].count_documents({"year": 2025, "working": True}) == 5
    assert db[DAYS].count_documents({"year": {"$ne": 2025}}) == 0
    national_day = db[DAYS].find_one({"_id": "2025-10-01"})
    assert national_day["working"] is False and national_day["name"] == "National Day"
    assert national_day["source"] == "chinesecalendar"
    assert db[DAYS].find_one({"_id": "2025-10-11"})["working"] is True
    # Weekends that stay weekends and plain working days are not stored.
    assert db[DAYS].find_one({"_id": "2025-10-04"}) is None
    assert db[DAYS].find_one({"_id": "2025-10-09"}) is None
    assert db[YEARS].find_one({"_id": 2025})["source"] == "chinesecalendar"
    # Seeding again adds nothing and duplicates nothing.
    assert seed_from_package(db, years=[2025]) == []
    assert db[DAYS].count_documents({}) == 23


def test_the_calendar_knows_holidays_and_make_up_days(cal2025):
    assert cal2025.covered == {2025}
    for day in (
        date(2025, 10, 1),
        date(2025, 10, 3),
        date(2025, 10, 6),
        date(2025, 10, 8),
        date(2025, 10, 4),
        date(2025, 10, 12),
        date(2025, 9, 27),
    ):
        assert not cal2025.is_working(day), day
    for day in (date(2025, 9, 28), date(2025, 10, 11), date(2025, 9, 30), date(2025, 10, 9)):
        assert cal2025.is_working(day), day
    assert cal2025.day_name(date(2025, 10, 11)) == "National Day"
    assert cal2025.day_name(date(2025, 10, 9)) == ""


def test_three_working_days_across_national_day_land_on_the_make_up_saturday(cal2025):
    # Tue 30 Sep 2025; 1-8 Oct off; Thu 9 (1), Fri 10 (2), Sat 11 make-up day (3).
    assert cal2025.add_working_days(date(2025, 9, 30), 3) == (date(2025, 10, 11), ())
    assert cal2025.add_working_days(date(2025, 9, 30), 1) == (date(2025, 10, 9), ())
    assert cal2025.working_days_between(date(2025, 9, 30), date(2025, 10, 11)) == 3
    assert cal2025.working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0


def test_the_make_up_sunday_before_national_day_counts(cal2025):
    # Fri 26 Sep; Sat 27 off; Sun 28 is a working day.
    assert cal2025.add_working_days(date(2025, 9, 26), 1) == (date(2025, 9, 28), ())
    assert cal2025.add_working_days(date(2025, 9, 27), 1) == (date(2025, 9, 28), ())
    # Fri 26 (start), Sun 28 (1), Mon 29 (2), Tue 30 (3).
    assert cal2025.add_working_days(date(2025, 9, 26), 3) == (date(2025, 9, 30), ())


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Oct 9, 10, 11 (Sat, make-up), 13, 14.
        (date(2025, 9, 30), 5, date(2025, 10, 14)),
        # Oct 9, 10, 11, 13-17, 20-24, 27, 28.
        (date(2025, 9, 30), 15, date(2025, 10, 28)),
        # Spring Festival 2025: Sun 26 Jan and Sat 8 Feb work, 28 Jan - 4 Feb off.
        (date(2025, 1, 24), 15, date(2025, 2, 20)),
        (date(2025, 1, 24), 2, date(2025, 1, 27)),
        (date(2025, 1, 27), 1, date(2025, 2, 5)),
        # An ordinary week: Mon 15 Sep + 5 = Mon 22 Sep.
        (date(2025, 9, 15), 5, date(2025, 9, 22)),
        (date(2025, 9, 15), 0, date(2025, 9, 15)),
    ],
)
def test_working_days_examples(cal2025, start, days, expected):
    assert cal2025.add_working_days(start, days) == (expected, ())


def test_the_examples_agree_with_the_package(cal2025):
    import chinese_calendar

    for start in (date(2025, 1, 20), date(2025, 4, 30), date(2025, 9, 26), date(2025, 9, 30)):
        for days in (1, 3, 5, 15):
            assert cal2025.add_working_days(start, days)[0] == chinese_calendar.find_workday(
                days, start
            ), (start, days)


def test_without_the_year_in_the_database_it_counts_monday_to_friday(db):
    calendar = WorkingCalendar.load(db)
    # Wed 1, Thu 2, Fri 3 Oct: the holiday is unknown, and the result says so.
    assert calendar.add_working_days(date(2025, 9, 30), 3) == (date(2025, 10, 3), (2025,))


def test_a_year_the_package_does_not_cover_falls_back_and_is_reported(db):
    added = seed_from_package(db)
    assert 2025 in added and 2026 in added and 2027 not in added
    calendar = WorkingCalendar.load(db)
    assert 2027 not in calendar.covered
    # Mon 1 Mar 2027 + 5 weekdays = Mon 8 Mar.
    assert calendar.add_working_days(date(2027, 3, 1), 5) == (date(2027, 3, 8), (2027,))
    # From the covered 2026 into 2027: Thu 31 Dec (1), Fri 1 Jan 2027 counted as
    # a weekday (2), Mon 4 Jan (3); 2027 is reported.
    assert calendar.add_working_days(date(2026, 12, 30), 3) == (date(2027, 1, 4), (2027,))
    # Within 2026 nothing is reported: 1-7 Oct 2026 off, Thu 8 (1), Fri 9 (2),
    # Sat 10 make-up day (3).
    assert calendar.add_working_days(date(2026, 9, 30), 3) == (date(2026, 10, 10), ())


def test_an_administrator_enters_a_new_year(db):
    seed_from_package(db, years=[2026])
    set_day(ADMIN, date(2027, 1, 1), False, "元旦", covers_year=True)
    calendar = WorkingCalendar.load(db)
    assert 2027 in calendar.covered
    # Thu 31 Dec (1), New Year's Day off, Mon 4 (2), Tue 5 (3): nothing reported.
    assert calendar.add_working_days(date(2026, 12, 30), 3) == (date(2027, 1, 5), ())
    assert db[DAYS].find_one({"_id": "2027-01-01"})["source"] == "admin"
    assert db[DAYS].find_one({"_id": "2027-01-01"})["by"] == "root"


def test_mark_year_covered_is_for_administrators(db):
    with pytest.raises(PermissionDenied):
        mark_year_covered(CONTROLLER, 2027)
    assert db[YEARS].count_documents({}) == 0
    mark_year_covered(ADMIN, 2027)
    calendar = WorkingCalendar.load(db)
    assert calendar.add_working_days(date(2027, 3, 1), 5) == (date(2027, 3, 8), ())
    assert AuditEntry.objects(action="calendar_change", actor="root").count() == 1


def test_admin_edits_change_the_results(db, cal2025):
    # A day off that the package does not know: Fri 10 Oct.
    set_day(ADMIN, date(2025, 10, 10), False, "停电")
    calendar = WorkingCalendar.load(db)
    assert not calendar.is_working(date(2025, 10, 10))
    assert calendar.day_name(date(2025, 10, 10)) == "停电"
    # Thu 9 (1), Sat 11 (2), Mon 13 (3).
    assert calendar.add_working_days(date(2025, 9, 30), 3) == (date(2025, 10, 13), ())
    # Back to a working day: a plain weekday needs no entry at all.
    set_day(ADMIN, date(2025, 10, 10), True)
    assert db[DAYS].find_one({"_id": "2025-10-10"}) is None
    # National Day itself made a working day (a plain Wednesday): the holiday
    # entry is removed.
    set_day(ADMIN, date(2025, 10, 1), True)
    assert db[DAYS].find_one({"_id": "2025-10-01"}) is None
    calendar = WorkingCalendar.load(db)
    # Wed 1 Oct (1), Thu 9 (2), Fri 10 (3).
    assert calendar.add_working_days(date(2025, 9, 30), 3) == (date(2025, 10, 10), ())
    # A Saturday made a working day is stored.
    set_day(ADMIN, date(2025, 10, 4), True, "加班")
    assert db[DAYS].find_one({"_id": "2025-10-04"})["working"] is True
    calendar = WorkingCalendar.load(db)
    assert calendar.add_working_days(date(2025, 9, 30), 2) == (date(2025, 10, 4), ())
    assert AuditEntry.objects(action="calendar_change", actor="root").count() == 4


def test_only_an_administrator_edits_the_calendar(db, cal2025):
    for who in (CONTROLLER, STAFF, Actor("audit", "Audit", roles=("auditor",))):
        with pytest.raises(PermissionDenied):
            set_day(who, date(2025, 10, 10), False, "停电")
    assert db[DAYS].find_one({"_id": "2025-10-10"}) is None
    assert AuditEntry.objects(action="calendar_change").count() == 0
    assert WorkingCalendar.load(db).add_working_days(date(2025, 9, 30), 3)[0] == date(2025, 10, 11)


def test_set_day_refuses_what_is_not_a_date(db):
    with pytest.raises(InvalidData):
        set_day(ADMIN, "2025-10-10", False)
    assert db[DAYS].count_documents({}) == 0


def test_seeding_keeps_days_an_administrator_edited(db):
    # Before the year is seeded, the administrator makes 8 Oct a working day
    # and 9 Oct a day off.
    set_day(ADMIN, date(2025, 10, 8), True, "加班")
    set_day(ADMIN, date(2025, 10, 9), False, "检修")
    assert seed_from_package(db, years=[2025]) == [2025]
    kept = db[DAYS].find_one({"_id": "2025-10-08"})
    assert kept["working"] is True and kept["source"] == "admin" and kept["name"] == "加班"
    assert db[DAYS].find_one({"_id": "2025-10-09"})["source"] == "admin"
    assert db[DAYS].find_one({"_id": "2025-10-07"})["source"] == "chinesecalendar"
    calendar = WorkingCalendar.load(db)
    # Wed 8 (1, by the administrator), Thu 9 off, Fri 10 (2), Sat 11 (3).
    assert calendar.add_working_days(date(2025, 9, 30), 3) == (date(2025, 10, 11), ())
    assert calendar.add_working_days(date(2025, 9, 30), 1) == (date(2025, 10, 8), ())


def test_end_of_local_day_and_add_months():
    assert end_of_local_day(date(2025, 10, 11)) == datetime(2025, 10, 11, 15, 59, 59)
    assert add_months(date(2025, 9, 30), 1) == date(2025, 10, 30)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


# --- deadlines ---------------------------------------------------------------


def test_complaint_plan_is_due_three_working_days_after_dispatch(cal2025):
    # Dispatched on Tue 30 Sep 2025, 10:00 in Shanghai (02:00 UTC).
    doc = {
        "state": "dispatched",
        "data": {},
        "history": [{"to": "dispatched", "at": datetime(2025, 9, 30, 2, 0)}],
    }
    assert due_for(COMPLAINT, doc, cal2025) == Due(end_of(date(2025, 10, 11)), "plan", ())


def test_the_dispatch_day_is_the_local_day(cal2025):
    # 17:00 UTC on Thu 25 Sep is 01:00 on Fri 26 Sep in Shanghai:
    # Sun 28 (1), Mon 29 (2), Tue 30 (3) -- not Mon 29 as from Thursday.
    doc = {
        "state": "dispatched",
        "data": {},
        "history": [{"to": "dispatched", "at": datetime(2025, 9, 25, 17, 0)}],
    }
    assert due_for(COMPLAINT, doc, cal2025).at == datetime(2025, 9, 30, 15, 59, 59)


def test_dispatching_again_restarts_the_clock(cal2025):
    doc = {
        "state": "dispatched",
        "data": {},
        "history": [
            {"to": "dispatched", "at": datetime(2025, 9, 15, 2, 0)},
            {"to": "dispatched", "at": datetime(2025, 9, 30, 2, 0)},
        ],
    }
    assert due_for(COMPLAINT, doc, cal2025).at == end_of(date(2025, 10, 11))


def test_a_complaint_has_no_plan_deadline_outside_dispatched(cal2025):
    for state in ("received", "plan_submitted", "closed"):
        doc = {
            "state": state,
            "data": {},
            "history": [{"to": state, "at": datetime(2025, 9, 30, 2, 0)}],
        }
        assert due_for(COMPLAINT, doc, cal2025) is None


def test_survey_is_due_fifteen_working_days_after_the_service(cal2025):
    doc = {"state": "issued", "data": {"service_date": "2025-09-30"}}
    assert due_for(SURVEY, doc, cal2025) == Due(end_of(date(2025, 10, 28)), "return", ())
    assert due_for(SURVEY, {**doc, "state": "returned"}, cal2025) is None


def test_a_deadline_in_an_uncovered_year_says_so(cal2025):
    # 15 weekdays after Mon 1 Mar 2027: Mon 22 Mar, counted Monday to Friday.
    doc = {"state": "issued", "data": {"service_date": "2027-03-01"}}
    due = due_for(SURVEY, doc, cal2025)
    assert due == Due(end_of(date(2027, 3, 22)), "return", (2027,))
    assert due.as_fields() == {
        "due_at": end_of(date(2027, 3, 22)),
        "due_kind": "return",
        "due_uncovered": [2027],
    }


def test_inquiry_is_due_in_24_hours_or_4_if_urgent(cal2025):
    # Received 09:30 on National Day: hours run on holidays too.
    doc = {"state": "open", "data": {"received_at": "2025-10-01T09:30:00"}}
    assert due_for(INQUIRY, doc, cal2025) == Due(datetime(2025, 10, 2, 1, 30), "answer")
    urgent = {"state": "open", "data": {"received_at": "2025-10-01T09:30:00", "urgent": True}}
    assert due_for(INQUIRY, urgent, cal2025) == Due(datetime(2025, 10, 1, 5, 30), "answer")
    # Late in the evening: 22:00 local + 4 h = 02:00 local next day = 18:00 UTC.
    late = {"state": "open", "data": {"received_at": "2025-10-01T22:00:00", "urgent": True}}
    assert due_for(INQUIRY, late, cal2025).at == datetime(2025, 10, 1, 18, 0)
    assert due_for(INQUIRY, {**doc, "state": "answered"}, cal2025) is None


def test_service_sheet_is_due_fifteen_calendar_days_after_the_service(cal2025):
    doc = {"state": "issued", "data": {"service_date": "2025-09-30"}}
    assert due_for(SERVICE_SHEET, doc, cal2025) == Due(end_of(date(2025, 10, 15)), "return")
    doc = {"state": "issued", "data": {"service_date": "2025-12-20"}}
    assert due_for(SERVICE_SHEET, doc, cal2025).at == end_of(date(2026, 1, 4))


def test_capa_verification_is_due_five_working_days_after_completion(cal2025):
    doc = {
        "state": "completed",
        "data": {"completed_date": "2025-09-30", "planned_date": "2025-09-20"},
    }
    assert due_for(CAPA, doc, cal2025) == Due(end_of(date(2025, 10, 14)), "verification", ())
    # While open, the planned date is the deadline.
    doc = {"state": "open", "data": {"planned_date": "2025-10-20"}}
    assert due_for(CAPA, doc, cal2025) == Due(end_of(date(2025, 10, 20)), "completion")
    assert due_for(CAPA, {"state": "verified", "data": {}}, cal2025) is None


# --- deadlines kept on stored records -----------------------------------------


#: A repair done on 30 September 2025: its sheet is due back from the customer.
REPAIR = {
    "customer": "华源小区",
    "service_date": "2025-09-30",
    "service_kind": "repair",
    "description": "暖气不热",
}
#: A corrective action planned for 20 October 2025.
VALVE_CAPA = {
    "title": "阀门漏水",
    "problem": "阀门漏水",
    "actions": "更换",
    "department": "HEAT",
    "responsible": "li",
    "planned_date": "2025-10-20",
}


@pytest.fixture
def departments(app):
    save_departments("CS", "HEAT")


def test_stored_records_keep_their_deadline_in_utc(cal2025, departments, make_user):
    make_user("li", roles=["staff"], department="HEAT")
    survey = create_record(
        STAFF,
        "service_survey",
        {"customer": "华源小区", "service_date": "2025-09-30", "service_content": "更换阀门"},
    )
    assert (survey.due_at, survey.due_kind, survey.due_uncovered) == (
        datetime(2025, 10, 28, 15, 59, 59),
        "return",
        [],
    )
    sheet = create_record(STAFF, "customer_service_sheet", REPAIR)
    assert sheet.due_at == datetime(2025, 10, 15, 15, 59, 59) and sheet.due_kind == "return"
    inquiry = create_record(
        STAFF,
        "inquiry_sheet",
        {
            "title": "检定周期",
            "received_at": "2025-10-01T09:30:00",
            "channel": "hotline",
            "customer": "华源小区",
            "request": "水表多久检定一次？",
            "urgent": True,
        },
    )
    assert inquiry.due_at == datetime(2025, 10, 1, 5, 30) and inquiry.due_kind == "answer"
    # The report is made on 29 September and completed on the 30th (a
    # completion cannot be dated before its report).
    made = from_local(datetime(2025, 9, 29, 9, 0))
    with simulated(lambda: made):
        capa = create_record(CONTROLLER, "capa_report", VALVE_CAPA)
    assert capa.due_at == datetime(2025, 10, 20, 15, 59, 59) and capa.due_kind == "completion"
    capa = transition_record(
        CONTROLLER, capa.number, "complete", changes={"completed_date": "2025-09-30"}
    )
    assert capa.due_at == datetime(2025, 10, 14, 15, 59, 59)
    assert capa.due_kind == "verification" and capa.due_uncovered == []
    # Returned: nothing is due any more.
    survey = transition_record(
        STAFF,
        survey.number,
        "return",
        changes={"returned_on": "2025-10-10", "customer_signed": True},
    )
    assert survey.due_at is None and survey.due_kind is None


def test_a_dispatched_complaint_is_due_three_working_days_after_dispatch(
    db, departments, make_user
):
    seed_from_package(db)
    make_user("li", roles=["staff"], department="HEAT")
    complaint = create_record(
        CONTROLLER,
        "complaint_sheet",
        {
            "title": "暖气不热",
            "received_at": "2025-10-01T09:30:00",
            "channel": "hotline",
            "customer": "华源小区",
            "description": "三号楼暖气不热",
        },
        reason=None,
    )
    assert complaint.due_at is None
    complaint = transition_record(
        CONTROLLER,
        complaint.number,
        "dispatch",
        changes={
            "department": "HEAT",
            "handler": "li",
            "subject": "service_quality",
            "responsibility": "1",
        },
    )
    dispatched_on = to_local(complaint.history[-1]["at"]).date()
    calendar = WorkingCalendar.load(db)
    day, uncovered = calendar.add_working_days(dispatched_on, 3)
    assert complaint.due_at == end_of(day) and complaint.due_kind == "plan"
    assert complaint.due_uncovered == list(uncovered)
    assert calendar.working_days_between(dispatched_on, day) == 3
