"""The overview's status counts: each unit's latest report per task (progress_latest).

Whether a unit has reported for the period is `storage.queries.completion`'s (the same
numbers as /chuabaocao), shown beside these on the overview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.queries.summary import TaskOverview, overview


@dataclass(frozen=True)
class Completion:
    """Per-task counts over the units in scope, and the share of (unit, task) pairs done."""

    tasks: list[TaskOverview]

    @property
    def done(self) -> int:
        """Return the (unit, task) pairs reported done."""
        return sum(task.done for task in self.tasks)

    @property
    def expected(self) -> int:
        """Return the (unit, task) pairs expected."""
        return sum(task.total for task in self.tasks)

    @property
    def percent(self) -> int:
        """Return the completion rate in whole percent (0 with nothing expected)."""
        return round(100 * self.done / self.expected) if self.expected else 0


async def completion(
    session: AsyncSession, *, document: str, task_codes: Sequence[str], root_id: int | None
) -> Completion:
    """Return the completion of these tasks over the units in scope."""
    tasks = await overview(session, document=document, task_codes=task_codes, root_id=root_id)
    return Completion(tasks)
