"""Read a text PDF into paragraphs: lines rebuilt from positioned text, page furniture
dropped, paragraphs rejoined across lines and pages, footnotes set apart.

pypdf reports each piece of text with its matrix and font size (`visitor_text`); from
these the reader rebuilds lines (by baseline), tells superscript footnote markers
(small digits on a body line) from text, drops page numbers and running headers or
footers (the same line at the top or bottom of most pages), and starts a paragraph at
a structure marker (I., 1., 1.1., a), -, +), a first-line indent, a wider gap, or after
a short line that ends a sentence. A PDF with no text at all is a scan: refused.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from knowledge.ingest.clean import clean_line, group_lines, superscript
from knowledge.ingest.errors import Unreadable

_MARKER = re.compile(
    r"^(?:[IVX]+\.\s|\d{1,2}(?:\.\d{1,2})*\.\s|[a-zđ]\)\s|[-–•+]\s?|Nơi nhận|[⁰¹²³⁴⁵⁶⁷⁸⁹]+\s?)"
)
_PAGE_NUMBER = re.compile(r"^(?:[-–]?\s*\d{1,3}\s*[-–]?|Trang\s+\d{1,3}(?:\s*/\s*\d{1,3})?)$", re.I)
_TERMINAL = tuple('.:;!?”"')
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


@dataclass
class _Piece:
    text: str
    x: float
    y: float
    size: float


@dataclass
class _Line:
    text: str
    x: float
    y: float
    size: float
    right: float  # approximate right edge
    pieces: list[_Piece] = field(default_factory=list)


def read_pdf(data: bytes) -> tuple[list[str], list[str]]:
    """Return the paragraphs of a text PDF and warnings; Unreadable for a scan."""
    from pypdf import PdfReader  # imported here so the bot starts without it
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("unsupported", "encrypted PDF")
        pages = [_page_lines(page) for page in reader.pages]
    except Unreadable:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:
        raise Unreadable("unsupported", f"encrypted PDF: {exc}") from exc
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Unreadable("corrupt", str(exc)) from exc
    empty = sum(1 for lines in pages if not lines)
    if empty == len(pages):
        raise Unreadable("no_text", f"{len(pages)} pages without a text layer")
    warnings = [f"pdf_pages_without_text:{empty}"] if empty else []
    pages = _drop_furniture(pages)
    return _paragraphs(pages), warnings


def _page_lines(page: object) -> list[_Line]:
    """Return a page's text lines, top to bottom, superscript digits marked."""
    pieces: list[_Piece] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text or not text.strip(" \n"):
            return
        x, y = tm[4], tm[5]  # the text matrix's origin, then into page space by the CTM
        x, y = cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5]
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        for i, part in enumerate(text.split("\n")):
            if part.strip():
                pieces.append(_Piece(part, x, y - i * size * scale * 1.2, size * scale))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    box = page.mediabox  # type: ignore[attr-defined]
    return _lines(pieces, (float(box.left) + float(box.right)) / 2)


def _lines(pieces: list[_Piece], middle: float) -> list[_Line]:
    """Group pieces into lines by baseline (small raised digits join the line they mark),
    then split a line where a wide gap separates two columns."""
    groups: list[list[_Piece]] = []
    for piece in sorted(pieces, key=lambda p: -p.size):
        home = next((g for g in groups if _on_line(g, piece)), None)
        if home is None:
            groups.append([piece])
        else:
            home.append(piece)
    lines = []
    for group in groups:
        for column in _columns(sorted(group, key=lambda p: p.x), middle):
            lines.append(_make_line(column))
    return sorted(lines, key=lambda line: (-round(line.y), line.x))


def _on_line(group: list[_Piece], piece: _Piece) -> bool:
    """Tell whether a piece sits on a line: on its baseline, or raised a little above it."""
    head = group[0]
    return -0.3 * head.size <= piece.y - head.y <= 0.6 * head.size


def _columns(pieces: list[_Piece], middle: float) -> list[list[_Piece]]:
    """Split a line's pieces where a gap of three ems or more crosses the page's middle
    (the header's two columns; "Nơi nhận" beside the signer's title)."""
    out = [[pieces[0]]]
    for prev, piece in itertools.pairwise(pieces):
        end = prev.x + len(prev.text.rstrip()) * prev.size * 0.5
        size = max(prev.size, piece.size)
        if (
            piece.x - end > 3 * size
            and out[-1][0].x < middle
            and piece.x >= middle - 2 * size
            and piece.size > 0.85 * prev.size
        ):
            out.append([piece])
        else:
            out[-1].append(piece)
    return out


def _make_line(pieces: list[_Piece]) -> _Line:
    """Join a line's pieces; digits smaller than the line's text become superscripts."""
    size = max(p.size for p in pieces)
    base = min(p.y for p in pieces if p.size == size)
    text = ""
    for p in pieces:
        piece = p.text
        raised = p.y > base + 0.15 * size
        if p.size < 0.85 * size and piece.strip().isdigit() and raised:
            piece = superscript(piece.strip()) + (" " if p is pieces[0] else "")
        text += piece
    right = max(p.x + len(p.text) * p.size * 0.5 for p in pieces)
    return _Line(clean_line(text), pieces[0].x, base, size, right, pieces)


def _drop_furniture(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers, and running headers or footers: short lines set apart at the top
    or bottom of most pages, at the same height (numbers in them may change)."""
    edges = [_edge_lines(lines) for lines in pages]
    seen: Counter[tuple[str, int]] = Counter()
    for lines in edges:
        seen.update({_shape(line) for line in lines})
    threshold = max(3, len(pages) // 2 + 1)
    out = []
    for lines, edge in zip(pages, edges, strict=True):
        drop = {
            id(line)
            for line in edge
            if _PAGE_NUMBER.match(line.text) or seen[_shape(line)] >= threshold
        }
        drop |= {id(line) for line in (*lines[:1], *lines[-1:]) if _PAGE_NUMBER.match(line.text)}
        out.append([line for line in lines if id(line) not in drop])
    return out


def _edge_lines(lines: list[_Line]) -> list[_Line]:
    """Return the lines of a page's top and bottom rows when a wide gap sets them apart."""
    out: list[_Line] = []
    for ordered in (lines, lines[::-1]):
        row = [line for line in ordered if abs(line.y - ordered[0].y) < 1]
        rest = ordered[len(row) :]
        if rest and abs(rest[0].y - row[0].y) > 1.6 * max(rest[0].size, row[0].size):
            out.extend(line for line in row if len(line.text) <= 100)
    return out


def _shape(line: _Line) -> tuple[str, int]:
    """Return a line's text with numbers blanked, and its height on the page: a running
    header or footer stands at the same place on each page, its page number changing."""
    return re.sub(r"\d+", "#", line.text), round(line.y / 3)


def _paragraphs(pages: list[list[_Line]]) -> list[str]:
    """Join lines into paragraphs; footnotes (small text) become their own paragraphs, and
    two-column blocks (header, "Nơi nhận" beside the signature) are read column by column."""
    all_lines = [line for lines in pages for line in lines]
    if not all_lines:
        return []
    body_size = _body_size(all_lines)
    left = statistics.median_low([round(line.x) for line in all_lines if line.size >= body_size])
    right = max(line.right for line in all_lines if line.size >= body_size * 0.95)
    out: list[str] = []
    body_open: int | None = None  # index in `out` of the body paragraph still open
    last_note: int | None = None  # index in `out` of the last footnote
    for lines in pages:
        notes: list[str] = []
        prev: _Line | None = None
        blocks = dict(_column_blocks(lines, left, right))
        big = [i for i, line in enumerate(lines) if line.size >= 0.9 * body_size]
        foot = big[-1] + 1 if big else 0  # small text below the last body line: footnotes,
        if (
            foot < len(lines)
            and not (  # if it opens with a marker or ends a footnote
                lines[foot].text[:1] in _SUPERSCRIPTS or _open_note(out, last_note)
            )
        ):
            foot = len(lines)
        skip_to = 0
        for i, line in enumerate(lines):
            if i < skip_to:
                continue
            if i in blocks:
                out.extend(_read_columns(lines[i : blocks[i]], (left + right) / 2))
                skip_to, body_open, prev = blocks[i], None, None
                continue
            if i >= foot:
                marked = line.text[:1] in _SUPERSCRIPTS
                if notes and not marked:
                    notes[-1] = _join(notes[-1], line.text)
                elif not notes and not marked and last_note is not None:
                    out[last_note] = _join(out[last_note], line.text)  # ran over the page
                else:
                    notes.append(line.text)
                continue
            if body_open is not None and not _starts_paragraph(line, prev, left, right):
                out[body_open] = _join(out[body_open], line.text)
            else:
                out.append(line.text)
                body_open = len(out) - 1
            prev = line
        if notes:
            out.extend(notes)  # after the page's text: parse rejoins what they cut
            last_note = len(out) - 1
            if body_open is not None:
                page_break_open = not out[body_open].rstrip().endswith(_TERMINAL)
                body_open = body_open if page_break_open else None
    return out


def _open_note(out: list[str], last_note: int | None) -> bool:
    """Tell whether the last footnote is unfinished (it runs over to this page)."""
    return last_note is not None and not out[last_note].rstrip().endswith(_TERMINAL)


def _column_blocks(lines: list[_Line], left: float, right: float) -> list[tuple[int, int]]:
    """Return (start, end) of each two-column block: from a row of two lines side by side
    to the last such row (lines within one half between them included), then the right
    column's lines below it (a signer's name under the title)."""
    middle = (left + right) / 2
    rows = {
        i
        for i, line in enumerate(lines)
        for j, other in enumerate(lines)
        if i != j and abs(line.y - other.y) < 1 and line.size >= 0.9 * other.size
    }

    def one_side(line: _Line) -> bool:
        return line.right <= middle + line.size or line.x >= middle - line.size

    blocks, i = [], 0
    while i < len(lines):
        if i not in rows:
            i += 1
            continue
        start = last = i
        j = i + 1
        while j < len(lines) and (j in rows or one_side(lines[j])):
            last = j if j in rows else last
            j += 1
        end = last + 1
        while end < len(lines) and lines[end].x >= middle - lines[end].size:
            end += 1
        blocks.append((start, end))
        i = end
    return blocks


def _read_columns(lines: list[_Line], middle: float) -> list[str]:
    """Return a two-column block's paragraphs: the left column's, then the right's."""
    out = []
    for column in (
        [line for line in lines if line.x + line.size < middle],
        [line for line in lines if line.x + line.size >= middle],
    ):
        texts: list[str] = []
        for line in column:
            if texts and line.text[:1].isdigit() | line.text[:1].islower():
                texts[-1] = _join(texts[-1], line.text)  # a wrapped line
            else:
                texts.append(line.text)
        out.extend(group_lines(texts))
    return out


def _body_size(lines: list[_Line]) -> float:
    """Return the font size most of the text is set in."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0]


def _starts_paragraph(line: _Line, prev: _Line | None, left: float, right: float) -> bool:
    """Tell whether a body line begins a new paragraph."""
    if _MARKER.match(line.text):
        return True
    if prev is None:
        return line.x > left + 0.8 * line.size  # else it continues the last page's paragraph
    if prev.y - line.y > 1.9 * line.size:
        return True
    full = prev.right >= right - 3 * line.size  # the line before was wrapped
    if full and not prev.text.endswith(_TERMINAL):
        return False  # a wrapped line, even of a centred title
    if line.x > left + 0.8 * line.size:
        return True  # first-line indent, or a centred line
    return not full and prev.text.endswith(_TERMINAL)


def _join(head: str, tail: str) -> str:
    """Join two lines of a paragraph, undoing a line-end hyphen where it split a word."""
    if head.endswith("\u00ad"):
        return head[:-1] + tail
    if head.endswith("-") and len(head) > 1 and head[-2].isalnum() and tail[:1].isalnum():
        return head + tail  # "09-" + "KL/BTCTW": the hyphen belongs to the word
    return f"{head} {tail}"
