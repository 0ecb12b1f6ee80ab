"""The set of loaded directives and the one search index over them."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path

from knowledge.answer import Answer, compose_answer
from knowledge.index import SearchIndex
from knowledge.model import Deadline, Document, Task
from knowledge.parser import parse_document
from knowledge.taskmatch import TaskMatcher

log = logging.getLogger(__name__)

BUNDLED = "ket-luan-09-KL-BTCTW-2024.txt"
# Questions repeat across users (the same few deadlines and tasks), and an answer depends
# only on the question and the loaded documents: the last ANSWERS_KEPT are kept.
ANSWERS_KEPT = 1024


class Library:
    """Documents plus their search index; the default document comes first."""

    def __init__(self, documents: list[Document]) -> None:
        if not documents:
            raise ValueError("a library needs at least one document")
        self.documents = documents
        self.index = SearchIndex([p for d in documents for p in d.passages])
        self.matcher = TaskMatcher(self.default.tasks)
        self._answer = lru_cache(maxsize=ANSWERS_KEPT)(self.search)

    @property
    def default(self) -> Document:
        return self.documents[0]

    def answer(self, question: str) -> Answer:
        """Answer a free-text question from the directives (a repeated one from memory)."""
        return self._answer(question)

    def search(self, question: str) -> Answer:
        """Answer a question by searching the index, never from memory (what `answer` keeps)."""
        return compose_answer(question, self.index, self.documents)

    def document(self, number: str | None = None) -> Document | None:
        """Return the document with this number (the default one if None)."""
        if number is None:
            return self.default
        return next((d for d in self.documents if d.number == number), None)

    def tasks(self, number: str | None = None) -> list[Task]:
        """Return the tasks of one document, in directive order."""
        doc = self.document(number)
        return list(doc.tasks) if doc else []

    def find_task(self, code: str, number: str | None = None) -> Task | None:
        """Return a task by code, or None."""
        doc = self.document(number)
        return doc.task(code.strip().rstrip(".")) if doc else None

    def close_codes(self, code: str, number: str | None = None, limit: int = 3) -> list[str]:
        """Return the task codes nearest to an unknown one."""
        codes = [t.code for t in self.tasks(number)]
        want = code.strip().rstrip(".").split(".")

        def distance(other: str) -> tuple[int, int]:
            parts = other.split(".")
            common = 0
            for a, b in zip(want, parts, strict=False):
                if a != b:
                    break
                common += 1
            return (-common, abs(len(parts) - len(want)))

        return sorted(codes, key=distance)[:limit]

    def match_tasks(self, text: str) -> list[tuple[str, float]]:
        """Return the default document's tasks whose titles hold text's words, best first:
        (code, share of the words held, 0..1); "vtvl" → [("3.3", 1.0), ("3", 1.0), …]."""
        return self.matcher.match(text)

    def deadlines(self) -> list[Deadline]:
        """Return every deadline of every document, soonest first."""
        items = [d for doc in self.documents for d in doc.deadlines]
        return sorted(items, key=lambda d: (d.due is None, d.due or 0, d.task_code))


def read_bundled() -> str:
    """Return the text of the bundled default directive."""
    return resources.files("knowledge").joinpath("data", BUNDLED).read_text(encoding="utf-8")


def load_library(extra_dir: Path | None = None) -> Library:
    """Load the bundled directive plus every *.txt in extra_dir."""
    documents = [parse_document(read_bundled(), source=BUNDLED)]
    if extra_dir is not None:
        for path in sorted(Path(extra_dir).glob("*.txt")):
            doc = parse_document(path.read_text(encoding="utf-8"), source=path.name)
            if all(d.number != doc.number for d in documents):
                documents.append(doc)
    log.info("loaded %d document(s): %s", len(documents), ", ".join(d.number for d in documents))
    return Library(documents)
