"""Turn paragraphs read from any format into the plain text the parser reads.

The stored text has the bundled directive's shape: paragraphs separated by a blank
line, the lines of a header or signature block kept, footnote markers as superscript
digits (¹²³) and footnotes as paragraphs starting with theirs. Text is NFC with one
tone-mark placement (`knowledge.text.normalize`: hòa, not hoà).
"""

from __future__ import annotations

import re

from knowledge.text import normalize

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(digits: str) -> str:
    """Return digits as superscript digits (a footnote marker)."""
    return digits.translate(_SUPERSCRIPT)


def clean_line(line: str) -> str:
    """Return one line without invisible characters and with single spaces."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def to_text(paragraphs: list[str]) -> str:
    """Return paragraphs (lines joined by newlines) as the normalised stored text."""
    out = []
    for par in paragraphs:
        lines = [clean_line(line) for line in par.replace("\r", "\n").split("\n")]
        kept = "\n".join(line for line in lines if line)
        if kept:
            out.append(kept)
    return normalize("\n\n".join(out)) + "\n" if out else ""


def group_lines(lines: list[str]) -> list[str]:
    """Return a block's lines as paragraphs, as a header or signature block is written.

    Consecutive capitalised lines (an organ's name, a signer's title) form one paragraph,
    and so do consecutive "-" lines (a "Nơi nhận" list); every other line stands alone.
    """
    out: list[str] = []
    kind_before = ""
    for line in (clean_line(x) for x in lines):
        if not line:
            kind_before = ""
            continue
        kind = "caps" if _is_caps(line) else "dash" if line.startswith("-") else ""
        if kind and kind == kind_before and out:
            out[-1] += "\n" + line
        else:
            out.append(line)
        kind_before = kind
    return out


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)
