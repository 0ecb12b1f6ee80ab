"""Legacy Vietnamese font encodings (TCVN3 ".Vn…" fonts, VNI fonts) → Unicode.

A DOCX typed in a legacy font stores the font's bytes as Windows-1252 characters
("B¶o" is "Bảo" in .VnTime). Only runs in such a font are converted: converting a
whole mixed document would corrupt its Unicode text. The tables are data files
under knowledge/data/ (`tcvn3.tsv`, `vni.tsv`).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

TCVN3, VNI = "TCVN3", "VNI"


def font_encoding(font: str | None) -> str | None:
    """Return the legacy encoding a font name implies (TCVN3 for ".VnTime", VNI for "VNI-Times")."""
    name = (font or "").strip().lower()
    if name.startswith(".vn"):
        return TCVN3
    if name.startswith("vni-") or name.startswith("vni "):
        return VNI
    return None


def is_capital_font(font: str | None) -> bool:
    """Tell whether a TCVN3 font draws lower-case codes as capitals (".VnTimeH", ".VnArialH")."""
    name = re.sub(r"[\s-]*(bold|italic|narrow)\b", "", (font or "").strip(), flags=re.I)
    return name.startswith(".Vn") and name.endswith("H")


def to_unicode(text: str, encoding: str, *, capitals: bool = False) -> str:
    """Return a legacy-font run's text in Unicode."""
    if encoding == TCVN3:
        out = text.translate(_tcvn3())
        return out.upper() if capitals else out
    if encoding == VNI:
        table, pattern = _vni()
        return pattern.sub(lambda m: table[m.group(0)], text)
    return text


@cache
def _tcvn3() -> dict[int, str]:
    """Return the TCVN3 table keyed by the character a DOCX stores for each byte."""
    table: dict[int, str] = {}
    for source, target in _rows("tcvn3.tsv"):
        byte = bytes([int(source, 16)])
        table[ord(byte.decode("latin-1"))] = target  # some writers keep C1 controls
        try:
            table[ord(byte.decode("cp1252"))] = target
        except UnicodeDecodeError:
            pass
    return table


@cache
def _vni() -> tuple[dict[str, str], re.Pattern[str]]:
    """Return the VNI table and a pattern matching its keys, longest first."""
    table = dict(_rows("vni.tsv"))
    keys = sorted(table, key=len, reverse=True)
    return table, re.compile("|".join(re.escape(k) for k in keys))


def _rows(name: str) -> list[tuple[str, str]]:
    """Return the (source, target) rows of a table file under knowledge/data/."""
    text = resources.files("knowledge").joinpath("data", name).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            source, target = line.split("\t")[:2]
            rows.append((source, target))
    return rows
