"""Clean and parse what users send: text and commands (button payloads: payloads.py).

Everything here is user input: parse strictly, never raise on odd text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date

from handlers import texts
from handlers.types import Incoming
from knowledge.text import fold

MAX_QUESTION = 2000  # characters; longer questions are refused
MAX_MESSAGE = 4096  # characters of any command (a report's note may take 2,000 of them)
MAX_ID = 64  # characters the database keeps of a platform's user or chat id

CODE_RE = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2}){0,3}")
TASK_REF_RE = re.compile(rf"(?:[0-9A-Za-z][0-9A-Za-z-]{{0,19}}:)?{CODE_RE.pattern}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DROP = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


@dataclass(frozen=True)
class Command:
    """A slash command: its folded name and the text after it."""

    name: str
    arg: str


def clean_text(text: str) -> str:
    """Return text in NFC with control and invisible characters removed, spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    kept = (" " if ch in "\t\r\n\v\f" else ch for ch in text)
    text = "".join(ch for ch in kept if unicodedata.category(ch) not in _DROP)
    return " ".join(text.split())


def storable(text: str) -> str:
    """Return text the database keeps: surrogate pairs joined, lone surrogates made U+FFFD,
    NUL (PostgreSQL refuses it in text) dropped, as cleaning drops control characters."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # e.g. a "\ud800" escape in a JSON update
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def storable_id(value: str) -> str:
    """Return a user or chat id the database keeps: storable, and over MAX_ID characters
    a stable digest of it (no real platform's ids are that long: never cut, never shared)."""
    value = storable(value.replace("\x00", "\ufffd"))  # "a\x00b" is not "ab"
    if len(value) <= MAX_ID:
        return value
    return "#" + hashlib.sha256(value.encode("utf-8")).hexdigest()[: MAX_ID - 1]


def storable_incoming(incoming: Incoming) -> Incoming:
    """Return the update with every string storable (the database refuses lone surrogates,
    NUL on PostgreSQL, and ids longer than their columns)."""
    payload = None if incoming.payload is None else storable(incoming.payload)
    return replace(
        incoming,
        chat_id=storable_id(incoming.chat_id),
        user_id=storable_id(incoming.user_id),
        text=storable(incoming.text),
        payload=payload,
        display_name=storable(incoming.display_name),
    )


def question_problem(text: str) -> str | None:
    """Return why a cleaned question can't be answered, or None if it can."""
    if not text:
        return texts.EMPTY
    if len(text) > MAX_QUESTION:
        return texts.TOO_LONG.format(length=f"{len(text):,}".replace(",", "."), limit=MAX_QUESTION)
    if not any(ch.isalnum() for ch in text):
        return texts.NO_WORDS
    return None


def parse_command(text: str) -> Command | None:
    """Return the command of a cleaned text starting with "/", accepting "/cmd@botname"."""
    if not text.startswith("/"):
        return None
    head, _, arg = text[1:].partition(" ")
    name = fold(head.partition("@")[0])
    return Command(name=name, arg=arg.strip())


QUALIFIED_RE = re.compile(r"(?P<doc>[0-9]{1,4}-[A-Za-zĐđ]{1,8}):(?P<code>" + CODE_RE.pattern + ")")


def parse_any_code(text: str) -> str | None:
    """Return a task code, bare ("3.3") or of a named directive ("09-KL:3.3"), or None."""
    code = text.strip().rstrip(".")
    if QUALIFIED_RE.fullmatch(code):
        doc, _, bare = code.partition(":")
        return f"{doc.upper()}:{bare}"
    return parse_code(code)


def parse_code(text: str) -> str | None:
    """Return a task code like "3.3" from user text, or None if it isn't one."""
    code = text.strip().rstrip(".")
    return code if CODE_RE.fullmatch(code) else None


def parse_task_ref(text: str) -> str | None:
    """Return a task code, bare ("3.3") or of another directive ("09-KL:3.3"), or None."""
    ref = text.strip().rstrip(".")
    return ref if TASK_REF_RE.fullmatch(ref) else None


def looks_like_day(text: str) -> bool:
    """Tell whether text is shaped as dd/mm/yyyy or YYYY-MM-DD (a real day or not)."""
    value = text.strip()
    return bool(_ISO_DATE.fullmatch(value) or _VN_DATE.fullmatch(value))


def parse_day(text: str) -> date | None:
    """Return dd/mm/yyyy (or YYYY-MM-DD) as a date, or None (chat and CLI alike)."""
    value = text.strip()
    if iso := _ISO_DATE.fullmatch(value):
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif vn := _VN_DATE.fullmatch(value):
        day, month, year = int(vn[1]), int(vn[2]), int(vn[3])
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def fold_word(text: str) -> str:
    """Lower-case, drop diacritics (đ → d), spaces, dashes and underscores."""
    return re.sub(r"[\s\-_]+", "", fold(text))
