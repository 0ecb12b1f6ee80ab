"""A small, fast .xlsx writer: inline strings, numbers, bold frozen header, column widths,
solid cell fills (`Styled`).

openpyxl's write-only mode spends ~7 µs per cell (≈20 s for 300,000 rows × 10 cells);
this writer streams the sheet XML straight into the zip at a fraction of that.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_TYPE = f"{_REL}/worksheet"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FONTS = (
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
)
_BASE_FILLS = (
    '<fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
)
_BASE_XFS = (
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
)
_HEADER_STYLE = ' s="1"'
_HEX = re.compile(r"[0-9A-Fa-f]{6}")


@dataclass(frozen=True, slots=True)
class Styled:
    """A cell value with a solid background colour (RGB hex, e.g. "C6EFCE")."""

    value: Any
    fill: str


class _Fills:
    """The fills used so far, each a cell style (0 = normal, 1 = bold header)."""

    def __init__(self) -> None:
        self.styles: dict[str, str] = {}

    def style(self, fill: str) -> str:
        """Return the ` s="N"` attribute of a fill colour, registering it."""
        found = self.styles.get(fill)
        if found is None:
            if not _HEX.fullmatch(fill):
                raise ValueError(f"fill must be RGB hex, not {fill!r}")
            found = self.styles[fill] = f' s="{len(self.styles) + 2}"'
        return found

    def xml(self) -> str:
        """Return styles.xml with a solid fill and a cell style per registered colour."""
        fills = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb.upper()}"/>'
            '<bgColor indexed="64"/></patternFill></fill>'
            for rgb in self.styles
        )
        xfs = "".join(
            f'<xf numFmtId="0" fontId="0" fillId="{i}" borderId="0" xfId="0" applyFill="1"/>'
            for i in range(2, len(self.styles) + 2)
        )
        count = len(self.styles) + 2
        return (
            f'<styleSheet xmlns="{_MAIN}">{_FONTS}<fills count="{count}">{_BASE_FILLS}{fills}'
            '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
            '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0"'
            f' borderId="0"/></cellStyleXfs><cellXfs count="{count}">{_BASE_XFS}{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


@dataclass
class Sheet:
    """One worksheet: a bold header row, then rows of str / int / float / None / Styled."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] = field(default_factory=tuple)
    frozen_columns: int = 0  # columns kept in view when scrolling right


def column_letter(index: int) -> str:
    """Return the letters of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _cell(ref: str, value: Any, style: str) -> str:
    """Return the XML of one cell (empty string for None or "")."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    text = escape(_ILLEGAL.sub("", str(value)))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


class _TextCells:
    """The XML after a text cell's reference, kept per (text, style): exports repeat
    statuses, names and titles, so each is escaped once."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.tails: dict[tuple[str, str], str] = {}

    def cell(self, ref: str, value: Any, style: str) -> str:
        """Return the XML of one cell, as `_cell` does."""
        if not isinstance(value, str) or not value:
            return _cell(ref, value, style)
        tail = self.tails.get((value, style))
        if tail is None:
            if len(self.tails) >= self.LIMIT:
                self.tails.clear()
            tail = _cell("", value, style)[len('<c r=""') :]
            self.tails[(value, style)] = tail
        return f'<c r="{ref}"{tail}'


def _row(
    number: int,
    letters: list[str],
    values: Sequence[Any],
    fills: _Fills,
    texts: _TextCells,
    style: str = "",
) -> str:
    """Return the XML of one row."""
    while len(letters) < len(values):
        letters.append(column_letter(len(letters)))
    cells = "".join(
        texts.cell(f"{letter}{number}", value.value, fills.style(value.fill))
        if isinstance(value, Styled)
        else texts.cell(f"{letter}{number}", value, style)
        for letter, value in zip(letters, values, strict=False)
    )
    return f'<row r="{number}">{cells}</row>'


def _pane(columns: int) -> str:
    """Return the frozen pane: the header row, and `columns` columns when given."""
    if not columns:
        return '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    corner = f"{column_letter(columns)}2"
    return (
        f'<pane xSplit="{columns}" ySplit="1" topLeftCell="{corner}" activePane="bottomRight"'
        ' state="frozen"/>'
    )


def _write_sheet(stream: IO[bytes], sheet: Sheet, fills: _Fills, texts: _TextCells) -> None:
    """Stream one worksheet's XML."""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(sheet.widths, start=1)
    )
    head = f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
    head += _pane(sheet.frozen_columns) + "</sheetView></sheetViews>"
    head += f"<cols>{cols}</cols>" if cols else ""
    letters: list[str] = []
    header = _row(1, letters, sheet.headers, fills, texts, _HEADER_STYLE)
    stream.write((head + "<sheetData>" + header).encode())
    chunk: list[str] = []
    for number, values in enumerate(sheet.rows, start=2):
        chunk.append(_row(number, letters, values, fills, texts))
        if len(chunk) == 2000:
            stream.write("".join(chunk).encode())
            chunk = []
    stream.write(("".join(chunk) + "</sheetData></worksheet>").encode())


def _package_parts(names: Sequence[str]) -> dict[str, str]:
    """Return the fixed XML parts (content types, relationships, workbook, styles)."""
    count = len(names)
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )
    root_rels = (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    entries = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    workbook = f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{entries}</sheets></workbook>'
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_SHEET_TYPE}" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    rels += f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return {
        "[Content_Types].xml": content_types,
        "_rels/.rels": root_rels,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}">{rels}</Relationships>',
    }


def write_workbook(sheets: Sequence[Sheet], target: IO[bytes]) -> None:
    """Write `sheets` as an .xlsx package to the binary stream `target`."""
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    fills, texts = _Fills(), _TextCells()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=4) as package:
        for name, xml in _package_parts([sheet.name for sheet in sheets]).items():
            package.writestr(name, declaration + xml)
        for index, sheet in enumerate(sheets, start=1):
            with package.open(f"xl/worksheets/sheet{index}.xml", "w") as stream:
                stream.write(declaration.encode())
                _write_sheet(stream, sheet, fills, texts)
        # Last: the sheets, streamed, registered the fills they use.
        package.writestr("xl/styles.xml", declaration + fills.xml())
