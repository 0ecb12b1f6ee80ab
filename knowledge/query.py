"""Read a question: content words, names, document references and the kind of fact asked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.lexicon import (
    ABBREVIATIONS,
    COURTESY,
    KIND_CODES,
    LONGEST_NAME,
    NAME_STARTS,
    PARAPHRASES,
    PLACE_NAMES,
    PLACES,
    SHORTHAND,
    STOP_MARKED,
    STOP_PHRASES,
    STOP_PLAIN,
    Expansion,
)
from knowledge.text import fold, has_diacritics, normalize, plain

_WORD = re.compile(r"[^\W_]+(?:[-/][^\W_]+)*", re.UNICODE)
_NAME_PART = re.compile(r"\w+")
_REF_CODE = re.compile(r"(\d+)\s*[-–]\s*([a-z]+)\s*/\s*[a-z]+")
_KINDS = "|".join(sorted(KIND_CODES, key=len, reverse=True))
_REF_KIND = re.compile(rf"\b({_KINDS})\s*(?:so\s*)?(\d+)\b")
_ROMAN = "i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx".split()
# Words after which a number is a term or congress written in Roman numerals (khóa 14).
_ROMAN_AFTER = {("khoa",), ("dai", "hoi"), ("lan", "thu"), ("lan",)}
_ORDINALS = {
    "nhat": 1,
    "hai": 2,
    "ba": 3,
    "tu": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
# "thứ sáu", "thứ 6": a numbered item, unless it is a term or a year ("lần thứ", "năm thứ").
_ORDINAL = re.compile(r"(?<!lan )(?<!nam )\bthu\s+(\d{1,2}|" + "|".join(_ORDINALS) + r")\b")
REF_QUOTE_WEIGHT = 5  # a document number asked about outweighs other words when cutting quotes
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_COUNTED = re.compile(r"(?:^|\b(\w+)\s)(bao nhieu|may)\s+(\w+(?:\s\w+)?)")
# "khóa mấy", "lần thứ mấy", "số mấy": mấy after these asks which one, not how many.
_WHICH_BEFORE = {"thu", "khoa", "lan", "so", "uong", "nghi", "hoi", "nam", "ngay", "thang", "muc"}
# With another question word, a leading "mấy" only makes a plural ("mấy tỉnh … tỉnh nào").
_OTHER_QUESTION = re.compile(r"\b(?:nao|gi|sao|dau|ai)\b")
# A place is asked for an event ("tổ chức ở đâu"), not for "khó khăn ở đâu".
_EVENT = re.compile(r"\b(?:to chuc|dien ra|hop|le|hoi nghi|dai hoi|trao giai|ky|ban hanh)\b")
# Nouns after "bao nhiêu" that count anything (so no particular noun must follow the number).
_GENERIC_COUNT = {"nguoi", "phan", "lan", "cai", "con", "so", "ty", "ngay", "nam", "thang"}
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
        "hôm nào",
    ),
    "year": ("năm nào", "năm bao nhiêu", "năm mấy", "đến năm", "mấy năm"),
    "number": ("bao nhiêu", "mấy", "số lượng", "con số", "tỷ lệ", "chỉ tiêu"),
    "who": ("ai", "người nào", "người ký", "ký tên"),
    "money": (
        "bao nhiêu tiền",
        "mấy tiền",
        "số tiền",
        "tiền thưởng",
        "kinh phí",
        "phụ cấp",
        "mức thưởng",
        "thưởng bao nhiêu",
        "chi phí",
        "ngân sách",
        "mức lương",
        "đồng một tháng",
    ),
    "place": ("ở đâu", "tại đâu", "chỗ nào", "địa điểm", "nơi nào", "thành phố nào"),
    # Today's or tomorrow's facts: a directive is a fixed text and never states them.
    "now": ("hôm nay", "ngày mai", "tuần này", "tuần sau", "tháng sau", "bây giờ"),
    "deadline": ("hoàn thành", "xong", "hẹn", "kết thúc", "hết hiệu lực"),
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
    extra_phrases: list[str] = field(default_factory=list)  # the same, phrase by phrase
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # folded word → extra
    places: list[str] = field(default_factory=list)  # gazetteer names asked about
    items: set[int] = field(default_factory=set)  # numbered items asked for ("thứ sáu")
    years: set[str] = field(default_factory=set)  # years the question names
    named_years: set[str] = field(default_factory=set)  # those written "năm 2023"
    numbers: set[str] = field(default_factory=set)  # other numbers the question names
    counted: str = ""  # the folded noun after "bao nhiêu" ("dang vien"), if particular

    @property
    def folded_content(self) -> set[str]:
        """Return the folded content words (names excluded)."""
        return {fold(w) for w in self.content if not w.startswith("@")}

    @property
    def quote_words(self) -> list[str]:
        """Return the words a quote should be cut around: content, paraphrases, names."""
        out = list(self.content) + list(self.extra) + [n for n, _ in self.refs] * REF_QUOTE_WEIGHT
        for name in self.places:
            place = PLACES[name]
            for member in place.members if place.kind == "region" else (name,):
                out.extend(member.lower().split())
        return out


def fold_same_length(text: str) -> str:
    """Fold text character by character so positions stay aligned."""
    return "".join((fold(c) or c)[:1] for c in text)


def strip_courtesy(text: str) -> str:
    """Remove greetings, polite particles and the asker's own context ('em ở …, ')."""
    folded = fold_same_length(text)
    for pattern in COURTESY:
        m = re.search(pattern, folded, flags=re.I)
        if m and m.end() - m.start() < len(text):
            text = " ".join((text[: m.start()] + " " + text[m.end() :]).split()).strip(" ,")
            folded = fold_same_length(text)
    return text


def _expansion(table: dict[str, list[Expansion]], word: str, following: str) -> str | None:
    """Return what word stands for in table, the first entry whose rule holds."""
    for key in (word, fold(word)):
        for entry in table.get(key, ()):
            if entry.applies(word, following):
                return entry.full
    return None


def expand(raw: str, chat: bool = False) -> list[str]:
    """Return the lower-case words of raw text with abbreviations (and shorthand) written out.

    With chat=True (questions), chat shorthand is written out too and a number after
    'khóa', 'đại hội' or 'lần thứ' becomes the Roman numeral the directive uses.
    """
    found = _WORD.findall(raw)
    out: list[str] = []
    i = 0
    while i < len(found):
        word = found[i]
        following = fold(found[i + 1]) if i + 1 < len(found) else ""
        if chat and following and f"{fold(word)} {following}" in SHORTHAND:
            pair = _expansion(SHORTHAND, f"{fold(word)} {following}", "")
            if pair:
                out.extend(pair.split())
                i += 2
                continue
        number = _looks_like_number(word)
        full = None if number else _expansion(ABBREVIATIONS, word, following)
        if full is None and chat and not number:
            full = _expansion(SHORTHAND, word, following)
        if full is not None:
            out.extend(full.lower().split())
        elif chat and word.isdigit() and _after_roman_word(out) and 0 < int(word) <= 20:
            out.append(_ROMAN[int(word) - 1])
        else:
            out.append(word.lower())
        i += 1
    return out


def _after_roman_word(out: list[str]) -> bool:
    """Tell whether the words so far end with 'khóa', 'đại hội' or 'lần thứ'."""
    tail = [fold(w) for w in out[-2:]]
    return any(tuple(tail[-len(p) :]) == p for p in _ROMAN_AFTER)


def _looks_like_number(word: str) -> bool:
    return any(map(str.isdigit, word))


def is_stop(word: str, following: str = "", last: bool = False) -> bool:
    """Tell whether a word is filler, judging unmarked words by their neighbour."""
    if has_diacritics(word) and word in STOP_MARKED:
        return True
    rule = STOP_PLAIN.get(word)
    if rule is None:
        return False
    if rule.last_only:
        return last
    return has_diacritics(word) or following not in rule.unless_next


def stop_mask(words: list[str]) -> list[bool]:
    """Mark filler words, including phrases that are filler only together (bao nhiêu)."""
    folded = [fold(w) for w in words]
    n = len(words)
    mask = [is_stop(w, folded[i + 1] if i + 1 < n else "", i == n - 1) for i, w in enumerate(words)]
    for phrase in _GAPPED:
        _mask_gapped(phrase, words, folded, mask)
    for i, word in enumerate(folded):
        for phrase in _STOP_STARTS.get(word, ()):
            size = len(phrase)
            if tuple(folded[i : i + size]) == phrase:
                mask[i : i + size] = [True] * size
    return mask


def _by_first_word(phrases: list[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        out.setdefault(phrase[0], []).append(phrase)
    return out


_GAPPED = [p for p in STOP_PHRASES if "…" in p]
_STOP_STARTS = _by_first_word([p for p in STOP_PHRASES if "…" not in p])
_PARAPHRASE_STARTS = _by_first_word([tuple(k.split()) for k in PARAPHRASES])


def _phrases_in(tokens: list[str], starts: dict[str, list[tuple[str, ...]]]) -> list[str]:
    """Return the phrases (space-joined, in table order) found as whole words in tokens."""
    found = set()
    for i, token in enumerate(tokens):
        for phrase in starts.get(token, ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                found.add(" ".join(phrase))
    return [key for key in PARAPHRASES if key in found]


def _mask_gapped(
    phrase: tuple[str, ...], words: list[str], folded: list[str], mask: list[bool]
) -> None:
    """Mark 'ngoai … ra': the opening word(s) and the closing word(s) after them."""
    gap = phrase.index("…")
    head, tail = phrase[:gap], phrase[gap + 1 :]
    for i in range(len(folded) - len(head) + 1):
        if tuple(folded[i : i + len(head)]) != head:
            continue
        after = folded[i + len(head)] if i + len(head) < len(folded) else ""
        if words[i] in STOP_PLAIN and not is_stop(words[i], after):
            continue  # "co so … khong": cơ sở, not có … không
        for j in range(i + len(head) + 1, len(folded) - len(tail) + 1):
            if tuple(folded[j : j + len(tail)]) == tail:
                mask[i : i + len(head)] = [True] * len(head)
                mask[j : j + len(tail)] = [True] * len(tail)
                break


def find_places(words: list[str]) -> list[tuple[int, int, str]]:
    """Return (start, end, name) of gazetteer names among words, longest first."""
    keys = [" ".join(_NAME_PART.findall(fold(w))) for w in words]
    out = []
    i = 0
    while i < len(words):
        if keys[i].split(" ", 1)[0] not in NAME_STARTS:
            i += 1
            continue
        for size in range(min(LONGEST_NAME, len(words) - i), 0, -1):
            key = " ".join(k for k in keys[i : i + size] if k)
            if key in PLACE_NAMES and (size > 1 or len(key) > 3):
                out.append((i, i + size, PLACE_NAMES[key]))
                i += size
                break
        else:
            i += 1
    return out


def parse_query(question: str) -> Query:
    """Return the search-ready form of a question."""
    text = normalize(plain(question))
    core = strip_courtesy(text)
    folded = fold(core)
    query = Query(text=core)
    words = expand(core, chat=True)
    names = find_places(words)
    regions = {i for s, e, n in names if PLACES[n].kind == "region" for i in range(s, e)}
    query.places = list(dict.fromkeys(n for _, _, n in names))
    query.words = [w for i, w in enumerate(words) if i not in regions]
    expanded = fold(" ".join(words))
    for key in _phrases_in(expanded.split(), _PARAPHRASE_STARTS):
        extra = PARAPHRASES[key]
        query.extra.extend(extra.split())
        query.extra_phrases.append(fold(extra))
        for word in key.split():
            options = query.alternatives.setdefault(word, [])
            options.extend(w for w in extra.split() if w not in options)
    in_names = {i for s, e, _ in names for i in range(s, e)}
    mask = stop_mask(words)
    query.content = [w for i, w in enumerate(words) if not mask[i] and i not in in_names]
    query.content += ["@" + name for name in query.places]
    query.refs = find_refs(folded) | find_refs(expanded)
    marked = has_diacritics(core)
    patterns = _WANT_MARKED if marked else _WANT_PLAIN
    subject = core.lower() if marked else folded
    query.wants = {name for name, pattern in patterns.items() if pattern.search(subject)}
    if not marked:
        query.wants |= {n for n, p in _WANT_PLAIN.items() if n != "meta" and p.search(expanded)}
    query.items = {_ordinal(m) for m in _ORDINAL.findall(expanded)}
    query.years = set(_YEAR.findall(expanded))
    query.named_years = set(re.findall(r"\bnam ((?:19|20)\d{2})\b", expanded))
    refs_numbers = {n for n, _ in query.refs}
    query.numbers = {
        w
        for w in re.findall(r"\b\d+\b", expanded)
        if w not in query.years and str(int(w)) not in refs_numbers  # "Kết luận 09"
    } - {str(n) for n in query.items}
    if "place" in query.wants and not _EVENT.search(expanded):
        query.wants.discard("place")
    counted = _COUNTED.search(expanded)
    if counted and counted.group(2) == "may":
        if counted.group(1) in _WHICH_BEFORE or _OTHER_QUESTION.search(expanded):
            counted = None
    if counted:
        nouns = []
        for word in counted.group(3).split():
            if is_stop(word):
                break
            nouns.append(word)
        if nouns and nouns[0] not in _GENERIC_COUNT:
            query.counted = " ".join(nouns)
    return query


def _ordinal(word: str) -> int:
    return int(word) if word.isdigit() else _ORDINALS[word]


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
