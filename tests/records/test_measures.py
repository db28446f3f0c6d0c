"""The measures (domain.md, "Measures") on a small data set whose figures are
worked out by hand below, kept up to date as the records change: rates,
empty periods ("no data"), a complaint received on the last evening of a
month, voided records, a late step, revisits, repairs, questionnaires."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from records import measures, worklists
from records.clock import from_local, simulated
from records.operations import create_record, revise_record, transition_record
from records.scoring import ITEM_FIELDS
from records.store import database
from tests.records.people import CHEN, DIRECTOR, LI, SIGN, SUN
from tests.records.test_complaints import COMPLAINT


def at(text: str):
    """Run the block as if it were ``text`` (local time)."""
    moment = from_local(datetime.fromisoformat(text))
    return simulated(lambda: moment)


def new_complaint(received_at: str, **extra):
    with at(received_at):
        return create_record(
            CHEN, "complaint_sheet", {**COMPLAINT, "received_at": received_at, **extra}
        )


def dispatch(number, department="HEAT", handler="li", when=None, severity="general"):
    with at(when or "2026-04-01T09:00"):
        return transition_record(
            CHEN,
            number,
            "dispatch",
            changes={
                "department": department,
                "handler": handler,
                "subject": "service_quality",
                "responsibility": "1",
                "severity": severity,
            },
        )


def to_replied(number, handler=LI, when="2026-04-02T09:00"):
    with at(when):
        transition_record(handler, number, "submit_plan", changes={"plan": "派维修队"})
        transition_record(DIRECTOR, number, "approve_plan", password=SIGN)
        return transition_record(
            handler,
            number,
            "reply",
            changes={"reply_method": "phone", "reply_date": when[:10], "reply_content": "已修复"},
        )


@pytest.fixture
def march(complaint_org):
    """The data set. In March 2026 (by receipt time):
    - A (HEAT, important): dispatched, answered in time, accepted, revisited
      by phone, closed;
    - B (QA): received 31 March 23:30, dispatched, not answered yet;
    - C (HEAT): dispatched 16 March, its plan (due three working days later)
      submitted on 25 March: late; answered; the customer rejects it;
    - D: voided; E: received, not yet dispatched.
    In April: F (QA) received 1 April 00:05, dispatched."""
    a = new_complaint("2026-03-02T10:00").number
    dispatch(a, severity="important", when="2026-03-02T11:00")
    to_replied(a, when="2026-03-03T09:00")
    with at("2026-03-04T09:00"):
        transition_record(CHEN, a, "accept")
        create_record(
            CHEN,
            "revisit_record",
            {
                "customer": "华源小区业主委员会",
                "complaint": a,
                "revisit_date": "2026-03-04",
                "method": "phone",
                "visitor": "陈",
                "feedback": "满意",
                "satisfaction": "satisfied",
            },
        )
        transition_record(CHEN, a, "close", changes={"result": "已解决"})
    b = new_complaint("2026-03-31T23:30").number
    dispatch(b, department="QA", handler="sun", when="2026-04-01T08:30")
    c = new_complaint("2026-03-15T08:00").number
    dispatch(c, when="2026-03-16T09:00")
    to_replied(c, when="2026-03-25T10:00")
    with at("2026-03-26T10:00"):
        transition_record(CHEN, c, "reject", comment="顾客不满意")
    d = new_complaint("2026-03-10T08:00").number
    with at("2026-03-10T09:00"):
        transition_record(CHEN, d, "void", comment="重复登记")
    e = new_complaint("2026-03-20T08:00").number
    f = new_complaint("2026-04-01T00:05").number
    dispatch(f, department="QA", handler="sun", when="2026-04-01T09:00")
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


def test_the_complaint_rates_of_march_worked_by_hand(march):
    figures = measures.figures(["2026-03"])
    everyone, heat, qa = figures[""], figures["HEAT"], figures["QA"]
    # Received: A, B, C, E and the new sheet C's rejection opened on 26 March
    # (D is void). Dispatched: A, B, C.
    assert everyone["complaints"] == 5 and everyone["dispatched"] == 3
    # Finished: A (closed) and C (answered, rejected); only A in time.
    assert everyone["finished"] == 2 and everyone["timely"] == 1
    assert everyone.timeliness == pytest.approx(1 / 3)
    assert everyone.closure == pytest.approx(1 / 3)  # A closed
    assert everyone.satisfaction == pytest.approx(1 / 3)  # A accepted; C rejected
    assert heat.timeliness == pytest.approx(1 / 2) and heat.closure == pytest.approx(1 / 2)
    assert qa["dispatched"] == 1 and qa.timeliness == 0 and qa.closure == 0
    # E stays with the service centre that recorded it; the reopened sheet
    # stays with HEAT. C became hot with time (answered 10 days after
    # receipt, more than 7), and the sheet reopening it is hot too.
    assert heat["complaints"] == 3 and qa["complaints"] == 1
    assert figures["CS"]["complaints"] == 1 and figures["CS"]["dispatched"] == 0
    assert everyone.by_prefix("severity") == {"important": 1, "general": 2, "hot": 2}
    assert everyone.revisit_rate("important") == 1.0
    assert everyone["in_person:important"] == 0
    # B was received on the last evening of March: it counts in March, not April.
    april = measures.figures(["2026-04"])[""]
    assert april["complaints"] == 1 and april["dispatched"] == 1


def test_an_empty_period_has_no_data_rather_than_a_division_by_zero(march):
    february = measures.figures(["2026-02"])[""]
    assert february["complaints"] == 0
    assert february.timeliness is None and february.closure is None
    assert february.customer_satisfaction is None and february.mean_score is None
    assert february.revisit_rate("major") is None


def test_the_counts_follow_every_change(march):
    # B is answered in time: March's timeliness becomes 2 of 3.
    to_replied(march["B"], handler=SUN, when="2026-04-02T09:00")
    assert measures.figures(["2026-03"])[""].timeliness == pytest.approx(2 / 3)
    # E's receipt time is corrected into February: it moves there.
    record = database().records.find_one({"number": march["E"]})
    revise_record(
        CHEN,
        march["E"],
        {"received_at": "2026-02-27T08:00"},
        base_version=record["version"],
        reason="登记时间有误",
    )
    assert measures.figures(["2026-03"])[""]["complaints"] == 4
    assert measures.figures(["2026-02"])[""]["complaints"] == 1
    # What is kept is what a recount from the records gives.
    kept = {row["_id"]: row["counts"] for row in database().measure_counts.find()}
    measures.rebuild()
    recounted = {row["_id"]: row["counts"] for row in database().measure_counts.find()}
    assert {
        k: {n: v for n, v in c.items() if v} for k, c in kept.items() if any(c.values())
    } == recounted


def _service(service_date, kind="repair", returned=None):
    with at(f"{service_date}T09:00"):
        record = create_record(
            CHEN,
            "customer_service_sheet",
            {
                "customer": "华源小区",
                "service_date": service_date,
                "service_kind": kind,
                "description": "暖气漏水",
                "technician": "王师傅",
            },
        )
    if returned:
        with at(f"{returned}T09:00"):
            transition_record(
                CHEN,
                record.number,
                "return",
                changes={"customer_signed": True, "returned_on": returned, "work_done": "更换阀门"},
            )


def test_repair_timeliness_counts_repairs_returned_within_fifteen_days(complaint_org):
    _service("2026-03-05", returned="2026-03-18")  # 13 days: in time
    _service("2026-03-01", returned="2026-03-20")  # 19 days: late
    _service("2026-03-06")  # not returned
    _service("2026-03-07", kind="maintenance", returned="2026-03-08")  # not a repair
    march = measures.figures(["2026-03"])[""]
    assert march["repairs"] == 3 and march["repairs_timely"] == 1
    assert march.repair_timeliness == pytest.approx(1 / 3)


def _questionnaire(level, created="2026-05-10T09:00", filed="2026-05-10T10:00"):
    with at(created):
        record = create_record(
            CHEN,
            "satisfaction_questionnaire",
            {
                "customer": "客户",
                "survey_year": 2026,
                "verified_complaints": 0,
                "serious_complaints": 0,
                **dict.fromkeys(ITEM_FIELDS, level),
            },
        )
    if filed:
        with at(filed):
            transition_record(CHEN, record.number, "file")
    return record


def test_customer_satisfaction_rate_mean_and_spread_of_the_scores(complaint_org):
    scores = [
        float(_questionnaire(level).data["score"])
        for level in ("satisfied", "neutral", "dissatisfied")
    ]
    # Satisfied = 90, neutral = 70 (basically satisfied at 70), dissatisfied = 30.
    assert scores == [90.0, 70.0, 30.0]
    # Still being filled in: neither sampled nor scored (it would add a
    # satisfied customer and a 100 to the mean).
    _questionnaire("very_satisfied", filed=None)
    may = measures.figures(["2026-05"])[""]
    assert may["sampled"] == 3 and may["customers_satisfied"] == 2
    assert may.customer_satisfaction == pytest.approx(2 / 3)
    assert may.mean_score == pytest.approx(190 / 3)
    mean = 190 / 3
    spread = ((90 - mean) ** 2 + (70 - mean) ** 2 + (30 - mean) ** 2) / 3
    assert may.score_spread == pytest.approx(spread**0.5)
    assert may.by_prefix("score_band") == {"9": 1, "7": 1, "3": 1}


def test_a_questionnaire_counts_in_the_local_month_it_was_filed(complaint_org):
    # Created in March; filed at 00:30 on 1 April in Shanghai, which is 16:30
    # UTC on 31 March: it belongs to April's sample.
    _questionnaire("satisfied", created="2026-03-20T09:00", filed="2026-04-01T00:30")
    # Filed at 23:50 on 30 April (15:50 UTC): still April.
    _questionnaire("dissatisfied", created="2026-04-30T23:00", filed="2026-04-30T23:50")
    march, april, may = (measures.figures([m])[""] for m in ("2026-03", "2026-04", "2026-05"))
    assert march["sampled"] == 0 and may["sampled"] == 0
    assert april["sampled"] == 2 and april["customers_satisfied"] == 1
    assert april.mean_score == pytest.approx((90 + 30) / 2)
    # A voided questionnaire leaves the sample.
    draft = _questionnaire("satisfied", created="2026-04-10T09:00", filed=None)
    with at("2026-04-10T10:00"):
        transition_record(CHEN, draft.number, "void", comment="填错客户")
    assert measures.figures(["2026-04"])[""]["sampled"] == 2


def _closed_major(received_at: str):
    """A major complaint answered, accepted, revisited in person and closed;
    answers the complaint's and the revisit's numbers."""
    day = received_at[:10]
    number = new_complaint(received_at).number
    dispatch(number, severity="major", when=f"{day}T11:00")
    to_replied(number, when=f"{day}T15:00")
    with at(f"{day}T16:00"):
        transition_record(CHEN, number, "accept")
        revisit = create_record(
            CHEN,
            "revisit_record",
            {
                "customer": "华源小区业主委员会",
                "complaint": number,
                "revisit_date": day,
                "method": "visit",
                "visitor": "陈",
                "feedback": "满意",
                "satisfaction": "satisfied",
            },
        )
        transition_record(CHEN, number, "close", changes={"result": "已解决"})
    return number, revisit.number


def test_the_revisit_rate_of_major_complaints_counts_visits_in_person_only(complaint_org):
    from records.reports import Period, build
    from records.word.texts import Texts

    _closed_major("2026-06-02T09:00")
    _, corrected = _closed_major("2026-06-03T09:00")
    # After closure the second revisit is corrected: it was a phone call.
    with at("2026-06-04T09:00"):
        revise_record(CHEN, corrected, {"method": "phone"}, base_version=1, reason="实为电话回访")
    june = measures.figures(["2026-06"])[""]
    # Two major complaints closed, both revisited, one of them in person:
    # the rate is 1 of 2 (counting any revisit would give 2 of 2).
    assert june["closed:major"] == 2 and june["revisited:major"] == 2
    assert june["in_person:major"] == 1
    assert june.revisit_rate("major") == pytest.approx(1 / 2)
    report = build(Period("month", 2026, 6), Texts("en"))
    rows = next(s for s in report.sections if s.key == "revisits").rows
    major = next(row for row in rows if row[0] == "Major")
    assert [cell.value for cell in major[1:]] == [2, 2, 1, pytest.approx(0.5), 1.0]
    # The register's quota row says the same.
    quota = next(
        q
        for q in worklists.revisit_quotas(CHEN, date(2026, 6, 1), date(2026, 6, 30))
        if q.severity == "major"
    )
    assert (quota.closed, quota.revisited, quota.in_person) == (2, 2, 1)
    assert quota.rate == pytest.approx(0.5) and quota.met is False
