"""Read a directive file (.txt, .docx, text .pdf) into the text the parser reads.

`read_document(data, filename)` returns an `Ingested`: the parsed `Document`, the
normalised plain text that is stored (parsing it again gives the same document) and
warnings. Warnings are machine-readable codes, `code` or `code:detail[:count]`:

- `legacy_font:TCVN3:N`, `legacy_font:VNI:N` — N runs in a legacy font were converted;
- `heading_numbers_from_styles:N` — N headings had no number; numbered by style level;
- `table_as_rows` — a table in the body was read one row a paragraph;
- `pdf_pages_without_text:N` — N pages of a PDF have no text layer (scans among text);
- `no_number`, `no_date`, `no_kind`, `no_issuer`, `no_signer`, `no_tasks` — metadata or
  tasks the parser did not find;
- `footnote_not_cited:N` — footnote N is never cited in the body.

Callers turn them into Vietnamese (bot/cli_texts.py `INGEST_WARNINGS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from knowledge.ingest.clean import to_text
from knowledge.ingest.errors import Unreadable
from knowledge.model import Document
from knowledge.parser import parse_document

__all__ = ["EXTENSIONS", "Ingested", "Unreadable", "read_document"]

EXTENSIONS = (".txt", ".docx", ".pdf")


@dataclass(frozen=True)
class Ingested:
    document: Document  # parse_document(text, source=filename)
    text: str  # the normalised plain text; parse_document(text) gives the same document
    warnings: tuple[str, ...]


def read_document(data: bytes, filename: str) -> Ingested:
    """Read a directive file's bytes by its extension; raise Unreadable if it can't be."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".txt":
        paragraphs, warnings = _read_txt(data)
    elif suffix == ".docx":
        from knowledge.ingest.docx_reader import read_docx

        paragraphs, warnings = read_docx(data)
    elif suffix == ".pdf":
        from knowledge.ingest.pdf_reader import read_pdf

        paragraphs, warnings = read_pdf(data)
    else:
        raise Unreadable("unsupported", f"extension {suffix or '(none)'}")
    text = to_text(paragraphs)
    if not any(c.isalpha() for c in text):
        raise Unreadable("empty", "no letters")
    document = parse_document(text, source=PurePath(filename).name)
    return Ingested(document, text, tuple(warnings) + tuple(_check(document)))


def _read_txt(data: bytes) -> tuple[list[str], list[str]]:
    """Return a UTF-8 text file's paragraphs (blank-line separated, lines kept)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable("unsupported", "text is not UTF-8") from exc
    if "\x00" in text:
        raise Unreadable("unsupported", "binary data in a .txt file")
    return text.replace("\r\n", "\n").split("\n\n"), []


def _check(doc: Document) -> list[str]:
    """Return warnings about what the parser did not find."""
    meta = doc.metadata
    found = {
        "no_kind": meta.kind,
        "no_number": meta.number,
        "no_date": meta.issued,
        "no_issuer": meta.issuer,
        "no_signer": meta.signer,
        "no_tasks": doc.tasks,
    }
    out = [code for code, value in found.items() if not value]
    out += [
        f"footnote_not_cited:{n}" for n, note in sorted(doc.footnotes.items()) if not note.cited_in
    ]
    return out
