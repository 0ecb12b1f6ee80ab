"""Directive files made on the fly for the ingest tests and bench: one 2025 plan written
as a DOCX (python-docx: a header table, headings numbered by Word's automatic
numbering, bullets from a list, a real footnote, the "Nơi nhận" / signature table)
and as a PDF (tests/pdfmake.py), plus a DOCX with a run in a legacy font."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from tests.pdfmake import Block, make_pdf

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"

HEADER = (
    ["TỈNH ỦY BÌNH ĐỊNH", "*", "Số 45-KH/TU"],
    ["ĐẢNG CỘNG SẢN VIỆT NAM", "Bình Định, ngày 15 tháng 01 năm 2025"],
)
KIND, TITLE = (
    "KẾ HOẠCH",
    "thực hiện Kết luận của Ban Tổ chức Trung ương về công tác tổ chức xây dựng Đảng năm 2025",
)
INTRO = (
    "Thực hiện Kết luận số 150-KL/BTCTW^1 của Ban Tổ chức Trung ương về công tác tổ chức xây "
    "dựng Đảng năm 2025, Ban Thường vụ Tỉnh ủy ban hành Kế hoạch triển khai thực hiện trong toàn "
    "Đảng bộ tỉnh như sau:"
)
FOOTNOTE = "Kết luận số 150-KL/BTCTW ngày 10/01/2025 của Ban Tổ chức Trung ương."
ENDING = (
    [
        "Nơi nhận:",
        "- Ban Tổ chức Trung ương,",
        "- Các huyện ủy, thị ủy, thành ủy,",
        "- Lưu Văn phòng Tỉnh ủy.",
    ],
    ["T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ THƯỜNG TRỰC", "", "Lê Kim Toàn"],
)
# (level, text): 0 part heading, 1 item, 2 sub-item, 3 bullet, None a plain paragraph
BODY: list[tuple[int | None, str]] = [
    (0, "MỤC ĐÍCH, YÊU CẦU"),
    (
        None,
        "Quán triệt sâu sắc, triển khai nghiêm túc các nhiệm vụ công tác tổ chức xây dựng Đảng "
        "năm 2025; gắn trách nhiệm của cấp ủy, người đứng đầu với kết quả thực hiện.",
    ),
    (0, "NHIỆM VỤ TRỌNG TÂM"),
    (1, "Công tác tổ chức bộ máy"),
    (3, "Hoàn thành việc sắp xếp tổ chức bộ máy các cơ quan đảng trước ngày 30/6/2025."),
    (3, "Rà soát, bổ sung quy chế làm việc của các cấp ủy trực thuộc Tỉnh ủy."),
    (1, "Công tác cán bộ"),
    (2, "Quy hoạch cán bộ"),
    (3, "Hoàn thành rà soát, bổ sung quy hoạch cấp ủy nhiệm kỳ 2025 - 2030 trước ngày 31/3/2025."),
    (2, "Đào tạo, bồi dưỡng cán bộ"),
    (3, "Mở 03 lớp bồi dưỡng kiến thức quản lý nhà nước cho cán bộ cấp xã trong năm 2025."),
    (1, "Công tác đảng viên"),
    (3, "Kết nạp đảng viên mới đạt ít nhất 3% tổng số đảng viên đầu năm."),
    (0, "TỔ CHỨC THỰC HIỆN"),
    (
        None,
        "Các huyện ủy, thị ủy, thành ủy xây dựng kế hoạch cụ thể; định kỳ (hàng quý, 6 tháng và "
        "cả năm) báo cáo kết quả về Ban Thường vụ Tỉnh ủy (qua Ban Tổ chức Tỉnh ủy).",
    ),
]
CODES = ["1", "1.1", "1.2", "2", "2.1", "2.1.1", "2.2", "2.2.1", "3", "3.1"]

_LEVEL = (
    '<w:lvl w:ilvl="{0}"><w:start w:val="1"/><w:numFmt w:val="{1}"/>'
    '<w:lvlText w:val="{2}"/></w:lvl>'
)
LEVELS = "".join(
    _LEVEL.format(i, fmt, text)
    for i, (fmt, text) in enumerate(
        [("upperRoman", "%1."), ("decimal", "%2."), ("decimal", "%2.%3."), ("bullet", "-")]
    )
)
_NUMBERING = f"""<w:root xmlns:w="{W_NS}">
<w:abstractNum w:abstractNumId="90">{LEVELS}
</w:abstractNum>
<w:num w:numId="90"><w:abstractNumId w:val="90"/></w:num>
</w:root>"""


def _number(paragraph, level: int) -> None:
    """Give a python-docx paragraph automatic numbering (list 90, this level)."""
    ppr = paragraph._p.get_or_add_pPr()
    num_pr = etree.SubElement(ppr, f"{W}numPr")
    etree.SubElement(num_pr, f"{W}ilvl").set(f"{W}val", str(level))
    etree.SubElement(num_pr, f"{W}numId").set(f"{W}val", "90")


def _add_text(paragraph, text: str) -> None:
    """Add text whose ^n markers become footnote references."""
    head, _, rest = text.partition("^1")
    paragraph.add_run(head)
    if rest or text.endswith("^1"):
        run = paragraph.add_run()
        ref = etree.SubElement(run._r, f"{W}footnoteReference")
        ref.set(f"{W}id", "1")
        paragraph.add_run(rest)


COPY = (
    [
        "HUYỆN ỦY TUY PHƯỚC",
        "*",
        "Số 172-BS/HU",
        "Nơi nhận:",
        "- Các TCCSĐ trực thuộc HU,",
        "- Lưu VPHU.",
    ],
    [
        "SAO LỤC",
        "Tuy Phước, ngày 23 tháng 01 năm 2025",
        "T/L BAN THƯỜNG VỤ",
        "CHÁNH VĂN PHÒNG",
        "Đặng Thị Bích Dâng",
    ],
)


def directive_docx(*, repeat: int = 1, copy: bool = False) -> bytes:
    """Return the 2025 plan as a DOCX (`repeat` > 1 makes the body longer, for benches;
    `copy`: followed by a district's certified copy, as forwarded directives are)."""
    import docx

    document = docx.Document()
    numbering = document.part.numbering_part.element
    for child in etree.fromstring(_NUMBERING):
        numbering.append(child)
    _table(document, HEADER)
    document.add_paragraph(KIND)
    document.add_paragraph(TITLE)
    _add_text(document.add_paragraph(), INTRO)
    for level, text in BODY * repeat:
        if level is None:
            document.add_paragraph(text)
            continue
        style = {0: "Heading 1", 1: "Heading 2", 2: "Heading 3"}.get(level)
        paragraph = document.add_paragraph(style=style)
        paragraph.add_run(text)
        _number(paragraph, level)
    _table(document, ENDING)
    if copy:
        _table(document, COPY)
    out = io.BytesIO()
    document.save(out)
    return _with_footnote(out.getvalue(), FOOTNOTE)


def _table(document, columns: tuple[list[str], list[str]]) -> None:
    """Add a borderless two-column table, one paragraph a line."""
    table = document.add_table(rows=1, cols=2)
    for cell, lines in zip(table.rows[0].cells, columns, strict=True):
        cell.paragraphs[0].text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)


def _with_footnote(data: bytes, text: str) -> bytes:
    """Add word/footnotes.xml holding footnote 1 (python-docx can't write footnotes)."""
    notes = (
        f'<w:footnotes xmlns:w="{W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
        "</w:r></w:p></w:footnote>"
        '<w:footnote w:id="1"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        "<w:footnoteRef/></w:r>"
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    rel = (
        '<Relationship Id="rIdFootnotes" Target="footnotes.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/footnotes"/>'
    )
    override = (
        '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.footnotes+xml"/>'
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "word/_rels/document.xml.rels":
                body = body.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            elif item.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", override.encode() + b"</Types>")
            target.writestr(item, body)
        target.writestr("word/footnotes.xml", notes)
    return out.getvalue()


def directive_blocks(*, repeat: int = 1) -> list[Block]:
    """Return the 2025 plan as PDF blocks (`repeat` > 1 makes the body longer, for benches)."""
    numbers = _labels()
    blocks = [
        Block(HEADER[0][0], "center", right=HEADER[1][0]),
        Block(HEADER[0][1], "center"),
        Block(HEADER[0][2], "center", right=HEADER[1][1]),
        Block(KIND, "center"),
        Block(TITLE, "center"),
        Block(INTRO, notes={1: FOOTNOTE}),
    ]
    for _ in range(repeat):
        for (level, text), label in zip(BODY, numbers, strict=True):
            if level is None:
                blocks.append(Block(text))
            else:
                blocks.append(Block(f"{label} {text}", "left" if level < 3 else "indent"))
    left, right = ENDING
    for i in range(max(len(left), len(right))):
        blocks.append(
            Block(
                left[i] if i < len(left) else "", "left", right=right[i] if i < len(right) else ""
            )
        )
    return blocks


def directive_pdf(*, repeat: int = 1) -> bytes:
    """Return the 2025 plan as a PDF."""
    return make_pdf(directive_blocks(repeat=repeat))


def _labels() -> list[str]:
    """Return the printed number of each BODY paragraph ("I.", "1.", "2.1.", "-")."""
    out, part, item, sub = [], 0, 0, 0
    for level, _ in BODY:
        if level == 0:
            part, item = part + 1, 0
            out.append(f"{'I II III IV V'.split()[part - 1]}.")
        elif level == 1:
            item, sub = item + 1, 0
            out.append(f"{item}.")
        elif level == 2:
            sub += 1
            out.append(f"{item}.{sub}.")
        else:
            out.append("-" if level == 3 else "")
    return out


def legacy_docx(
    font: str, legacy: str, before: str = "Kính gửi: ", after: str = " (bản gốc)."
) -> bytes:
    """Return a DOCX with one paragraph: a Unicode run, a run in a legacy font, a Unicode run."""
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run(before).font.name = "Times New Roman"
    paragraph.add_run(legacy).font.name = font
    paragraph.add_run(after).font.name = "Times New Roman"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
