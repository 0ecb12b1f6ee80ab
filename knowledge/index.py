"""BM25 over syllables and syllable pairs, folded and marked, for Vietnamese passages."""

from __future__ import annotations

import math
import re
from collections import defaultdict

from knowledge.lexicon import PLACES
from knowledge.model import Passage
from knowledge.query import coded_refs, dated_refs, expand, find_places, stop_mask
from knowledge.text import fold, has_diacritics, normalize, plain

K1 = 1.2
B = 0.75
CONTEXT_WEIGHT = 0.4  # a word of the heading or lead-in counts this much
MARKED_WEIGHT = 0.5  # bonus for a match with the same diacritics
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_NUMBER = re.compile(r"\b\d+(?:[,.]\d+)?%?")
_YEAR_FULL = re.compile(r"\b(?:19|20)\d{2}\b")
_NAMED_YEAR = re.compile(r"\bnam ((?:19|20)\d{2})\b")
_ITEM = re.compile(r"\((\d{1,2})\)")
MONEY = re.compile(r"\b\d[\d.,]*\s*(?:đồng|triệu|tỷ đồng|nghìn đồng|VNĐ|USD)(?!\w)", re.I)
_PLACE = re.compile(r"\b(?:tại|ở)\s+(?:[A-ZĐ]\w*|hội trường|trụ sở)")
DEADLINE = re.compile(r"trước ngày|chậm nhất|đến năm|trong năm \d{4}|hoàn thành", re.I)
NAME_WEIGHT = 2.0  # a gazetteer name in the question, matched whole
ITEM_WEIGHT = 3.0  # a numbered item asked for ("thứ sáu" → "(6)")


def place_term(name: str) -> str:
    """Return the index term of a gazetteer name, kept whole ("g:ha giang")."""
    return "g:" + " ".join(re.findall(r"\w+", fold(name)))


def item_term(number: int) -> str:
    """Return the index term of a numbered item "(n)"."""
    return f"i:{number}"


def unigram_terms(word: str) -> list[str]:
    """Return the single-syllable terms of one word: folded, marked and code parts."""
    folded = fold(word)
    out = ["f:" + folded]
    if has_diacritics(word):
        out.append("a:" + word)
    if "-" in word or "/" in word:
        out.extend("f:" + part for part in re.split(r"[-/]", folded) if part)
    return out


def bigram_terms(prev: str, word: str) -> list[str]:
    """Return the syllable-pair terms of two neighbouring words."""
    out = [f"f2:{fold(prev)} {fold(word)}"]
    if has_diacritics(word) or has_diacritics(prev):
        out.append(f"a2:{prev} {word}")
    return out


def terms(words: list[str]) -> list[str]:
    """Return index terms of words: folded (f) and marked (a) syllables and pairs."""
    out = []
    for i, word in enumerate(words):
        out.extend(unigram_terms(word))
        if i:
            out.extend(bigram_terms(words[i - 1], word))
    return out


def text_words(text: str) -> list[str]:
    """Return the normalised, abbreviation-expanded words of a passage."""
    return expand(normalize(plain(text)))


class SearchIndex:
    """An in-memory BM25 index; build once, query many times."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)
        self.lengths: list[float] = []
        self.refs: list[set[tuple[str, str]]] = []
        self.dated: list[set[tuple[str, str]]] = []  # refs given with their date
        self.facts: list[set[str]] = []
        self.years: list[set[str]] = []  # years in the text, context or the part's heading
        self.named_years: list[set[str]] = []  # the same, written "năm 2023"
        for i, passage in enumerate(passages):
            self._add(i, passage)
        self._add_part_years()
        self.avg_length = sum(self.lengths) / max(1, len(self.lengths))
        n = len(passages)
        self.idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()
        }
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)

    def _add(self, i: int, passage: Passage) -> None:
        """Index one passage: its text fully, its context at reduced weight."""
        bag: dict[str, float] = defaultdict(float)
        words = text_words(passage.text)
        for term in terms(words):
            bag[term] += 1.0
        context = text_words(passage.context)
        for term in terms(context):
            bag[term] += CONTEXT_WEIGHT
        for _, _, name in find_places(words):
            bag[place_term(name)] += 1.0
        for _, _, name in find_places(context):
            bag[place_term(name)] += CONTEXT_WEIGHT
        for n in _ITEM.findall(passage.text):
            bag[item_term(int(n))] += 1.0
        for term, tf in bag.items():
            self.postings[term][i] = tf
        self.lengths.append(sum(v for t, v in bag.items() if t.startswith("f:")))
        self.refs.append(coded_refs(fold(f"{passage.text} {passage.context}")))
        self.dated.append(dated_refs(fold(passage.text)))
        self.facts.append(facts_of(passage.text, words))
        self.years.append(set(_YEAR_FULL.findall(f"{passage.text} {passage.context}")))
        self.named_years.append(set(_NAMED_YEAR.findall(fold(f"{passage.text} {passage.context}"))))

    def _add_part_years(self) -> None:
        """Give each passage the years of its part's heading ("I. … NĂM 2023")."""
        parts = {(p.document, p.ref): p.text for p in self.passages if p.kind == "heading"}
        for i, p in enumerate(self.passages):
            heading = parts.get((p.document, p.ref.split(".")[0].split(",")[0]), "")
            self.years[i] |= set(_YEAR_FULL.findall(heading))
            self.named_years[i] |= set(_NAMED_YEAR.findall(fold(heading)))

    def idf_of(self, term: str) -> float:
        """Return a term's IDF (the largest possible for an unseen term)."""
        return self.idf.get(term, self.max_idf)

    def score(self, query_terms: dict[str, float]) -> dict[int, float]:
        """Return BM25 scores of the passages matching any query term."""
        scores: dict[int, float] = defaultdict(float)
        for term, weight in query_terms.items():
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf[term]
            for i, tf in postings.items():
                norm = K1 * (1 - B + B * self.lengths[i] / self.avg_length)
                scores[i] += weight * idf * tf * (K1 + 1) / (tf + norm)
        return scores

    def in_text(self, i: int, term: str) -> bool:
        """Tell whether passage i's own text (not only its context) contains a term."""
        return self.postings.get(term, {}).get(i, 0.0) >= 1.0

    def has_term(self, i: int, term: str) -> bool:
        """Tell whether passage i contains a term (text or context)."""
        return i in self.postings.get(term, ())


def facts_of(text: str, words: list[str] | None = None) -> set[str]:
    """Return the kinds of fact a passage states: date, year, number."""
    found = set()
    if _DATE.search(text):
        found.add("date")
    if _YEAR.search(text):
        found.add("year")
    if _NUMBER.search(text):
        found.add("number")
    if MONEY.search(text):
        found.add("money")
    if _PLACE.search(text) or find_places(text_words(text) if words is None else words):
        found.add("place")
    if DEADLINE.search(text):
        found.add("deadline")
    return found


def name_terms(places: list[str], items: set[int]) -> dict[str, float]:
    """Return terms for the names (a region by its provinces) and numbered items asked for."""
    weights: dict[str, float] = {}
    for name in places:
        place = PLACES[name]
        if place.kind == "region":
            for member in place.members:
                weights[place_term(member)] = NAME_WEIGHT / 2
        weights[place_term(name)] = NAME_WEIGHT
    for n in items:
        weights[item_term(n)] = ITEM_WEIGHT
    return weights


def query_terms(words: list[str]) -> dict[str, float]:
    """Return weighted terms for a question: content syllables, and pairs not all filler."""
    weights: dict[str, float] = {}
    stop = stop_mask(words)
    for i, word in enumerate(words):
        found = [] if stop[i] else unigram_terms(word)
        if i and not (stop[i] and stop[i - 1]):
            found += bigram_terms(words[i - 1], word)
        for term in found:
            w = MARKED_WEIGHT if term.startswith(("a:", "a2:")) else 1.0
            weights[term] = max(weights.get(term, 0.0), w)
    return weights
