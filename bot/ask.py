"""`python -m bot ask`: answers for a person, or JSON lines for a program."""

from __future__ import annotations

import json
import logging
from typing import Any, TextIO

from handlers import texts
from handlers.inputs import clean_text, question_problem
from knowledge import Answer, Library

log = logging.getLogger(__name__)


def ask(library: Library, question: str) -> Answer:
    """Return the library's answer, or a refusal for text that is no question."""
    text = clean_text(question)
    problem = question_problem(text)
    if problem:
        return Answer(False, problem)
    return library.answer(text)


def answer_one(library: Library, question: str, *, as_json: bool) -> str:
    """Return the printable answer to one question."""
    answer = ask(library, question)
    if as_json:
        return to_json_line(answer.to_json())
    return format_for_person(library, answer)


def answer_lines(library: Library, stdin: TextIO, stdout: TextIO, *, as_json: bool) -> None:
    """Answer each line of stdin in order, one output line (or block) per input line."""
    for number, line in enumerate(iter(stdin.readline, ""), start=1):
        try:
            answer = ask(library, line)
        except Exception as exc:
            log.error("question on line %d failed: %s: %s", number, type(exc).__name__, exc)
            answer = Answer(False, texts.SORRY)
        text = to_json_line(answer.to_json()) if as_json else format_for_person(library, answer)
        stdout.write(text + ("\n" if as_json else "\n\n"))
        stdout.flush()


def format_for_person(library: Library, answer: Answer) -> str:
    """Return the answer text, then one line per source: "— Mục II.3 · Kết luận 09-KL/BTCTW"."""
    lines = [answer.text]
    for source in answer.sources:
        doc = library.document(source.document)
        name = f"{doc.metadata.kind} {doc.number}" if doc else source.document
        lines.append(f"— {source.ref} · {name}")
    return "\n".join(lines)


def to_json_line(data: dict[str, Any]) -> str:
    """Return one JSON object on one line, non-ASCII kept readable."""
    return json.dumps(data, ensure_ascii=False)
