"""Vietnamese normalisation: what a cadre types matches what the directive says."""

from __future__ import annotations

import unicodedata

from knowledge.query import expand, parse_query
from knowledge.text import fold, normalize, place_tone


def test_tone_marks_are_placed_one_way() -> None:
    assert normalize("hoà thuỷ uỷ ban thoả thuận") == "hòa thủy ủy ban thỏa thuận"
    assert place_tone("hoàng") == "hoàng"
    assert place_tone("quý") == "quý"
    assert place_tone("giữ") == "giữ"


def test_decomposed_and_composed_text_normalise_alike() -> None:
    composed = "Kết luận về vị trí việc làm"
    decomposed = unicodedata.normalize("NFD", composed)
    assert normalize(decomposed) == normalize(composed)


def test_folding_drops_marks_and_lookalike_d() -> None:
    assert fold("Đảng ỦY") == "dang uy"
    assert fold("Ðảng") == "dang"  # U+00D0, the Icelandic look-alike


def test_ti_is_written_ty() -> None:
    assert normalize("tỉ lệ") == "tỷ lệ"


def test_sector_abbreviations_are_written_out() -> None:
    assert (
        expand("VTVL của TCCSĐ và ĐV")
        == "vị trí việc làm của tổ chức cơ sở đảng và đảng viên".split()
    )
    assert expand("BCH TW, BCT, BBT, BVCTNB") == (
        "ban chấp hành trung ương bộ chính trị ban bí thư bảo vệ chính trị nội bộ".split()
    )


def test_capital_only_abbreviations_leave_ordinary_words_alone() -> None:
    assert expand("Các TCCSĐ trực thuộc HU")[-2:] == ["huyện", "ủy"]
    assert "huyện" not in expand("hư hỏng hu hu")


def test_question_names_documents_by_kind_and_number() -> None:
    assert parse_query("KL 35 về nội dung gì").refs == {("35", "kl")}
    assert parse_query("QĐ 244 ban hành ngày nào").refs == {("244", "qd")}
    assert parse_query("Nghị quyết 28-NQ/TW").refs == {("28", "nq")}


def test_courtesy_words_do_not_count() -> None:
    plain = parse_query("Kế hoạch vị trí việc làm hạn khi nào").content
    polite = parse_query("Ad ơi cho em hỏi kế hoạch vị trí việc làm hạn khi nào ạ").content
    assert polite == plain
