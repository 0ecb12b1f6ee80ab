"""What is stored of a directive file read: its facts, its text, the deadlines it proposes.

Shared by the chat upload (handlers/flows/upload.py) and `documents add` (bot/commands).
"""

from __future__ import annotations

from knowledge import Document
from knowledge.ingest import Ingested
from knowledge.library import text_digest
from storage.queries.directives import NewDirective, ProposedDeadline


def new_directive(ingested: Ingested, filename: str) -> NewDirective:
    """Return the row to store for a file read."""
    meta = ingested.document.metadata
    return NewDirective(
        number=ingested.document.number,
        kind=meta.kind,
        title=meta.title,
        issued=meta.issued,
        filename=filename,
        sha256=text_digest(ingested.text),
        text=ingested.text,
    )


def proposals_of(doc: Document) -> list[ProposedDeadline]:
    """Return the dated deadlines of a directive's tasks, to propose to the admin."""
    seen: dict[tuple[str, str], ProposedDeadline] = {}
    for item in doc.deadlines:
        if item.kind == "date" and item.due is not None and item.task_code:
            seen.setdefault(
                (item.task_code, item.due.isoformat()),
                ProposedDeadline(item.task_code, item.due, item.phrase),
            )
    return list(seen.values())
