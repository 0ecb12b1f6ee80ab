"""Read a DOCX into paragraphs: runs, automatic numbering, heading styles, footnotes, tables.

python-docx opens the package; the body is walked as XML (faster than its objects and
it sees what they hide: numbering, footnote references, a run's legacy font). Layout
tables (the header's two columns, the "Nơi nhận" / signature columns) are read column
by column, as the page is read; other tables row by row.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from knowledge.ingest.clean import group_lines, superscript
from knowledge.ingest.docx_numbering import Numbering, W
from knowledge.ingest.errors import Unreadable
from knowledge.ingest.legacy import font_encoding, is_capital_font, to_unicode
from knowledge.text import fold

_NUMBERED = re.compile(r"^\s*(?:[IVX]+|\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]\s", re.I)
_HEADING = re.compile(r"^(?:heading|tiêu đề|title)\s*(\d)$", re.I)
_FOOTNOTES_REL = "/footnotes"
_TRUE = {None, "1", "true", "on"}
_DEFAULT = "\0default"  # key of the default paragraph style in the style table


@dataclass
class _Style:
    name: str = ""
    based_on: str = ""
    font: str | None = None
    caps: bool | None = None
    num: tuple[str, int] | None = None


@dataclass
class _Reader:
    styles: dict[str, _Style]
    numbering: Numbering
    footnotes: dict[str, Any]
    default_font: str | None
    paragraphs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    note_numbers: dict[str, int] = field(default_factory=dict)
    legacy_runs: dict[str, int] = field(default_factory=dict)
    headings: list[int] = field(default_factory=lambda: [0, 0, 0])
    body_started: bool = False
    synthesised: int = 0

    def walk(self, container: Any) -> None:
        """Read the block elements of the body (or of a content control) in order."""
        for child in container:
            if child.tag == f"{W}p":
                text, notes = self.paragraph(child)
                self.emit(text, notes)
            elif child.tag == f"{W}tbl":
                self.table(child)
            elif child.tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    self.walk(content)

    def emit(self, text: str, notes: list[str]) -> None:
        """Add a paragraph, then the footnotes it cites (as a page would show them)."""
        if not text.strip():
            return
        self.paragraphs.append(text)
        if len(text) >= 150 and "\n" not in text:
            self.body_started = True
        for note_id in notes:
            number = self.note_numbers[note_id]
            self.paragraphs.append(f"{superscript(str(number))} {self.footnote_text(note_id)}")

    def paragraph(self, p: Any) -> tuple[str, list[str]]:
        """Return a paragraph's text with its number, and the footnote ids it cites."""
        ppr = p.find(f"{W}pPr")
        style = self.style(_val(ppr, "pStyle") if ppr is not None else None)
        num = _num(ppr) if ppr is not None else None
        num = num or self.style_num(style)
        text, notes = self.runs(p, style)
        label = self.numbering.label(*num) if num else ""
        if not label:
            label, text = self.heading_label(style, text)
        return (f"{label} {_tabs(text)}" if label and text else _tabs(text)), notes

    def heading_label(self, style: _Style, text: str) -> tuple[str, str]:
        """Return a number for an unnumbered heading ("I.", "2.", "2.1.") by its style level."""
        m = _HEADING.match(self.style_chain_name(style))
        if not m or not text.strip() or m.group(1) not in "123":
            return "", text
        level = int(m.group(1)) - 1
        self.headings[level] += 1
        for deeper in range(level + 1, 3):
            self.headings[deeper] = 0
        if _NUMBERED.match(text) or not self.body_started:
            return "", text
        self.synthesised += 1
        if level == 0:
            return f"{_roman(self.headings[0])}.", text.upper()
        codes = [str(n) for n in self.headings[1 : level + 1]]
        return ".".join(codes) + ".", text

    def runs(self, p: Any, style: _Style) -> tuple[str, list[str]]:
        """Return the text of a paragraph's runs and the footnote ids referenced."""
        parts: list[str] = []
        notes: list[str] = []
        for run in p.iter(f"{W}r"):
            rpr = run.find(f"{W}rPr")
            font, caps, sup = self.run_format(rpr, style)
            piece = []
            for child in run:
                tag = child.tag
                if tag == f"{W}t":
                    piece.append(child.text or "")
                elif tag == f"{W}tab":
                    piece.append("\t")
                elif tag in (f"{W}br", f"{W}cr"):
                    piece.append("\n")
                elif tag == f"{W}noBreakHyphen":
                    piece.append("-")
                elif tag == f"{W}sym":
                    piece.append(
                        _symbol(child.get(f"{W}char", ""), opening=not parts and not piece)
                    )
                elif tag == f"{W}footnoteReference":
                    note_id = child.get(f"{W}id", "")
                    number = self.note_numbers.setdefault(note_id, len(self.note_numbers) + 1)
                    notes.append(note_id)
                    parts.append(superscript(str(number)))
            text = "".join(piece)
            encoding = font_encoding(font)
            if encoding and text:
                text = to_unicode(text, encoding, capitals=is_capital_font(font))
                self.legacy_runs[encoding] = self.legacy_runs.get(encoding, 0) + 1
            if caps:
                text = text.upper()
            if sup and text.strip().isdigit():
                text = superscript(text.strip())
            parts.append(text)
        return "".join(parts), notes

    def run_format(self, rpr: Any, style: _Style) -> tuple[str | None, bool, bool]:
        """Return a run's font, whether it is in capitals, and whether it is superscript."""
        font = caps = None
        sup = False
        if rpr is not None:
            fonts = rpr.find(f"{W}rFonts")
            if fonts is not None:
                font = fonts.get(f"{W}hAnsi") or fonts.get(f"{W}ascii")
            caps_el = rpr.find(f"{W}caps")
            if caps_el is not None:
                caps = caps_el.get(f"{W}val") in _TRUE
            sup = _val(rpr, "vertAlign") == "superscript"
            char_id = _val(rpr, "rStyle")
            if char_id:
                char_style = self.styles.get(char_id, _Style())
                font = font or self.style_font(char_style)
                caps = caps if caps is not None else self.style_caps(char_style)
        font = font or self.style_font(style) or self.default_font
        caps = caps if caps is not None else self.style_caps(style)
        return font, bool(caps), sup

    def table(self, tbl: Any) -> None:
        """Read a table: layout tables column by column, others one row a paragraph."""
        rows = [[tc for tc in tr.iter(f"{W}tc")] for tr in tbl.iter(f"{W}tr")]
        width = max((len(r) for r in rows), default=0)
        flat = " ".join("".join(t.itertext()) for t in tbl.iter(f"{W}t"))
        if width <= 3 and (not self.body_started or "noi nhan" in fold(flat)):
            for col in range(width):
                lines = [
                    line for row in rows if col < len(row) for line in self.cell_lines(row[col])
                ]
                for par in group_lines(lines):
                    self.emit(par, [])
            return
        self.warnings.append("table_as_rows")
        for row in rows:
            cells = ["; ".join(self.cell_lines(tc)) for tc in row]
            self.emit(" – ".join(c for c in cells if c), [])

    def cell_lines(self, tc: Any) -> list[str]:
        """Return the lines of a table cell (its paragraphs, line breaks kept)."""
        lines: list[str] = []
        for p in tc.iter(f"{W}p"):
            text, _ = self.paragraph(p)
            lines.extend(text.split("\n") if text else [""])
        return lines

    def footnote_text(self, note_id: str) -> str:
        """Return a footnote's text (its paragraphs joined)."""
        note = self.footnotes.get(note_id)
        if note is None:
            return ""
        texts = [self.runs(p, self.style(None))[0] for p in note.iter(f"{W}p")]
        return " ".join(t.replace("\t", " ").strip() for t in texts if t.strip())

    def style(self, style_id: str | None) -> _Style:
        """Return a style by id; none named: the default paragraph style ("Normal")."""
        return self.styles.get(style_id or "", self.styles.get(_DEFAULT, _Style()))

    def chain(self, style: _Style) -> list[_Style]:
        """Return a style and those it is based on, nearest first."""
        out = [style]
        while out[-1].based_on and len(out) < 10:
            out.append(self.style(out[-1].based_on))
        return out

    def style_font(self, style: _Style) -> str | None:
        return next((s.font for s in self.chain(style) if s.font), None)

    def style_caps(self, style: _Style) -> bool | None:
        return next((s.caps for s in self.chain(style) if s.caps is not None), None)

    def style_num(self, style: _Style) -> tuple[str, int] | None:
        return next((s.num for s in self.chain(style) if s.num), None)

    def style_chain_name(self, style: _Style) -> str:
        return next((s.name for s in self.chain(style) if _HEADING.match(s.name)), style.name)


_SYMBOLS = {0xB3: "≥", 0xA3: "≤", 0xB1: "±", 0xAE: "→", 0xD7: "×", 0xB7: "•"}


def _symbol(code: str, *, opening: bool) -> str:
    """Return a Symbol/Wingdings glyph (w:sym): a bullet when it opens the paragraph."""
    if opening:
        return "-"
    try:
        value = int(code, 16) & 0xFF
    except ValueError:
        return ""
    return _SYMBOLS.get(value, "")


def _tabs(text: str) -> str:
    """Return a paragraph with its tabs read: tabs that set two columns side by side
    ("TỈNH ỦY BÌNH ĐỊNH<tab>ĐẢNG CỘNG SẢN VIỆT NAM") become line breaks, others spaces."""
    text = re.sub(r"\t{2,}", "\n", text.strip())
    parts = text.split("\t")
    columns = (
        len(parts) == 2
        and len(text) < 150
        and all(len(p.split()) >= 2 for p in parts)
        and not _NUMBERED.match(text)
    )
    return ("\n" if columns else " ").join(p.strip() for p in parts).strip()


def read_docx(data: bytes) -> tuple[list[str], list[str]]:
    """Return the paragraphs of a DOCX file and warnings about how they were read."""
    import docx  # python-docx: imported here so the bot starts without it
    from docx.opc.exceptions import OpcError

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OpcError, etree.XMLSyntaxError) as exc:
        raise Unreadable("corrupt", str(exc)) from exc
    part = document.part
    reader = _Reader(
        styles=_styles(part),
        numbering=Numbering.from_xml(_numbering_root(part)),
        footnotes=_footnotes(part),
        default_font=_default_font(part),
    )
    reader.walk(document.element.body)
    for encoding, count in sorted(reader.legacy_runs.items()):
        reader.warnings.append(f"legacy_font:{encoding}:{count}")
    if reader.synthesised:
        reader.warnings.append(f"heading_numbers_from_styles:{reader.synthesised}")
    return reader.paragraphs, sorted(set(reader.warnings), key=reader.warnings.index)


def _styles(part: Any) -> dict[str, _Style]:
    """Return the document's styles by id: name, parent, font, capitals, numbering."""
    out: dict[str, _Style] = {}
    try:
        root = part.styles.element
    except (KeyError, NotImplementedError):
        return out
    for el in root.iter(f"{W}style"):
        style = _Style(name=_val(el, "name") or "", based_on=_val(el, "basedOn") or "")
        rpr = el.find(f"{W}rPr")
        if rpr is not None:
            fonts = rpr.find(f"{W}rFonts")
            if fonts is not None:
                style.font = fonts.get(f"{W}hAnsi") or fonts.get(f"{W}ascii")
            caps = rpr.find(f"{W}caps")
            if caps is not None:
                style.caps = caps.get(f"{W}val") in _TRUE
        ppr = el.find(f"{W}pPr")
        if ppr is not None:
            style.num = _num(ppr)
        out[el.get(f"{W}styleId", "")] = style
        if el.get(f"{W}type") == "paragraph" and el.get(f"{W}default") in _TRUE - {None}:
            out[_DEFAULT] = style
    return out


def _default_font(part: Any) -> str | None:
    """Return the document default font (docDefaults), if named."""
    try:
        root = part.styles.element
    except (KeyError, NotImplementedError):
        return None
    fonts = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    return None if fonts is None else fonts.get(f"{W}hAnsi") or fonts.get(f"{W}ascii")


def _numbering_root(part: Any) -> Any | None:
    try:
        return part.numbering_part.element
    except (KeyError, NotImplementedError):
        return None


def _footnotes(part: Any) -> dict[str, Any]:
    """Return the footnotes by id (separators left out)."""
    for rel in part.rels.values():
        if rel.reltype.endswith(_FOOTNOTES_REL) and not rel.is_external:
            root = etree.fromstring(rel.target_part.blob)
            return {
                n.get(f"{W}id", ""): n
                for n in root.iter(f"{W}footnote")
                if n.get(f"{W}type") in (None, "normal")
            }
    return {}


def _num(ppr: Any) -> tuple[str, int] | None:
    """Return (numId, ilvl) of a paragraph or style's numbering, if any."""
    num_pr = ppr.find(f"{W}numPr")
    if num_pr is None:
        return None
    num_id = _val(num_pr, "numId")
    if not num_id or num_id == "0":
        return None
    return num_id, int(_val(num_pr, "ilvl") or 0)


def _val(element: Any, tag: str) -> str | None:
    if element is None:
        return None
    child = element.find(f"{W}{tag}")
    return None if child is None else child.get(f"{W}val")


def _roman(value: int) -> str:
    numerals = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
    return numerals[value - 1] if 0 < value <= len(numerals) else str(value)
