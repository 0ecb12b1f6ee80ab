"""Reading directive files: DOCX (numbering, footnotes, tables), PDF, .txt, and refusals.

The files are made by the tests (tests/ingestfiles.py, tests/pdfmake.py)."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import replace
from datetime import date

import pytest

from knowledge import Library
from knowledge.ingest import Unreadable, read_document
from knowledge.library import BUNDLED, read_bundled
from knowledge.parser import parse_document
from knowledge.text import normalize
from tests.ingestfiles import CODES, FOOTNOTE, directive_docx, directive_pdf
from tests.pdfmake import make_image_pdf


@pytest.fixture(scope="module")
def from_docx():
    return read_document(directive_docx(), "ke-hoach-45.docx")


@pytest.fixture(scope="module")
def from_pdf():
    return read_document(directive_pdf(), "ke-hoach-45.pdf")


def test_docx_directive_of_2025_gives_parts_tasks_deadline_and_footnote(from_docx):
    doc = from_docx.document
    meta = doc.metadata
    assert (meta.kind, meta.number, meta.issued) == ("Kế hoạch", "45-KH/TU", date(2025, 1, 15))
    assert meta.issuer == "Tỉnh ủy Bình Định"
    assert meta.signer == "Lê Kim Toàn"
    assert meta.signer_title == "T/M BAN THƯỜNG VỤ, PHÓ BÍ THƯ THƯỜNG TRỰC"
    assert meta.recipients[0] == "Ban Tổ chức Trung ương"
    assert [ref for ref, _ in doc.sections if ref.count(".") == 0] == ["Mục I", "Mục II", "Mục III"]
    assert [t.code for t in doc.tasks] == CODES
    task = doc.task("1.1")
    assert (task is not None and task.ref == "Mục II.1, ý 1") or task.ref.startswith("Mục II.1")
    assert [(d.due, d.phrase) for d in task.deadlines] == [
        (date(2025, 6, 30), "trước ngày 30/6/2025")
    ]
    assert doc.footnotes[1].text == FOOTNOTE
    assert doc.footnotes[1].cited_in == "Phần mở đầu"
    assert "150-KL/BTCTW¹" in doc.footnotes[1].cited_sentence
    assert doc.source == "ke-hoach-45.docx"
    assert from_docx.warnings == ()


def test_docx_deadline_is_answered_from_the_new_directive(from_docx):
    answer = Library([from_docx.document]).answer("hạn sắp xếp tổ chức bộ máy các cơ quan đảng")
    assert answer.found
    assert "30/6/2025" in answer.text


def test_docx_forwarded_copy_is_read_as_a_copy():
    doc = read_document(directive_docx(copy=True), "ke-hoach-45-sao-luc.docx").document
    assert doc.metadata.signer == "Lê Kim Toàn"
    (copy,) = doc.metadata.copies
    assert (copy.kind, copy.issuer, copy.number) == ("sao lục", "Huyện ủy Tuy Phước", "172-BS/HU")
    assert copy.issued == date(2025, 1, 23)
    assert copy.signer == "Đặng Thị Bích Dâng"
    assert copy.signer_title == "T/L BAN THƯỜNG VỤ, CHÁNH VĂN PHÒNG"
    assert copy.recipients == ("Các TCCSĐ trực thuộc HU", "Lưu VPHU")


def test_word_numbering_is_rebuilt_from_its_definitions(from_docx):
    xml = zipfile.ZipFile(io.BytesIO(directive_docx())).read("word/document.xml").decode()
    assert "NHIỆM VỤ TRỌNG TÂM" in xml and "II. NHIỆM" not in xml and "2.1." not in xml
    assert "\n\nII. NHIỆM VỤ TRỌNG TÂM\n\n" in from_docx.text
    assert "\n\n2.1. Quy hoạch cán bộ\n\n" in from_docx.text
    assert "\n\n- Hoàn thành việc sắp xếp" in from_docx.text


def test_stored_text_parses_to_the_same_document(from_docx, from_pdf):
    for ingested in (from_docx, from_pdf):
        again = parse_document(ingested.text, source=ingested.document.source)
        assert again == ingested.document


def test_pdf_gives_the_same_outline_and_tasks_as_the_docx(from_docx, from_pdf):
    docx_doc, pdf_doc = from_docx.document, from_pdf.document
    assert pdf_doc.sections == docx_doc.sections
    assert [(t.code, t.title, t.parent) for t in pdf_doc.tasks] == [
        (t.code, t.title, t.parent) for t in docx_doc.tasks
    ]
    assert pdf_doc.deadlines == docx_doc.deadlines
    assert pdf_doc.footnotes == docx_doc.footnotes
    # the header's and the signature's two columns are read as in the DOCX's tables
    assert pdf_doc.metadata == docx_doc.metadata
    assert replace(pdf_doc, source=docx_doc.source) == docx_doc
    assert from_pdf.warnings == ()


def test_pdf_page_furniture_dropped_and_paragraphs_rejoined_across_pages():
    from tests.pdfmake import Block, make_pdf

    filler = (
        "Các cấp ủy tiếp tục thực hiện nghiêm túc quy định về công tác cán bộ, bảo đảm dân chủ, "
        "khách quan"
    )
    paragraphs = [
        f"Đoạn thứ {i}: {filler}, công khai và minh bạch trong từng khâu." for i in range(60)
    ]
    blocks = [Block("TỈNH ỦY BÌNH ĐỊNH", "center"), Block("Số 01-KH/TU", "center")]
    blocks += [Block(p) for p in paragraphs]
    blocks[20] = Block(paragraphs[18].replace("nghiêm túc", "nghiêm túc^1"), notes={1: "Ghi chú."})
    running = "Kế hoạch số 01-KH/TU ngày 02/01/2025"
    ingested = read_document(make_pdf(blocks, running=running), "dai.pdf")
    pars = ingested.text.strip().split("\n\n")
    assert len({page for page in pars if page.strip().isdigit()}) == 0
    assert running not in ingested.text
    for p in paragraphs[21:]:
        assert p in pars  # whole, though pages cut some of them
    assert "¹ Ghi chú." in pars
    assert ingested.document.footnotes[1].text == "Ghi chú."


def test_scanned_pdf_is_refused_as_having_no_text():
    with pytest.raises(Unreadable) as caught:
        read_document(make_image_pdf(3), "scan.pdf")
    assert caught.value.kind == "no_text"


def _zip_without_word() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"abc", "van-ban.doc", "unsupported"),
        (b"not a zip file at all", "hong.docx", "corrupt"),
        (_zip_without_word(), "bang-tinh.docx", "corrupt"),
        (b"%PDF-1.4 garbage", "hong.pdf", "corrupt"),
        (b"\n\n  \n", "rong.txt", "empty"),
        ("Kết luận".encode("utf-16"), "utf16.txt", "unsupported"),
    ],
)
def test_unreadable_files_are_refused_with_their_kind(data, name, kind):
    with pytest.raises(Unreadable) as caught:
        read_document(data, name)
    assert caught.value.kind == kind


def test_txt_is_normalised_to_nfc_and_one_tone_placement():
    text = unicodedata.normalize("NFD", "Số 01-KH/TU\n\nhoà bình, thuỷ lợi, quý")
    ingested = read_document(text.encode("utf-8"), "a.txt")
    assert "hòa bình, thủy lợi, quý" in ingested.text
    assert ingested.text == unicodedata.normalize("NFC", ingested.text)


def test_bundled_directive_reads_the_same_through_ingest():
    """Only the tone marks move ("khoá" → "khóa"): the structure is the same."""
    bundled = parse_document(read_bundled(), source=BUNDLED)
    ingested = read_document(read_bundled().encode("utf-8"), BUNDLED)
    assert ingested.document == parse_document(normalize(read_bundled()), source=BUNDLED)
    doc = ingested.document
    assert [ref for ref, _ in doc.sections] == [ref for ref, _ in bundled.sections]
    assert [(t.code, t.title) for t in doc.tasks] == [
        (t.code, normalize(t.title)) for t in bundled.tasks
    ]
    assert [(d.task_code, d.due) for d in doc.deadlines] == [
        (d.task_code, d.due) for d in bundled.deadlines
    ]
    assert sorted(doc.footnotes) == sorted(bundled.footnotes)
    assert doc.metadata.copies == bundled.metadata.copies
    assert ingested.warnings == ()


def test_unnumbered_headings_are_numbered_by_their_style():
    import docx

    document = docx.Document()
    for text in ("BAN CHẤP HÀNH TRUNG ƯƠNG", "*", "Số 35-CT/TW"):
        document.add_paragraph(text)
    document.add_paragraph("Hà Nội, ngày 14 tháng 6 năm 2025")
    document.add_paragraph("CHỈ THỊ")
    document.add_paragraph("về đại hội đảng bộ các cấp")
    document.add_paragraph(
        "Mở đầu " + "các cấp ủy, tổ chức đảng chuẩn bị và tổ chức đại hội " * 4 + "."
    )
    document.add_heading("Nhiệm vụ", level=1)
    document.add_heading("Chuẩn bị văn kiện", level=2)
    document.add_paragraph("- Hoàn thành dự thảo văn kiện trước ngày 30/6/2025.")
    document.add_heading("Công tác nhân sự", level=2)
    out = io.BytesIO()
    document.save(out)
    ingested = read_document(out.getvalue(), "ct35.docx")
    doc = ingested.document
    assert (doc.metadata.kind, doc.metadata.number) == ("Chỉ thị", "35-CT/TW")
    assert doc.metadata.issuer == "Ban Chấp hành Trung ương"
    assert [t.code for t in doc.tasks] == ["1", "1.1", "2"]
    assert doc.sections[0] == ("Mục I", "NHIỆM VỤ")
    assert "heading_numbers_from_styles:3" in ingested.warnings


def test_docx_header_set_with_tabs_is_read_as_two_columns():
    import docx

    document = docx.Document()
    document.add_paragraph("HUYỆN ỦY TUY PHƯỚC\tĐẢNG CỘNG SẢN VIỆT NAM")
    document.add_paragraph("*")
    document.add_paragraph("Số 07-CT/HU\t\tTuy Phước, ngày 20 tháng 02 năm 2025")
    document.add_paragraph("CHỈ THỊ")
    document.add_paragraph("về tăng cường công tác phát triển đảng viên")
    document.add_paragraph("1.\t" + "Ban Thường vụ Huyện ủy yêu cầu các tổ chức cơ sở đảng " * 4)
    out = io.BytesIO()
    document.save(out)
    ingested = read_document(out.getvalue(), "ct07.docx")
    meta = ingested.document.metadata
    assert (meta.issuer, meta.number, meta.kind) == ("Huyện ủy Tuy Phước", "07-CT/HU", "Chỉ thị")
    assert (meta.place, meta.issued) == ("Tuy Phước", date(2025, 2, 20))
    assert "\n\n1. Ban Thường vụ Huyện ủy" in ingested.text


def test_lettered_items_are_tasks_with_their_bullets_beneath():
    text = "\n\n".join(
        [
            "TỈNH ỦY BÌNH ĐỊNH\nBAN TỔ CHỨC",
            "Số 12-HD/BTCTU",
            "Bình Định, ngày 03 tháng 3 năm 2025",
            "HƯỚNG DẪN",
            "về đánh giá chất lượng tổ chức cơ sở đảng",
            "Căn cứ Quy định của Ban Chấp hành Trung ương, " + "Ban Tổ chức Tỉnh ủy hướng dẫn " * 5,
            "I. NỘI DUNG",
            "1. Đối tượng",
            "a) Tổ chức cơ sở đảng",
            "- Đảng bộ cơ sở.",
            "- Chi bộ cơ sở.",
            "b) Đảng viên",
            "- Hoàn thành trong quý II năm 2025.",
        ]
    )
    doc = read_document(text.encode("utf-8"), "hd12.txt").document
    assert doc.metadata.issuer == "Ban Tổ chức Tỉnh ủy Bình Định"
    assert doc.metadata.kind == "Hướng dẫn"
    assert [t.code for t in doc.tasks] == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1"]
    assert doc.task("1.2").title == "Đảng viên"
    assert doc.task("1.2.1").deadlines[0].due == date(2025, 6, 30)
