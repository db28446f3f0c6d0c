"""The complaint process (domain.md, "Complaint handling") and the customer
satisfaction scoring, through the records operations, with exact dates where
the rules are about time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.models import User
from records import worklists
from records.access import visible_data
from records.calendar import WorkingCalendar, end_of_local_day, seed_from_package
from records.clock import local_now, to_local, utcnow
from records.complaints import fact_severity, time_severity, time_thresholds
from records.errors import InvalidData, NotFound, PermissionDenied
from records.escalation import escalate
from records.models import AuditEntry, Record, RecordVersion
from records.operations import (
    create_record,
    get_record,
    record_type_of,
    revise_record,
    transition_record,
)
from records.scoring import (
    DEFAULT_COEFFICIENTS,
    ITEM_FIELDS,
    ScoringSettings,
    load_settings,
    save_settings,
    score,
)
from records.store import database
from tests.records.people import (
    CHEN,
    DIRECTOR,
    LI,
    QIAN,
    QM,
    SIGN,
    SUN,
    TECH,
    WANG,
    ZHAO,
)


@pytest.fixture(autouse=True)
def org(complaint_org):
    """Every test here runs in the organisation of ``complaint_org``."""


def received(hours_ago: float = 1) -> str:
    """A local receipt time ``hours_ago`` hours before now."""
    return (local_now() - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()


def today() -> date:
    return local_now().date()


COMPLAINT = {
    "title": "三号楼暖气不热",
    "channel": "hotline",
    "customer": "华源小区业主委员会",
    "contact": "张先生 13800000000",
    "description": "三号楼暖气连续三天不热。",
    "customer_request": "尽快维修",
}
DISPATCH = {
    "department": "HEAT",
    "handler": "li",
    "subject": "service_quality",
    "responsibility": "1",
}


def complaint(actor=CHEN, **extra):
    return create_record(
        actor, "complaint_sheet", {**COMPLAINT, "received_at": received(), **extra}
    )


def dispatch(number, **extra):
    return transition_record(CHEN, number, "dispatch", changes={**DISPATCH, **extra})


def submit(number):
    return transition_record(LI, number, "submit_plan", changes={"plan": "派维修队排查管道"})


def approve(number, approver=DIRECTOR):
    return transition_record(approver, number, "approve_plan", password=SIGN)


def reply(number, **extra):
    return transition_record(
        LI,
        number,
        "reply",
        changes={
            "reply_method": "phone",
            "reply_date": today().isoformat(),
            "reply_content": "管道已修复，暖气恢复。",
            **extra,
        },
    )


def replied(**facts):
    record = complaint(**facts)
    dispatch(record.number)
    submit(record.number)
    approve(record.number)
    return reply(record.number)


def revisit(number, method="phone", actor=CHEN):
    return create_record(
        actor,
        "revisit_record",
        {
            "customer": COMPLAINT["customer"],
            "complaint": number,
            "revisit_date": today().isoformat(),
            "method": method,
            "visitor": "陈",
            "feedback": "满意",
            "satisfaction": "satisfied",
        },
    )


def close(number):
    return transition_record(CHEN, number, "close", changes={"result": "已解决"})


def closed(method=None, **facts):
    record = replied(**facts)
    transition_record(CHEN, record.number, "accept")
    if method:
        revisit(record.number, method)
    return close(record.number)


def counts():
    """What a refused change must leave as it was."""
    db = database()
    return (
        Record.objects.count(),
        RecordVersion.objects.count(),
        AuditEntry.objects.count(),
        sorted((c["_id"], c["seq"]) for c in db.counters.find()),
    )


def version_of(number) -> int:
    return Record.objects.get(number=number).version


# --- severity from the facts -------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "severity"),
    [
        ({}, "general"),
        ({"complainants": 1}, "general"),
        ({"complainants": 2}, "general"),
        ({"complainants": 3}, "hot"),
        ({"complainants": 9}, "hot"),
        ({"complainants": 10}, "major"),
        ({"complainants": 25}, "major"),
        ({"lawsuit": True}, "major"),
        ({"media": True}, "major"),
        ({"major_impact": True}, "major"),
        ({"exposure_risk": True}, "hot"),
        ({"outside_help": True}, "hot"),
        ({"urgent": True}, "general"),
        ({"exposure_risk": True, "lawsuit": True}, "major"),
    ],
)
def test_each_fact_suggests_its_severity(facts, severity):
    record = complaint(**facts)
    assert record.data["suggested_severity"] == severity
    assert record.data["severity"] == severity
    assert fact_severity({**COMPLAINT, **facts}) == severity


def test_a_repeat_complaint_is_hot():
    first = complaint()
    repeat = complaint(original=first.number)
    assert repeat.data["severity"] == "hot" and repeat.refs == [first.number]
    with pytest.raises(InvalidData) as error:
        complaint(original="QR-015-1999-0001")
    assert error.value.field == "original"


def test_three_similar_complaints_from_different_customers_within_a_month_are_important():
    old = complaint(customer="甲", subject="fees")
    database().records.update_one(
        {"number": old.number},
        {
            "$set": {
                "data.received_at": (local_now() - timedelta(days=40))
                .replace(microsecond=0)
                .isoformat()
            }
        },
    )
    first = complaint(customer="乙", subject="fees", received_at=received(3))
    assert first.data["severity"] == "general"
    # The same customer again does not count, nor another subject.
    again = complaint(customer="乙", subject="fees", received_at=received(2.5))
    other = complaint(customer="丙", subject="attitude", received_at=received(2.2))
    assert again.data["severity"] == other.data["severity"] == "general"
    second = complaint(customer="丁", subject="fees", received_at=received(2))
    assert second.data["severity"] == "general"
    third = complaint(customer="戊", subject="fees", received_at=received(1))
    assert third.data["suggested_severity"] == "important"
    assert third.data["severity"] == "important"
    assert fact_severity({"subject": "fees"}, similar_customers=2) == "important"
    assert fact_severity({"subject": "fees"}, similar_customers=1) == "general"


# --- severity raised by time -----------------------------------------------------


@pytest.fixture
def cal2025(org):
    seed_from_package(database(), years=[2025])
    return WorkingCalendar.load()


@pytest.mark.parametrize(
    ("start", "important", "hot", "major", "unraised", "raised"),
    [
        pytest.param(
            # Received Mon 15 Sep 2025, 10:00 in Shanghai (02:00 UTC): not
            # resolved by the end of the 3rd working day (Thu 18 Sep), one
            # week and one month after receipt.
            datetime(2025, 9, 15, 10, 0),
            datetime(2025, 9, 18, 15, 59, 59),
            datetime(2025, 9, 22, 2, 0),
            datetime(2025, 10, 15, 2, 0),
            [datetime(2025, 9, 18, 15, 59, 59)],
            # The moment after each threshold; at the one-week mark, not yet hot.
            [
                ("important", datetime(2025, 9, 18, 16, 0)),
                ("important", datetime(2025, 9, 22, 2, 0)),
                ("hot", datetime(2025, 9, 22, 2, 0, 1)),
                ("major", datetime(2025, 10, 15, 2, 0, 1)),
            ],
            id="an ordinary fortnight",
        ),
        pytest.param(
            # Received Tue 30 Sep 2025, 10:00: the 3rd working day is Sat 11
            # Oct (make-up day), after the one-week mark.
            datetime(2025, 9, 30, 10, 0),
            datetime(2025, 10, 11, 15, 59, 59),
            datetime(2025, 10, 7, 2, 0),
            datetime(2025, 10, 30, 2, 0),
            [datetime(2025, 10, 6, 12, 0)],
            [
                ("hot", datetime(2025, 10, 8, 0, 0)),
                ("hot", datetime(2025, 10, 12, 0, 0)),
                ("major", datetime(2025, 10, 30, 2, 0, 1)),
            ],
            id="across national day",
        ),
    ],
)
def test_time_thresholds_raise_the_severity(
    cal2025, start, important, hot, major, unraised, raised
):
    thresholds = {"important": important, "hot": hot, "major": major}
    assert time_thresholds(start, cal2025) == [(at, name) for name, at in thresholds.items()]
    for now in unraised:
        assert time_severity(start, now, cal2025) == ("general", None)
    for severity, now in raised:
        # The severity reached and the threshold that raised it.
        assert time_severity(start, now, cal2025) == (severity, thresholds[severity])


def test_one_month_after_the_31st_is_the_end_of_the_next_month(cal2025):
    start = datetime(2025, 1, 31, 9, 0)
    assert time_thresholds(start, cal2025)[2] == (datetime(2025, 2, 28, 1, 0), "major")


def test_a_complaint_recorded_late_starts_at_the_severity_time_gives_it():
    assert complaint(received_at=received(24 * 8)).data["severity"] == "hot"
    assert complaint(received_at=received(24 * 40)).data["severity"] == "major"


def test_escalate_raises_an_old_unresolved_complaint_to_major_by_system():
    record = complaint()
    dispatch(record.number)
    assert version_of(record.number) == 2
    # The complaint was received 40 days ago and is still unresolved.
    database().records.update_one(
        {"number": record.number}, {"$set": {"data.received_at": received(24 * 40)}}
    )
    assert escalate() == [(record.number, "major")]
    now = Record.objects.get(number=record.number)
    assert now.version == 3 and now.data["severity"] == "major" and now.state == "dispatched"
    version = RecordVersion.objects.get(number=record.number, version=3)
    assert version.changed_by == "system" and version.operation == "escalate"
    assert {"field": "severity", "old": "general", "new": "major"} in version.changes
    assert AuditEntry.objects(number=record.number, action="escalate", actor="system").count() == 1
    # Nothing more to raise.
    assert escalate() == []
    assert version_of(record.number) == 3


def test_escalate_week_by_week_and_not_after_resolution():
    record = complaint()
    resolved = replied()
    transition_record(CHEN, resolved.number, "accept")
    start = utcnow()
    assert escalate(start) == []
    assert escalate(start + timedelta(days=8)) == [(record.number, "hot")]
    assert escalate(start + timedelta(days=8)) == []
    assert escalate(start + timedelta(days=32)) == [(record.number, "major")]
    assert Record.objects.get(number=resolved.number).data["severity"] == "general"
    assert [
        v.operation for v in RecordVersion.objects(number=record.number).order_by("version")
    ] == ["create", "escalate", "escalate"]


def test_lowering_the_severity_needs_a_reason_and_nothing_is_written_without_one():
    record = complaint(complainants=3)
    assert record.data["severity"] == "hot"
    before = counts()
    with pytest.raises(InvalidData) as error:
        revise_record(CHEN, record.number, {"severity": "general"}, base_version=1)
    assert error.value.field == "severity_reason"
    assert counts() == before and version_of(record.number) == 1
    lowered = revise_record(
        CHEN,
        record.number,
        {"severity": "general", "severity_reason": "三户为同一家庭，实为一户投诉"},
        base_version=1,
    )
    assert lowered.version == 2 and lowered.data["severity"] == "general"
    assert lowered.data["suggested_severity"] == "hot"
    assert lowered.flags["lowered_to"] == "general"
    assert lowered.flags["lowered_below"] == "hot"
    assert lowered.flags["lowered_by"] == "chen"
    assert isinstance(lowered.flags["lowered_at"], datetime)
    # A later change keeps the lowered severity.
    later = revise_record(CHEN, record.number, {"title": "三号楼暖气不热（一户）"}, base_version=2)
    assert later.data["severity"] == "general"
    # Raising needs no reason.
    raised = revise_record(CHEN, record.number, {"severity": "major"}, base_version=3)
    assert raised.data["severity"] == "major"
    # Lowering from major needs a new reason, not the old one.
    with pytest.raises(InvalidData):
        revise_record(CHEN, record.number, {"severity": "hot"}, base_version=4)
    assert version_of(record.number) == 4


def test_a_severity_below_the_facts_at_creation_needs_a_reason():
    before = counts()
    with pytest.raises(InvalidData) as error:
        complaint(complainants=10, severity="hot")
    assert error.value.field == "severity_reason"
    assert counts() == before
    record = complaint(complainants=10, severity="hot", severity_reason="十人为同一单位代表")
    assert record.data["severity"] == "hot" and record.data["suggested_severity"] == "major"
    assert record.flags["lowered_below"] == "major"
    # Raising above the facts needs no reason.
    assert complaint(severity="important").data["severity"] == "important"


def test_a_lowered_severity_is_raised_again_only_by_a_later_threshold():
    record = complaint(received_at=received(24 * 10))
    assert record.data["severity"] == "hot"
    revise_record(
        CHEN,
        record.number,
        {"severity": "general", "severity_reason": "客户已撤回部分诉求"},
        base_version=1,
    )
    # The one-week mark passed before the lowering: no raise.
    assert escalate() == []
    # The one-month mark passes after it.
    assert escalate(utcnow() + timedelta(days=25)) == [(record.number, "major")]


def test_suggested_severity_and_reopened_as_cannot_be_typed_in():
    before = counts()
    with pytest.raises(InvalidData) as error:
        complaint(suggested_severity="general")
    assert error.value.field == "suggested_severity"
    with pytest.raises(InvalidData) as error:
        complaint(reopened_as="QR-015-2026-0001")
    assert error.value.field == "reopened_as"
    assert counts() == before


# --- the process ----------------------------------------------------------------


def test_the_full_process_of_a_major_complaint():
    record = complaint(complainants=12)
    number = record.number
    assert record.state == "received" and record.data["severity"] == "major"
    assert record.data["first_receiver"] == "Chen" and record.department == "CS"

    # Dispatch: the handler must work in the handling department.
    before = counts()
    with pytest.raises(InvalidData) as error:
        dispatch(number, handler="wang")
    assert error.value.field == "handler"
    with pytest.raises(InvalidData) as error:
        dispatch(number, department="NOPE")
    assert error.value.field == "department"
    with pytest.raises(InvalidData) as error:
        transition_record(CHEN, number, "dispatch", changes={**DISPATCH, "handler": None})
    assert error.value.field == "handler"
    with pytest.raises(InvalidData) as error:
        dispatch(number, handler="nobody")
    assert error.value.field == "handler"
    with pytest.raises(PermissionDenied):
        transition_record(WANG, number, "dispatch", changes=DISPATCH)
    assert counts() == before
    record = dispatch(number)
    assert record.state == "dispatched" and record.version == 2
    assert record.department == "HEAT" and record.handler == "li"
    assert record.people == ["chen", "li"] and record.due_kind == "plan"

    # The handling plan.
    with pytest.raises(InvalidData) as error:
        transition_record(LI, number, "submit_plan")
    assert error.value.field == "plan"
    record = submit(number)
    assert record.state == "plan_submitted" and record.due_at is None

    # Approval: the director, not the technical manager, for a major complaint.
    before = counts()
    with pytest.raises(PermissionDenied):
        approve(number, TECH)
    with pytest.raises(PermissionDenied):
        approve(number, QM)
    with pytest.raises(PermissionDenied):
        transition_record(LI, number, "approve_plan", password=SIGN)
    assert counts() == before
    with pytest.raises(PermissionDenied):
        transition_record(DIRECTOR, number, "approve_plan", password="wrong")
    assert version_of(number) == 3
    record = approve(number)
    assert record.state == "approved" and record.version == 4
    signature = record.signatures[0]
    assert signature["signer"] == "director" and signature["meaning"] == "approved"
    assert signature["version"] == 3
    assert signature["version_hash"] == RecordVersion.objects.get(number=number, version=3).hash

    # The reply: not before the receipt, not in the future, with content.
    received_day = date.fromisoformat(record.data["received_at"][:10])
    before = counts()
    for bad in (
        (received_day - timedelta(days=1)).isoformat(),
        (today() + timedelta(days=1)).isoformat(),
        "2026-02-30",
    ):
        with pytest.raises(InvalidData) as error:
            reply(number, reply_date=bad)
        assert error.value.field == "reply_date"
    with pytest.raises(InvalidData) as error:
        reply(number, reply_content="")
    assert error.value.field == "reply_content"
    with pytest.raises(InvalidData):
        revisit(number)  # revisited after the reply only
    assert counts() == before
    record = reply(number)
    assert record.state == "replied" and record.data["reply_date"] == today().isoformat()

    record = transition_record(CHEN, number, "accept")
    assert record.state == "resolved"

    # Closure: a major complaint is revisited, in person.
    before = counts()
    with pytest.raises(InvalidData):
        close(number)
    with pytest.raises(InvalidData) as error:
        transition_record(CHEN, number, "close")
    assert error.value.field == "result"
    assert counts() == before
    revisit(number, "phone")
    with pytest.raises(InvalidData) as error:
        close(number)
    assert "in person" in str(error.value)
    revisit(number, "visit")
    record = close(number)
    assert record.state == "closed" and record.data["result"] == "已解决"
    assert record.retention_ends_on.year == record.updated_at.year + 3
    assert [h["to"] for h in record.history] == [
        "dispatched",
        "plan_submitted",
        "approved",
        "replied",
        "resolved",
        "closed",
    ]
    assert RecordVersion.objects(number=number).count() == record.version == 7


def test_the_technical_manager_approves_other_complaints():
    record = complaint(complainants=3)
    dispatch(record.number)
    submit(record.number)
    with pytest.raises(PermissionDenied):
        approve(record.number, QM)
    assert approve(record.number, TECH).signatures[0]["signer"] == "tech"


@pytest.mark.parametrize("facts", [{"severity": "important"}, {"complainants": 3}])
def test_important_and_hot_complaints_are_revisited_before_closure(facts):
    record = replied(**facts)
    transition_record(CHEN, record.number, "accept")
    with pytest.raises(InvalidData):
        close(record.number)
    revisit(record.number, "phone")
    assert close(record.number).state == "closed"


def test_a_general_complaint_closes_without_a_revisit():
    assert closed().state == "closed"


def test_a_rejected_reply_opens_a_new_linked_sheet_atomically():
    record = replied()
    number = record.number
    with pytest.raises(InvalidData) as error:
        transition_record(CHEN, number, "reject")
    assert error.value.field == "comment"
    # If the new sheet cannot be made (the handler has left), nothing changes.
    User.objects(username="li").update(set__active=False)
    before = counts()
    with pytest.raises(InvalidData):
        transition_record(CHEN, number, "reject", comment="客户不接受维修结果")
    assert counts() == before
    old = Record.objects.get(number=number)
    assert old.state == "replied" and old.data.get("reopened_as") is None
    User.objects(username="li").update(set__active=True)

    old = transition_record(CHEN, number, "reject", comment="客户不接受维修结果")
    assert old.state == "reopened" and old.version == record.version + 1
    new_number = old.data["reopened_as"]
    new = Record.objects.get(number=new_number)
    assert new.number != number and new.state == "received" and new.version == 1
    assert new.data["original"] == number and new.refs == [number]
    assert new.data["customer"] == COMPLAINT["customer"]
    assert new.data["department"] == "HEAT" and new.department == "HEAT"
    assert new.data["handler"] == "li"
    assert new.data["description"].startswith("客户不接受维修结果")
    # A second complaint after the first: hot.
    assert new.data["severity"] == "hot"
    assert new.created_by == "chen"
    # Both written in the same step: the new sheet's number follows directly.
    assert int(new_number[-4:]) == int(number[-4:]) + 1
    assert old.retention_starts_at is not None
    assert AuditEntry.objects(number=new_number, action="create").count() == 1


def test_closure_needs_a_verified_corrective_action_where_one_is_needed():
    # Whether corrective action is needed is said at the reply step.
    record = complaint()
    dispatch(record.number)
    submit(record.number)
    approve(record.number)
    reply(record.number, capa_required=True)
    number = record.number
    assert Record.objects.get(number=number).data["capa_required"] is True
    transition_record(CHEN, number, "accept")
    with pytest.raises(InvalidData) as error:
        close(number)
    assert "verified" in str(error.value)
    capa = worklists.open_capa(CHEN, number, today() + timedelta(days=10))
    assert capa["data"]["source"] == number and capa["data"]["responsible"] == "li"
    assert capa["department"] == "HEAT"
    complete(capa["number"], today().isoformat())
    with pytest.raises(InvalidData):
        close(number)
    transition_record(
        DIRECTOR,
        capa["number"],
        "verify",
        password=SIGN,
        changes={"verification": "复查一个月，无同类投诉"},
    )
    assert close(number).state == "closed"


def test_the_corrective_action_is_repeated_until_verified_effective():
    record = replied()
    capa = worklists.open_capa(CHEN, record.number, today() + timedelta(days=10))
    number = capa["number"]
    assert capa["data"]["round"] == 1 and capa["state"] == "open"
    assert capa["due_kind"] == "completion"
    before = counts()
    with pytest.raises(InvalidData) as error:
        transition_record(LI, number, "complete")
    assert error.value.field == "completed_date"
    with pytest.raises(InvalidData) as error:
        complete(number, (today() + timedelta(days=1)).isoformat())
    assert error.value.field == "completed_date"
    with pytest.raises(NotFound):
        transition_record(SUN, number, "complete", changes={"completed_date": today().isoformat()})
    assert counts() == before

    done = complete(number, today().isoformat())
    assert done.state == "completed" and done.due_kind == "verification"
    assert done.due_at == end_of_local_day(WorkingCalendar.load().add_working_days(today(), 5)[0])
    with pytest.raises(PermissionDenied):
        transition_record(LI, number, "not_effective", comment="x", changes={"verification": "x"})
    with pytest.raises(InvalidData) as error:
        transition_record(DIRECTOR, number, "not_effective", changes={"verification": "仍有漏水"})
    assert error.value.field == "comment"
    with pytest.raises(InvalidData) as error:
        transition_record(DIRECTOR, number, "not_effective", comment="无效")
    assert error.value.field == "verification"

    again = not_effective(number, (today() + timedelta(days=12)).isoformat())
    assert again.state == "open" and again.data["round"] == 2
    assert again.data["completed_date"] is None and again.due_kind == "completion"
    done = transition_record(
        LI,
        number,
        "complete",
        changes={"completed_date": today().isoformat(), "actions": "更换整段管道"},
    )
    assert done.data["round"] == 2 and done.data["actions"] == "更换整段管道"
    with pytest.raises(PermissionDenied):
        transition_record(LI, number, "verify", password=SIGN, changes={"verification": "有效"})
    verified = transition_record(
        DIRECTOR, number, "verify", password=SIGN, changes={"verification": "复查有效"}
    )
    assert verified.state == "verified" and verified.data["round"] == 2
    assert verified.signatures[-1]["meaning"] == "verified"
    assert verified.due_at is None
    assert [h["to"] for h in verified.history] == ["completed", "open", "completed", "verified"]


def complete(number, completed_date):
    return transition_record(LI, number, "complete", changes={"completed_date": completed_date})


def not_effective(number, planned_date=None):
    """The director finds the corrective action not effective: a new round,
    planned for ``planned_date`` (none: the round's date is kept)."""
    changes = {"verification": "仍有漏水"}
    if planned_date:
        changes["planned_date"] = planned_date
    return transition_record(DIRECTOR, number, "not_effective", comment="无效", changes=changes)


def _at(local: str):
    from records.clock import from_local, simulated

    moment = from_local(datetime.fromisoformat(local))
    return simulated(lambda: moment)


def _capa_opened_on_10_march(planned):
    """The corrective action of a replied complaint, opened on 10 March 2026
    and planned for ``planned``; its number."""
    record = replied()
    with _at("2026-03-10T09:00"):
        return worklists.open_capa(CHEN, record.number, planned)["number"]


def test_a_capa_completion_dated_before_the_report_or_its_round_is_refused():
    number = _capa_opened_on_10_march(date(2026, 3, 20))
    with _at("2026-03-12T09:00"):
        with pytest.raises(InvalidData, match="2026-03-10") as error:
            complete(number, "2026-03-09")
        assert error.value.field == "completed_date"
        complete(number, "2026-03-10")
    with _at("2026-03-16T09:00"):
        not_effective(number, "2026-03-27")
    with _at("2026-03-18T09:00"):
        # Round 2 began on 16 March: the 11th was round 1's work.
        with pytest.raises(InvalidData, match="2026-03-16"):
            complete(number, "2026-03-11")
        assert complete(number, "2026-03-17").state == "completed"


def test_a_repeated_capa_round_gets_a_planned_date_of_its_own_and_is_not_late():
    number = _capa_opened_on_10_march(date(2026, 3, 13))
    with _at("2026-03-12T09:00"):
        complete(number, "2026-03-12")
    with _at("2026-03-16T09:00"):
        # Round 1 was planned for 13 March, now past: keeping it (or giving
        # a date already past) would make round 2 late from its first day.
        for planned in (None, "2026-03-13", "2026-03-15"):
            with pytest.raises(InvalidData) as error:
                not_effective(number, planned)
            assert error.value.field == "planned_date"
        again = not_effective(number, "2026-03-27")
    assert again.data["planned_date"] == "2026-03-27" and again.due_kind == "completion"
    assert to_local(again.due_at).date() == date(2026, 3, 27)
    # Completed on 25 March, before the new round's planned date: in time.
    with _at("2026-03-25T09:00"):
        done = complete(number, "2026-03-25")
    assert not (done.flags or {}).get("late")


# --- revisit quotas ----------------------------------------------------------------


def test_revisit_quotas_on_a_known_set():
    general = [closed("phone"), closed("phone"), closed("visit"), closed(), closed()]
    important = closed("phone", severity="important")
    hot = closed("phone", complainants=3)
    major = closed("visit", complainants=10)
    complaint()  # still open: not counted
    replied(complainants=3)  # answered, not closed: not counted
    period = (today() - timedelta(days=1), today() + timedelta(days=1))
    quotas = {q.severity: q for q in worklists.revisit_quotas(CHEN, *period)}
    assert list(quotas) == ["general", "important", "hot", "major"]
    assert (quotas["general"].closed, quotas["general"].revisited, quotas["general"].in_person) == (
        5,
        3,
        1,
    )
    assert quotas["general"].target == 0.6 and quotas["general"].rate == 0.6
    assert quotas["general"].met is True
    for severity in ("important", "hot", "major"):
        quota = quotas[severity]
        assert (quota.closed, quota.revisited, quota.target, quota.rate, quota.met) == (
            1,
            1,
            1.0,
            1.0,
            True,
        ), severity
    assert quotas["major"].in_person == 1 and quotas["hot"].in_person == 0
    assert {important.data["severity"], hot.data["severity"], major.data["severity"]} == {
        "important",
        "hot",
        "major",
    }

    # Voiding revisits: general drops to 2 of 5 (40%), major has none in person.
    def void_revisits_of(number):
        for doc in database().records.find({"type": "revisit_record", "refs": number}):
            transition_record(CHEN, doc["number"], "void", comment="录错")

    void_revisits_of(general[0].number)
    void_revisits_of(major.number)
    quotas = {q.severity: q for q in worklists.revisit_quotas(CHEN, *period)}
    assert (quotas["general"].revisited, quotas["general"].rate) == (2, 0.4)
    assert quotas["general"].met is False
    assert (quotas["major"].revisited, quotas["major"].in_person) == (0, 0)
    assert quotas["major"].met is False
    # Another period: nothing closed, no rate.
    empty = worklists.revisit_quotas(CHEN, date(2020, 1, 1), date(2020, 12, 31))
    assert all(q.closed == 0 and q.rate is None and q.met is None for q in empty)
    # Per department: all were handled by HEAT.
    assert sum(q.closed for q in worklists.revisit_quotas(CHEN, *period, department="CS")) == 0
    # Staff of another department see none of them.
    assert sum(q.closed for q in worklists.revisit_quotas(QIAN, *period)) == 0


def test_the_complaint_register_lists_the_period_in_order():
    first = complaint(complainants=10, received_at=received(3))
    second = complaint(received_at=received(2))
    third = complaint(complainants=3, received_at=received(1))
    period = (today() - timedelta(days=1), today() + timedelta(days=1))
    rows = worklists.complaint_register(CHEN, *period)
    assert [r["number"] for r in rows] == [first.number, second.number, third.number]
    rows = worklists.complaint_register(CHEN, *period, sort="severity", descending=True)
    assert [r["number"] for r in rows] == [first.number, third.number, second.number]
    assert [r["number"] for r in worklists.complaint_register(CHEN, *period, severity="hot")] == [
        third.number
    ]
    with pytest.raises(InvalidData):
        worklists.complaint_register(CHEN, period[1], period[0])


# --- satisfaction scoring -------------------------------------------------------------

# Weights 10 8 8 8 7 8 7 6 6 6 7 5 7 7 (sum 100).
LEVELS = (
    "very_satisfied",
    "satisfied",
    "fairly_satisfied",
    "neutral",
    "somewhat_dissatisfied",
    "dissatisfied",
    "very_dissatisfied",
    "very_satisfied",
    "satisfied",
    "satisfied",
    "very_satisfied",
    "satisfied",
    "fairly_satisfied",
    "neutral",
)
# 10x1 + 8x.9 + 8x.8 + 8x.7 + 7x.5 + 8x.3 + 7x0 + 6x1 + 6x.9 + 6x.9 + 7x1 + 5x.9
#  + 7x.8 + 7x.7 = 10 + 7.2 + 6.4 + 5.6 + 3.5 + 2.4 + 0 + 6 + 5.4 + 5.4 + 7 + 4.5
#  + 5.6 + 4.9 = 73.9
ANSWERS = dict(zip(ITEM_FIELDS, LEVELS, strict=True))


@pytest.mark.parametrize(
    ("answers", "verified", "serious", "total", "satisfied"),
    [
        (ANSWERS, 0, 0, 73.9, True),
        (ANSWERS, 1, 0, 68.9, False),  # 73.9 - 5
        (ANSWERS, 1, 1, 63.9, False),  # 73.9 - 10
        (ANSWERS, 2, 1, 58.9, False),  # 73.9 - 5 - 10
        (dict.fromkeys(ITEM_FIELDS, "neutral"), 0, 0, 70.0, True),  # exactly 70
        (dict.fromkeys(ITEM_FIELDS, "very_satisfied"), 3, 3, 70.0, True),  # 100 - 30
        (dict.fromkeys(ITEM_FIELDS, "very_satisfied"), 4, 3, 65.0, False),  # 100 - 5 - 30
        (dict.fromkeys(ITEM_FIELDS, "satisfied"), 0, 0, 90.0, True),
        (dict.fromkeys(ITEM_FIELDS, "dissatisfied"), 0, 0, 30.0, False),
        (dict.fromkeys(ITEM_FIELDS, "dissatisfied"), 4, 4, 0.0, False),  # never below 0
    ],
)
def test_score_by_hand(answers, verified, serious, total, satisfied):
    result = score(answers, verified, serious, ScoringSettings())
    assert result.total == total and result.basically_satisfied is satisfied
    assert result.answered == 14


def test_score_parts():
    result = score(ANSWERS, 2, 1, ScoringSettings())
    assert (result.base, result.deductions, result.total) == (73.9, 15, 58.9)
    partial = score({"item_01": "very_satisfied", "item_03": "neutral"}, 0, 0, ScoringSettings())
    assert partial.base == 15.6 and partial.answered == 2  # 10 + 8x0.7
    assert DEFAULT_COEFFICIENTS["neutral"] == 0.7


def test_a_questionnaire_record_is_scored():
    record = create_record(
        WANG, "satisfaction_questionnaire", {"customer": "华源小区", "survey_year": 2026, **ANSWERS}
    )
    assert (
        record.data["base_score"],
        record.data["score"],
        record.data["basically_satisfied"],
    ) == ("73.9", "73.9", "yes")
    record = revise_record(WANG, record.number, {"verified_complaints": 1}, base_version=1)
    assert (record.data["score"], record.data["basically_satisfied"]) == ("68.9", "no")
    record = revise_record(
        WANG, record.number, {"verified_complaints": 2, "serious_complaints": 1}, base_version=2
    )
    assert record.data["base_score"] == "73.9" and record.data["score"] == "58.9"
    filed = transition_record(WANG, record.number, "file")
    assert filed.state == "filed" and filed.data["score"] == "58.9"

    neutral = create_record(
        WANG,
        "satisfaction_questionnaire",
        {"customer": "华源小区", "survey_year": 2026, **dict.fromkeys(ITEM_FIELDS, "neutral")},
    )
    assert (neutral.data["score"], neutral.data["basically_satisfied"]) == ("70", "yes")


def test_a_questionnaire_is_filed_only_when_every_item_is_rated():
    answers = {k: v for k, v in ANSWERS.items() if k != "item_14"}
    record = create_record(
        WANG, "satisfaction_questionnaire", {"customer": "华源小区", "survey_year": 2026, **answers}
    )
    assert record.data["base_score"] == "69"  # 73.9 - 4.9
    before = counts()
    with pytest.raises(InvalidData):
        transition_record(WANG, record.number, "file")
    assert counts() == before


def test_scoring_settings_are_the_controllers_and_audited():
    with pytest.raises(PermissionDenied):
        save_settings(WANG, ScoringSettings(threshold=60))
    with pytest.raises(InvalidData) as error:
        save_settings(CHEN, ScoringSettings(weights=(10,) * 14))
    assert error.value.field == "weights"
    with pytest.raises(InvalidData):
        save_settings(CHEN, ScoringSettings(weights=(10,) * 13))
    with pytest.raises(InvalidData):
        save_settings(CHEN, ScoringSettings(coefficients={**DEFAULT_COEFFICIENTS, "neutral": 1.5}))
    assert load_settings() == ScoringSettings()
    save_settings(CHEN, ScoringSettings(threshold=60, deduction=2))
    assert AuditEntry.objects(action="scoring_change", actor="chen").count() == 1
    record = create_record(
        WANG,
        "satisfaction_questionnaire",
        {"customer": "华源小区", "survey_year": 2026, "verified_complaints": 3, **ANSWERS},
    )
    assert (record.data["score"], record.data["basically_satisfied"]) == ("67.9", "yes")


# --- bad input ------------------------------------------------------------------------


#: Valid but for the one value each case of the bad-input test changes.
RECEIVED = {**COMPLAINT, "received_at": "2025-09-30T10:00"}
SURVEY = {"customer": "甲", "survey_year": 2026}
CAPA = {"title": "t", "problem": "p", "actions": "a", "planned_date": "2026-01-01"}


@pytest.mark.parametrize(
    ("type_name", "data", "field"),
    [
        ("complaint_sheet", {**RECEIVED, "complainants": 0}, "complainants"),
        ("complaint_sheet", {**RECEIVED, "complainants": -2}, "complainants"),
        ("complaint_sheet", {**RECEIVED, "complainants": "many"}, "complainants"),
        ("complaint_sheet", {**COMPLAINT}, "received_at"),
        ("complaint_sheet", {**RECEIVED, "customer": " "}, "customer"),
        ("complaint_sheet", {**RECEIVED, "channel": "pigeon"}, "channel"),
        ("complaint_sheet", {**RECEIVED, "department": "NOPE"}, "department"),
        ("complaint_sheet", {**RECEIVED, "handler": "nobody"}, "handler"),
        (
            "satisfaction_questionnaire",
            {**SURVEY, "verified_complaints": -1},
            "verified_complaints",
        ),
        ("satisfaction_questionnaire", {**SURVEY, "serious_complaints": -1}, "serious_complaints"),
        (
            "satisfaction_questionnaire",
            {**SURVEY, "verified_complaints": 1, "serious_complaints": 2},
            "serious_complaints",
        ),
        ("satisfaction_questionnaire", {**SURVEY, "score": "100"}, "score"),
        ("satisfaction_questionnaire", {**SURVEY, "survey_year": 1999}, "survey_year"),
        ("satisfaction_questionnaire", {**SURVEY, "item_01": "ecstatic"}, "item_01"),
        ("capa_report", {**CAPA, "department": "NOPE"}, "department"),
        ("capa_report", {**CAPA, "department": "HEAT", "responsible": "nobody"}, "responsible"),
        ("capa_report", {**CAPA, "department": "HEAT", "source": "QR-999-2026-0001"}, "source"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(type_name, data, field):
    before = counts()
    with pytest.raises(InvalidData) as error:
        create_record(CHEN, type_name, data)
    assert error.value.field == field
    assert counts() == before


def test_dates_in_the_future_are_refused_and_nothing_is_written():
    tomorrow = today() + timedelta(days=1)
    in_an_hour = (local_now() + timedelta(hours=1)).replace(microsecond=0).isoformat()
    cases = [
        ("complaint_sheet", {**COMPLAINT, "received_at": in_an_hour}, "received_at"),
        ("complaint_sheet", {**COMPLAINT, "received_at": f"{tomorrow}T08:00"}, "received_at"),
        (
            "service_survey",
            {"customer": "甲", "service_date": tomorrow.isoformat(), "service_content": "x"},
            "service_date",
        ),
        (
            "customer_service_sheet",
            {
                "customer": "甲",
                "service_date": tomorrow.isoformat(),
                "service_kind": "repair",
                "description": "x",
            },
            "service_date",
        ),
        (
            "revisit_record",
            {
                "customer": "甲",
                "revisit_date": tomorrow.isoformat(),
                "method": "phone",
                "feedback": "x",
                "satisfaction": "satisfied",
            },
            "revisit_date",
        ),
        (
            "inquiry_sheet",
            {
                "title": "x",
                "received_at": in_an_hour,
                "channel": "email",
                "customer": "甲",
                "request": "x",
            },
            "received_at",
        ),
    ]
    before = counts()
    for type_name, data, field in cases:
        with pytest.raises(InvalidData) as error:
            create_record(CHEN, type_name, data)
        assert error.value.field == field, type_name
    assert counts() == before
    # Today is not the future.
    assert create_record(
        CHEN,
        "service_survey",
        {"customer": "甲", "service_date": today().isoformat(), "service_content": "x"},
    )


def test_a_receipt_time_with_a_utc_offset_is_kept_as_local_time():
    moment = utcnow() - timedelta(hours=2)
    record = complaint(received_at=moment.replace(microsecond=0).isoformat() + "+00:00")
    expected = (local_now(moment)).replace(microsecond=0).isoformat()
    assert record.data["received_at"] == expected
    before = counts()
    future = (utcnow() + timedelta(hours=2)).replace(microsecond=0).isoformat() + "Z"
    with pytest.raises(InvalidData) as error:
        complaint(received_at=future)
    assert error.value.field == "received_at"
    assert counts() == before


def test_missing_fields_per_transition_are_refused_and_nothing_is_written():
    record = complaint()
    number = record.number
    before = counts()
    for missing in ("department", "handler", "subject", "responsibility"):
        with pytest.raises(InvalidData) as error:
            transition_record(
                CHEN,
                number,
                "dispatch",
                changes={k: v for k, v in DISPATCH.items() if k != missing},
            )
        assert error.value.field == missing
    with pytest.raises(InvalidData):
        transition_record(CHEN, number, "submit_plan", changes={"plan": "x"})  # wrong state
    with pytest.raises(InvalidData) as error:
        transition_record(CHEN, number, "void")
    assert error.value.field == "comment"
    assert counts() == before
    dispatch(number)
    before = counts()
    with pytest.raises(InvalidData) as error:
        transition_record(CHEN, number, "redispatch", changes=DISPATCH)
    assert error.value.field == "comment"
    with pytest.raises(InvalidData) as error:
        transition_record(LI, number, "submit_plan", changes={"plan": "   "})
    assert error.value.field == "plan"
    assert counts() == before
    submit(number)
    approve(number)
    before = counts()
    for missing in ("reply_method", "reply_date", "reply_content"):
        values = {"reply_method": "phone", "reply_date": today().isoformat(), "reply_content": "x"}
        values.pop(missing)
        with pytest.raises(InvalidData) as error:
            transition_record(LI, number, "reply", changes=values)
        assert error.value.field == missing
    with pytest.raises(InvalidData) as error:
        reply(number, reply_method="pigeon")
    assert error.value.field == "reply_method"
    assert counts() == before


def test_redispatch_to_another_department_restarts_the_plan_clock():
    record = complaint()
    dispatch(record.number)
    again = transition_record(
        CHEN,
        record.number,
        "redispatch",
        comment="属质检部职责",
        changes={"department": "QA", "handler": "sun"},
    )
    assert again.department == "QA" and again.handler == "sun"
    assert again.people == ["chen", "sun"] and again.due_kind == "plan"
    with pytest.raises(NotFound):
        get_record(LI, record.number)
    assert get_record(SUN, record.number).number == record.number


# --- who sees what -------------------------------------------------------------------


def test_staff_of_another_department_cannot_see_a_complaint():
    # Sun (QA) first hears the complaint and records it; it goes to HEAT.
    record = complaint(actor=SUN)
    assert record.department == "QA" and record.data["first_receiver"] == "Sun"
    dispatch(record.number)
    number = record.number
    for outsider in (WANG, QIAN):
        with pytest.raises(NotFound):
            get_record(outsider, number)
        with pytest.raises(NotFound):
            transition_record(outsider, number, "submit_plan", changes={"plan": "x"})
    # The first receiver, the handler and the handling department see it.
    for insider in (SUN, LI, ZHAO, CHEN, DIRECTOR):
        assert get_record(insider, number).number == number
    complaint_type = record_type_of("complaint_sheet")
    data = get_record(ZHAO, number).data
    assert "contact" not in visible_data(ZHAO, complaint_type, data, record.created_by)
    assert (
        visible_data(LI, complaint_type, data, record.created_by)["contact"]
        == (COMPLAINT["contact"])
    )
    assert (
        visible_data(SUN, complaint_type, data, record.created_by)["contact"]
        == (COMPLAINT["contact"])
    )
    # Their task lists agree.
    assert number in [t["number"] for t in worklists.my_tasks(LI)]
    assert number in [t["number"] for t in worklists.my_tasks(ZHAO)]
    assert number not in [t["number"] for t in worklists.my_tasks(WANG)]


def test_a_handler_from_another_department_sees_the_record():
    inquiry = create_record(
        CHEN,
        "inquiry_sheet",
        {
            "title": "检定周期",
            "received_at": received(),
            "channel": "hotline",
            "customer": "华源小区",
            "contact": "张先生",
            "request": "水表多久检定一次？",
            "department": "CS",
            "handler": "li",
        },
    )
    assert inquiry.department == "CS" and inquiry.people == ["chen", "li"]
    assert get_record(LI, inquiry.number).number == inquiry.number
    assert get_record(WANG, inquiry.number).number == inquiry.number
    with pytest.raises(NotFound):
        get_record(ZHAO, inquiry.number)
    answered = transition_record(
        LI, inquiry.number, "answer", changes={"answer": "五年一次", "answered_at": received(0.1)}
    )
    assert answered.state == "answered" and answered.due_at is None


# --- overdue list and reminders ---------------------------------------------------------


def test_overdue_list_reminder_and_answer():
    old_day = (today() - timedelta(days=40)).isoformat()
    survey = create_record(
        CHEN,
        "service_survey",
        {"customer": "华源小区", "service_date": old_day, "service_content": "更换阀门"},
        department="HEAT",
    )
    fresh = create_record(
        CHEN,
        "service_survey",
        {
            "customer": "华源小区",
            "service_date": today().isoformat(),
            "service_content": "更换阀门",
        },
        department="HEAT",
    )
    assert survey.due_at < utcnow() < fresh.due_at
    items = worklists.overdue(CHEN)
    assert [i.record["number"] for i in items] == [survey.number]
    assert items[0].reminder is None and items[0].promised is None
    assert [i.record["number"] for i in worklists.overdue(ZHAO)] == [survey.number]
    assert worklists.overdue(WANG) == []
    assert worklists.overdue(CHEN, department="CS") == []

    before = counts()
    with pytest.raises(PermissionDenied):
        worklists.issue_reminder(ZHAO, survey.number)
    with pytest.raises(InvalidData):
        worklists.issue_reminder(CHEN, fresh.number)
    assert counts() == before

    reminder = worklists.issue_reminder(CHEN, survey.number, "请尽快收回调查表")
    assert reminder["state"] == "issued" and reminder["department"] == "HEAT"
    assert reminder["data"]["item"] == survey.number
    # As people read it: local wall-clock time, the end of the due day.
    assert reminder["data"]["due"] == to_local(survey.due_at).isoformat(sep=" ", timespec="minutes")
    assert reminder["data"]["due"].endswith("23:59")
    assert reminder["refs"] == [survey.number]
    with pytest.raises(InvalidData):
        worklists.issue_reminder(CHEN, survey.number)
    items = worklists.overdue(CHEN)
    assert items[0].reminder["number"] == reminder["number"]
    assert items[0].promised is None

    # The department answers with a reason and a new date, not in the past.
    number = reminder["number"]
    before = counts()
    with pytest.raises(InvalidData) as error:
        transition_record(
            ZHAO,
            number,
            "answer",
            changes={
                "delay_reason": "客户出差",
                "new_date": (today() - timedelta(days=1)).isoformat(),
            },
        )
    assert error.value.field == "new_date"
    with pytest.raises(InvalidData) as error:
        transition_record(
            ZHAO, number, "answer", changes={"new_date": (today() + timedelta(days=3)).isoformat()}
        )
    assert error.value.field == "delay_reason"
    with pytest.raises(NotFound):
        transition_record(
            WANG,
            number,
            "answer",
            changes={"delay_reason": "x", "new_date": (today() + timedelta(days=3)).isoformat()},
        )
    assert counts() == before
    promised = (today() + timedelta(days=3)).isoformat()
    answered = transition_record(
        ZHAO, number, "answer", changes={"delay_reason": "客户出差，下周返回", "new_date": promised}
    )
    assert answered.state == "answered" and answered.data["new_date"] == promised
    item = worklists.overdue(CHEN)[0]
    assert item.promised == promised
    assert worklists.is_past(worklists.promised_end(promised)) is False
    # Still overdue: a new reminder may be issued once the last one is answered.
    second = worklists.issue_reminder(CHEN, survey.number)
    assert second["number"] != number

    # Returned: off the list.
    transition_record(
        ZHAO,
        survey.number,
        "return",
        changes={"returned_on": today().isoformat(), "customer_signed": True},
    )
    assert worklists.overdue(CHEN) == []


def test_an_edit_cannot_hand_the_complaint_to_someone_outside_its_department():
    sheet = dispatch(complaint().number)
    before = counts()
    with pytest.raises(InvalidData) as refused:
        revise_record(
            CHEN, sheet.number, {"department": "QA", "handler": "zhao"}, base_version=sheet.version
        )
    assert refused.value.field == "handler"
    assert counts() == before


def test_escalate_skips_a_record_it_cannot_save_and_raises_the_others():
    broken, fine = complaint(), complaint()
    for record in (broken, fine):
        dispatch(record.number)
    aged = {"data.received_at": received(24 * 40)}
    database().records.update_one({"number": fine.number}, {"$set": aged})
    # A record an older release saved without a field now required.
    database().records.update_one(
        {"number": broken.number}, {"$set": aged, "$unset": {"data.customer": ""}}
    )
    assert escalate() == [(fine.number, "major")]
    assert Record.objects.get(number=broken.number).data.get("severity") != "major"


def _unresolved_for_40_days():
    """A complaint dispatched but received 40 days ago: escalation's to raise."""
    record = complaint()
    dispatch(record.number)
    database().records.update_one(
        {"number": record.number}, {"$set": {"data.received_at": received(24 * 40)}}
    )
    return record


def test_escalate_stops_when_its_lease_is_lost():
    for _ in range(2):
        _unresolved_for_40_days()
    answers = iter([True, False])
    raised = escalate(keep_going=lambda: next(answers))
    assert len(raised) == 1
    # The next holder does the rest.
    assert len(escalate()) == 1


def test_escalate_does_not_overwrite_a_record_saved_while_the_round_runs():
    first, second = _unresolved_for_40_days(), _unresolved_for_40_days()
    saved_meanwhile = []

    def someone_saves_the_second():
        # Between the round's read and its write of the second complaint, a
        # controller saves it: the round must skip it, not write over it.
        if not saved_meanwhile:
            current = Record.objects.get(number=second.number)
            revise_record(
                CHEN, second.number, {"description": "客户补充说明"}, base_version=current.version
            )
            saved_meanwhile.append(True)
        return True

    raised = escalate(keep_going=someone_saves_the_second)
    assert [number for number, _level in raised] == [first.number]
    assert Record.objects.get(number=second.number).data["description"] == "客户补充说明"
    operations = [v.operation for v in RecordVersion.objects(number=second.number)]
    assert "escalate" not in operations and operations[-1] == "change"
