"""Legacy Vietnamese fonts in a DOCX: only the runs set in them are converted."""

from __future__ import annotations

import pytest

from knowledge.ingest import read_document
from knowledge.ingest.legacy import TCVN3, VNI, font_encoding, is_capital_font, to_unicode
from tests.ingestfiles import legacy_docx

# Well-known sentences as the legacy fonts store them (the national motto, typed in
# .VnTime and VNI-Times; "hoµ"/"hoøa" is the old "hoà" placement).
TCVN3_MOTTO = "Céng hoµ x· héi chñ nghÜa ViÖt Nam"
VNI_MOTTO = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"
MOTTO = "Cộng hòa xã hội chủ nghĩa Việt Nam"


def paragraph_of(data: bytes) -> tuple[str, tuple[str, ...]]:
    ingested = read_document(data, "cu.docx")
    return ingested.text.strip(), ingested.warnings


def test_a_vntime_run_reads_as_vietnamese_and_its_unicode_neighbours_are_unchanged():
    text, warnings = paragraph_of(legacy_docx(".VnTime", TCVN3_MOTTO))
    # "Kính gửi" holds í and ử, which the TCVN3 table would turn into other letters
    assert text == f"Kính gửi: {MOTTO} (bản gốc)."
    assert "legacy_font:TCVN3:1" in warnings


def test_a_capital_vntime_font_reads_in_capitals():
    text, _ = paragraph_of(legacy_docx(".VnTimeH", "®¶ng céng s¶n viÖt nam", before="", after=""))
    assert text == "ĐẢNG CỘNG SẢN VIỆT NAM"


def test_a_vni_run_reads_as_vietnamese():
    text, warnings = paragraph_of(legacy_docx("VNI-Times", VNI_MOTTO))
    assert text == f"Kính gửi: {MOTTO} (bản gốc)."
    assert "legacy_font:VNI:1" in warnings


@pytest.mark.parametrize(
    ("legacy", "encoding", "expected"),
    [
        ("§éc lËp - Tù do - H¹nh phóc", TCVN3, "Độc lập - Tự do - Hạnh phúc"),
        ("B¶o Th¾ng, B¸t X¸t", TCVN3, "Bảo Thắng, Bát Xát"),
        ("Xin chaøo caùc baïn", VNI, "Xin chào các bạn"),
        ("ÑAÛNG COÄNG SAÛN", VNI, "ĐẢNG CỘNG SẢN"),
    ],
)
def test_tables_convert_known_text(legacy, encoding, expected):
    assert to_unicode(legacy, encoding) == expected


def test_fonts_name_their_encoding():
    assert font_encoding(".VnTime") == TCVN3 and font_encoding(".VnArialH") == TCVN3
    assert font_encoding("VNI-Times") == VNI
    assert font_encoding("Times New Roman") is None and font_encoding(None) is None
    assert is_capital_font(".VnTimeH") and not is_capital_font(".VnTime")


def test_a_legacy_font_set_by_the_paragraph_style_converts_its_runs():
    import io

    import docx

    document = docx.Document()
    document.styles["Normal"].font.name = ".VnTime"
    document.add_paragraph(TCVN3_MOTTO)
    unicode_run = document.add_paragraph().add_run("Độc lập - Tự do - Hạnh phúc")
    unicode_run.font.name = "Times New Roman"
    out = io.BytesIO()
    document.save(out)
    text, warnings = paragraph_of(out.getvalue())
    assert text == f"{MOTTO}\n\nĐộc lập - Tự do - Hạnh phúc"
    assert "legacy_font:TCVN3:1" in warnings
