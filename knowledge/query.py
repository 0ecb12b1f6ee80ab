"""Read a question: content words, document references and what kind of fact it wants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.lexicon import (
    ABBREVIATIONS,
    CAPITAL_ONLY,
    COURTESY,
    KIND_CODES,
    PARAPHRASES,
    STOP_MARKED,
    STOP_PHRASES,
    STOP_PLAIN,
)
from knowledge.text import fold, has_diacritics, normalize, plain

_WORD = re.compile(r"[^\W_]+(?:[-/][^\W_]+)*", re.UNICODE)
_REF_CODE = re.compile(r"(\d+)\s*[-–]\s*([a-z]+)\s*/\s*[a-z]+")
_KINDS = "|".join(sorted(KIND_CODES, key=len, reverse=True))
_REF_KIND = re.compile(rf"\b({_KINDS})\s*(?:so\s*)?(\d+)\b")
# What kind of fact a question asks for, by the phrases that ask it (written
# with marks; an unmarked question is matched on the folded forms).
_WANTS = {
    "date": (
        "ngày nào",
        "ngày bao nhiêu",
        "ngày mấy",
        "khi nào",
        "bao giờ",
        "thời hạn",
        "hạn chót",
        "hạn cuối",
        "trước ngày",
        "ngày tháng",
        "thời điểm",
    ),
    "year": ("năm nào", "năm bao nhiêu", "năm mấy", "đến năm", "mấy năm"),
    "number": ("bao nhiêu", "mấy", "số lượng", "con số", "tỷ lệ", "chỉ tiêu"),
    "who": ("ai", "người nào", "người ký", "ký tên"),
    "list": (
        "những",
        "gồm",
        "danh sách",
        "kể tên",
        "liệt kê",
        "tỉnh nào",
        "địa phương nào",
        "đơn vị nào",
        "văn bản nào",
        "đảng bộ nào",
        "nội dung gì",
        "nội dung nào",
    ),
    "meta": (
        "ký",
        "sao y",
        "sao lục",
        "nơi nhận",
        "gửi",
        "lưu",
        "số hiệu",
        "ban hành",
        "trích yếu",
        "cơ quan ban hành",
        "văn bản số",
    ),
}


def _phrase_pattern(phrases: tuple[str, ...], folded: bool) -> re.Pattern[str]:
    forms = {fold(p) if folded else p for p in phrases}
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, forms)) + r")(?!\w)")


_WANT_MARKED = {k: _phrase_pattern(v, folded=False) for k, v in _WANTS.items()}
_WANT_PLAIN = {k: _phrase_pattern(v, folded=True) for k, v in _WANTS.items()}


@dataclass
class Query:
    """A question made ready for search."""

    text: str
    words: list[str] = field(default_factory=list)  # normalised words, courtesy removed
    content: list[str] = field(default_factory=list)  # words that carry meaning
    refs: set[tuple[str, str]] = field(default_factory=set)  # (number, kind code)
    wants: set[str] = field(default_factory=set)
    extra: list[str] = field(default_factory=list)  # the directive's words for a paraphrase
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # folded word → extra


def fold_same_length(text: str) -> str:
    """Fold text character by character so positions stay aligned."""
    return "".join((fold(c) or c)[:1] for c in text)


def strip_courtesy(text: str) -> str:
    """Remove greetings and polite particles ('ad ơi', 'cho em hỏi', '... ạ')."""
    for pattern in COURTESY:
        folded = fold_same_length(text)
        m = re.search(pattern, folded, flags=re.I)
        if m and m.end() - m.start() < len(text):
            text = text[: m.start()] + text[m.end() :]
    return text.strip()


def expand(raw: str) -> list[str]:
    """Return the lower-case words of raw text with abbreviations written out."""
    out: list[str] = []
    for word in _WORD.findall(raw):
        key = fold(word)
        if word in CAPITAL_ONLY:
            out.extend(CAPITAL_ONLY[word].split())
        elif key in ABBREVIATIONS and not _looks_like_number(word):
            out.extend(ABBREVIATIONS[key].split())
        else:
            out.append(word.lower())
    return out


def _looks_like_number(word: str) -> bool:
    return any(c.isdigit() for c in word)


def is_stop(word: str) -> bool:
    """Tell whether a word is filler, judging unmarked words cautiously."""
    return word in STOP_MARKED if has_diacritics(word) else word in STOP_PLAIN


def stop_mask(words: list[str]) -> list[bool]:
    """Mark filler words, including phrases that are filler only together (bao nhiêu)."""
    mask = [is_stop(w) for w in words]
    folded = [fold(w) for w in words]
    for phrase in STOP_PHRASES:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(folded[i : i + n]) == phrase:
                mask[i : i + n] = [True] * n
    return mask


def parse_query(question: str) -> Query:
    """Return the search-ready form of a question."""
    text = normalize(plain(question))
    core = strip_courtesy(text)
    folded = fold(core)
    query = Query(text=core)
    query.words = expand(core)
    for key, extra in PARAPHRASES.items():
        if re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded):
            query.extra.extend(extra.split())
            for word in key.split():
                query.alternatives.setdefault(word, []).extend(extra.split())
    query.content = [
        w for w, stop in zip(query.words, stop_mask(query.words), strict=True) if not stop
    ]
    query.refs = find_refs(folded)
    marked = has_diacritics(core)
    patterns = _WANT_MARKED if marked else _WANT_PLAIN
    subject = core.lower() if marked else folded
    query.wants = {name for name, pattern in patterns.items() if pattern.search(subject)}
    return query


def find_refs(folded: str) -> set[tuple[str, str]]:
    """Return (number, kind code) of documents named in folded text (KL 35, 21-NQ/TW)."""
    refs = coded_refs(folded)
    refs |= {(str(int(n)), KIND_CODES[kind]) for kind, n in _REF_KIND.findall(folded)}
    return refs


def coded_refs(folded: str) -> set[tuple[str, str]]:
    """Return (number, kind code) of fully written numbers in folded text (35-kl/tw)."""
    return {(str(int(n)), code) for n, code in _REF_CODE.findall(folded)}


_DATED_REF = re.compile(r"(\d+)-([a-z]+)/[a-z]+,?\s*ngay\s+\d{1,2}/\d{1,2}/\d{4}")


def dated_refs(folded: str) -> set[tuple[str, str]]:
    """Return the documents whose number is directly followed by their date ('28-nq/tw, ngay …')."""
    return {(str(int(n)), code) for n, code in _DATED_REF.findall(folded)}
