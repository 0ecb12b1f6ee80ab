"""Broadcast audiences as people pick them: the choices, their names, the words that pick
them, and the period "incomplete" is measured against. Chat (/phatthanh) and the web
(/phat-thanh) both use these; who is in each audience is `storage.queries.recipients`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import texts
from handlers.ports import KnowledgeBase
from knowledge.periods import period_of
from knowledge.text import fold
from storage.queries.completion import Window
from storage.queries.recipients import UNIT_AUDIENCE, Recipient, Reporting, audience

#: The choices, in the order shown: all, leaders, incomplete units, one unit's subtree.
CHOICES = ("all", "leaders", "incomplete", "unit")
#: Typed words (folded) that pick a choice, beyond its label.
WORDS = {
    "all": ("tat ca", "moi nguoi", "toan bo", "ca"),
    "leaders": ("lanh dao", "lanh dao don vi", "lanh dao cac don vi"),
    "incomplete": ("chua bao cao", "chua bao cao du", "chua du", "chua xong"),
    "unit": ("don vi", "mot don vi", "cay don vi", "cap duoi"),
}


def label(choice: str) -> str:
    """Return how a choice is shown on its button."""
    return texts.AUDIENCE_LABELS[choice]


def describe(chosen: str) -> str:
    """Return who an audience is, in Vietnamese ("unit:HU-PM" → its subtree's leaders)."""
    if chosen.startswith(UNIT_AUDIENCE):
        return texts.AUDIENCE_OF_UNIT.format(code=chosen.removeprefix(UNIT_AUDIENCE))
    return texts.AUDIENCE_NAMES[chosen]


def choice_of(text: str) -> str | None:
    """Return the choice typed words stand for, or None."""
    typed = fold(text.strip().rstrip(".!"))
    for choice in CHOICES:
        if typed == fold(label(choice)) or typed in WORDS[choice]:
            return choice
    return None


def reporting_at(library: KnowledgeBase, zone: tzinfo, now: datetime) -> Reporting:
    """Return the reporting period in force at `now` (the users' date) and its leaf tasks."""
    window = Window.of(period_of(now.astimezone(zone).date()), zone, now=now)
    codes = tuple(task.code for task in library.tasks() if not task.children)
    return Reporting(window, codes, library.default.number)


async def recipients_of(
    session: AsyncSession, *, chosen: str, library: KnowledgeBase, zone: tzinfo, now: datetime
) -> list[Recipient]:
    """Return who receives a broadcast to `chosen` now (raises as `audience` does)."""
    reporting = reporting_at(library, zone, now) if chosen == "incomplete" else None
    return await audience(session, audience=chosen, reporting=reporting)
