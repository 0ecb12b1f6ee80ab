"""Compose a short answer that quotes the best passages and says where they stand."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge import phrases
from knowledge.index import (
    DEADLINE,
    MONEY,
    facts_of,
    item_term,
    name_terms,
    place_term,
    query_terms,
)
from knowledge.lexicon import PLACES
from knowledge.model import Passage
from knowledge.query import Query, coded_refs, find_places, parse_query
from knowledge.quote import ELLIPSIS, fit_quotes, window
from knowledge.text import fold, has_diacritics, plain, superscript_numbers

if TYPE_CHECKING:
    from knowledge.index import SearchIndex
    from knowledge.model import Document

MAX_ANSWER = 800
_MARKER = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
MAX_QUESTION = 2000
REF_BOOST = 8.0  # a passage citing the document the question names
NOTE_REACH = 8  # words before a footnote marker that say what the footnote explains
META_PRIOR = 0.6  # header/ending passages count less unless the question is about them
MISSING_FACT = 0.6  # score kept by a passage lacking the kind of fact asked for
PARAPHRASE_WEIGHT = 0.7  # a directive word standing in for the question's own
MIN_WORDS = 0.45  # share of the question's words (by IDF) the best passage must contain
MIN_WORDS_AND_PAIRS = 0.6  # that share plus the share of its word pairs it must reach
MARK_MISMATCH = 0.6  # a word matched only without its diacritics counts this much
RERANK = 30  # how many top passages are re-scored by how much of the question they cover
COVERAGE_BASE = 0.5  # re-scoring factor is this plus the share covered
NEIGHBOUR_SHARE = 0.1  # share of the question a neighbouring sentence must add to be quoted
NEIGHBOUR_SCORE = 0.6  # or the share of the best score it must reach
OTHER_YEAR = 0.6  # score kept by a passage (with its part's heading) lacking a year asked
WHOLE_NOTE = 650  # a numbered footnote up to this long is quoted whole, not one segment
LIST_WINDOW = 120  # characters quoted around a province in a footnote listing provinces
RANK_POOL = 300  # passages (by BM25) given the full ranking; a single directive has fewer
OTHER_DOCUMENT = 0.8  # score kept by a passage of a directive other than the current one
NEAR_MISS_QUOTE = 300  # characters of related content quoted when the fact asked is absent


@dataclass(frozen=True)
class Source:
    document: str
    ref: str
    quote: str


@dataclass(frozen=True)
class Answer:
    found: bool
    text: str
    sources: list[Source] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the `ask --json` shape."""
        return {
            "found": self.found,
            "answer": self.text,
            "sources": [
                {"document": s.document, "ref": s.ref, "quote": s.quote} for s in self.sources
            ],
        }


def compose_answer(question: str, index: SearchIndex, documents: list[Document]) -> Answer:
    """Answer a question from the index, or say what the bot can help with.

    documents[0] is the current directive: its passages are preferred. A question naming a
    loaded document ("Kết luận 09", "kế hoạch 172") is answered from that document only.
    """
    if not question.strip():
        return Answer(False, phrases.EMPTY_QUESTION)
    if len(question) > MAX_QUESTION:
        return Answer(False, phrases.TOO_LONG.format(limit=MAX_QUESTION))
    query = parse_query(question)
    named = _named_documents(query, documents)
    name = _name(documents, named[0] if named else documents[0].number)
    if query.refs and not any(query.refs & refs for refs in index.refs):
        return Answer(False, phrases.UNKNOWN_REFERENCE.format(document=name))
    weights = _word_weights(query, index)
    cover = _Coverage(index, weights, query.alternatives)
    scores = _rank(query, index, cover, documents, set(named) or None)
    if not scores:
        return Answer(False, phrases.NOT_FOUND.format(document=name))
    ranked = sorted(scores, key=lambda i: (-scores[i], i))
    chosen = _choose(ranked, scores, index, cover, query)
    if not _is_answer(query, index, chosen, cover):
        return Answer(False, phrases.NOT_FOUND.format(document=name))
    name = _name(documents, index.passages[chosen[0]].document)
    if not any(index.has_term(chosen[0], item_term(n)) for n in query.items):
        chosen = _with_neighbours(chosen, scores, index, cover)
    missing = missing_fact(query, [index.passages[i] for i in chosen], documents)
    if missing == phrases.FACT_NOW:
        return Answer(False, phrases.NOT_FOUND.format(document=name))
    if missing:
        return _near_miss(missing, index.passages[chosen[0]], query, name)
    lead = index.passages[chosen[0]].document  # named in "Theo …": its labels go bare
    ordered = sorted(documents, key=lambda d: d.number != lead)
    items = _quotable(query, [index.passages[i] for i in chosen], ordered)
    return _render(items, query, name)


def _name(documents: list[Document], number: str) -> str:
    """Return how an answer names a document: "Kết luận 09-KL/BTCTW"."""
    doc = next((d for d in documents if d.number == number), documents[0])
    return f"{doc.metadata.kind} {doc.number}"


def _named_documents(query: Query, documents: list[Document]) -> list[str]:
    """Return the loaded documents the question names, when there are several to choose from."""
    if len(documents) < 2 or not query.refs:
        return []
    return [d.number for d in documents if query.refs & coded_refs(fold(d.number).lower())]


def _rank(
    query: Query,
    index: SearchIndex,
    cover: _Coverage,
    documents: list[Document],
    only: set[str] | None = None,
) -> dict[int, float]:
    """Score passages by BM25, named documents, the kind of fact wanted and coverage."""
    weights = query_terms(query.words)
    for term, w in query_terms(query.extra).items():
        weights[term] = max(weights.get(term, 0.0), w * PARAPHRASE_WEIGHT)
    weights.update(name_terms(query.places, query.items))
    scores = index.score(weights, only)
    if len(scores) > RANK_POOL:  # many directives: the priors below only scale scores down,
        # so only the best by BM25 and the passages naming a document asked about can win
        keep = sorted(scores, key=scores.__getitem__, reverse=True)[:RANK_POOL]
        keep += [i for i in scores if query.refs & index.refs[i]] if query.refs else []
        scores = {i: scores[i] for i in keep}
    facts = query.wants & {"date", "year", "number", "place", "money"}
    current = documents[0].number
    refs, years, named_years = query.refs, query.years, query.named_years
    dated = "date" in query.wants
    metas = "meta" not in query.wants
    for i in list(scores):  # what the question can't trigger (no refs, no years) is skipped
        score = scores[i]
        if refs:
            score += REF_BOOST * len(refs & index.refs[i])
            if dated:
                score += REF_BOOST * len(refs & index.dated[i])
        if facts and facts - index.facts[i]:
            score *= MISSING_FACT
        passage = index.passages[i]
        if metas and passage.kind == "meta":
            score *= META_PRIOR
        if (years and years - index.years[i]) or (
            named_years and named_years - index.named_years[i]
        ):
            score *= OTHER_YEAR
        if only is None and passage.document != current:
            score *= OTHER_DOCUMENT
        scores[i] = score
    total = sum(cover.weights.values()) or 1.0
    for i in sorted(scores, key=lambda i: -scores[i])[:RERANK]:
        coverage = sum(cover(i).values()) / total
        scores[i] *= COVERAGE_BASE + coverage
    return {i: s for i, s in scores.items() if s > 0}


def _word_weights(query: Query, index: SearchIndex) -> dict[str, float]:
    """Return each content word (or whole name, '@Hà Giang') with its IDF."""
    out = {}
    for w in dict.fromkeys(query.content):
        term = place_term(w[1:]) if w.startswith("@") else "f:" + fold(w)
        out[w] = index.idf_of(term)
    for n in query.items:
        out[f"#{n}"] = index.idf_of(item_term(n))
    return out


def _matches(index: SearchIndex, i: int, word: str) -> float:
    """Return 1 for a match with the same marks, less for one only without them, else 0."""
    if word.startswith("#"):
        return float(index.has_term(i, item_term(int(word[1:]))))
    if word.startswith("@"):
        place = PLACES[word[1:]]
        if index.has_term(i, place_term(place.name)):
            return 1.0
        if place.kind == "region":
            return float(any(index.has_term(i, place_term(m)) for m in place.members))
        if place.kind == "document":
            return float(any(index.has_term(i, "f:" + fold(m).lower()) for m in place.members))
        return 0.0
    if not index.has_term(i, "f:" + fold(word)):
        return 0.0
    exact = not has_diacritics(word) or index.has_term(i, "a:" + word)
    return 1.0 if exact else MARK_MISMATCH


class _Coverage:
    """The question's content words (with their weights) each passage matches, itself or by
    a paraphrase, with credit: worked out once per passage for a question, though ranking,
    choosing and checking an answer all ask, and each word's index terms spelt out once."""

    def __init__(
        self, index: SearchIndex, weights: dict[str, float], alternatives: dict[str, list[str]]
    ) -> None:
        self.index = index
        self.weights = weights
        self.alternatives = alternatives
        self._probes: dict[str, Callable[[int], float]] = {}
        self._found: dict[int, dict[str, float]] = {}

    def __call__(self, i: int) -> dict[str, float]:
        """Return the words passage i matches, with credit (weight × match)."""
        found = self._found.get(i)
        if found is None:
            found = self._found[i] = self._covered(i)
        return found

    def _covered(self, i: int) -> dict[str, float]:
        out = {}
        for word, weight in self.weights.items():
            credit = self._matches(i, word)
            if credit < 1.0:
                for other in self.alternatives.get(fold(word), ()):
                    credit = max(credit, self._matches(i, other))
                    if credit == 1.0:
                        break
            if credit:
                out[word] = weight * credit
        return out

    def _matches(self, i: int, word: str) -> float:
        probe = self._probes.get(word)
        if probe is None:
            probe = self._probes[word] = _probe(self.index, word)
        return probe(i)


def _probe(index: SearchIndex, word: str) -> Callable[[int], float]:
    """Return `_matches` for one word, its terms spelt out once."""
    if word[:1] in "#@":
        return lambda i: _matches(index, i, word)
    folded = index.weight_of("f:" + fold(word))
    marked = index.weight_of("a:" + word) if has_diacritics(word) else None

    def matches(i: int) -> float:
        if not folded(i):
            return 0.0
        return 1.0 if marked is None or marked(i) else MARK_MISMATCH

    return matches


def _is_answer(query: Query, index: SearchIndex, chosen: list[int], cover: _Coverage) -> bool:
    """Tell whether the best passage covers enough of the question's words and phrases."""
    if any(query.refs & index.refs[i] for i in chosen):
        return True
    total = sum(cover.weights.values())
    if not total:
        return False
    best = chosen[0]
    single = sum(cover(best).values()) / total
    pairs = [t for t in query_terms(query.words) if t.startswith("f2:")]
    paired = sum(index.idf_of(t) for t in pairs)
    both = (
        sum(index.idf_of(t) for t in pairs if index.has_term(best, t)) / paired if pairs else single
    )
    return single >= MIN_WORDS and single + both >= MIN_WORDS_AND_PAIRS


def _choose(
    ranked: list[int],
    scores: dict[int, float],
    index: SearchIndex,
    cover: _Coverage,
    query: Query,
) -> list[int]:
    """Take the best passage, then others that cover what it leaves out.

    A province asked about is quoted everywhere it is listed (up to three places).
    """
    best = ranked[0]
    chosen = [best]
    weights = cover.weights
    covered = set(cover(best))
    total = sum(weights.values()) or 1.0
    named = [place_term(n) for n in query.places if PLACES[n].kind == "province"]
    for i in ranked[1:8]:
        if scores[i] < 0.5 * scores[best] or len(chosen) == 3:
            break
        new = {w for w in cover(i) if w not in covered}
        listed = any(index.has_term(i, t) for t in named) and index.passages[i].kind == "footnote"
        if query.refs & index.refs[best] and not query.refs & index.refs[i]:
            continue  # the document asked about is quoted, not others
        if sum(weights[w] for w in new) >= 0.2 * total or listed:
            chosen.append(i)
            covered |= new
    return chosen


def _with_neighbours(
    chosen: list[int], scores: dict[int, float], index: SearchIndex, cover: _Coverage
) -> list[int]:
    """Add the sentence next to the best one when it holds asked words the best one lacks.

    Also when it scores nearly as well: the answer often runs on into the next sentence.
    """
    best = chosen[0]
    here = index.passages[best]
    if here.kind == "heading" and best + 1 < len(index.passages) and best + 1 not in chosen:
        if index.passages[best + 1].ref == here.ref:
            return [best, best + 1, *chosen[1:]]  # a heading alone says little: add its text
    weights = cover.weights
    covered = set()
    for i in chosen:
        covered |= _in_text(index, i, cover)
    total = sum(weights.values()) or 1.0
    for j in (best + 1, best - 1):
        if not 0 <= j < len(index.passages) or j in chosen:
            continue
        other = index.passages[j]
        if other.ref != here.ref or other.kind != here.kind or other.kind == "meta":
            continue
        new = _in_text(index, j, cover) - covered
        close = scores.get(j, 0.0) >= NEIGHBOUR_SCORE * scores[best]
        if sum(weights[w] for w in new) >= NEIGHBOUR_SHARE * total or close:
            chosen = [*chosen, j]
            covered |= new
    return chosen


def _in_text(index: SearchIndex, i: int, cover: _Coverage) -> set[str]:
    """Return the asked words passage i's own text holds (itself or a paraphrase)."""
    out = set()
    for word in cover(i):
        options = [word, *cover.alternatives.get(fold(word), ())]
        if any(index.in_text(i, "f:" + fold(w)) for w in options if w[:1] not in "@#"):
            out.add(word)
        elif word[:1] in "@#":
            out.add(word)
    return out


_SURNAMES_MARKED = frozenset(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Trương "
    "Mai Đinh Lương Tô Vương Hà Đoàn Trịnh Lâm Phùng Tạ Chu Đào Thái Cao Lưu Kiều Hứa".split()
)
_SURNAMES = frozenset(fold(n) for n in _SURNAMES_MARKED)


def persons(text: str) -> set[str]:
    """Return the folded names of people in text (a surname and 1-3 capitalised words)."""
    tokens = re.findall(r"\w+|[^\w\s]", text)
    out = set()
    for i, token in enumerate(tokens):
        known = _SURNAMES_MARKED if has_diacritics(token) else _SURNAMES
        if token[:1].isupper() and not token.isupper() and (token in known or fold(token) in known):
            rest = []
            for nxt in tokens[i + 1 : i + 4]:
                if not nxt[:1].isupper() or nxt.isupper() or not nxt.isalpha():
                    break
                rest.append(nxt)
            if rest:
                out.add(fold(" ".join([token, *rest])))
    return out


_DOC_DATE = re.compile(r"(\d+)-([A-ZĐ]+)/[A-ZĐ]+,?\s*ngày\s+\d{1,2}/\d{1,2}/\d{4}")
_ANY_DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{4}\b|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}|định kỳ|hàng quý|hằng năm|hàng năm"
)


@dataclass(frozen=True)
class _Said:
    """What an answer would state: its passages, their footnotes, and around the best one."""

    texts: list[str]  # the chosen passages
    notes: list[str]  # the footnotes they cite
    citing: list[str]  # for a quoted footnote, the sentence citing it
    head: str  # the best passage, its neighbours, context, footnotes and part heading

    @property
    def body(self) -> str:
        return " ".join(self.texts)


def _said(passages: list[Passage], documents: list[Document]) -> _Said:
    """Collect what quoting these passages would state."""
    docs = {d.number: d for d in documents}
    notes: list[str] = []
    citing: list[str] = []
    for p in passages:
        doc = docs[p.document]
        notes.extend(doc.footnotes[n].text for n in p.footnotes if n in doc.footnotes)
        if p.kind == "footnote" and p.footnotes and p.footnotes[0] in doc.footnotes:
            citing.append(plain(doc.footnotes[p.footnotes[0]].cited_sentence))
    first = passages[0]
    doc = docs[first.document]
    part = first.ref.split(".")[0].split(",")[0]
    heading = next((h for ref, h in doc.sections if ref == part), "")
    own = [doc.footnotes[n].text for n in first.footnotes if n in doc.footnotes]
    near = [p.text for p in passages if p.ref == first.ref and abs(p.order - first.order) <= 1]
    head = " ".join([*near, first.context, *own, heading])
    return _Said([plain(p.text) for p in passages], notes, citing, head)


def missing_fact(query: Query, passages: list[Passage], documents: list[Document]) -> str:
    """Return the kind of fact asked that the passages don't state ('' when they do).

    Checks that a sum of money, a place, a date (not merely another document's date), a
    deadline, a count of the thing asked, another person, and every year, number and
    numbered item the question names are in what would be quoted.
    """
    said = _said(passages, documents)
    body, texts, notes = said.body, said.texts, said.notes
    if "now" in query.wants:
        return phrases.FACT_NOW
    if "money" in query.wants and not MONEY.search(body):
        return phrases.FACT_MONEY
    if "place" in query.wants and not any("place" in facts_of(t) for t in texts):
        return phrases.FACT_PLACE
    if "date" in query.wants and not _dates_named(body, query):
        return phrases.FACT_DATE
    if {"date", "deadline"} <= query.wants and not DEADLINE.search(body):
        return phrases.FACT_DATE
    counted = [query.counted, *query.extra_phrases] if query.counted else []
    stated_all = " ".join([body, *notes, *said.citing])
    if counted and not any(_counts(stated_all, noun) for noun in counted):
        return phrases.FACT_COUNT
    asked = persons(query.text)
    if "who" in query.wants and asked:
        if not persons(body) - asked:
            return phrases.FACT_PERSON
    stated = fold(said.head)
    for number in query.years | query.numbers:
        if not re.search(rf"(?<!\d){number}(?!\d)", stated):
            return phrases.FACT_NUMBER.format(number=number)
    for year in re.findall(r"\bnam (\d{4})\b", fold(query.text)):
        if f"nam {year}" not in stated:  # "năm 2025" is not the end of "2021 - 2025"
            return phrases.FACT_NUMBER.format(number=year)
        if _other_year(query, year, stated):
            return phrases.FACT_NUMBER.format(number=year)
    for n in query.items:
        if not any(f"({n})" in t for t in [*texts, *notes]):
            return phrases.FACT_ITEM.format(number=n)
    return ""


YEAR_REACH = 12  # words after a question's word within which the year it is tied to stands


def _other_year(query: Query, year: str, stated: str) -> bool:
    """Tell whether the word the question ties to 'năm YYYY' is tied to another year here.

    "Hội nghị tổng kết năm 2024" asks about the 2024 review: a passage where "tổng kết"
    is followed by "năm 2023" (and never by 2024) is about another year.
    """
    asked = re.findall(r"\w+", fold(query.text))
    words = re.findall(r"[\w/-]+", stated)
    for k in range(1, len(asked) - 1):
        if asked[k] != "nam" or asked[k + 1] != year:
            continue
        anchor = next(
            (w for w in reversed(asked[:k]) if not w.isdigit() and w in query.folded_content),
            "",
        )
        if not anchor:
            continue
        bound = set()
        for j, w in enumerate(words):
            if w == anchor:
                tail = words[j + 1 : j + 1 + YEAR_REACH]
                ties = [
                    tail[t + 1]
                    for t in range(len(tail) - 1)
                    if tail[t] == "nam" and re.fullmatch(r"\d{4}", tail[t + 1])
                ]
                if ties:
                    bound.add(ties[0])
        if bound and year not in bound:
            return True
    return False


def _dates_named(body: str, query: Query) -> bool:
    """Tell whether body gives a date beyond the dates of documents the question doesn't name."""
    for m in _DOC_DATE.finditer(body):
        if (str(int(m.group(1))), fold(m.group(2)).lower()) not in query.refs:
            body = body.replace(m.group(0), m.group(1))
    return bool(_ANY_DATE.search(body))


def _counts(body: str, noun: str) -> bool:
    """Tell whether body gives a number of the thing counted ('34 đảng bộ' for 'đảng bộ')."""
    first, *rest = noun.split()
    folded = fold(body)
    for m in re.finditer(rf"\b\d[\d.,]*\s+{re.escape(first)}\b", folded):
        after = re.findall(r"\w+", folded[m.end() : m.end() + 40])[:3]
        if all(word in after for word in rest):
            return True
    return False


def _near_miss(missing: str, passage: Passage, query: Query, name: str) -> Answer:
    """Say the directive doesn't state the fact asked, and quote the closest content."""
    quote = window(plain(passage.text), query.quote_words, NEAR_MISS_QUOTE)
    text = phrases.NEAR_MISS.format(document=name, missing=missing, ref=passage.ref, quote=quote)
    return Answer(False, text[:MAX_ANSWER])


Item = tuple[str, str, str]  # (document number, where it stands, text)


def _quotable(query: Query, passages: list[Passage], documents: list[Document]) -> list[Item]:
    """Return what to quote: footnotes with the clause citing them, and explaining ones."""
    out: list[Item] = []
    quoted_notes = {(p.document, p.footnotes[0]) for p in passages if p.kind == "footnote"}
    for p in passages:
        doc = next(d for d in documents if d.number == p.document)
        if p.kind == "sentence" and any((p.document, n) in quoted_notes for n in p.footnotes):
            continue  # quoted through the clause citing the footnote, next to it
        if p.kind == "footnote" and p.text != doc.footnotes[p.footnotes[0]].text:
            p = _whole_list(p, doc)
        if p.kind == "footnote":
            note = doc.footnotes[p.footnotes[0]]
            if note.cited_sentence:
                out.append((p.document, _label(p, documents, note.cited_in), note.cited_sentence))
        out.append((p.document, _label(p, documents), p.text))
        for n in _explaining_notes(query, p):
            if n in doc.footnotes:
                where = f"{p.ref}, chú thích {n}"
                out.append((p.document, _label(p, documents, where), doc.footnotes[n].text))
    return list(dict.fromkeys(out))


def _whole_list(p: Passage, doc: Document) -> Passage:
    """Return a footnote segment grown to the whole footnote when that is a short list."""
    whole = doc.footnotes[p.footnotes[0]].text
    if len(whole) <= WHOLE_NOTE and re.match(r"\(\d+\)", whole):
        return Passage(p.document, p.ref, whole, p.kind, p.task_code, p.footnotes, p.order)
    return p


def _explaining_notes(query: Query, p: Passage) -> list[int]:
    """Return the footnotes whose marker follows the words the question asks about."""
    if p.kind == "footnote" or not p.footnotes:
        return []
    wanted = {fold(w) for w in query.quote_words}
    wanted |= {fold(a) for alts in query.alternatives.values() for a in alts}
    hits: dict[int, int] = {}
    for m in _MARKER.finditer(p.text):
        before = fold(p.text[: m.start()]).split()[-NOTE_REACH:]
        count = sum(w.strip('.,;:()“”"') in wanted for w in before)
        for n in superscript_numbers(m.group(0)):
            hits[n] = count
    need = 1 if "list" in query.wants else 2
    top = max(hits.values(), default=0)
    return [n for n, c in hits.items() if c >= need and c == top]


def _is_list(text: str) -> bool:
    """Tell whether text is mostly a list of gazetteer names (a footnote of provinces)."""
    parts = [p for p in re.split(r"[,;]", text) if p.strip()]
    return len(parts) >= 8 and len(find_places(text.lower().split())) >= len(parts) // 2


def _from_item(text: str, items: set[int]) -> str:
    """Return text from the numbered item asked for ("(7) …"), if it holds one."""
    for n in sorted(items):
        at = text.find(f"({n})")
        if at > 0:
            return ELLIPSIS + text[at:]
    return text


def _render(items: list[Item], query: Query, name: str) -> Answer:
    """Return the answer text: where each quote stands, then the quote."""
    room = MAX_ANSWER - len(name) - 12 - sum(len(label) + 8 for _, label, _ in items)
    texts = [_from_item(plain(text), query.items) for _, _, text in items]
    names = [w for n in query.places if PLACES[n].kind == "province" for w in n.split()]
    if names and all(
        PLACES[n].kind == "province" for n in query.places
    ):  # a province in a long list of them: quote it with its neighbours only
        texts = [
            window(t, names, LIST_WINDOW) if "chú thích" in label and _is_list(t) else t
            for t, (_, label, _) in zip(texts, items, strict=True)
        ]
    quotes = fit_quotes(texts, query.quote_words, room)
    kept = [(doc, label, q) for (doc, label, _), q in zip(items, quotes, strict=True) if q]
    if len(kept) == 1:
        text = f"Theo {name} ({kept[0][1]}):\n«{kept[0][2]}»"
    else:
        text = f"Theo {name}:\n" + "\n".join(f"• {label}: «{q}»" for _, label, q in kept)
    sources = [Source(doc, label, q) for doc, label, q in kept]
    return Answer(True, text[:MAX_ANSWER], sources)


def _label(p: Passage, documents: list[Document], where: str = "") -> str:
    """Return where a passage stands, e.g. 'Mục II.3, nhiệm vụ 3.3'."""
    label = where or p.ref
    if not where and p.kind == "sentence" and p.task_code and not p.ref.endswith(p.task_code):
        label += f", nhiệm vụ {p.task_code}"
    if p.document != documents[0].number:
        label = f"{p.document}, {label}"
    return label
