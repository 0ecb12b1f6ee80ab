"""The answer check knows what was asked: the kind of fact, and the year or number named.

When the directive holds something close but not the fact asked, the bot says so in one
line, quotes the closest content, and counts it as not found.
"""

from __future__ import annotations

import pytest

from knowledge import Library
from knowledge.answer import MAX_ANSWER


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("Giải Búa liềm vàng lần IX được thưởng bao nhiêu tiền?", "không nêu số tiền"),
        ("Hội nghị tổng kết năm 2024 họp ngày nào?", "2024"),
        ("Năm 2023 kết nạp được bao nhiêu đảng viên mới?", "không nêu con số"),
        ("Trong 10 nhóm nhiệm vụ, giải pháp thì nhóm thứ 12 là gì?", "mục thứ 12"),
        ("Hội nghị Trung ương 10 họp ngày nào?", "không nêu thời gian"),
        ("Ai thay đồng chí Trương Thị Mai làm Trưởng Ban Tổ chức Trung ương?", "người"),
        ("Lễ trao giải Búa liềm vàng lần thứ IX tổ chức ở đâu?", "không nêu địa điểm"),
    ],
)
def test_a_close_passage_without_the_asked_fact_is_not_an_answer(
    library: Library, question: str, missing: str
) -> None:
    answer = library.answer(question)
    assert not answer.found
    first_line = answer.text.split("\n")[0]
    assert missing in first_line and "nội dung liên quan" in first_line
    assert "«" in answer.text and len(answer.text) <= MAX_ANSWER


def test_the_same_kind_of_fact_when_stated_is_answered(library: Library) -> None:
    assert "28/12/2023" in library.answer("Hội nghị tổng kết năm 2023 họp ngày nào?").text
    assert "Hội trường Bộ Quốc phòng" in library.answer("Hội nghị tổng kết họp ở đâu?").text
    assert "21 đoàn" in library.answer("Năm 2024 có bao nhiêu đoàn khảo sát?").text


def test_a_documents_own_date_answers_only_a_question_about_that_document(
    library: Library,
) -> None:
    assert "30/5/2019" in library.answer("Chỉ thị 35-CT/TW ban hành ngày nào?").text
    assert not library.answer("Đại hội XIV họp vào ngày nào?").found


def test_a_year_stated_only_as_the_end_of_a_range_is_not_that_year(library: Library) -> None:
    answer = library.answer("Năm 2025 ngành tổ chức đề ra những nhiệm vụ gì?")
    assert not answer.found
