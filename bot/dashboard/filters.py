"""The overview's filters, read from the query string (a GET form: works without JavaScript):
subtree, task group, status, unit search, page, and the directive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from storage.queries.group_matrix import Tally
from storage.queries.matrix import TreeUnit
from storage.status import fold

FIELD_MAX = 64
PAGE_MAX = 10_000
#: status filter → what it keeps, over the cells shown (the `label`s are in the template).
STATUSES = ("", "thieu", "chua", "du", "xong")


@dataclass(frozen=True)
class Filters:
    """What the viewer asked to see."""

    root: str = ""  # a unit code: only its subtree
    group: str = ""  # a task group ("3"): its tasks as columns
    status: str = ""  # one of STATUSES
    search: str = ""  # in a unit's code or name, with or without diacritics
    page: int = 1
    directive: str = ""  # `vb`: another directive than the current one (app.Base.directive)

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Filters:
        """Read the filters from a query string; anything unknown is ignored."""
        status = query.get("tt", "").strip()
        return cls(
            root=query.get("goc", "").strip()[:FIELD_MAX],
            group=query.get("nhom", "").strip()[:FIELD_MAX],
            status=status if status in STATUSES else "",
            search=query.get("q", "").strip()[:FIELD_MAX],
            page=_page(query.get("trang", "")),
            directive=query.get("vb", "").strip()[:FIELD_MAX],
        )

    @property
    def narrowed(self) -> bool:
        """Tell whether any filter but the page is set."""
        return bool(self.root or self.group or self.status or self.search)

    def query(self, **changes: Any) -> str:
        """Return these filters (changed) as a query string, empty fields left out."""
        shown = replace(self, **changes)
        pairs = {
            "goc": shown.root,
            "nhom": shown.group,
            "tt": shown.status,
            "q": shown.search,
            "trang": shown.page if shown.page > 1 else "",
            "vb": shown.directive,
        }
        return urlencode({key: value for key, value in pairs.items() if value})


def _page(text: str) -> int:
    """Return a page number (1 when missing or not a positive number)."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        return 1
    return min(int(text), PAGE_MAX)


def matching(units: Sequence[TreeUnit], search: str) -> list[TreeUnit]:
    """Return the units whose code or name contains `search` (accents and case ignored)."""
    wanted = fold(search)
    if not wanted:
        return list(units)
    return [unit for unit in units if wanted in fold(unit.code) or wanted in fold(unit.name)]


def keeps(status: str, total: Tally) -> bool:
    """Tell whether a row whose shown cells sum to `total` passes the status filter."""
    if status == "thieu":
        return total.missing > 0
    if status == "chua":
        return total.applicable > 0 and total.missing == total.applicable
    if status == "du":
        return total.applicable > 0 and total.missing == 0
    if status == "xong":
        return total.applicable > 0 and total.done == total.applicable
    return True
