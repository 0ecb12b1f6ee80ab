"""The sector's vocabulary, read from plain files under knowledge/data/.

fillers.tsv (filler words, phrases and courtesy patterns), shorthand.tsv (chat
shorthand), abbreviations.tsv (the sector's abbreviations), synonyms.tsv (everyday
wording → the directive's) and gazetteer.tsv (provinces, regions, named documents).
Each file documents its own format in its header; a deployment extends them without
touching code. Document kinds and their codes stay here: they are grammar, not data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from knowledge.text import fold, normalize


@dataclass(frozen=True)
class Expansion:
    """One shorthand or abbreviation: what it stands for, and when."""

    full: str
    rule: str = ""  # "", "caps", "next:a,b", "not-next:a,b"

    def applies(self, word: str, following: str) -> bool:
        """Tell whether this expansion holds for word typed before `following` (folded)."""
        if self.rule == "caps":
            return word.isupper()
        kind, _, values = self.rule.partition(":")
        if kind == "next":
            return following in values.split(",")
        if kind == "not-next":
            return following not in values.split(",")
        return True


@dataclass(frozen=True)
class Filler:
    """A filler word typed without marks, and the rule that keeps it content."""

    unless_next: frozenset[str] = frozenset()
    last_only: bool = False


@dataclass(frozen=True)
class Place:
    """A gazetteer entry: a province, a region with its provinces, or a named document."""

    name: str
    kind: str  # "province" | "region" | "document"
    members: tuple[str, ...] = ()


def _rows(name: str) -> list[list[str]]:
    """Return the tab-separated rows of a data file, comments and blank lines skipped."""
    text = resources.files("knowledge").joinpath("data", name).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            out.append([cell.strip() for cell in line.split("\t")])
    return out


def _load_expansions(name: str) -> dict[str, list[Expansion]]:
    table: dict[str, list[Expansion]] = {}
    for row in _rows(name):
        key = row[0] if len(row) > 2 and row[2] == "caps" else fold(row[0])
        table.setdefault(key, []).append(Expansion(row[1], row[2] if len(row) > 2 else ""))
    return table


def _load_fillers() -> tuple[
    frozenset[str], dict[str, Filler], tuple[tuple[str, ...], ...], tuple[str, ...]
]:
    marked: set[str] = set()
    plain: dict[str, Filler] = {}
    phrases: list[tuple[str, ...]] = []
    patterns: list[str] = []
    for row in _rows("fillers.tsv"):
        kind, text = row[0], row[1]
        rule = row[2] if len(row) > 2 else ""
        if kind == "pattern":
            patterns.append(text)
        elif kind == "phrase":
            phrases.append(tuple(text.split()))
        elif kind == "marked":
            for word in text.split():
                if rule == "last":
                    plain.setdefault(word, Filler(last_only=True))
                else:
                    marked.add(normalize(word))
        else:
            unless = rule.removeprefix("unless-next:").split(",") if "unless" in rule else []
            for word in text.split():
                plain[word] = Filler(frozenset(unless), rule == "last")
    return frozenset(marked), plain, tuple(phrases), tuple(patterns)


def _load_gazetteer() -> tuple[dict[str, Place], dict[str, str]]:
    """Return places by name, and every folded name or alias → the place's name."""
    places: dict[str, Place] = {}
    names: dict[str, str] = {}
    for row in _rows("gazetteer.tsv"):
        row += [""] * (4 - len(row))
        name, kind, aliases, members = row[:4]
        split = tuple(m.strip() for m in members.split(",") if m.strip())
        places[name] = Place(name, kind, split)
        for alias in [name, *aliases.split(",")]:
            if alias.strip():
                names[_name_key(alias)] = name
    return places, names


def _name_key(name: str) -> str:
    """Return the folded, hyphen-free form names are matched on ("ba ria vung tau")."""
    return " ".join(re.findall(r"\w+", fold(name)))


ABBREVIATIONS = _load_expansions("abbreviations.tsv")
SHORTHAND = _load_expansions("shorthand.tsv")
STOP_MARKED, STOP_PLAIN, STOP_PHRASES, COURTESY = _load_fillers()
PARAPHRASES: dict[str, str] = {fold(r[0]): r[1] for r in _rows("synonyms.tsv")}
PLACES, PLACE_NAMES = _load_gazetteer()
LONGEST_NAME = max(len(k.split()) for k in PLACE_NAMES)
NAME_STARTS = frozenset(k.split()[0] for k in PLACE_NAMES)

# Document kinds as written out and their code in document numbers (35-KL/TW).
KIND_CODES: dict[str, str] = {
    "ket luan": "kl",
    "nghi quyet": "nq",
    "quyet dinh": "qd",
    "quy dinh": "qd",
    "chi thi": "ct",
    "ke hoach": "kh",
    "thong bao": "tb",
    "huong dan": "hd",
    "kl": "kl",
    "nq": "nq",
    "qd": "qd",
    "ct": "ct",
    "kh": "kh",
    "tb": "tb",
    "hd": "hd",
}
