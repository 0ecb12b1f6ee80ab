"""Word's automatic numbering, which python-docx does not render: "I.", "1.1.", "a)", "-".

A numbered paragraph names a list (`numId`) and a level (`ilvl`); the list's abstract
definition gives each level a start, a number format and a text ("%1.%2."). Counters
are kept per abstract list, as Word does, and a level restarts when a higher one moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BULLETS = "-–•+"
_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


@dataclass
class Numbering:
    """The numbering definitions of one DOCX and the counters while reading it."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)  # abstract id → levels
    lists: dict[str, str] = field(default_factory=dict)  # numId → abstract id
    starts: dict[tuple[str, int], int] = field(default_factory=dict)  # (numId, ilvl) → start
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    restarted: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    def from_xml(cls, root: Any | None) -> Numbering:
        """Read `word/numbering.xml` (an lxml element, or None when the file has none)."""
        numbering = cls()
        if root is None:
            return numbering
        for abstract in root.iter(f"{W}abstractNum"):
            levels = {}
            for lvl in abstract.iter(f"{W}lvl"):
                levels[int(lvl.get(f"{W}ilvl", "0"))] = _Level(
                    int(_val(lvl, "start") or 1),
                    _val(lvl, "numFmt") or "decimal",
                    _val(lvl, "lvlText") or "",
                )
            numbering.levels[abstract.get(f"{W}abstractNumId", "")] = levels
        for num in root.iter(f"{W}num"):
            num_id = num.get(f"{W}numId", "")
            numbering.lists[num_id] = _val(num, "abstractNumId") or ""
            for override in num.iter(f"{W}lvlOverride"):
                start = _val(override, "startOverride")
                if start is not None:
                    numbering.starts[(num_id, int(override.get(f"{W}ilvl", "0")))] = int(start)
        return numbering

    def label(self, num_id: str, ilvl: int) -> str:
        """Return the next label of list `num_id` at level `ilvl` ("2.1.", "a)", "-"), or ""."""
        abstract = self.lists.get(num_id)
        if abstract is None or num_id == "0":
            return ""
        levels = self.levels.get(abstract, {})
        level = levels.get(ilvl)
        if level is None:
            return ""
        if level.fmt == "bullet":
            mark = level.text.strip()
            return mark if mark and mark in _BULLETS else "-"
        counters = self.counters.setdefault(abstract, {})
        if (num_id, ilvl) in self.starts and (num_id, ilvl) not in self.restarted:
            self.restarted.add((num_id, ilvl))
            counters[ilvl] = self.starts[(num_id, ilvl)] - 1
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = level.text
        for k in range(ilvl + 1):
            lv = levels.get(k, _Level())
            value = counters.get(k, lv.start)
            text = text.replace(f"%{k + 1}", _format(value, lv.fmt))
        return text.strip()


def _val(element: Any, tag: str) -> str | None:
    """Return the w:val of an element's first child `tag`, or None."""
    child = element.find(f"{W}{tag}")
    return None if child is None else child.get(f"{W}val")


def _format(value: int, fmt: str) -> str:
    """Return a counter in a Word number format."""
    if fmt == "upperRoman":
        return _roman(value)
    if fmt == "lowerRoman":
        return _roman(value).lower()
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt == "none":
        return ""
    return str(value)


def _roman(value: int) -> str:
    out = []
    for amount, numeral in _ROMAN:
        while value >= amount:
            out.append(numeral)
            value -= amount
    return "".join(out)
