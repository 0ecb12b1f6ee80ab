"""Plain data types for a parsed directive; no behaviour beyond small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Copy:
    """A later certified copy of the directive ("sao y", "sao lục")."""

    kind: str  # "sao y" | "sao lục"
    issuer: str  # e.g. "Tỉnh ủy Bình Định"
    number: str  # e.g. "686-SY/TU"
    place: str
    issued: date | None
    signer: str
    signer_title: str = ""
    date_line: str = ""  # as written: "Bình Định, ngày 19 tháng 02 năm 2024"
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metadata:
    number: str  # e.g. "09-KL/BTCTW"
    kind: str  # e.g. "Kết luận"
    title: str
    issuer: str  # e.g. "Ban Tổ chức Trung ương"
    place: str
    issued: date | None
    signer: str
    signer_title: str
    copies: tuple[Copy, ...] = ()
    date_line: str = ""  # as written: "Hà Nội, ngày 11 tháng 01 năm 2024"
    recipients: tuple[str, ...] = ()  # "Nơi nhận" lines


@dataclass(frozen=True)
class Footnote:
    number: int
    text: str
    cited_in: str  # ref of the passage citing it, e.g. "Mục II.3"
    cited_sentence: str  # the sentence that cites it ("" if never cited)


DATED_KINDS = ("date", "in_year")  # deadline kinds whose phrase is only a due date


@dataclass(frozen=True)
class Deadline:
    """A date, year or period the directive ties to a task."""

    document: str
    task_code: str  # "" for document-wide items (reporting rhythm)
    kind: str  # "date" | "year" | "in_year" | "period"
    due: date | None  # last day; None for periods
    phrase: str  # the directive's own words, e.g. "trước ngày 31/3/2024"
    target: str = ""  # e.g. "tinh giản ít nhất 5% biên chế cán bộ, công chức"
    period: str = ""  # "quarter" | "half_year" | "year" for kind == "period"


@dataclass
class Task:
    """One numbered item, sub-item or bullet of part II."""

    document: str
    code: str  # "1", "2.1", "2.2.3", "3.3"
    title: str  # short title: the heading, or the bullet's first clause
    text: str  # the whole text of the item (heading and paragraphs)
    ref: str  # where it stands, e.g. "Mục II.3, ý 3"
    parent: str = ""  # parent code ("" for top level)
    children: list[str] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Return the title without the task's own due phrases ("… trước ngày 31/3/2024").

        Where a deadline is shown with its own date (the committee may move it), the
        title names the task only, so one deadline never shows two dates.
        """
        label = self.title
        for deadline in self.deadlines:
            if deadline.kind in DATED_KINDS:
                label = label.replace(deadline.phrase, "")
        return " ".join(label.split()).strip(" ,;:-–") or self.title


@dataclass(frozen=True)
class Passage:
    """A searchable piece of text with where it stands."""

    document: str
    ref: str  # e.g. "Mục II.3", "chú thích 4", "Phần mở đầu"
    text: str
    kind: str = "sentence"  # "sentence" | "footnote" | "meta" | "heading"
    task_code: str = ""
    footnotes: tuple[int, ...] = ()  # footnotes this passage cites
    order: int = 0  # position in the document
    context: str = ""  # searchable but not quoted: lead-in, heading or citing clause


@dataclass
class Document:
    metadata: Metadata
    passages: list[Passage]
    tasks: list[Task]
    footnotes: dict[int, Footnote]
    deadlines: list[Deadline]
    sections: list[tuple[str, str]]  # (ref, heading) of parts and items, in order
    source: str = ""  # file name it was read from

    @property
    def number(self) -> str:
        return self.metadata.number

    def task(self, code: str) -> Task | None:
        """Return the task with this code, or None."""
        return next((t for t in self.tasks if t.code == code), None)
