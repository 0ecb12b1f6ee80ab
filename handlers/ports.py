"""What handlers need from the outside world, as small protocols."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge import Answer, Deadline, Document, Task

Clock = Callable[[], datetime]  # returns an aware datetime
Sessions = async_sessionmaker[AsyncSession]  # opens a database session per update


class KnowledgeBase(Protocol):
    """The part of `knowledge.Library` the conversation uses."""

    @property
    def default(self) -> Document: ...

    @property
    def documents(self) -> list[Document]:
        """Every document loaded, the current one first."""
        ...

    @property
    def archived(self) -> frozenset[str]:
        """The numbers of the archived directives: kept for history, out of menus and reports."""
        ...

    def answer(self, question: str) -> Answer: ...

    def tasks(self) -> list[Task]: ...

    def find_task(self, code: str) -> Task | None:
        """Return a task by code: bare (the current directive) or qualified ("09-KL:3.3")."""
        ...

    def qualified(self, code: str, number: str) -> str:
        """Return a task code as shown: bare for the current directive, else "09-KL:3.3"."""
        ...

    def close_codes(self, code: str, number: str | None = None) -> list[str]:
        """Return the task codes nearest to an unknown one, of a directive (the current)."""
        ...

    def match_tasks(self, text: str) -> list[tuple[str, float]]: ...

    def deadlines(self) -> list[Deadline]: ...


class Meter(Protocol):
    """What the conversation counts for monitoring (bot/metrics.py implements it)."""

    def question(self, found: bool) -> None:
        """Count one question, answered from the directive or not found."""

    def report_stored(self) -> None:
        """Count one progress report stored."""


class NoMeter:
    """A Meter that counts nothing (tests, the CLI)."""

    def question(self, found: bool) -> None:
        """Count nothing."""

    def report_stored(self) -> None:
        """Count nothing."""
