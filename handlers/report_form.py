"""One progress report, validated: the status and percent rules live here and nowhere else.

Used by the one-line `/baocao 3.3 đang thực hiện 60%`, the guided flow and free text.
Pure: no database, no I/O.

The rules (issue 14, "consistency"):
* "hoàn thành" means 100%: without a percent it is 100%, with 100% it is accepted, with any
  other percent it is a contradiction (refused, nothing saved). "Hoàn thành 40%" is refused
  too: the committee counts a "hoàn thành" task as done, so a unit at 40% is "đang thực hiện".
* "chưa triển khai" means 0%: without a percent it is 0%, with any other percent refused.
* "đang thực hiện" and "vướng mắc" take any percent 0..100, or none.
* A percent is written "60", "60%" or "60 %"; outside 0..100 it is refused.
* A note is at most NOTE_MAX_CHARS characters.
* Going back from "hoàn thành" to another status is allowed after a confirmation
  (`is_downgrade`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers import texts
from handlers.inputs import parse_any_code
from storage.models import NOTE_MAX_CHARS
from storage.status import STATUS_LABELS, Status, find_status, parse_status

_PERCENT = re.compile(r"(\d{1,3})\s*%?")
_NUMBER = re.compile(r"\d{1,3}%?")
#: Statuses whose percent goes without saying.
IMPLIED_PERCENT = {Status.DONE: 100, Status.NOT_STARTED: 0}


class FormProblem(ValueError):
    """A report that can't be saved as written; `message` says why, in Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReportForm:
    """What will be saved: a unit's report on one task (the unit is the sender's).

    `code` is the task's own code ("3.3") and `document` the number of its directive, taken
    from the task (`Task.document`); "" only in a form kept before forms named theirs,
    which the current directive takes.
    """

    code: str
    status: Status
    percent: int | None = None
    note: str = ""
    document: str = ""

    @property
    def status_label(self) -> str:
        """Return the status as people read it, e.g. "đang thực hiện"."""
        return STATUS_LABELS[self.status]

    def to_json(self) -> dict[str, Any]:
        """Return the form as JSON (kept in the chat's state until confirmed)."""
        return {
            "code": self.code,
            "status": self.status.value,
            "percent": self.percent,
            "note": self.note,
            "document": self.document,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportForm:
        """Return the form `to_json` kept."""
        percent = data.get("percent")
        return cls(
            str(data["code"]),
            Status(data["status"]),
            percent if isinstance(percent, int) else None,
            str(data.get("note", "")),
            str(data.get("document", "")),
        )


@dataclass(frozen=True)
class Line:
    """A one-line report as typed: the code, and the status and percent if given."""

    code: str | None  # "3.3" or "09-KL:3.3"; None: the first word is not a task code
    status: Status | None  # None: no status words after the code
    percent: int | None
    note: str
    extra: bool  # words followed the code (a status was meant, even if not understood)


def make_form(
    code: str, status: Status, percent: int | None, note: str = "", *, document: str = ""
) -> ReportForm:
    """Return the report with the implied percent filled in; raise FormProblem if inconsistent."""
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise FormProblem(texts.REPORT_NOTE_TOO_LONG.format(length=len(note), limit=NOTE_MAX_CHARS))
    if percent is not None and not 0 <= percent <= 100:
        raise FormProblem(texts.REPORT_BAD_PERCENT)
    implied = IMPLIED_PERCENT.get(status)
    if implied is not None and percent is not None and percent != implied:
        template = texts.REPORT_DONE_PERCENT if status is Status.DONE else texts.REPORT_ZERO_PERCENT
        raise FormProblem(template.format(percent=percent))
    return ReportForm(code, status, implied if percent is None else percent, note, document)


def parse_percent(text: str) -> int | None:
    """Return a percent 0..100 written "60", "60%" or "60 %", else None."""
    match = _PERCENT.fullmatch(text.strip())
    if match is None or int(match.group(1)) > 100:
        return None
    return int(match.group(1))


def read_line(arg: str) -> Line:
    """Read '3.3 hoàn thành [60 %] [ghi chú]'; raise FormProblem for a percent over 100."""
    words = list(re.finditer(r"\S+", arg))
    if not words:
        return Line(None, None, None, "", False)
    code = parse_any_code(words[0].group(0))  # "3.3", or another directive's "09-KL:3.3"
    status, used = _status_words(words[1:])
    if code is None or status is None:
        return Line(code, None, None, "", len(words) > 1)
    rest = words[1 + used :]
    percent = None
    if rest and _NUMBER.fullmatch(rest[0].group(0)):
        taken = 2 if len(rest) > 1 and rest[1].group(0) == "%" else 1
        percent = parse_percent("".join(w.group(0) for w in rest[:taken]))
        if percent is None:
            raise FormProblem(texts.REPORT_BAD_PERCENT)
        rest = rest[taken:]
    note = arg[rest[0].start() :].strip() if rest else ""
    return Line(code, status, percent, note, True)


def is_downgrade(previous: str | None, form: ReportForm) -> bool:
    """Tell whether the report takes a task back from "hoàn thành" (asked to confirm)."""
    return previous == Status.DONE.value and form.status is not Status.DONE


def _status_words(words: list[re.Match[str]]) -> tuple[Status | None, int]:
    """Return the status the first words name (longest phrase first, e.g. "đã hoàn thành
    rồi"), and how many words it took; a whole-answer word ("chưa") only when alone."""
    found = find_status([w.group(0) for w in words])
    if found is not None and found[1] == 0:
        return found[0], found[2]
    for n in (3, 2, 1):
        if len(words) >= n:
            status = parse_status(" ".join(w.group(0) for w in words[:n]))
            if status is not None:
                return status, n
    return None, 0
