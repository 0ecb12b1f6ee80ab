"""What a typed message asks for, before it is taken as a question about the directive.

Pure rules over a lexicon (handlers/data/intents.tsv): the text is split into tokens,
chat shorthand and abbreviations are written out (knowledge's own tables), the lexicon's
phrases are found longest first, and a text is an intent only when nothing but its
phrases, filler words and a task reference remain. Everything else is a `question`, so the
directive search keeps every question it answers today (tests/test_intents.py counts).

Choices made where a text could mean two things (each has a test):
- a task code with words: the task's card only if the other words are filler, "là gì"
  or the task's own title words ("nv 3.3 vị trí việc làm"); a question about a task
  ("nhiệm vụ 3.3 phải xong trước ngày nào") stays a question;
- task titles as words: only after "nhiệm vụ"/"nv" ("nhiệm vụ vị trí việc làm" → 3.3),
  or in a report ("báo cáo vtvl hoàn thành"), and only when one task (and its parents)
  holds every word; a topic alone ("tinh giản biên chế bao nhiêu phần trăm") is a question;
- a deadline word with a topic ("hạn chót nộp đề án vị trí việc làm") is a question: the
  search quotes the sentence with its date; with a code ("hạn chót 3.3") it is the task's
  card, which shows its deadline and the days left; alone it is the deadline list;
- a status alone ("hoàn thành", "xong rồi") starts a report, its status kept in `rest`:
  outside a flow it means nothing else, and a quote about "hoàn thành" would be wrong;
- a code with a status is a report ("3.3 xong rồi") unless it asks ("3.3 xong chưa",
  "…?"): then it asks for that task's progress;
- "bỏ qua", "không", "ok" outside a flow are an acknowledgement (a flow sees them first),
  never a cancel: only hủy/thôi/dừng/thoát/… cancel.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources

from handlers import texts
from handlers.ports import KnowledgeBase
from knowledge.lexicon import ABBREVIATIONS, SHORTHAND, Expansion
from knowledge.text import fold, has_diacritics, normalize
from storage.status import Status, find_status


class Kind(StrEnum):
    """What a typed message asks for."""

    GREETING = "greeting"
    THANKS = "thanks"
    ACK = "ack"
    HELP = "help"
    FOREIGN = "foreign"  # another language: say the bot speaks Vietnamese, then help
    CANCEL = "cancel"
    TASK = "task"  # one task's card: `code`
    TASKS = "tasks"  # the task list
    DEADLINES = "deadlines"
    PROGRESS = "progress"  # `code` when one task is named
    MISSING = "missing"  # units that have not reported (`code` when one task is named)
    REPORT = "report"  # `code` and `rest` ("đã xong 100% ghi chú"), as `/baocao CODE rest`
    REPORT_START = "report_start"  # the report wizard; `rest` holds a status typed alone
    REMINDERS_ON = "reminders_on"
    REMINDERS_OFF = "reminders_off"
    WHOAMI = "whoami"
    EXPORT = "export"
    CHART = "chart"
    HISTORY = "history"  # `code` when one task is named
    REGISTER = "register"  # `arg`: the invite code ("" when none was typed)
    UNITS = "units"  # the units in scope (/donvi)
    MEMBERS = "members"  # who leads which unit (/thanhvien)
    QUESTION = "question"  # anything else: the directive search


@dataclass(frozen=True)
class Intent:
    """A classified message: its kind and what it names."""

    kind: Kind
    code: str = ""  # task code, normalised ("3,3" → "3.3")
    rest: str = ""  # a report's status, percent and note, for the one-line parser
    arg: str = ""  # register: the invite code
    choices: tuple[str, ...] = ()  # report_start: tasks the words fit equally


@dataclass(frozen=True)
class Suggestion:
    """A next step offered when nothing was found: a task's card or a command."""

    kind: Kind  # TASK, TASKS, DEADLINES or HELP
    label: str  # user-facing, from handlers/texts.py
    code: str = ""


# Which kind wins when a text holds phrases of several (the social ones last).
PRIORITY = (
    Kind.CANCEL,
    Kind.REMINDERS_OFF,
    Kind.REMINDERS_ON,
    Kind.REGISTER,
    Kind.REPORT_START,
    Kind.EXPORT,
    Kind.CHART,
    Kind.HISTORY,
    Kind.MISSING,
    Kind.PROGRESS,
    Kind.DEADLINES,
    Kind.WHOAMI,
    Kind.TASKS,
    Kind.MEMBERS,
    Kind.UNITS,
    Kind.HELP,
    Kind.THANKS,
    Kind.GREETING,
    Kind.ACK,
)
SOCIAL = frozenset({Kind.GREETING, Kind.THANKS, Kind.ACK, Kind.HELP})
WITH_CODE = frozenset({Kind.PROGRESS, Kind.MISSING, Kind.HISTORY})  # take a task code
FULL = 0.999  # a title holds every word
CLEAR = 0.75  # words mostly in one title …
MARGIN = 0.25  # … and clearly less in any other (not its parent)

_TOKEN = re.compile(
    r"(?P<qcode>(?<![\w.,/])\d{1,4}-[^\W\d_]{1,8}:\d{1,2}(?:[.,]\d{1,2}){0,3}(?![\d%/])(?![.,]\d))"
    r"|(?P<code>(?<![\d.,/])\d{1,2}(?:[.,]\d{1,2}){1,3}(?![\d%/])(?![.,]\d))"
    r"|(?P<percent>\d{1,3}(?:[.,]\d+)?\s*(?:%|phần trăm|phan tram))"
    r"|(?P<number>\d+(?:[./,:-]\d+)*)"
    r"|(?P<word>[^\W\d_]+)",
    re.IGNORECASE,
)
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:uye|uya|[aeiouy]{1,3})(?:ch|nh|ng|[cmnpt])?"
)
_ENGLISH = frozenset(
    "what is are how does you your where when who why which please of for it this that with"
    " and or hello thanks thank about there have has will would should tell show need want"
    " get deadline deadlines report reports progress task tasks list help submit send my i"
    " see me we our us here was were not any".split()
)
_ACK_MARKS = frozenset("👍👌🆗✅")
_THANKS_MARKS = frozenset("🙏❤💐🌹")
_TAIL = frozenset({"a", "nhe", "nha", "ad", "ah", "ak"})  # dropped from a note's end
_NEGATIONS = frozenset({"khong", "dung", "chang", "ko", "k"})  # folded, before a phrase
_CODE_WORDS = ("nhiem vu", "muc", "bao cao", "bc")  # folded: a bare number after these is a code


@dataclass(frozen=True)
class _Token:
    raw: str
    start: int
    end: int
    shape: str  # "code" | "percent" | "number" | "word"


@dataclass(frozen=True)
class _Unit:
    """One word after shorthand is written out, and the token it came from."""

    word: str  # lower-case, normalised marks
    folded: str
    token: int
    shape: str


@dataclass(frozen=True)
class _Lexicon:
    phrases: dict[str, list[tuple[tuple[str, ...], frozenset[str]]]]  # first folded word →
    fillers: frozenset[str]  # folded filler phrases: typed unmarked, "o" is "ở", not "ờ"


@cache
def _lexicon() -> _Lexicon:
    """Load handlers/data/intents.tsv and the menu's button labels, once."""
    table: dict[tuple[str, ...], set[str]] = {}
    raw = resources.files("handlers").joinpath("data", "intents.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in raw.splitlines() if line.strip() and line[0] != "#"]
    buttons = {
        texts.BUTTON_TASKS: Kind.TASKS,
        texts.BUTTON_DEADLINES: Kind.DEADLINES,
        texts.BUTTON_HELP: Kind.HELP,
        texts.BUTTON_CANCEL: Kind.CANCEL,
        texts.BUTTON_SKIP: Kind.ACK,
        texts.BUTTON_SEND: Kind.REPORT_START,
    }
    rows += [[kind.value, label] for label, kind in buttons.items()]
    for kind, phrase in rows:
        words = tuple(normalize(phrase.strip()).lower().split())
        table.setdefault(words, set()).add(kind.strip())
    phrases: dict[str, list[tuple[tuple[str, ...], frozenset[str]]]] = {}
    for words, kinds in table.items():
        phrases.setdefault(fold(words[0]), []).append((words, frozenset(kinds)))
    for entries in phrases.values():
        entries.sort(key=lambda e: -len(e[0]))
    fillers = frozenset(" ".join(map(fold, w)) for w, kinds in table.items() if "filler" in kinds)
    return _Lexicon(phrases, fillers)


def _tokens(text: str) -> list[_Token]:
    return [
        _Token(m.group(0), m.start(), m.end(), m.lastgroup or "word") for m in _TOKEN.finditer(text)
    ]


def _expansion(word: str, following: str) -> str | None:
    """Return what a typed word stands for (shorthand, then the sector's abbreviations)."""
    for table in (SHORTHAND, ABBREVIATIONS):
        entries: list[Expansion] = [*table.get(word, ()), *table.get(fold(word), ())]
        for entry in entries:
            if entry.applies(word, following):
                return entry.full
    return None


def _units(tokens: list[_Token]) -> list[_Unit]:
    """Return the words of the tokens with shorthand written out ("nv" → nhiệm vụ)."""
    out: list[_Unit] = []
    for i, token in enumerate(tokens):
        if token.shape != "word":
            out.append(_Unit(token.raw, token.raw, i, token.shape))
            continue
        following = fold(tokens[i + 1].raw) if i + 1 < len(tokens) else ""
        full = _expansion(token.raw, following)
        for word in (full or token.raw).lower().split():
            out.append(_Unit(word, fold(word), i, "word"))
    return out


def _same(unit: _Unit, word: str) -> bool:
    """Tell whether a typed word is a lexicon word: by its marks if it has any."""
    if unit.shape != "word":
        return False
    if has_diacritics(unit.word):
        return unit.word == word
    return unit.folded == fold(word)


def _spans(units: list[_Unit], taken: set[int]) -> list[tuple[int, int, frozenset[str]]]:
    """Return the lexicon's phrases found in units, longest first, left to right."""
    lexicon = _lexicon()
    phrases = lexicon.phrases
    found = []
    i = 0
    while i < len(units):
        for words, kinds in phrases.get(units[i].folded, ()) if i not in taken else ():
            end = i + len(words)
            if end <= len(units) and not taken.intersection(range(i, end)):
                if all(_same(u, w) for u, w in zip(units[i:end], words, strict=True)):
                    typed = units[i:end]
                    folded = " ".join(u.folded for u in typed)
                    if (
                        "filler" not in kinds
                        and folded in lexicon.fillers
                        and not any(has_diacritics(u.word) for u in typed)
                        and len(typed) < len(units)  # alone, "da" is "dạ", not "đã"
                    ):
                        kinds = frozenset({"filler"})
                    found.append((i, end, kinds))
                    i = end
                    break
        else:
            i += 1
    return found


def _code_of(units: list[_Unit], i: int, library: KnowledgeBase) -> str | None:
    """Return the task code unit i names, if it names one ("3,3" → "3.3")."""
    unit = units[i]
    if unit.shape == "qcode":  # a task of a named directive, "09-KL:3.3": no doubt it is one
        doc, _, code = unit.word.partition(":")
        return f"{doc.upper()}:{code.replace(',', '.')}"
    if unit.shape not in ("code", "number"):
        return None
    code = unit.word.replace(",", ".")
    before = " ".join(u.folded for u in units[max(0, i - 3) : i])
    introduced = before.endswith(_CODE_WORDS)
    known = library.find_task(code) is not None
    if unit.shape == "number":
        if not re.fullmatch(r"\d{1,2}", code):
            return None
        return code if introduced or len(units) == 1 or (i == 0 and known) else None
    return code if introduced or i == 0 or known else None


def _emoji_kind(text: str) -> Kind | None:
    chars = set(text)
    if chars & _ACK_MARKS:
        return Kind.ACK
    if chars & _THANKS_MARKS:
        return Kind.THANKS
    if "👋" in chars:
        return Kind.GREETING
    return None


def looks_foreign(text: str) -> bool:
    """Tell whether text is written in another language than Vietnamese."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    latin = sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN"))
    if latin < len(letters) / 2:
        return True  # Chinese, Russian, Thai …
    words = [m.group(0) for m in re.finditer(r"[^\W\d_]+", text)]
    if len(words) < 2 or any(has_diacritics(w) for w in words):
        return False
    folded = [w.lower() for w in words]
    known = {w for w in folded if w in SHORTHAND or w in ABBREVIATIONS}
    english = sum(w in _ENGLISH for w in folded)
    odd = sum(not _SYLLABLE.fullmatch(w) and w not in known for w in folded)
    return english >= 2 or (odd >= 2 and odd >= len(words) / 2)


TEXTS_KEPT = 4096  # typed texts whose reading is kept (they repeat across users)


class Reader:
    """`classify` and `suggestions` for one library, a repeated text read from memory.

    Both are pure given the text and the library, and typed texts repeat across users
    ("xin chào", "hạn chót", the same few questions): ~1 ms of rules each time otherwise.
    """

    def __init__(self, library: KnowledgeBase, kept: int = TEXTS_KEPT) -> None:
        self.library = library
        self._classify = lru_cache(maxsize=kept)(self._classify_afresh)
        self._suggest = lru_cache(maxsize=kept)(self._suggest_afresh)
        self._documents = library.documents

    def classify(self, text: str) -> Intent:
        """Return what the text asks for (see `classify`)."""
        self._forget_if_changed()
        return self._classify(text)

    def suggestions(self, text: str) -> list[Suggestion]:
        """Return the next steps offered when nothing was found (see `suggestions`)."""
        self._forget_if_changed()
        return list(self._suggest(text))

    def _forget_if_changed(self) -> None:
        """Drop the readings when the library took in other directives (a reload)."""
        if self.library.documents is not self._documents:
            self._documents = self.library.documents
            self._classify.cache_clear()
            self._suggest.cache_clear()

    def _classify_afresh(self, text: str) -> Intent:
        return classify(text, library=self.library)

    def _suggest_afresh(self, text: str) -> tuple[Suggestion, ...]:
        return tuple(suggestions(text, library=self.library))


def classify(text: str, *, library: KnowledgeBase) -> Intent:
    """Return what a typed (non-command) message asks for; `question` when unsure."""
    text = " ".join(normalize(text).split())
    tokens = _tokens(text)
    if not tokens:
        return Intent(_emoji_kind(text) or Kind.QUESTION)
    units = _units(tokens)
    status = find_status([u.word if u.shape == "word" else "\x00" for u in units])
    taken = set(range(status[1], status[2])) if status else set()
    spans = _spans(units, taken)
    kinds = {k for _, _, ks in spans for k in ks}
    covered = {i for a, b, _ in spans for i in range(a, b)}
    codes = [(i, c) for i in range(len(units)) if (c := _code_of(units, i, library))]
    code_at = {i for i, _ in codes}
    residual = [i for i in range(len(units)) if i not in covered and i not in code_at]
    winner = next((k for k in PRIORITY if k.value in kinds), None)
    reading = _Reading(text, tokens, units, spans, residual, status, codes, winner, library)
    return reading.intent()


@dataclass
class _Reading:
    """One message being classified: its units, phrases, status and task codes."""

    text: str
    tokens: list[_Token]
    units: list[_Unit]
    spans: list[tuple[int, int, frozenset[str]]]
    residual: list[int]
    status: tuple[Status, int, int] | None
    codes: list[tuple[int, str]]
    winner: Kind | None
    library: KnowledgeBase

    def intent(self) -> Intent:
        """Return the intent: a report, else the lexicon's winning kind, else a question."""
        report = self.report()
        if report is not None:
            return report
        if self.winner is Kind.REGISTER:
            end = max(b for _, b, ks in self.spans if Kind.REGISTER.value in ks)
            typed = self.text[self.tokens[self.units[end - 1].token].end :].strip(" :.,")
            if _looks_like_invite(typed):
                return Intent(Kind.REGISTER, arg=typed)  # the code as typed, whatever it spells
        if self.residual:
            return self.with_words()
        winner, code = self.winner, self.codes[0][1] if self.codes else ""
        if "howto" in self._kinds() and winner not in SOCIAL:
            return Intent(Kind.HELP)  # "làm sao để báo cáo": how to use the bot
        if winner is Kind.REMINDERS_ON and self._negated(Kind.REMINDERS_ON):
            return Intent(Kind.REMINDERS_OFF)  # "không muốn nhận nhắc nữa"
        if not code:
            return Intent(winner) if winner else self.question()
        if winner in WITH_CODE:
            return Intent(winner, code=code)
        if winner is None or winner in SOCIAL or winner in (Kind.TASKS, Kind.DEADLINES):
            return Intent(Kind.TASK, code=code)
        if winner is Kind.REPORT_START:
            return Intent(Kind.REPORT, code=code)
        return Intent(winner)  # "xuất excel 3.3": the command takes no task

    def with_words(self) -> Intent:
        """Return the intent of a text with words outside the lexicon: a task named by its
        title, a status typed alone, or (most often) a question."""
        code = self.codes[0][1] if self.codes else ""
        winner = self.winner
        if self.status is None:
            if code and winner in (None, Kind.TASKS, Kind.DEADLINES):
                if self._title_holds(code, self.residual):
                    return Intent(Kind.TASK, code=code)  # "nv 3.3 vị trí việc làm"
            if not code and winner is Kind.TASKS:
                found = self._full_matches(self.residual)
                if len(found) == 1:
                    return Intent(Kind.TASK, code=found[0])  # "nhiệm vụ vtvl"
        elif not code and all(self._in_status(i) for i in self.residual):
            asks = self._asks(self.status[1])
            if winner is None and not asks:
                return Intent(Kind.REPORT_START, rest=self._tail_from(self.status[1]))
            if winner in (None, Kind.TASKS, Kind.PROGRESS) and asks:
                return Intent(Kind.PROGRESS)  # "nhiệm vụ nào đã hoàn thành"
        return self.question()

    def question(self) -> Intent:
        """Return a question for the directive search, or `foreign` in another language."""
        return Intent(Kind.FOREIGN if looks_foreign(self.text) else Kind.QUESTION)

    def report(self) -> Intent | None:
        """Return a report read from the text, or None if it is not one.

        The shape is that of `/baocao`: [báo cáo] task (code, or title words after
        "báo cáo") then status, percent and note; a question is never read as one.
        """
        code = self.codes[0] if self.codes else None
        percent = next((i for i, u in enumerate(self.units) if u.shape == "percent"), None)
        trigger = self._trigger()
        if code is None and not trigger:
            return None
        if self.status is None and (percent is None or code is None):
            return None
        start = self.status[1] if self.status else percent
        assert start is not None
        if code is not None and code[0] > start:
            return None  # "hoàn thành nhiệm vụ 3.3 chưa": not guessed
        if not self._plain_before(start):
            return None
        before = [i for i in self.residual if i < start and self.units[i].shape == "word"]
        tail = self._tail_from(start)
        if self._asks(start):
            return Intent(Kind.PROGRESS, code=code[1]) if code and not before else None
        if code is not None:
            if before and not self._title_holds(code[1], before):
                return None
            return Intent(Kind.REPORT, code=code[1], rest=tail)
        if not before:
            return Intent(Kind.REPORT_START, rest=tail)
        matches = self._full_matches(before)
        if not matches:
            return None
        if len(matches) == 1:
            return Intent(Kind.REPORT, code=matches[0], rest=tail)
        return Intent(Kind.REPORT_START, rest=tail, choices=tuple(matches))

    def _trigger(self) -> bool:
        """Tell whether the text opens with a report phrase ("báo cáo", "bc", "cập nhật")."""
        first = next(((a, ks) for a, _, ks in self.spans if ks - {"filler"}), None)
        if first is None or Kind.REPORT_START.value not in first[1]:
            return False
        return all(i > first[0] for i in self.residual)

    def _plain_before(self, start: int) -> bool:
        """Tell whether only report, task, social and filler phrases come before unit start."""
        allowed = {"filler", "about", "ask", Kind.REPORT_START, Kind.TASKS, *SOCIAL}
        return all(ks <= allowed for a, _, ks in self.spans if a < start)

    def _negated(self, kind: Kind) -> bool:
        """Tell whether a negation ("không", "đừng", "chẳng") comes before kind's phrase."""
        start = next(a for a, _, ks in self.spans if kind.value in ks)
        return any(self.units[i].folded in _NEGATIONS for i in range(start))

    def _kinds(self) -> set[str]:
        return {k for _, _, ks in self.spans for k in ks}

    def _in_status(self, i: int) -> bool:
        return self.status is not None and self.status[1] <= i < self.status[2]

    def _asks(self, start: int) -> bool:
        """Tell whether the text asks rather than states: "…?", "xong chưa", "… không"."""
        if self.text.rstrip().endswith("?"):
            return True
        asks = [i for a, b, ks in self.spans if "ask" in ks for i in range(a, b)]
        return any(i < start or self.units[i].folded in ("chua", "khong") for i in asks)

    def _tail_from(self, start: int) -> str:
        """Return the status, percent and note from unit `start`, as typed (particles off)."""
        status_text = ""
        note_from = self.tokens[self.units[start].token].start
        if self.status is not None and self.status[1] == start:
            first = self.tokens[self.units[self.status[1]].token]
            last = self.tokens[self.units[self.status[2] - 1].token]
            status_text = self.text[first.start : last.end]
            note_from = last.end
        percent = next((self.tokens[u.token] for u in self.units if u.shape == "percent"), None)
        percent_text = ""
        note = self.text[note_from:]
        if percent is not None:
            percent_text = re.sub(r"\D.*", "", percent.raw) + "%"
            if percent.start >= note_from:
                note = self.text[note_from : percent.start] + self.text[percent.end :]
        note = _trim_note(note)
        return " ".join(part for part in (status_text, percent_text, note) if part)

    def _title_words(self, units: list[int]) -> str | None:
        """Return the words naming a task, or None if they can't (a number, or a phrase
        of another kind between them).

        Filler next to or between them is taken in when a title could hold it: typed
        without marks, "lam" in "vi tri viec lam" is "làm", not the filler "lắm"."""
        if not units or any(self.units[i].shape != "word" for i in units):
            return None
        filler = {i for a, b, ks in self.spans if ks == {"filler"} for i in range(a, b)}
        lo, hi = min(units), max(units)
        while lo - 1 in filler:
            lo -= 1
        while hi + 1 in filler:
            hi += 1
        if any(i not in filler and i not in units for i in range(lo, hi + 1)):
            return None
        return " ".join(self.units[i].word for i in range(lo, hi + 1))

    def _title_holds(self, code: str, units: list[int]) -> bool:
        """Tell whether task `code`'s title holds every one of these words."""
        words = self._title_words(units)
        if words is None:
            return False
        return any(c == code and share >= FULL for c, share in self.library.match_tasks(words))

    def _full_matches(self, units: list[int]) -> list[str]:
        """Return the narrowest tasks clearly named by these words (several if they tie)."""
        words = self._title_words(units)
        if words is None:
            return []
        scored = self.library.match_tasks(words)
        best = [c for c, share in scored if share >= CLEAR and share >= scored[0][1] - 0.001]
        if not best:
            return []
        narrow = [c for c in best if not any(o != c and o.startswith(c + ".") for o in best)]
        close = [c for c, share in scored if c not in best and share > scored[0][1] - MARGIN]
        close = [c for c in close if not any(n.startswith(c + ".") for n in narrow)]
        if len(narrow) == 1 and not close:
            return narrow
        return (narrow + close)[:4] if len(narrow) + len(close) > 1 else []


def _trim_note(note: str) -> str:
    """Return a note without leading punctuation and trailing particles ("ạ", "nhé")."""
    note = note.strip(" ,.;:-–—!")
    while True:
        head, _, last = note.rpartition(" ")
        if not last or fold(last.strip(" ,.!")) not in _TAIL:
            return note
        note = head.rstrip(" ,.;:-–—!")


def _looks_like_invite(typed: str) -> bool:
    """Tell whether typed text could be an invite code: ASCII letters and digits (dashes
    and spaces allowed between groups), with a digit or as long as a code."""
    bare = re.sub(r"[\s\-_.]", "", typed)
    if not (bare.isascii() and bare.isalnum()):
        return False
    return len(bare) >= 4 and (any(c.isdigit() for c in bare) or len(bare) >= 8)


def suggestions(text: str, *, library: KnowledgeBase, limit: int = 3) -> list[Suggestion]:
    """Return up to `limit` next steps for a question nothing was found for: the tasks
    whose titles hold most of its words, then the task list, deadlines and help."""
    out: list[Suggestion] = []
    for code, share in library.match_tasks(text):
        task = library.find_task(code)
        if task is None or share < 0.34 or any(s.code.startswith(code + ".") for s in out):
            continue
        title = _short(task.label)
        out.append(Suggestion(Kind.TASK, texts.TASK_BUTTON.format(code=code, title=title), code))
        if len(out) == limit - 1:
            break
    commands = [
        Suggestion(Kind.TASKS, texts.BUTTON_TASKS),
        Suggestion(Kind.DEADLINES, texts.BUTTON_DEADLINES),
        Suggestion(Kind.HELP, texts.BUTTON_HELP),
    ]
    folded = fold(text)
    if re.search(r"\b(?:han|thoi han|deadline|truoc ngay|khi nao|bao gio)\b", folded):
        commands.insert(0, commands.pop(1))
    return (out + commands)[:limit]


def _short(title: str, limit: int = 48) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip(" ,") + "…"
