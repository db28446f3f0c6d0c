"""Chinese by words, English stemmed, numbers whole: the same on both sides."""

from __future__ import annotations

from search_index.analysis import normalize, query_terms, terms


def indexed(text):
    return {term for term, *_ in terms(text, index=True)}


def test_two_character_words_are_words_not_characters():
    words = query_terms("客户投诉处理")
    assert {"客户", "投诉", "处理"} <= words
    assert "客" not in words and "户" not in words


def test_long_words_are_found_by_their_parts_only_when_indexed():
    assert query_terms("管理程序") == {"管理程序"}
    assert {"管理程序", "管理", "程序"} <= indexed("售后服务管理程序")
    # The parts sit at the long word's position, so phrases still line up.
    positions = {term: pos for term, pos, *_ in terms("质量管理程序", index=True)}
    assert positions["管理"] == positions["程序"] == positions["管理程序"]


def test_english_is_stemmed_and_lower_cased_and_mixes_with_chinese():
    words = query_terms("Customer COMPLAINED about delays 交货延迟")
    assert {"custom", "complain", "delai", "交货", "延迟"} <= words
    assert "about" in words and "the" not in query_terms("the delays")
    assert query_terms("complaints") == query_terms("complaint")


def test_full_width_characters_fold_to_ascii():
    assert query_terms("ＱＲ－０１８") == query_terms("QR-018")
    assert normalize("ＡＢＣ１２３") == "ABC123"


def test_traditional_and_simplified_variants_meet():
    assert query_terms("質量記錄") == query_terms("质量记录")
    assert query_terms("投訴處理") == query_terms("投诉处理")
    assert "记录" in indexed("記錄編號")


def test_record_numbers_stay_whole_and_carry_their_form_code():
    words = indexed("见记录QR-018-2026-0007。")
    assert "qr-018-2026-0007" in words and "qr-018" in words
    assert query_terms("QR-018-2026-0007") == {"qr-018-2026-0007"}
    assert query_terms("GAEPC/QR-018 A/0") >= {"gaepc", "qr-018"}


def test_offsets_point_into_the_original_text():
    text = "客户王先生投诉空调噪音"
    for term, _pos, start, end in terms(text, index=True):
        assert normalize(text[start:end]).lower() == term


def test_the_index_writer_gets_the_same_terms_as_the_analyzer():
    from collections import defaultdict

    from search_index.analysis import index_positions

    for text in [
        "记录编号QR-018-2026-0007的客户投诉处理程序，质量管理程序文件",
        "中华人民共和国国务院 管理程序管理程序 售后服务",
        "Customer complaints 質量記錄",
    ]:
        expected = defaultdict(set)
        for term, pos, *_ in terms(text, index=True):
            expected[term].add(pos)
        assert index_positions(text) == {t: sorted(p) for t, p in expected.items()}
