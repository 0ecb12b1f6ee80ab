"""Shape text into replies that fit every channel's message limit."""

from __future__ import annotations

from handlers.types import Button, Reply

REPLY_LIMIT = 2000  # the smallest limit of any channel (Zalo); Telegram allows 4096


def shorten(text: str, limit: int) -> str:
    """Return text cut to at most limit characters, with an ellipsis if cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most limit characters, on line boundaries where possible."""
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _split_line(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                chunks.append(current)
            current = piece
    if current or not chunks:
        chunks.append(current)
    return chunks


def _split_line(line: str, limit: int) -> list[str]:
    """Split one over-long line on spaces (or anywhere, as a last resort)."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    pieces.append(line)
    return pieces


def replies(text: str, buttons: list[list[Button]] | None = None) -> list[Reply]:
    """Return text as one or more replies within REPLY_LIMIT; buttons go on the last."""
    chunks = split_text(text, REPLY_LIMIT)
    out = [Reply(chunk) for chunk in chunks[:-1]]
    out.append(Reply(chunks[-1], buttons or []))
    return out


def button_rows(buttons: list[Button], per_row: int = 2) -> list[list[Button]]:
    """Arrange buttons in rows of per_row."""
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
