"""STUB: printable outline of a parsed directive (for `documents check`)."""

from __future__ import annotations

from knowledge.model import Document


def format_outline(doc: Document) -> str:
    """Return a human-readable outline of a parsed document."""
    return f"{doc.metadata.kind} {doc.number}"
