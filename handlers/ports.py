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

    def answer(self, question: str) -> Answer: ...

    def tasks(self) -> list[Task]: ...

    def find_task(self, code: str) -> Task | None: ...

    def close_codes(self, code: str) -> list[str]: ...

    def deadlines(self) -> list[Deadline]: ...
