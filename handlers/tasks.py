"""Texts and buttons for browsing the directive's tasks (/nhiemvu)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from handlers import payloads, texts
from handlers.deadlines import deadline_status
from handlers.ports import KnowledgeBase
from handlers.render import button_rows, shorten
from handlers.types import Button
from knowledge import Deadline, Document, Task
from knowledge.library import short_number

TREE_TITLE = 90  # characters of a title in the tree
BUTTON_TITLE = 28  # characters of a title on a button


def tasks_of(library: KnowledgeBase, number: str = "") -> list[Task]:
    """Return one directive's tasks by its full number (the current one's by default)."""
    if not number or number == library.default.number:
        return library.tasks()
    doc = next((d for d in library.documents if d.number == number), None)
    return list(doc.tasks) if doc is not None else []


def find_directive(library: KnowledgeBase, name: str) -> Document | None:
    """Return the loaded directive with this number, full or short ("09-KL"), or None."""
    wanted = short_number(name.strip()).lower()
    for doc in library.documents:
        if doc.number == name or short_number(doc.number).lower() == wanted:
            return doc
    return None


def directive_name(library: KnowledgeBase, number: str = "") -> str:
    """Return a directive's name (the current one's by default), e.g. "Kết luận
    09-KL/BTCTW (11/01/2024)"."""
    doc = next((d for d in library.documents if d.number == number), library.default)
    return document_name(doc)


def document_name(doc: Document) -> str:
    """Return a directive's name: "Kết luận 09-KL/BTCTW (11/01/2024)"."""
    meta = doc.metadata
    return texts.document_label(meta.kind, meta.number, meta.issued)


def task_button(task: Task, ref: str = "") -> Button:
    """Return the button that opens a task (`ref`: its code as typed, "09-KL:3.3" for a
    task of a directive that is not current)."""
    label = texts.TASK_BUTTON.format(code=task.code, title=shorten(task.title, BUTTON_TITLE))
    return Button(label, payloads.task(ref or task.code))


def format_tree(tasks: list[Task], document: str) -> str:
    """Return the task tree: code and title, indented by level."""
    lines = [texts.TASKS_HEADER.format(document=document), ""]
    for task in tasks:
        indent = "   " * task.code.count(".")
        lines.append(f"{indent}{task.code}. {shorten(task.title, TREE_TITLE)}")
    lines += ["", texts.TASKS_FOOTER]
    return "\n".join(lines)


def tree_buttons(tasks: list[Task]) -> list[list[Button]]:
    """Return one button per top-level task (the groups)."""
    return button_rows([task_button(t) for t in tasks if not t.parent])


def format_task(task: Task, document: str, today: date) -> str:
    """Return one task in full: title, place, deadlines and the directive's text."""
    lines = [
        texts.TASK_TITLE.format(code=task.code, title=task.title),
        texts.TASK_PLACE.format(ref=task.ref, document=document),
    ]
    lines += [texts.TASK_DEADLINE.format(deadline=describe(d, today)) for d in task.deadlines]
    if task.children:
        lines.append(texts.TASK_CHILDREN.format(codes=", ".join(task.children)))
    lines += ["", texts.TASK_TEXT, task.text.strip()]
    return "\n".join(lines)


def task_buttons(
    task: Task, children: list[Task], ref: Callable[[str], str] = str
) -> list[list[Button]]:
    """Return buttons to a task's children, its parent and the whole list (`ref` writes a
    code of the task's directive as typed)."""
    buttons = [task_button(child, ref(child.code)) for child in children]
    if task.parent:
        label = texts.TASK_PARENT_BUTTON.format(code=task.parent)
        buttons.append(Button(label, payloads.task(ref(task.parent))))
    buttons.append(Button(texts.BUTTON_TASKS, payloads.menu("nhiemvu")))
    return button_rows(buttons)


def describe(deadline: Deadline, today: date) -> str:
    """Return a deadline as the directive's phrase plus its date and status."""
    if deadline.due is None:
        return deadline.phrase
    status = deadline_status(deadline.due, today)
    return f"{deadline.phrase} ({texts.format_date(deadline.due)}, {status})"


def format_unknown(code: str, close: list[str]) -> str:
    """Return the reply to an unknown task code, with the nearest codes."""
    lines = [texts.UNKNOWN_CODE.format(code=code)]
    if close:
        lines.append(texts.CLOSE_CODES.format(codes=", ".join(close)))
    return "\n".join(lines)
