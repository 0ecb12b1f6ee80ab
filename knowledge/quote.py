"""Fit quotes into a length budget, keeping the part that answers the question."""

from __future__ import annotations

import re
from collections import Counter

from knowledge.text import fold

ELLIPSIS = "…"


def fit_quotes(texts: list[str], words: list[str], budget: int) -> list[str]:
    """Return the texts, each cut around the question's words so all fit in budget."""
    if sum(len(t) for t in texts) <= budget:
        return list(texts)
    limits = _share(texts, budget)
    return [window(t, words, limit) for t, limit in zip(texts, limits, strict=True)]


def _share(texts: list[str], budget: int) -> list[int]:
    """Split the budget: short texts keep their length, long ones share the rest."""
    limits = [0] * len(texts)
    left, pending = budget, sorted(range(len(texts)), key=lambda i: len(texts[i]))
    while pending:
        fair = left // len(pending)
        i = pending.pop(0)
        limits[i] = min(len(texts[i]), fair)
        left -= limits[i]
    return limits


def window(text: str, words: list[str], limit: int) -> str:
    """Return the stretch of text of at most `limit` characters richest in words."""
    if len(text) <= limit:
        return text
    if limit < 40:
        return ""
    wanted = Counter(fold(w) for w in words)  # a word given n times weighs n
    tokens = list(re.finditer(r"\S+", text))
    keys = [fold(t.group(0).strip('.,;:()“”"')) for t in tokens]
    hits = [wanted.get(k) or wanted.get(k.split("-")[0], 0) for k in keys]  # "212-qđ/tw"
    best, best_hits = 0, -1
    for start in range(len(tokens)):
        end = _last_token(tokens, start, limit - 2)
        count = sum(hits[start : end + 1])
        if count > best_hits:
            best, best_hits = start, count
    end = _last_token(tokens, best, limit - 2)
    piece = text[tokens[best].start() : tokens[end].end()]
    prefix = ELLIPSIS if best > 0 else ""
    suffix = ELLIPSIS if end < len(tokens) - 1 else ""
    return prefix + piece + suffix


def _last_token(tokens: list[re.Match[str]], start: int, limit: int) -> int:
    """Return the last token index such that tokens start..end fit in limit chars."""
    end = start
    origin = tokens[start].start()
    while end + 1 < len(tokens) and tokens[end + 1].end() - origin <= limit:
        end += 1
    return end
