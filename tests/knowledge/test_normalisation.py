"""The normalisation tables under knowledge/data/: what a cadre types finds the quoted place.

Each table (fillers, shorthand, abbreviations with their context rules, synonyms, the
gazetteer) is checked by a question typed the way it is written out, and the place the
answer quotes. Questions are our own, not the dev sets'.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from knowledge import Library
from knowledge.lexicon import PLACES
from knowledge.query import expand, find_places, parse_query

DATA = Path(__file__).resolve().parents[1] / "data"


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", "", s.replace("đ", "d").replace("Đ", "D").lower())


def _says(library: Library, question: str, *facts: str) -> str:
    answer = library.answer(question)
    assert answer.found, answer.text
    for fact in facts:
        assert _fold(fact) in _fold(answer.text), answer.text
    return answer.text


def test_chat_fillers_do_not_change_the_answer(library: Library) -> None:
    plain = library.answer("Điều lệ Đảng tổng kết bao nhiêu năm thi hành?")
    chatty = library.answer(
        "Cho em hỏi chút, năm nay Điều lệ Đảng được tổng kết bao nhiêu năm thi hành vậy ạ?"
    )
    assert plain.found and chatty.found
    assert "15 năm thi hành Điều lệ Đảng" in chatty.text
    assert chatty.sources[0].ref == plain.sources[0].ref


def test_gapped_fillers_and_the_askers_own_context_are_dropped() -> None:
    query = parse_query("em ở huyện ủy, ngoài sơ kết ra còn tổng kết gì nữa không ạ")
    assert query.content == ["sơ", "kết", "tổng", "kết"]


def test_unaccented_fillers_keep_their_content_homographs() -> None:
    # "co" is filler ("có") but not in "co so" (cơ sở); "thi" not in "thi dua" (thi đua).
    content = parse_query("co so dang co thi dua khong").content
    assert content == ["co", "so", "dang", "thi", "dua"]


def test_shorthand_is_written_out(library: Library) -> None:
    assert expand("ko dc j bn ntn", chat=True) == ("không được gì bao nhiêu như thế nào".split())
    _says(library, "bt cap uy cap huyen ko phai ng dia phuong ca nuoc dat bn %", "84,92%")


def test_ct_is_chu_tich_before_nuoc_and_chi_thi_otherwise() -> None:
    assert expand("VP CT nước")[-3:] == ["chủ", "tịch", "nước"]
    assert expand("CT 39")[:2] == ["chỉ", "thị"]
    assert parse_query("CT 39 ban hành ngày nào").refs == {("39", "ct")}


def test_capital_only_abbreviations_stay_words_in_lower_case() -> None:
    assert expand("Các TCCSĐ trực thuộc HU")[-2:] == ["huyện", "ủy"]
    assert "huyện" not in expand("hư hỏng hu hu")


def test_a_term_number_becomes_roman(library: Library) -> None:
    assert "xiv" in parse_query("khoa 14 thi quy hoach BCH TW nhiem ky nao").words
    text = _says(library, "khoa 14 thi quy hoach BCH TW nhiem ky nao", "2026-2031")
    assert "Mục I" in text


def test_everyday_words_find_the_directives(library: Library) -> None:
    text = _says(
        library,
        "Quy định cho thủ trưởng được tạm đình chỉ công tác cấp dưới là gì?",
        "người đứng đầu",
        "tạm đình chỉ công tác",
    )
    assert "chú thích" in text


def test_a_count_is_found_under_the_directives_word(library: Library) -> None:
    _says(library, "năm nay hướng dẫn bao nhiêu học viên cao học?", "02 thạc sĩ")


def test_gazetteer_lists_63_provinces_and_regions_of_provinces() -> None:
    provinces = {n for n, p in PLACES.items() if p.kind == "province"}
    assert len(provinces) == 63
    for place in PLACES.values():
        if place.kind == "region":
            assert set(place.members) <= provinces, place.name


def test_names_are_kept_whole() -> None:
    names = [n for _, _, n in find_places("hà giang hậu giang nam định hà nam".split())]
    assert names == ["Hà Giang", "Hậu Giang", "Nam Định", "Hà Nam"]
    assert [n for _, _, n in find_places("ba ria vung tau".split())] == ["Bà Rịa - Vũng Tàu"]


def test_hau_giang_is_not_ha_giang(library: Library) -> None:
    answer = library.answer("Hậu Giang có trong danh sách nào?")
    assert answer.found
    assert any(s.ref.endswith("chú thích 3") for s in answer.sources)  # 3-4% list
    assert not any(s.ref.endswith("chú thích 2") for s in answer.sources)  # 100% list


def test_a_region_is_asked_about_through_its_provinces(library: Library) -> None:
    _says(
        library,
        "ĐBSCL có tỉnh nào đạt 100% bí thư cấp huyện không là người địa phương?",
        "Long An",
        "Bến Tre",
        "Cần Thơ",
    )


def test_numbered_items_are_addressable(library: Library) -> None:
    answer = library.answer("Kết quả nổi bật thứ ba năm 2023 là gì?")
    assert answer.found and answer.sources[0].quote.startswith("(3) Công tác cán bộ")


def test_a_heading_is_quoted_with_its_text(library: Library) -> None:
    answer = library.answer("Nhiệm vụ 8 về kiểm tra, giám sát, khảo sát gồm những gì?")
    assert [s.ref for s in answer.sources][:2] == ["Mục II.8", "Mục II.8, nhiệm vụ 8.1"]


def test_a_cited_footnote_is_quoted_with_its_sentence(library: Library) -> None:
    text = _says(library, "Bộ Chính trị ban hành bao nhiêu kết luận?", "60 văn bản", "07 kết luận")
    assert "chú thích 1" in text


def test_held_out_chat_questions_file_is_well_formed() -> None:
    styles = {"part1", "meta", "paraphrase", "sloppy", "proper_names", "out_of_scope"}
    lines = (DATA / "qa_heldout2.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines]
    assert {c["style"] for c in cases} == styles
    for case in cases:
        assert ("all" in case) != (case.get("expect_found") is False), case["id"]


@pytest.mark.parametrize("question", ["hôm nay", "ngày mai"])
def test_todays_facts_are_never_in_the_directive(library: Library, question: str) -> None:
    answer = library.answer(f"Hội nghị ngành tổ chức {question} họp ở đâu?")
    assert not answer.found and "/nhiemvu" in answer.text


def test_a_province_is_quoted_in_every_list_with_what_the_list_means(library: Library) -> None:
    answer = library.answer("Cần Thơ được kết luận nêu ở những danh sách nào?")
    refs = [s.ref for s in answer.sources]
    assert "Mục I, chú thích 2" in refs and "Mục I, chú thích 3" in refs
    assert "100%" in answer.text and "3-4%" in answer.text
    assert answer.text.count("Cần Thơ") == 2 and len(answer.text) <= 800


def test_the_quote_runs_on_into_the_next_sentence_that_holds_the_fact(library: Library) -> None:
    # the asked "trình Hội nghị Trung ương mấy" is in the segment after the one that matches
    _says(library, "quy hoach BBT khoa 14 trinh hoi nghi TW lan may", "Hội nghị Trung ương 10")


def test_a_named_documents_date_is_quoted_from_its_footnote(library: Library) -> None:
    text = _says(library, "qd 71 ve tong bien che ban hanh ngay nao", "18/7/2022")
    assert "chú thích 12" in text
