"""STUB search index."""

from __future__ import annotations

from knowledge.model import Passage


class SearchIndex:
    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
