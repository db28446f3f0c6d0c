"""Search over records as users meet it: found, scoped, current and past."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from records.clock import from_local, simulated, to_local
from records.operations import create_record, revert_record, revise_record
from records.retention import dispose_record
from records.store import database
from search_index import CERTIFICATE_TYPE, QueryError, Search, search
from tests.records.conftest import HANDOVER, PROCEDURE, actor
from tests.records.test_audit_retention import _closed_record


@pytest.fixture
def staff_cs(ctx):
    return actor("wang", "staff", department="CS")


@pytest.fixture
def staff_qa(ctx):
    return actor("zhao", "staff", department="QA")


@pytest.fixture
def auditor(ctx):
    return actor("audit", "auditor", department=None)


def log(who, events, **extra):
    return create_record(who, "handover_log", {**HANDOVER, "events": events, **extra})


def test_a_phrase_a_customer_said_finds_the_record(staff_cs, find):
    wanted = log(staff_cs, "客户反映空调外机噪音很大，夜间影响休息。")
    log(staff_cs, "3号楼供暖管道漏水，已关阀。")
    assert find(staff_cs, "空调 噪音") == [wanted.number]
    assert find(staff_cs, '"空调外机噪音"') == [wanted.number]
    assert find(staff_cs, '"噪音空调"') == []
    assert find(staff_cs, "外机") == [wanted.number]


def test_numbers_and_form_codes_are_found_exactly(staff_cs, find):
    first = log(staff_cs, "第一条")
    second = log(staff_cs, "第二条")
    assert find(staff_cs, first.number) == [first.number]
    assert find(staff_cs, first.number.lower()) == [first.number]
    assert sorted(find(staff_cs, "QR-021")) == sorted([first.number, second.number])
    assert find(staff_cs, f"number:{second.number}") == [second.number]


def test_and_or_not_and_field_filters(staff_cs, controller_actor, find):
    pipe = log(staff_cs, "供暖管道漏水")
    noise = log(staff_cs, "空调噪音")
    both = log(staff_cs, "供暖管道漏水，空调噪音")
    procedure = create_record(controller_actor, "procedure_document", PROCEDURE)
    assert sorted(find(staff_cs, "漏水 OR 噪音")) == sorted(
        [pipe.number, noise.number, both.number]
    )
    assert find(staff_cs, "漏水 NOT 噪音") == [pipe.number]
    assert find(staff_cs, "漏水 AND 噪音") == [both.number]
    assert find(controller_actor, "记录", types=("procedure_document",)) == [procedure.number]
    assert find(controller_actor, "type:procedure_document") == [procedure.number]
    assert find(controller_actor, "漏水", states=("accepted",)) == []
    assert len(find(controller_actor, "漏水", states=("open",))) == 2


@pytest.fixture
def controller_actor(ctx):
    return actor("chen", "controller", department="QC")


def test_edits_reverts_and_history_are_reflected(staff_cs, auditor, find, store):
    record = log(staff_cs, "空调噪音")
    before = database().records.find_one({"number": record.number})["updated_at"]
    revise_record(staff_cs, record.number, {"events": "供暖漏水"}, base_version=1)
    assert find(staff_cs, "噪音") == []
    assert find(staff_cs, "漏水") == [record.number]
    assert find(auditor, "噪音", history=True) == [f"{record.number}@1"]
    assert find(auditor, "噪音", as_of=before + timedelta(milliseconds=1)) == [f"{record.number}@1"]
    assert find(auditor, "漏水", as_of=before + timedelta(milliseconds=1)) == []
    revert_record(staff_cs, record.number, 1, base_version=2, reason="改错了")
    assert find(staff_cs, "噪音") == [record.number]
    assert find(staff_cs, "漏水") == []
    assert sorted(find(auditor, "噪音", history=True)) == [
        f"{record.number}@1",
        f"{record.number}@3",
    ]
    # The second version was in force from its save until the revert.
    second = database().record_versions.find_one({"number": record.number, "version": 2})
    assert find(auditor, "漏水", as_of=second["changed_at"]) == [f"{record.number}@2"]


def test_staff_can_not_search_history(staff_cs, find):
    log(staff_cs, "空调噪音")
    with pytest.raises(QueryError, match="past versions"):
        find(staff_cs, "噪音", history=True)


def test_a_disposed_record_is_found_only_as_its_certificate(staff_cs, find, auditor, ctx):
    record = log(staff_cs, "客户投诉空调噪音", taken_over_by="李雷")
    old = _closed_record(staff_cs, 4, record)
    dispose_record(actor("director", "approver", department="MGMT"), old.number, "保存期满销毁")
    assert find(staff_cs, "噪音") == []
    assert find(auditor, "噪音", history=True) == []
    assert find(auditor, old.number) == [old.number]
    assert find(auditor, "销毁", types=(CERTIFICATE_TYPE,)) == [old.number]
    assert find(staff_cs, old.number) == []  # certificates are for controllers and auditors


def test_staff_never_see_another_departments_records_counts_or_words(
    staff_cs, staff_qa, store, indexer
):
    mine = log(staff_cs, "客户投诉空调噪音")
    log(staff_qa, "客户投诉空调噪音，质检部内部")
    log(staff_qa, "客户投诉电梯故障")
    indexer.drain()
    found = search(store, staff_cs, Search(text="投诉"))
    assert [hit.key for hit in found.hits] == [mine.number]
    assert found.total == 1
    assert dict(found.facets["department"]) == {"CS": 1}
    assert dict(found.facets["type"]) == {"handover_log": 1}
    assert search(store, staff_cs, Search(text="电梯")).total == 0
    assert search(store, staff_cs, Search(text="质检部")).total == 0
    everything = search(store, actor("audit", "auditor", department=None), Search(text="投诉"))
    assert everything.total == 3
    assert dict(everything.facets["department"]) == {"CS": 1, "QA": 2}


def test_staff_who_moved_department_still_find_what_they_created(staff_cs, find):
    record = log(staff_cs, "代录投诉")
    moved = actor("wang", "staff", department="QA")
    assert find(moved, "代录") == [record.number]
    assert find(actor("li", "staff", department="QA"), "代录") == []


def test_confidential_fields_are_searched_only_by_roles_that_see_them(
    contact_type, staff_cs, controller_actor, find
):
    record = create_record(
        staff_cs,
        contact_type.name,
        {"title": "来电", "details": "咨询保修", "phone": "13912345678"},
    )
    assert find(controller_actor, "13912345678") == [record.number]
    assert find(staff_cs, "13912345678") == []
    assert find(staff_cs, "保修") == [record.number]


def test_sorting_paging_and_totals(staff_cs, store, indexer):
    numbers = [log(staff_cs, f"第{i}次 漏水").number for i in range(7)]
    indexer.drain()
    first = search(store, staff_cs, Search(text="漏水", sort="date", per_page=3))
    assert first.total == 7 and first.pages == 3
    assert [hit.key for hit in first.hits] == numbers[::-1][:3]
    last = search(store, staff_cs, Search(text="漏水", sort="date", per_page=3, page=3))
    assert [hit.key for hit in last.hits] == [numbers[0]]
    assert search(store, staff_cs, Search(types=("handover_log",))).total == 7


def test_date_range_filters_on_creation(staff_cs, find):
    record = log(staff_cs, "漏水")
    day = to_local(record.created_at).date()
    assert find(staff_cs, "漏水", date_from=day, date_to=day) == [record.number]
    assert find(staff_cs, "漏水", date_to=day - timedelta(days=1)) == []
    with pytest.raises(QueryError, match="after the end"):
        find(staff_cs, "漏水", date_from=day, date_to=day - timedelta(days=1))


def test_date_range_days_are_local_days(staff_cs, find):
    # 00:30 on 1 March in Shanghai is 16:30 UTC on 28 February.
    moment = from_local(datetime(2026, 3, 1, 0, 30))
    with simulated(lambda: moment):
        record = log(staff_cs, "漏水", shift_date="2026-03-01")
    march_1, feb_28 = date(2026, 3, 1), date(2026, 2, 28)
    assert find(staff_cs, "漏水", date_from=march_1, date_to=march_1) == [record.number]
    assert find(staff_cs, "漏水", date_from=feb_28, date_to=feb_28) == []


@pytest.mark.parametrize(
    "hostile",
    [
        '"unbalanced',
        "((((",
        ")))",
        "漏水 AND",
        "OR OR OR",
        "*:*",
        "*",
        "漏*水*",
        "?",
        "nosuchfield:漏水",
        "people:wang",
        "private:139",
        "key:x",
        "[a TO z]",
        "漏水^99999",
        "NOT",
        "\x00",
        "🙂",
        "'",
        "a" * 400,
    ],
)
def test_hostile_queries_give_a_sensible_result_or_a_clear_message(staff_cs, find, hostile):
    log(staff_cs, "漏水")
    try:
        found = find(staff_cs, hostile)
    except QueryError as error:
        assert error.message
    else:
        assert isinstance(found, list)


def test_huge_queries_are_refused_clearly(staff_cs, find):
    with pytest.raises(QueryError, match="too long"):
        find(staff_cs, "漏水 " * 300)
    with pytest.raises(QueryError, match="too many words"):
        find(staff_cs, " OR ".join(f"词{i}" for i in range(60)))


def test_a_query_naming_another_department_still_finds_only_mine(staff_cs, staff_qa, find):
    log(staff_qa, "漏水")
    assert find(staff_cs, "department:QA") == []
    assert find(staff_cs, "people:zhao") == []


def test_traditional_full_width_and_mixed_queries_find_simplified_records(staff_cs, find):
    record = log(staff_cs, "客户反映空调噪音，型号KFR-35GW，complained twice。")
    assert find(staff_cs, "空調 噪音") == [record.number]
    assert find(staff_cs, "ＫＦＲ－３５ＧＷ") == [record.number]
    assert find(staff_cs, "Complaining 噪音") == [record.number]  # stemmed, any case
    assert find(staff_cs, "噪调") == []  # characters in the order typed, not a soup


def test_attachment_names_are_searchable(staff_cs, find):
    from records.attachments import attach_file

    record = log(staff_cs, "漏水")
    attach_file(staff_cs, record.number, "维修报告.pdf", b"%PDF-1.4\n%%EOF\n", base_version=1)
    assert find(staff_cs, "维修报告") == [record.number]


def test_a_word_the_segmenter_cuts_differently_in_context_is_still_found(staff_cs, find):
    # jieba cuts 他们/和/服务员 here, so the word 和服 is not among its words.
    record = log(staff_cs, "他们和服务员吵架了")
    assert find(staff_cs, "和服") == [record.number]
    # 桂园 comes out of 碧桂园 before the long word itself: still indexed.
    estate = log(staff_cs, "碧桂园小区漏水")
    assert find(staff_cs, "桂园") == [estate.number]
    assert find(staff_cs, '"和服务"') == [record.number]
    assert find(staff_cs, "调噪") == []


def test_a_quoted_run_of_characters_finds_them_in_that_order_words_ranking_first(staff_cs, find):
    words = log(staff_cs, "客户反映空调漏水严重")
    characters = log(staff_cs, "中央空调漏水管堵了")  # 空调/漏水管: other words, same characters
    apart = log(staff_cs, "空调，漏水")
    assert find(staff_cs, '"空调漏水"') == [words.number, characters.number]
    # Typed apart, the words in order are found, across the comma too.
    assert sorted(find(staff_cs, '"空调 漏水"')) == sorted(
        [words.number, characters.number, apart.number]
    )


def test_a_quoted_phrase_does_not_run_across_a_line_break(staff_cs, find):
    same_line = log(staff_cs, "客户反映空调漏水严重")
    two_lines = log(staff_cs, "客户反映空调\n漏水严重")
    assert find(staff_cs, '"空调漏水"') == [same_line.number]
    assert find(staff_cs, '"空调 漏水"') == [same_line.number]
    # Unquoted, the words are found anywhere.
    assert sorted(find(staff_cs, "空调 漏水")) == sorted([same_line.number, two_lines.number])


def test_a_word_match_ranks_above_a_match_of_its_characters_only(staff_cs, find):
    characters = log(staff_cs, "他们和服务员吵架了")
    word = log(staff_cs, "客户送来和服一件，要求清洗")
    assert find(staff_cs, "和服") == [word.number, characters.number]


def test_the_record_type_is_found_by_its_title_in_every_language(staff_cs, find):
    record = log(staff_cs, "漏水")
    for typed in ("交接班", "交接班記錄", "handover"):
        assert find(staff_cs, typed) == [record.number], typed


def test_a_record_number_puts_that_record_first(staff_cs, find):
    first = log(staff_cs, "漏水")
    mentions = log(staff_cs, f"跟进 {first.number} {first.number} {first.number} 的漏水")
    assert find(staff_cs, first.number) == [first.number, mentions.number]


def test_complaints_are_found_by_their_type_and_choices_by_their_labels(
    complaint_org, auditor, find
):
    from tests.records.people import CHEN
    from tests.records.test_complaints import COMPLAINT, received

    record = create_record(CHEN, "complaint_sheet", {**COMPLAINT, "received_at": received()})
    # The channel is kept as "hotline" and shown as 热线/电话, 熱線/電話 or "Hotline / phone".
    for typed in ("投诉", "投訴", "complaint", "complaints", "热线", "熱線", "phone"):
        assert find(auditor, typed) == [record.number], typed


def test_filters_never_change_the_ranking(staff_cs, staff_qa, auditor, store, indexer):
    mine = {log(staff_cs, "漏水" * n + "，其他内容说明").number for n in (1, 3, 2)}
    log(staff_qa, "漏水漏水漏水漏水")
    indexer.drain()
    seen_by_staff = search(store, staff_cs, Search(text="漏水")).hits
    seen_by_auditor = search(store, auditor, Search(text="漏水")).hits
    assert len(seen_by_auditor) == 4
    assert [(hit.key, hit.score) for hit in seen_by_staff] == [
        (hit.key, hit.score) for hit in seen_by_auditor if hit.key in mine
    ]
    assert len({hit.score for hit in seen_by_staff}) == 3
