"""My tasks read a state's records window by window (due this week, later,
undated recent, undated old): the order and the limit must be the same as
if everything had been read and sorted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

import records.forms  # noqa: F401  (registers the record types)
from records import worklists
from records.calendar import seed_from_package
from records.clock import local_now, utcnow
from records.operations import transition_record
from records.store import database
from tests.records.people import CHEN, LI, SUN, ZHAO
from tests.records.test_complaints import closed, complaint, dispatch, submit


@pytest.fixture(params=["whole", "windows"])
def tasks(request, complaint_org, monkeypatch):
    """Three dispatched complaints due at different times, one with its plan
    submitted, and two received ones changed recently and long ago."""
    # Both ways of reading a state: whole, and window by window as large
    # states are read (every state counts as large here).
    monkeypatch.setattr(worklists, "_STATE_SIZES", {})
    if request.param == "windows":
        monkeypatch.setattr(worklists, "LARGE_STATE", -1)
    seed_from_package()
    db = database()
    now = utcnow()
    made = {}
    for name, due in (("far", 20), ("overdue", -2), ("soon", 3)):
        record = complaint(title=name)
        dispatch(record.number)
        db.records.update_one(
            {"number": record.number}, {"$set": {"due_at": now + timedelta(days=due)}}
        )
        made[name] = record.number
    planned = complaint(title="planned")
    dispatch(planned.number)
    submit(planned.number)
    made["planned"] = planned.number
    for name, age in (("old", 60), ("new", 0)):
        record = complaint(title=name)
        db.records.update_one(
            {"number": record.number},
            {"$set": {"updated_at": now - timedelta(days=age, hours=1)}},
        )
        made[name] = record.number
    return made


def _numbers(rows):
    return [row["number"] for row in rows]


def test_the_controller_sees_the_soonest_due_first_then_the_undated_newest_first(tasks):
    rows = worklists.my_tasks(CHEN)
    mine = [n for n in _numbers(rows) if n in tasks.values()]
    # The controller dispatches received complaints and chases dispatched
    # ones; a submitted plan waits for an approver, not for them.
    expected = [tasks[k] for k in ("overdue", "soon", "far", "new", "old")]
    assert [n for n in mine if n != tasks["planned"]] == expected


def test_a_short_list_is_the_head_of_the_full_one(tasks):
    full = _numbers(worklists.my_tasks(CHEN))
    for limit in (1, 2, 3, 4):
        assert _numbers(worklists.my_tasks(CHEN, limit=limit)) == full[:limit]


def test_staff_see_what_waits_in_their_department_and_nothing_of_others(tasks):
    handler = _numbers(worklists.my_tasks(LI))
    assert handler == [tasks[k] for k in ("overdue", "soon", "far")]
    # Same department, not the handler: the department's work all the same.
    assert _numbers(worklists.my_tasks(ZHAO)) == handler
    assert worklists.my_tasks(SUN) == []


def test_the_overdue_list_holds_only_what_is_past_its_deadline(tasks):
    numbers = _numbers(item.record for item in worklists.overdue(CHEN))
    assert numbers == [tasks["overdue"]]
    assert _numbers(i.record for i in worklists.overdue(LI, department="HEAT")) == numbers


def _received(days_ago: int) -> str:
    moment = local_now() - timedelta(days=days_ago, minutes=1)
    return moment.replace(second=0, microsecond=0).isoformat()


def test_the_register_pages_newest_first_and_counts_from_the_kept_measures(complaint_org):
    today = local_now().date()
    numbers = [complaint(title=f"#{n}", received_at=_received(n % 3)).number for n in range(55)]
    void_one = numbers[0]
    transition_record(CHEN, void_one, "void", comment="重复登记")
    # A period that is not whole months: read a month at a time from its
    # end until the page and one more are in hand; the rest is not counted.
    since = today - timedelta(days=100 if (today - timedelta(days=100)).day != 1 else 101)
    first = worklists.register_page(CHEN, since, today, size=50)
    assert len(first.rows) == 50 and not first.exact and first.total > 50
    received = [r["data"]["received_at"] for r in first.rows]
    assert received == sorted(received, reverse=True)
    last = worklists.register_page(CHEN, since, today, page=2, size=50)
    assert len(last.rows) == 5 and last.exact and last.total == 55
    # Whole months: the measures count, the void complaint included.
    start = today.replace(day=1) if today.day > 3 else (today.replace(day=1) - timedelta(days=1))
    start = start.replace(day=1)
    months = worklists.register_page(CHEN, start, today, size=50)
    assert months.exact and months.total == 55
    shown = {r["number"] for r in months.rows} | {
        r["number"] for r in worklists.register_page(CHEN, start, today, page=2, size=50).rows
    }
    assert shown == set(numbers)


def test_revisit_quotas_of_whole_months_equal_those_counted_from_the_records(tasks, monkeypatch):
    closed("phone")
    closed("visit", lawsuit=True)
    closed()
    today = local_now().date()
    start = (today.replace(day=1) - timedelta(days=40)).replace(day=1)
    kept = worklists.revisit_quotas(CHEN, start, today)
    # The same period counted from the records (what a period of no whole
    # months reads), by staff of the department that handled them all.
    staff = replace(CHEN, roles=("staff",), department="HEAT")
    assert worklists.revisit_quotas(staff, start, today) == kept  # their department's
    monkeypatch.setattr(worklists, "whole_months", lambda start, end: None)
    counted = worklists.revisit_quotas(staff, start, today)
    figures = [(q.severity, q.closed, q.revisited, q.in_person) for q in kept]
    assert figures == [(q.severity, q.closed, q.revisited, q.in_person) for q in counted]
    assert sum(q.closed for q in kept) == 3 and sum(q.revisited for q in kept) == 2


def test_staff_see_in_the_register_their_departments_and_their_own(complaint_org):
    today = local_now().date()
    heat = complaint(title="供热的")
    dispatch(heat.number)  # to HEAT, handled by li
    own = complaint(actor=SUN, title="孙收到的")  # received by a QA member
    other = complaint(title="未派单的")
    for who, seen in ((ZHAO, {heat.number}), (SUN, {own.number})):
        found = worklists.register_page(who, today - timedelta(days=3), today)
        assert {r["number"] for r in found.rows} == seen
    everything = worklists.register_page(CHEN, today - timedelta(days=3), today)
    assert {heat.number, own.number, other.number} <= {r["number"] for r in everything.rows}


def test_a_far_page_of_a_sparse_register_is_empty_not_an_error(complaint_org):
    today = local_now().date()
    complaint(title="唯一一条", received_at=_received(1))
    # One complaint in a week: the next window, sized by that rate for the
    # rows a far page wants, once reached dates before year 1.
    far = worklists.register_page(CHEN, date(2000, 1, 1), today, page=2000, size=50)
    assert far.rows == [] and far.exact and far.total == 1


def test_the_register_in_another_order_is_cut_after_sorting(complaint_org):
    today = local_now().date()
    # The hot one received last: read in receipt order it would be cut.
    for n in range(3):
        complaint(title=f"一般 #{n}", received_at=_received(n + 2))
    hot = complaint(title="热点", received_at=_received(1), severity="hot", severity_reason="热点")
    rows = worklists.complaint_register(
        CHEN, today - timedelta(days=30), today, sort="severity", descending=True, limit=2
    )
    assert rows[0]["number"] == hot.number and len(rows) == 2
