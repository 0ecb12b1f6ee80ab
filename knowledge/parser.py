"""Parse a directive's text into metadata, sections, tasks, footnotes and passages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.deadlines import extract_deadlines, extract_periods
from knowledge.layout import split_layout
from knowledge.metadata import describe, parse_metadata
from knowledge.model import Document, Footnote, Passage, Task
from knowledge.segment import clause_around, enumeration_intro, lead, segments, sentences
from knowledge.text import superscript_numbers

_PART = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X)\.\s+(.+)$")
_ITEM = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.\s+(.+)$")
_BULLET = re.compile(r"^[-–•+]\s*(.+)$")
_LETTER = re.compile(r"^([a-zđ])\)\s+(.+)$")
_SUPER = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_TITLE_MAX = 160


@dataclass
class _Cursor:
    """Where the parser stands while walking the body."""

    part: str = ""
    part_heading: str = ""
    item: Task | None = None  # the innermost numbered item
    task: Task | None = None  # the task text currently goes to
    bullets: dict[str, int] = field(default_factory=dict)
    letters: set[str] = field(default_factory=set)  # codes of lettered sub-items (a), b))

    @property
    def ref(self) -> str:
        if not self.part:
            return "Phần mở đầu"
        return f"Mục {self.part}.{self.item.code}" if self.item else f"Mục {self.part}"


def parse_document(text: str, source: str = "") -> Document:
    """Parse the text of a directive of the Kết luận 09-KL/BTCTW shape."""
    layout = split_layout(text)
    meta = parse_metadata(layout.header, layout.ending)
    number = meta.number or source
    doc = Document(meta, [], [], {}, [], [], source)
    cursor = _Cursor()
    citing: dict[int, tuple[str, str]] = {}
    for par in layout.body:
        _walk(par, cursor, doc, citing)
    for ref, sentence, context in describe(meta):
        _add(doc, Passage(number, ref, sentence, kind="meta", context=context))
    _add_footnotes(doc, layout.footnotes, citing)
    for task in doc.tasks:
        task.deadlines = extract_deadlines(number, task.code, task.text)
        doc.deadlines.extend(task.deadlines)
    doc.deadlines.extend(extract_periods(number, " ".join(layout.body)))
    return doc


def _walk(par: str, cur: _Cursor, doc: Document, citing: dict[int, tuple[str, str]]) -> None:
    """Place one body paragraph in the structure and index its sentences."""
    number = doc.metadata.number
    if (m := _PART.match(par)) and m.group(2).isupper():
        cur.part, cur.part_heading, cur.item, cur.task = m.group(1), m.group(2), None, None
        doc.sections.append((f"Mục {cur.part}", m.group(2)))
        _add(doc, Passage(number, cur.ref, par, kind="heading"))
        return
    if cur.part and (m := _ITEM.match(par)) and len(par) <= 300:
        _open_item(m.group(1), m.group(2), cur, doc)
        return
    if cur.item and (m := _LETTER.match(par)) and len(par) <= 300:
        _open_letter(m.group(2), cur, doc)
        return
    if cur.item and (m := _BULLET.match(par)):
        code = f"{cur.item.code}.{cur.bullets.get(cur.item.code, 0) + 1}"
        cur.bullets[cur.item.code] = cur.bullets.get(cur.item.code, 0) + 1
        cur.task = _new_task(doc, code, _title(m.group(1)), m.group(1), cur.ref, cur.item)
    elif cur.task is not None:
        cur.task.text += "\n" + par
    heading = cur.item.title if cur.item else cur.part_heading.capitalize()
    _index_paragraph(_BULLET.sub(r"\1", par), cur, doc, heading, citing)


def _open_item(code: str, heading: str, cur: _Cursor, doc: Document) -> None:
    """Start a numbered item or sub-item (1., 2.2.)."""
    parent = code.rsplit(".", 1)[0] if "." in code else ""
    parent_task = doc.task(parent) if parent else None
    title = _SUPER.sub("", heading).rstrip(".")
    cur.item = _new_task(doc, code, title, heading, f"Mục {cur.part}.{code}", parent_task)
    cur.task = cur.item
    doc.sections.append((cur.item.ref, cur.item.title))
    _add(doc, Passage(doc.metadata.number, cur.item.ref, f"{code}. {heading}", "heading", code))


def _open_letter(heading: str, cur: _Cursor, doc: Document) -> None:
    """Start a lettered sub-item (a), b) …) of the numbered item: code 2.1, 2.2 …, in order."""
    item = cur.item
    while item is not None and item.code in cur.letters:
        item = doc.task(item.parent)  # an a) right after b)'s bullets: back to the item
    if item is None:
        return
    n = cur.bullets.get(item.code, 0) + 1
    cur.bullets[item.code] = n
    code = f"{item.code}.{n}"
    title = _title(heading)
    cur.item = _new_task(doc, code, title, heading, f"Mục {cur.part}.{code}", item)
    cur.letters.add(code)
    cur.task = cur.item
    doc.sections.append((cur.item.ref, title))
    _add(doc, Passage(doc.metadata.number, cur.item.ref, heading, "heading", code))


def _new_task(
    doc: Document, code: str, title: str, text: str, ref: str, parent: Task | None
) -> Task:
    """Create a task, link it to its parent and add it to the document."""
    task = Task(doc.metadata.number, code, title, text, ref, parent.code if parent else "")
    if parent is not None and parent.code != code:
        parent.children.append(code)
    doc.tasks.append(task)
    return task


def _title(text: str) -> str:
    """Return a bullet's short title: its first clause, cut at a word."""
    plain = _SUPER.sub("", text)
    first = re.split(r"[;.](?:\s|$)", plain, maxsplit=1)[0]
    if first.count("(") > first.count(")"):
        first = first[: first.rfind("(")]
    first = first.strip()
    if len(first) <= _TITLE_MAX:
        return first
    return first[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"


def _index_paragraph(
    par: str, cur: _Cursor, doc: Document, heading: str, citing: dict[int, tuple[str, str]]
) -> None:
    """Add a paragraph's sentences as passages and note which footnotes they cite."""
    opening = lead(par)
    intro = enumeration_intro(par)
    listing = False
    code = cur.task.code if cur.task else ""
    for i, sentence in enumerate(sentences(par)):
        listing = listing or "(1)" in sentence
        for m in _SUPER.finditer(sentence):
            for n in superscript_numbers(m.group(0)):
                citing.setdefault(n, (cur.ref, clause_around(sentence, m.start())))
        context = heading if i == 0 else f"{heading} {opening}"
        if listing and intro and intro not in sentence:
            context = f"{context} {intro}"  # "(6) …" is the sixth of "kết quả nổi bật"
        for seg in segments(sentence):
            notes = tuple(superscript_numbers(seg))
            _add(
                doc,
                Passage(
                    doc.metadata.number, cur.ref, seg, "sentence", code, notes, context=context
                ),
            )


def _add_footnotes(
    doc: Document, notes: dict[int, str], citing: dict[int, tuple[str, str]]
) -> None:
    """Add footnotes, linked to the sentence citing them, as passages."""
    for n, text in sorted(notes.items()):
        where, clause = citing.get(n, ("", ""))
        doc.footnotes[n] = Footnote(n, text, where, clause)
        ref = f"{where}, chú thích {n}" if where else f"chú thích {n}"
        for seg in segments(text):
            _add(
                doc,
                Passage(doc.metadata.number, ref, seg, "footnote", footnotes=(n,), context=clause),
            )


def _add(doc: Document, passage: Passage) -> None:
    """Append a passage with its position in the document."""
    doc.passages.append(
        Passage(
            passage.document,
            passage.ref,
            passage.text,
            passage.kind,
            passage.task_code,
            passage.footnotes,
            len(doc.passages),
            passage.context,
        )
    )
