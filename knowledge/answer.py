"""Compose a short, quoted answer from the best passages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.index import SearchIndex
    from knowledge.model import Document

MAX_ANSWER = 800


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
            "sources": [{"document": s.document, "ref": s.ref, "quote": s.quote} for s in self.sources],
        }


def compose_answer(question: str, index: SearchIndex, documents: list[Document]) -> Answer:
    """STUB: replaced by the real composer."""
    return Answer(False, "Chưa có câu trả lời.")
