"""Progress status vocabulary: codes, Vietnamese labels and a forgiving parser."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache


class Status(StrEnum):
    """The four progress statuses a unit can report for a task."""

    NOT_STARTED = "chua_trien_khai"
    IN_PROGRESS = "dang_thuc_hien"
    DONE = "hoan_thanh"
    STUCK = "vuong_mac"


#: User-facing Vietnamese labels (the one place they live).
STATUS_LABELS: dict[Status, str] = {
    Status.NOT_STARTED: "chưa triển khai",
    Status.IN_PROGRESS: "đang thực hiện",
    Status.DONE: "hoàn thành",
    Status.STUCK: "vướng mắc",
}

#: Label for a unit that has sent nothing on a task.
SILENT_LABEL = "chưa báo cáo"

_SYNONYMS: dict[str, Status] = {
    "hoan thanh": Status.DONE,
    "da hoan thanh": Status.DONE,
    "xong": Status.DONE,
    "da xong": Status.DONE,
    "xong roi": Status.DONE,
    "da xong roi": Status.DONE,
    "hoan thanh roi": Status.DONE,
    "da hoan thanh roi": Status.DONE,
    "lam xong": Status.DONE,
    "da lam xong": Status.DONE,
    "hoan tat": Status.DONE,
    "da hoan tat": Status.DONE,
    "ht": Status.DONE,
    "da ht": Status.DONE,
    "dang thuc hien": Status.IN_PROGRESS,
    "dang trien khai": Status.IN_PROGRESS,
    "dang lam": Status.IN_PROGRESS,
    "dang tien hanh": Status.IN_PROGRESS,
    "dang xu ly": Status.IN_PROGRESS,
    "dang thuc hien roi": Status.IN_PROGRESS,
    "chua trien khai": Status.NOT_STARTED,
    "chua thuc hien": Status.NOT_STARTED,
    "chua lam": Status.NOT_STARTED,
    "chua bat dau": Status.NOT_STARTED,
    "chua": Status.NOT_STARTED,
    "vuong mac": Status.STUCK,
    "vuong": Status.STUCK,
    "kho khan": Status.STUCK,
    "dang vuong": Status.STUCK,
    "dang vuong mac": Status.STUCK,
    "gap kho khan": Status.STUCK,
    "co vuong mac": Status.STUCK,
}
#: Synonyms that name a status only as the whole answer ("chưa" inside a sentence is a
#: question or a negation: "xong chưa", "chưa báo cáo").
_ALONE_ONLY = frozenset({"chua"})


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d) and collapse spaces/underscores."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-.,:;!]+", " ", bare).strip()


_fold_word = lru_cache(maxsize=8192)(fold)

# Every phrase find_status looks for (codes and synonyms, folded), and by first word the
# phrase lengths to try, longest first.
_PHRASES = {
    **{fold(status.value): status for status in Status},
    **{k: v for k, v in _SYNONYMS.items() if k not in _ALONE_ONLY},
}
_SIZES: dict[str, list[int]] = {}
for _phrase in sorted(_PHRASES, key=lambda p: -len(p.split())):
    _sizes = _SIZES.setdefault(_phrase.split()[0], [])
    if len(_phrase.split()) not in _sizes:
        _sizes.append(len(_phrase.split()))


def parse_status(text: str) -> Status | None:
    """Map user words (with or without diacritics) or a status code to a Status."""
    key = fold(text)
    for status in Status:
        if key == fold(status.value):
            return status
    return _SYNONYMS.get(key)


def find_status(words: Sequence[str]) -> tuple[Status, int, int] | None:
    """Return the first status phrase among words, longest first: (status, start, end).

    Words are single words as typed (marks or not); `end` is exclusive. A phrase that is a
    status only as a whole answer ("chưa") is not looked for inside longer text.
    """
    folded = [_fold_word(word) for word in words]
    for start, first in enumerate(folded):
        for size in _SIZES.get(first, ()):
            if start + size > len(folded):
                continue
            key = " ".join(folded[start : start + size])
            if key in _PHRASES:
                return _PHRASES[key], start, start + size
    return None


def status_label(status: str) -> str:
    """Return the Vietnamese label of a status code (the code itself if unknown)."""
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status
