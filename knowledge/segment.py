"""Cut paragraphs into sentences, and long sentences into quotable segments."""

from __future__ import annotations

import re

MAX_SEGMENT = 320
_END = re.compile(r"[.!?…][”\"]?[⁰¹²³⁴⁵⁶⁷⁸⁹]*\s+")
_BREAK = re.compile(r";\s+|\s+(?=\(\d{1,2}\)\s)")


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences at a stop followed by a capital or '('."""
    out, start = [], 0
    for m in _END.finditer(paragraph):
        nxt = paragraph[m.end() : m.end() + 1]
        if nxt and (nxt.isupper() or nxt in '(“"'):
            out.append(paragraph[start : m.end()].strip())
            start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def segments(sentence: str, limit: int = MAX_SEGMENT) -> list[str]:
    """Split a long sentence at ';' and '(n)' into pieces of at most about `limit`."""
    if len(sentence) <= limit:
        return [sentence]
    pieces, start = [], 0
    for m in _BREAK.finditer(sentence):
        end = m.start() + (1 if sentence[m.start()] == ";" else 0)
        pieces.append(sentence[start:end].strip())
        start = m.end()
    pieces.append(sentence[start:].strip())
    merged: list[str] = []
    for piece in filter(None, pieces):
        if merged and len(merged[-1]) + len(piece) + 1 <= limit:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def lead(paragraph: str, words: int = 25) -> str:
    """Return the opening of a paragraph (up to ':' or a few words) as context."""
    head = paragraph.split(":", 1)[0] if ":" in paragraph[:200] else paragraph
    return " ".join(head.split()[:words])


def clause_around(sentence: str, marker_at: int, limit: int = 260) -> str:
    """Return the ';'-clause of a sentence that contains position marker_at."""
    start = sentence.rfind(";", 0, marker_at) + 1
    end = sentence.find(";", marker_at)
    clause = sentence[start : end if end != -1 else len(sentence)].strip()
    if len(clause) <= limit:
        return clause
    rel = marker_at - start
    lo = max(0, rel - limit * 2 // 3)
    piece = clause[lo : lo + limit]
    if lo > 0 and " " in piece:
        piece = piece.split(" ", 1)[1]  # start at a whole word
    return piece.strip()


def enumeration_intro(paragraph: str) -> str:
    """Return the words introducing a paragraph's numbered list ("Một số kết quả nổi bật là:")."""
    at = paragraph.find("(1)")
    if at <= 0:
        return ""
    head = paragraph[:at]
    start = max(head.rfind(". "), head.rfind("; ")) + 1
    return head[start:].strip(" :")
