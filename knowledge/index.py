"""BM25 over syllables and syllable pairs, folded and marked, for Vietnamese passages."""

from __future__ import annotations

import math
import re
from collections import defaultdict

from knowledge.model import Passage
from knowledge.query import coded_refs, dated_refs, expand, stop_mask
from knowledge.text import fold, has_diacritics, normalize, plain

K1 = 1.2
B = 0.75
CONTEXT_WEIGHT = 0.4  # a word of the heading or lead-in counts this much
MARKED_WEIGHT = 0.5  # bonus for a match with the same diacritics
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_NUMBER = re.compile(r"\b\d+(?:[,.]\d+)?%?")


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
        for i, passage in enumerate(passages):
            self._add(i, passage)
        self.avg_length = sum(self.lengths) / max(1, len(self.lengths))
        n = len(passages)
        self.idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()
        }
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)

    def _add(self, i: int, passage: Passage) -> None:
        """Index one passage: its text fully, its context at reduced weight."""
        bag: dict[str, float] = defaultdict(float)
        for term in terms(text_words(passage.text)):
            bag[term] += 1.0
        for term in terms(text_words(passage.context)):
            bag[term] += CONTEXT_WEIGHT
        for term, tf in bag.items():
            self.postings[term][i] = tf
        self.lengths.append(sum(v for t, v in bag.items() if t.startswith("f:")))
        self.refs.append(coded_refs(fold(f"{passage.text} {passage.context}")))
        self.dated.append(dated_refs(fold(passage.text)))
        self.facts.append(_facts(passage.text))

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

    def has_term(self, i: int, term: str) -> bool:
        """Tell whether passage i contains a term (text or context)."""
        return i in self.postings.get(term, ())


def _facts(text: str) -> set[str]:
    """Return the kinds of fact a passage states: date, year, number."""
    found = set()
    if _DATE.search(text):
        found.add("date")
    if _YEAR.search(text):
        found.add("year")
    if _NUMBER.search(text):
        found.add("number")
    return found


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
