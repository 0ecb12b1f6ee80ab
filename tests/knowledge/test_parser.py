"""The directive as parsed: metadata, structure, footnotes, deadlines, repaired page breaks."""

from __future__ import annotations

from datetime import date

from knowledge import Library
from knowledge.library import read_bundled
from knowledge.parser import parse_document


def test_metadata_of_the_directive(library: Library) -> None:
    meta = library.default.metadata
    assert (meta.number, meta.kind, meta.place, meta.issued) == (
        "09-KL/BTCTW",
        "Kết luận",
        "Hà Nội",
        date(2024, 1, 11),
    )
    assert meta.issuer == "Ban Tổ chức Trung ương"
    assert meta.signer == "Mai Văn Chính"
    assert meta.title.startswith("Hội nghị toàn quốc tổng kết")


def test_certified_copies_with_their_numbers_and_dates(library: Library) -> None:
    copies = {
        (c.kind, c.issuer, c.number, c.issued, c.signer) for c in library.default.metadata.copies
    }
    assert copies == {
        ("sao y", "Tỉnh ủy Bình Định", "686-SY/TU", date(2024, 2, 19), "Nguyễn Trung Kiên"),
        ("sao lục", "Huyện ủy Tuy Phước", "172-BS/HU", date(2024, 2, 23), "Đặng Thị Bích Dâng"),
    }


def test_task_codes_follow_the_directive_numbering(library: Library) -> None:
    codes = [t.code for t in library.tasks()]
    assert codes[:3] == ["1", "1.1", "1.2"]
    assert {"2.1", "2.2.3", "2.3.2", "3.3", "9.2"} <= set(codes)
    job_plan = library.find_task("3.3")
    assert job_plan is not None
    assert job_plan.parent == "3" and "vị trí việc làm" in job_plan.title
    assert job_plan.ref == "Mục II.3"


def test_deadlines_and_targets_belong_to_their_tasks(library: Library) -> None:
    by_task = {(d.task_code, d.kind): d for d in library.deadlines()}
    assert by_task[("3.3", "date")].due == date(2024, 3, 31)
    assert by_task[("3.3", "date")].phrase == "trước ngày 31/3/2024"
    staff_cut = by_task[("3.2", "year")]
    assert staff_cut.due == date(2026, 12, 31) and "5%" in staff_cut.target
    assert by_task[("2.3.2", "in_year")].due == date(2024, 12, 31)


def test_reporting_rhythm_from_part_three(library: Library) -> None:
    periods = [d.period for d in library.deadlines() if d.kind == "period"]
    assert periods == ["quarter", "half_year", "year"]


def test_every_footnote_is_linked_to_where_it_is_cited(library: Library) -> None:
    notes = library.default.footnotes
    assert sorted(notes) == list(range(1, 18))
    assert notes[3].cited_in == "Mục I" and "3-4%" in notes[3].cited_sentence
    assert notes[12].cited_in == "Mục II.3"
    assert all(n.cited_sentence for n in notes.values())


def test_footnote_cut_by_a_page_break_is_whole_again(library: Library) -> None:
    note = library.default.footnotes[6].text
    assert "(7) Tiếp tục nâng cao hiệu lực, hiệu quả công tác kiểm tra" in note
    assert note.endswith("trong điều kiện mới.")


def test_sentences_cut_by_page_breaks_are_rejoined(library: Library) -> None:
    texts = " ".join(p.text for p in library.default.passages)
    assert "giải pháp đột phá chiến lược⁷" in texts
    assert "công tác tổ chức xây dựng Đảng, từ đầu nhiệm kỳ" in texts
    assert "cấp Nhà nước¹⁶" in texts
    assert "lực, hiệu quả công tác kiểm tra" not in texts.replace("hiệu lực, hiệu quả", "")


def test_a_second_directive_of_the_same_shape_parses() -> None:
    text = read_bundled().replace("09-KL/BTCTW", "12-KL/BTCTW").replace("31/3/2024", "30/6/2025")
    doc = parse_document(text, source="kl12.txt")
    assert doc.number == "12-KL/BTCTW"
    task = doc.task("3.3")
    assert task is not None and task.deadlines[0].due == date(2025, 6, 30)
