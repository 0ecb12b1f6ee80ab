"""Answers cadres can trust: quoted, located, short, and honest when out of scope."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import Library, load_library
from knowledge.answer import MAX_ANSWER
from knowledge.library import read_bundled

DATA = Path(__file__).resolve().parents[1] / "data"


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", "", s.replace("đ", "d").replace("Đ", "D").lower())


def _correct(case: dict, library: Library) -> bool:
    answer = library.answer(case["q"])
    if case.get("expect_found") is False:
        return not answer.found
    text = _fold(answer.text)
    facts = case.get("all") or case.get("any") or []
    check = all if "all" in case else any
    return (
        answer.found and len(answer.text) <= MAX_ANSWER and check(_fold(f) in text for f in facts)
    )


def test_held_out_questions_are_answered(library: Library) -> None:
    cases = [json.loads(line) for line in (DATA / "qa_heldout.jsonl").read_text().splitlines()]
    misses = [c["q"] for c in cases if not _correct(c, library)]
    assert len(misses) <= 0.1 * len(cases), misses


def test_answer_quotes_the_directive_and_says_where(library: Library) -> None:
    answer = library.answer("Kế hoạch vị trí việc làm phải hoàn thiện trước ngày nào?")
    assert answer.found
    assert "31/3/2024" in answer.text
    assert "Mục II.3" in answer.text and "Kết luận 09-KL/BTCTW" in answer.text
    source = answer.sources[0]
    assert source.document == "09-KL/BTCTW" and source.quote in read_bundled()


@pytest.mark.parametrize(
    ("marked", "plain"),
    [
        (
            "Tỷ lệ kết nạp đảng viên mới so với đầu năm",
            "ty le ket nap dang vien moi so voi dau nam",
        ),
        ("Kết luận 35-KL/TW ban hành ngày nào?", "ket luan 35-KL/TW ban hanh ngay nao"),
        ("hạn chót vị trí việc làm", "VTVL han chot"),
    ],
)
def test_diacritics_and_abbreviations_do_not_change_the_answer(
    library: Library, marked: str, plain: str
) -> None:
    a, b = library.answer(marked), library.answer(plain)
    assert a.found and b.found
    assert a.sources[0].ref == b.sources[0].ref


def test_named_document_is_answered_from_where_it_is_cited(library: Library) -> None:
    answer = library.answer("QĐ 244 ban hành ngày nào")
    assert answer.found and "9/6/2014" in answer.text


def test_list_question_brings_the_footnote_list(library: Library) -> None:
    answer = library.answer("Những tỉnh nào chưa cụ thể hóa Kết luận 35?")
    assert answer.found and "chú thích 4" in answer.text and "Quảng Nam" in answer.text


@pytest.mark.parametrize(
    "question",
    ["Tỷ giá đô la hôm nay?", "lich chieu phim cuoi tuan", "Nghị quyết 57-NQ/TW nói gì?"],
)
def test_out_of_scope_questions_say_what_the_bot_can_do(library: Library, question: str) -> None:
    answer = library.answer(question)
    assert not answer.found and not answer.sources
    assert "/nhiemvu" in answer.text


@pytest.mark.parametrize("question", ["", "   \n\t", "?!...", "😀😀😀", "x" * 100_000, "\x00\x07"])
def test_bad_input_gets_a_clear_reply(library: Library, question: str) -> None:
    answer = library.answer(question)
    assert not answer.found and answer.text and len(answer.text) <= MAX_ANSWER


def test_documents_dir_adds_a_directive(tmp_path: Path) -> None:
    text = read_bundled().replace("09-KL/BTCTW", "12-KL/BTCTW")
    (tmp_path / "kl12.txt").write_text(text, encoding="utf-8")
    library = load_library(tmp_path)
    assert [d.number for d in library.documents] == ["09-KL/BTCTW", "12-KL/BTCTW"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_answer_never_raises_and_stays_short(text: str) -> None:
    answer = _LIBRARY.answer(text)
    assert len(answer.text) <= MAX_ANSWER
    assert answer.found is bool(answer.sources)


_LIBRARY = load_library()
