"""Read a directive file into its normalised text.

Placeholder: replaced by the ingest branch at merge. Only `.txt` (UTF-8) is read here;
every other kind is refused as "unsupported". The interface is the ingest branch's.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from knowledge.model import Document
from knowledge.parser import parse_document


@dataclass(frozen=True)
class Ingested:
    """A file read: the parsed document, its normalised text (what to store), warnings."""

    document: Document
    text: str  # parse_document(text) re-creates the document
    warnings: tuple[str, ...] = ()


class Unreadable(Exception):
    """A file that gives no directive: kind is "unsupported", "no_text", "empty" or "corrupt"."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def read_document(data: bytes, filename: str) -> Ingested:
    """Read a file's bytes into a directive (placeholder: .txt only)."""
    if not filename.lower().endswith(".txt"):
        raise Unreadable("unsupported")
    try:
        text = unicodedata.normalize("NFC", data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Unreadable("corrupt") from None
    if not text.strip():
        raise Unreadable("empty")
    return Ingested(parse_document(text, source=filename), text)
