"""Undo the PDF page layout: header, body, footnotes and ending of a directive.

The text is a copy made from a PDF, so footnote blocks sit where page breaks
were, cutting body sentences (and sometimes a long footnote) in two. This
module puts the body back together and collects the footnotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.text import fold, nfc

_FOOTNOTE = re.compile(r"^([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*(.*)$", re.S)
_SUPER = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]")
_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_TERMINAL = tuple('.:;!?”"')
_ARTEFACTS = re.compile(r"[✓✔]")
_PART_HEADING = re.compile(r"^(?:I|II|III|IV|V)\.\s+\S")
_STRUCTURE = re.compile(r"^(?:[-–•+]|[a-zđ]\)|\d{1,2}(?:\.\d{1,2})*\.\s)")  # a list item


@dataclass
class Layout:
    header: list[str] = field(default_factory=list)  # paragraphs, lines kept
    body: list[str] = field(default_factory=list)  # one string per paragraph
    footnotes: dict[int, str] = field(default_factory=dict)
    ending: list[str] = field(default_factory=list)  # paragraphs, lines kept


def paragraphs(text: str) -> list[str]:
    """Split text into blank-line separated paragraphs with markup removed."""
    out = []
    for block in re.split(r"\n\s*\n", nfc(text).replace("\r\n", "\n")):
        lines = [_clean_line(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            out.append("\n".join(lines))
    return out


def _clean_line(line: str) -> str:
    """Strip bold/italic stars, check marks and extra spaces from one line."""
    line = _ARTEFACTS.sub("", line)
    if line.strip() != "*":
        line = line.replace("*", "")
    return re.sub(r"[ \t\u00a0]+", " ", line).strip()


def _starts_lower(par: str) -> bool:
    first = next((c for c in par if c.isalpha()), "")
    return bool(first) and first.islower()


def _terminated(par: str) -> bool:
    return par.rstrip().endswith(_TERMINAL)


def _is_body_start(par: str) -> bool:
    """Tell whether a paragraph is running prose or part I's heading (the end of the header)."""
    if "\n" in par:
        return False
    return len(par) > 150 or (bool(_PART_HEADING.match(par)) and par[3:].isupper())


def _is_ending(par: str) -> bool:
    return fold(par).startswith("noi nhan")


def split_layout(text: str) -> Layout:
    """Return header, repaired body, footnotes and ending of a directive."""
    pars = paragraphs(text)
    layout = Layout()
    start = next((i for i, p in enumerate(pars) if _is_body_start(p)), len(pars))
    end = next((i for i in range(start, len(pars)) if _is_ending(pars[i])), len(pars))
    layout.header = pars[:start]
    layout.ending = pars[end:]
    _repair_body([p.replace("\n", " ") for p in pars[start:end]], layout)
    return layout


def _repair_body(pars: list[str], layout: Layout) -> None:
    """Separate footnotes from body text and rejoin what page breaks cut."""
    last_note = 0
    for i, par in enumerate(pars):
        note = _FOOTNOTE.match(par)
        if note:
            last_note = int(note.group(1).translate(_DIGITS))
            layout.footnotes[last_note] = note.group(2).strip()
            continue
        following = pars[i + 1] if i + 1 < len(pars) else ""
        if _continues_footnote(par, following, layout.footnotes.get(last_note)):
            layout.footnotes[last_note] += " " + par
        elif (
            layout.body
            and not _terminated(layout.body[-1])
            and _starts_lower(par)
            and not _STRUCTURE.match(par)
        ):
            layout.body[-1] += " " + par
        else:
            layout.body.append(par)


def _continues_footnote(par: str, following: str, open_note: str | None) -> bool:
    """A lowercase paragraph right before a footnote block ends an unfinished footnote."""
    return (
        open_note is not None
        and not _terminated(open_note)
        and _starts_lower(par)
        and not _SUPER.search(par)
        and bool(_FOOTNOTE.match(following))
    )
