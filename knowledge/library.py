"""The set of loaded directives and the one search index over them."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from knowledge.answer import Answer, compose_answer
from knowledge.index import DocumentIndex, SearchIndex, index_document
from knowledge.model import Deadline, Document, Task
from knowledge.parser import parse_document
from knowledge.query import coded_refs
from knowledge.taskmatch import TaskMatcher
from knowledge.text import fold

log = logging.getLogger(__name__)

BUNDLED = "ket-luan-09-KL-BTCTW-2024.txt"
# Questions repeat across users (the same few deadlines and tasks), and an answer depends
# only on the question and the loaded documents: the last ANSWERS_KEPT are kept.
ANSWERS_KEPT = 1024


QUALIFIER = ":"  # a task of another directive: "09-KL:3.3"


def text_digest(text: str) -> str:
    """Return the sha256 hex digest of a normalised text (a stored directive's `sha256`)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short_number(number: str) -> str:
    """Return a document number without its issuer ("09-KL/BTCTW" → "09-KL")."""
    return number.split("/", 1)[0]


def document_refs(number: str) -> set[tuple[str, str]]:
    """Return how a question names this document: {("9", "kl")} for 09-KL/BTCTW."""
    return coded_refs(fold(number).lower())


@dataclass(frozen=True)
class Analysed:
    """A parsed document with its share of the search index (what a cache keeps)."""

    document: Document
    index: DocumentIndex


def analyse(text: str, source: str = "", document: Document | None = None) -> Analysed:
    """Parse a directive's text and index it: the costly step, once per text (`document`:
    the text already parsed with this source, as a file's reader returns it)."""
    if document is None:
        document = parse_document(text, source=source)
    return Analysed(document, index_document(document.passages))


class Library:
    """Documents plus their search index; the current document comes first.

    Documents of the library's past (`archived`) still answer questions and keep their
    tasks for history, but are left out of menus (`active`).
    """

    def __init__(
        self,
        documents: list[Document],
        *,
        current: str | None = None,
        archived: frozenset[str] = frozenset(),
        stored: frozenset[str] = frozenset(),
        parts: list[DocumentIndex] | None = None,
    ) -> None:
        if not documents:
            raise ValueError("a library needs at least one document")
        if parts is None:
            parts = [index_document(d.passages) for d in documents]
        pairs = list(zip(documents, parts, strict=True))
        if current is not None:  # the current one first: `default` is what menus show
            pairs.sort(key=lambda pair: pair[0].number != current)
        self.documents = [d for d, _ in pairs]
        self.archived = archived
        self.stored = stored  # added by an admin: their deadlines are proposed, not copied
        offsets, offset = [], 0
        for _, part in pairs:
            offsets.append((offset, part))
            offset += len(part.lengths)
        self.index = SearchIndex([p for d in self.documents for p in d.passages], offsets)
        self.matcher = TaskMatcher(self.default.tasks)
        self._by_short = {short_number(d.number).lower(): d for d in self.documents}
        self._answer = lru_cache(maxsize=ANSWERS_KEPT)(self.search)

    @classmethod
    def of(
        cls,
        items: list[Analysed],
        *,
        current: str | None = None,
        archived: frozenset[str] = frozenset(),
        stored: frozenset[str] = frozenset(),
    ) -> Library:
        """Join analysed documents into one library (no parsing, no indexing)."""
        return cls(
            [a.document for a in items],
            current=current,
            archived=archived,
            stored=stored,
            parts=[a.index for a in items],
        )

    def adopt(self, other: Library) -> None:
        """Take over another library's documents and index (a running bot's reload)."""
        self.__dict__.update(other.__dict__)
        self._answer = lru_cache(maxsize=ANSWERS_KEPT)(self.search)  # answers of `self` anew

    @property
    def default(self) -> Document:
        """Return the current directive."""
        return self.documents[0]

    @property
    def active(self) -> list[Document]:
        """Return the documents shown in menus: every one not archived, current first."""
        return [d for d in self.documents if d.number not in self.archived]

    def answer(self, question: str) -> Answer:
        """Answer a free-text question from the directives (a repeated one from memory)."""
        return self._answer(question)

    def search(self, question: str) -> Answer:
        """Answer a question by searching the index, never from memory (what `answer` keeps)."""
        return compose_answer(question, self.index, self.documents)

    def document(self, number: str | None = None) -> Document | None:
        """Return the document with this number, full or short ("09-KL"), the current if None."""
        if number is None:
            return self.default
        found = next((d for d in self.documents if d.number == number), None)
        return found or self._by_short.get(short_number(number.strip()).lower())

    def split_code(self, code: str) -> tuple[Document | None, str]:
        """Return the document a task code names ("09-KL:3.3") and the bare code."""
        code = code.strip().rstrip(".")
        if QUALIFIER in code:
            prefix, bare = code.split(QUALIFIER, 1)
            return self.document(prefix), bare.strip()
        return self.default, code

    def qualified(self, code: str, number: str) -> str:
        """Return a task code as users see it: bare for the current directive, else
        prefixed with the document's short number ("09-KL:3.3")."""
        if number == self.default.number:
            return code
        return f"{short_number(number)}{QUALIFIER}{code}"

    def tasks(self, number: str | None = None) -> list[Task]:
        """Return the tasks of one document, in directive order."""
        doc = self.document(number)
        return list(doc.tasks) if doc else []

    def find_task(self, code: str, number: str | None = None) -> Task | None:
        """Return a task by code (bare, or qualified "09-KL:3.3"), or None."""
        if number is None:
            doc, code = self.split_code(code)
        else:
            doc, code = self.document(number), code.strip().rstrip(".")
        return doc.task(code) if doc else None

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
        """Return every deadline of every document not archived, soonest first."""
        items = [d for doc in self.active for d in doc.deadlines]
        return sorted(items, key=lambda d: (d.due is None, d.due or 0, d.task_code))


def read_bundled() -> str:
    """Return the text of the bundled default directive."""
    return resources.files("knowledge").joinpath("data", BUNDLED).read_text(encoding="utf-8")


def base_texts(extra_dir: Path | None = None) -> list[tuple[str, str]]:
    """Return (text, file name) of the bundled directive and every *.txt in extra_dir."""
    out = [(read_bundled(), BUNDLED)]
    if extra_dir is not None:
        for path in sorted(Path(extra_dir).glob("*.txt")):
            out.append((path.read_text(encoding="utf-8"), path.name))
    return out


def unique(items: list[Analysed]) -> list[Analysed]:
    """Return the documents with numbers not seen before them (the first one wins)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.document.number not in seen:
            seen.add(item.document.number)
            out.append(item)
    return out


def load_library(extra_dir: Path | None = None) -> Library:
    """Load the bundled directive plus every *.txt in extra_dir."""
    items = unique([analyse(text, source) for text, source in base_texts(extra_dir)])
    log.info("loaded %d document(s): %s", len(items), ", ".join(a.document.number for a in items))
    return Library.of(items)
