"""BM25 over syllables and syllable pairs, folded and marked, for Vietnamese passages."""

from __future__ import annotations

import math
import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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


@dataclass
class DocumentIndex:
    """One document's share of the index: built once per text, kept (pickled) by the caller.

    Passage ids are local (0 … n-1 in the document's passage order). Each term's postings
    are packed into one bytes object (ids as int32, then weights as float64): a cache of it
    loads in a few milliseconds, and `SearchIndex` unpacks only the terms questions use.
    """

    postings: dict[str, bytes]
    lengths: list[float]
    refs: list[set[tuple[str, str]]]
    dated: list[set[tuple[str, str]]]  # refs given with their date
    facts: list[set[str]]
    years: list[set[str]]  # years in the text, context or the part's heading
    named_years: list[set[str]]  # the same, written "năm 2023"


def pack(postings: dict[int, float]) -> bytes:
    """Return a term's postings as bytes: the ids (int32), then their weights (float64)."""
    return array("i", postings).tobytes() + array("d", postings.values()).tobytes()


def unpack(packed: bytes) -> tuple[array[int], array[float]]:
    """Return the ids and weights of packed postings."""
    n = len(packed) // 12
    ids, weights = array("i"), array("d")
    ids.frombytes(packed[: 4 * n])
    weights.frombytes(packed[4 * n :])
    return ids, weights


def index_document(passages: list[Passage]) -> DocumentIndex:
    """Analyse one document's passages: the costly part of building an index."""
    postings: dict[str, dict[int, float]] = defaultdict(dict)
    part = DocumentIndex({}, [], [], [], [], [], [])
    contexts: dict[str, _Analysed] = {}  # sibling passages share their heading and lead-in
    for i, passage in enumerate(passages):
        context = contexts.get(passage.context)
        if context is None:
            context = contexts[passage.context] = _analyse(passage.context)
        _add(part, postings, i, passage, context)
    _add_part_years(part, passages)
    part.postings = {term: pack(found) for term, found in postings.items()}
    return part


@dataclass(frozen=True)
class _Analysed:
    """A text's words, its index terms and the index terms of the gazetteer names in it."""

    words: list[str]
    terms: list[str]
    places: list[str]


def _analyse(text: str) -> _Analysed:
    """Return a passage's (or context's) words, terms and place terms."""
    words = text_words(text)
    return _Analysed(words, terms(words), [place_term(name) for _, _, name in find_places(words)])


def _add(
    part: DocumentIndex,
    postings: dict[str, dict[int, float]],
    i: int,
    passage: Passage,
    context: _Analysed,
) -> None:
    """Index one passage: its text fully, its context (analysed once) at reduced weight."""
    bag: dict[str, float] = defaultdict(float)
    text = _analyse(passage.text)
    for term in text.terms:
        bag[term] += 1.0
    for term in context.terms:
        bag[term] += CONTEXT_WEIGHT
    for term in text.places:
        bag[term] += 1.0
    for term in context.places:
        bag[term] += CONTEXT_WEIGHT
    for n in _ITEM.findall(passage.text):
        bag[item_term(int(n))] += 1.0
    for term, tf in bag.items():
        postings[term][i] = tf
    part.lengths.append(sum(v for t, v in bag.items() if t.startswith("f:")))
    both = f"{passage.text} {passage.context}"
    folded = fold(both)
    part.refs.append(coded_refs(folded))
    part.dated.append(dated_refs(fold(passage.text)))
    part.facts.append(facts_of(passage.text, text.words, named=bool(text.places)))
    part.years.append(set(_YEAR_FULL.findall(both)))
    part.named_years.append(set(_NAMED_YEAR.findall(folded)))


def _add_part_years(part: DocumentIndex, passages: list[Passage]) -> None:
    """Give each passage the years of its part's heading ("I. … NĂM 2023")."""
    parts = {(p.document, p.ref): p.text for p in passages if p.kind == "heading"}
    for i, p in enumerate(passages):
        heading = parts.get((p.document, p.ref.split(".")[0].split(",")[0]), "")
        part.years[i] |= set(_YEAR_FULL.findall(heading))
        part.named_years[i] |= set(_NAMED_YEAR.findall(fold(heading)))


TERM_MEMO = 50_000  # terms kept unpacked before the memo starts afresh
# Over this many passages (~6 directives) a term held by more than COMMON_POSTINGS of them
# is scored only for passages rarer terms already found (terms go rarest first; the rarest
# is always scored in full): one that holds nothing but common words ("đảng", "công tác")
# is no answer, and summing their thousands of postings was most of answer()'s time with
# 20 directives. A single directive is scored in full, as before. Such a common term is
# unpacked into a list over all passages (0.0 where absent), not a dict: half the time to
# unpack on its first use (what a question pays after a restart), a third of the memory,
# and a plain index to read it for each passage found.
FULL_SCAN = 1000
COMMON_POSTINGS = 200


@dataclass(frozen=True)
class _Term:
    """A term over the whole index: IDF, and its weight per passage (text 1, context 0.4)."""

    idf: float
    df: int  # passages holding it
    weights: dict[int, float]  # global passage id → weight (empty when `dense`)
    dense: list[float] | None = None  # a common term's weight for every passage, 0.0 if absent

    def tf(self, i: int) -> float:
        """Return passage i's weight for this term (0.0 when it doesn't hold it)."""
        return self.dense[i] if self.dense is not None else self.weights.get(i, 0.0)

    def postings(self) -> Iterable[tuple[int, float]]:
        """Return (passage id, weight) of the passages holding it, in passage order."""
        if self.dense is None:
            return self.weights.items()
        return [(j, tf) for j, tf in enumerate(self.dense) if tf]


class SearchIndex:
    """An in-memory BM25 index over one or more documents; build once, query many times.

    Each document's postings stay packed in its own `DocumentIndex` (local passage ids,
    offset here), so joining 20 analysed documents costs list concatenation, not a
    rebuild; a term is unpacked over every document when a question first uses it.
    """

    def __init__(
        self, passages: list[Passage], parts: list[tuple[int, DocumentIndex]] | None = None
    ) -> None:
        if parts is None:  # one analysis over all passages (a single document, tests)
            parts = [(0, index_document(passages))]
        self.passages = passages
        self.parts = parts  # (offset of its first passage, the document's index)
        self.lengths: list[float] = []
        self.refs: list[set[tuple[str, str]]] = []
        self.dated: list[set[tuple[str, str]]] = []
        self.facts: list[set[str]] = []
        self.years: list[set[str]] = []
        self.named_years: list[set[str]] = []
        for offset, part in parts:
            assert offset == len(self.lengths), "parts must follow each other"
            self.lengths.extend(part.lengths)
            self.refs.extend(part.refs)
            self.dated.extend(part.dated)
            self.facts.extend(part.facts)
            self.years.extend(part.years)
            self.named_years.extend(part.named_years)
        self.avg_length = sum(self.lengths) / max(1, len(self.lengths))
        self.size = len(self.lengths)
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5)
        scale = K1 * B / self.avg_length if self.avg_length else 0.0
        # BM25's length normalisation per passage: tf·(k1+1) / (tf + norm)
        self.norm = [K1 * (1 - B) + scale * length for length in self.lengths]
        self._terms: dict[str, _Term | None] = {}

    def _term(self, term: str) -> _Term | None:
        """Return a term unpacked over every document (None when no passage holds it)."""
        if term in self._terms:
            return self._terms[term]
        packs = [(offset, p) for offset, part in self.parts if (p := part.postings.get(term))]
        found = None
        if packs:
            df = sum(len(packed) for _, packed in packs) // 12
            idf = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            if self.size > FULL_SCAN and df > COMMON_POSTINGS:
                dense = [0.0] * self.size
                for offset, packed in packs:
                    ids, tfs = unpack(packed)
                    for i, tf in zip(ids, tfs, strict=True):
                        dense[offset + i] = tf
                found = _Term(idf, df, {}, dense)
            else:
                weights: dict[int, float] = {}
                for offset, packed in packs:
                    ids, tfs = unpack(packed)
                    weights.update(zip(map(offset.__add__, ids), tfs, strict=True))
                found = _Term(idf, df, weights)
        if len(self._terms) >= TERM_MEMO:
            self._terms.clear()
        self._terms[term] = found
        return found

    def idf_of(self, term: str) -> float:
        """Return a term's IDF (the largest possible for an unseen term)."""
        found = self._term(term)
        return self.max_idf if found is None else found.idf

    def score(
        self, query_terms: dict[str, float], only: set[str] | None = None
    ) -> dict[int, float]:
        """Return BM25 scores of the passages matching any query term (`only`: of these
        documents)."""
        scores: dict[int, float] = defaultdict(float)
        found_terms = [(t, w, found) for t, w in query_terms.items() if (found := self._term(t))]
        large = self.size > FULL_SCAN
        if large:  # rare terms first: a common one then only adds to passages already found
            found_terms.sort(key=lambda item: -item[2].idf)
        norm = self.norm
        for _, weight, found in found_terms:
            factor = weight * found.idf * (K1 + 1)
            if large and scores and found.dense is not None:  # a common term: df > COMMON_POSTINGS
                dense = found.dense
                for j in list(scores):
                    tf = dense[j]
                    if tf:
                        scores[j] += factor * tf / (tf + norm[j])
                continue
            for j, tf in found.postings():
                scores[j] += factor * tf / (tf + norm[j])
        if only is not None:
            return {j: v for j, v in scores.items() if self.passages[j].document in only}
        return scores

    def weight_of(self, term: str) -> Callable[[int], float]:
        """Return a function giving each passage's weight for a term (0.0 if it lacks it):
        the term looked up once for many passages."""
        found = self._term(term)
        if found is None:
            return _absent
        if found.dense is not None:
            return found.dense.__getitem__
        weights = found.weights
        return lambda i: weights.get(i, 0.0)

    def in_text(self, i: int, term: str) -> bool:
        """Tell whether passage i's own text (not only its context) contains a term."""
        found = self._term(term)
        return found is not None and found.tf(i) >= 1.0

    def has_term(self, i: int, term: str) -> bool:
        """Tell whether passage i contains a term (text or context)."""
        found = self._term(term)
        return found is not None and found.tf(i) > 0.0


def _absent(i: int) -> float:
    """Return a missing term's weight for any passage."""
    return 0.0


def facts_of(text: str, words: list[str] | None = None, *, named: bool | None = None) -> set[str]:
    """Return the kinds of fact a passage states: date, year, number (`named`: whether its
    words hold a gazetteer name, when the caller knows)."""
    found = set()
    if _DATE.search(text):
        found.add("date")
    if _YEAR.search(text):
        found.add("year")
    if _NUMBER.search(text):
        found.add("number")
    if MONEY.search(text):
        found.add("money")
    if named is None:
        named = bool(find_places(text_words(text) if words is None else words))
    if _PLACE.search(text) or named:
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
