"""A tiny PDF typesetter for tests and benches: no PDF library needed.

Text is set in a Type0 font (Identity-H) with a ToUnicode map and no embedded glyphs:
readers extract it exactly, viewers would show boxes. Lines are wrapped at a fixed
advance (half an em a character), paragraphs get a first-line indent, footnote markers
are small raised digits, footnotes sit at the bottom of the page in a smaller size, and
every page after the first has its number at the top, as Vietnamese directives do.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 595, 842, 85, 60, 70, 60
BODY, NOTE, SUP = 13.0, 10.0, 8.0
_MARK = re.compile(r"\^(\d+)")


@dataclass
class Block:
    """A paragraph: text (footnote markers written ^3), alignment, optional right column."""

    text: str
    align: str = "indent"  # "indent" | "left" | "center"
    right: str = ""  # text of a second column on the same lines (header, signature)
    notes: dict[int, str] = field(default_factory=dict)  # footnotes cited here


@dataclass
class _Page:
    ops: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)


class _Font:
    """Character ids for the one font, in order of first use."""

    def __init__(self) -> None:
        self.cids: dict[str, int] = {}

    def encode(self, text: str) -> str:
        return "".join(f"{self.cids.setdefault(c, len(self.cids) + 1):04X}" for c in text)

    def to_unicode(self) -> bytes:
        rows = "\n".join(f"<{cid:04X}> <{ord(c):04X}>" for c, cid in self.cids.items())
        return (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            f"{len(self.cids)} beginbfchar\n{rows}\nendbfchar\n"
            "endcmap CMapName currentdict /CMap defineresource pop end end\n"
        ).encode()


def _wrap(text: str, width: float, size: float, first_indent: float) -> list[str]:
    """Break text into lines of at most `width` points (half an em a character)."""
    lines, current, room = [], "", width - first_indent
    for word in text.split():
        plain = _MARK.sub("", f"{current} {word}".strip())
        if current and len(plain) * size * 0.5 > room:
            lines.append(current)
            current, room = word, width
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines


def _show(font: _Font, x: float, y: float, size: float, text: str) -> list[str]:
    """Return the operators that draw one line, markers ^n as raised small digits."""
    ops = []
    for i, chunk in enumerate(_MARK.split(text)):
        if not chunk:
            continue
        small = i % 2 == 1  # a marker's digits
        at, px = (y + size * 0.4, SUP) if small else (y, size)
        ops.append(f"BT /F1 {px} Tf 1 0 0 1 {x:.2f} {at:.2f} Tm <{font.encode(chunk)}> Tj ET")
        x += len(chunk) * px * 0.5
    return ops


def make_pdf(blocks: list[Block], *, page_numbers: bool = True, running: str = "") -> bytes:
    """Typeset blocks into a PDF and return its bytes (`running`: a header on pages 2…)."""
    font = _Font()
    pages: list[_Page] = [_Page()]
    width = WIDTH - LEFT - RIGHT
    y = HEIGHT - TOP
    note_room = 0.0
    for block in blocks:
        column = width / 2 - 10 if block.right else width
        indent = 28.0 if block.align == "indent" else 0.0
        left_lines = _wrap(block.text, column, BODY, indent)
        right_lines = _wrap(block.right, column, BODY, 0.0) if block.right else []
        need = sum(len(_wrap(n, width, NOTE, 0)) * NOTE * 1.25 for n in block.notes.values())
        for i in range(max(len(left_lines), len(right_lines))):
            if y - BODY * 1.5 < BOTTOM + note_room + need:
                pages.append(_Page())
                y, note_room = HEIGHT - TOP, 0.0
            for text, x0, col in (
                (left_lines[i] if i < len(left_lines) else "", LEFT, column),
                (right_lines[i] if i < len(right_lines) else "", LEFT + width / 2 + 10, column),
            ):
                if not text:
                    continue
                x = x0 + (indent if i == 0 else 0)
                if block.align == "center" or block.right:
                    x = x0 + max(0.0, (col - len(_MARK.sub("", text)) * BODY * 0.5) / 2)
                pages[-1].ops += _show(font, x, y, BODY, text)
            y -= BODY * 1.5
        y -= BODY * 0.5
        for n, note in block.notes.items():
            pages[-1].notes.append((n, note))
            note_room += len(_wrap(note, width, NOTE, 0)) * NOTE * 1.25
        need = 0
    for number, page in enumerate(pages, 1):
        if page_numbers and number > 1:
            page.ops += _show(font, WIDTH / 2 - 5, HEIGHT - 40, BODY, str(number))
        if running and number > 1:
            page.ops += _show(font, LEFT, HEIGHT - 40, NOTE, running)
        ny = BOTTOM + sum(len(_wrap(t, width, NOTE, 0)) * NOTE * 1.25 for _, t in page.notes)
        for n, note in page.notes:
            for i, line in enumerate(_wrap(note, width, NOTE, 0)):
                text = f"^{n} {line}" if i == 0 else line
                page.ops += _show(font, LEFT, ny, NOTE, text)
                ny -= NOTE * 1.25
    return _assemble([page.ops for page in pages], font)


def make_image_pdf(pages: int = 2) -> bytes:
    """Return a PDF whose pages are only an image (a scan): no text layer."""
    return _assemble([["q 425 0 0 600 85 120 cm /Im1 Do Q"] for _ in range(pages)], None)


def _assemble(contents: list[list[str]], font: _Font | None) -> bytes:
    """Write the objects, the cross-reference table and the trailer."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        packed = zlib.compress(data)
        head = f"<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n".encode()
        return head + packed + b"\nendstream"

    catalog = add(b"")
    pages_id = add(b"")
    resources = "<< >>"
    if font is not None:
        cmap = add(b"")
        descendant = add(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TimesNewRoman"
            b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            b" /DW 500 /CIDToGIDMap /Identity >>"
        )
        font_id = add(
            f"<< /Type /Font /Subtype /Type0 /BaseFont /TimesNewRoman /Encoding /Identity-H"
            f" /DescendantFonts [{descendant} 0 R] /ToUnicode {cmap} 0 R >>".encode()
        )
        resources = f"<< /Font << /F1 {font_id} 0 R >> >>"
    else:
        image = add(
            stream(
                bytes([200]) * 64,
                "/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray"
                " /BitsPerComponent 8 ",
            )
        )
        resources = f"<< /XObject << /Im1 {image} 0 R >> >>"
    kids = []
    for ops in contents:
        content = add(stream("\n".join(ops).encode()))
        kids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}]"
                f" /Resources {resources} /Contents {content} 0 R >>".encode()
            )
        )
    if font is not None:
        objects[cmap - 1] = stream(font.to_unicode())
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    refs = " ".join(f"{k} 0 R" for k in kids)
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
