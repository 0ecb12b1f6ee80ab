"""Who has reported what this period: /chuabaocao, its drill-downs, and the completion part
of /tiendo. A unit is complete when it reported every task that applies to it in the
period (storage/queries/completion.py); nothing here ever says "all reported" while any
unit in scope misses a task.
"""

from __future__ import annotations

from datetime import tzinfo

from handlers import payloads, texts
from handlers.ports import KnowledgeBase
from handlers.render import button_rows, replies, shorten
from handlers.tasks import directive_name, tasks_of
from handlers.turn import Turn
from handlers.types import Button, Reply
from knowledge import Task
from knowledge.periods import last_periods, period_of
from storage.models import Unit
from storage.queries.completion import (
    Completion,
    Window,
    completion,
    missing_tasks,
    trend,
    units_missing_task,
)

LIST_LIMIT = 50  # units listed in one answer; the rest are counted (full list: /xuat)
DRILL_BUTTONS = 4  # units, and tasks, offered as drill-down buttons
TITLE_CHARS = 34  # a task's title in a list line
TREND_PERIODS = 4
LOWEST_UNITS = 10  # units listed in /tiendo's completion, lowest rate first


def percent(rate: float) -> int:
    """Return a rate as a whole percent."""
    return round(rate * 100)


class Standing:
    """The period's completion, scoped as the views are: admins all, parents their subtree."""

    def __init__(self, library: KnowledgeBase, timezone: tzinfo) -> None:
        self.library = library
        self.timezone = timezone

    @property
    def document(self) -> str:
        return self.library.default.number

    def codes(self, document: str = "") -> list[str]:
        """Return the reportable (leaf) task codes of a directive (by number, the current
        one by default), in directive order."""
        return [t.code for t in tasks_of(self.library, document) if not t.children]

    def title(self, code: str, limit: int = TITLE_CHARS, document: str = "") -> str:
        """Return a task's short title (its label without due phrases)."""
        task = self.library.find_task(self.library.qualified(code, document or self.document))
        return shorten(task.label, limit) if task else ""

    def window(self, turn: Turn) -> Window:
        """Return the period in force for the sender's local date."""
        today = turn.now.astimezone(self.timezone).date()
        return Window.of(period_of(today), self.timezone, now=turn.now)

    async def summary(self, turn: Turn, unit: Unit | None, document: str = "") -> list[Reply]:
        """Answer /chuabaocao for an admin (unit None) or a parent unit's leader, on a
        directive (by number; the current one by default)."""
        window = self.window(turn)
        number = document or self.document
        other = number != self.document  # another directive: named, its codes qualified
        state = await self.standing(turn, unit, window, number)
        label = window.period.label
        total = len(state.units)
        if not total and not state.exempt:
            return [Reply(texts.NO_UNITS)]
        exempt = texts.PERIOD_EXEMPT_NOTE.format(count=state.exempt) if state.exempt else ""
        head = texts.PERIOD_COMPLETE_HEAD.format(
            complete=state.complete, total=total, period=label, exempt=exempt
        )
        if other:
            named = texts.DIRECTIVE_LINE.format(document=directive_name(self.library, number))
            head = f"{named}\n{head}"
        late = state.incomplete
        if not late:
            return [Reply(head)]
        lines = [head, texts.PERIOD_MISSING_HEAD.format(count=len(late))]
        lines += [
            texts.PERIOD_MISSING_LINE.format(
                code=u.code, name=u.name, missing=u.missing, applicable=u.applicable
            )
            for u in late[:LIST_LIMIT]
        ]
        if len(late) > LIST_LIMIT:
            lines.append(texts.MORE_UNITS.format(count=len(late) - LIST_LIMIT))
        tasks = sorted(
            (t for t in state.tasks if t.applicable > t.reported),
            key=lambda t: t.reported - t.applicable,
        )
        buttons = [  # a unit's drill-down reads the current directive
            Button(
                texts.BUTTON_UNIT_MISSING.format(code=u.code, missing=u.missing),
                payloads.missing_unit(u.unit_id),
            )
            for u in ([] if other else late[:DRILL_BUTTONS])
        ]
        shown = [(t, self.library.qualified(t.task_code, number)) for t in tasks[:DRILL_BUTTONS]]
        buttons += [
            Button(
                texts.BUTTON_TASK_MISSING.format(code=code, count=t.applicable - t.reported),
                payloads.missing_task(code),
            )
            for t, code in shown
        ]
        lines.append(texts.PERIOD_DRILL_TASK_HINT if other else texts.PERIOD_DRILL_HINT)
        return replies("\n".join(lines), button_rows(buttons))

    async def standing(
        self, turn: Turn, unit: Unit | None, window: Window, document: str
    ) -> Completion:
        """Return a directive's completion over the sender's scope (a parent: its units
        below)."""
        return await completion(
            turn.session,
            window=window,
            task_codes=self.codes(document),
            document=document,
            root_id=unit.id if unit else None,
            with_root=unit is None,
        )

    async def own(self, turn: Turn, unit: Unit, *, tap: bool, document: str = "") -> list[Reply]:
        """List a unit's missing tasks of a directive (the current one by default); `tap`:
        its own leader gets one report button each (none for an archived directive)."""
        window = self.window(turn)
        number = document or self.document
        name = f"{unit.code} — {unit.name}"
        label = window.period.label
        missing = await missing_tasks(
            turn.session,
            unit_id=unit.id or 0,
            window=window,
            task_codes=self.codes(number),
            document=number,
        )
        other = number != self.document  # another directive: named, its codes qualified
        named = [texts.DIRECTIVE_LINE.format(document=directive_name(self.library, number))]
        head = named if other else []
        if missing is None:
            return [Reply("\n".join([*head, texts.UNIT_EXEMPT.format(unit=name, period=label)]))]
        if not missing:
            done = texts.UNIT_COMPLETE.format(unit=name, period=label)
            return [Reply("\n".join([*head, done]))]
        shown = {c: self.library.qualified(c, number) for c in missing}
        lines = [
            *head,
            texts.UNIT_MISSING_HEAD.format(unit=name, count=len(missing), period=label),
        ]
        lines += [
            texts.UNIT_MISSING_LINE.format(code=shown[c], title=self.title(c, 60, number))
            for c in missing
        ]
        buttons: list[list[Button]] = []
        if tap and number not in self.library.archived:
            lines.append(texts.UNIT_MISSING_TAP)
            buttons = button_rows(
                [
                    Button(
                        texts.BUTTON_REPORT_TASK.format(
                            code=shown[c], title=self.title(c, 24, number)
                        ),
                        payloads.report("t", shown[c]),
                    )
                    for c in missing
                ],
                per_row=1,
            )
        return replies("\n".join(lines), buttons)

    async def task(self, turn: Turn, unit: Unit | None, task: Task) -> list[Reply]:
        """List the units in the sender's scope that have not reported one task (of its own
        directive, current or not) this period."""
        window = self.window(turn)
        units = await units_missing_task(
            turn.session,
            task_code=task.code,
            window=window,
            document=task.document,
            root_id=unit.id if unit else None,
            with_root=unit is None,
        )
        label = window.period.label
        title = shorten(task.label, 80)
        code = self.library.qualified(task.code, task.document)
        if not units:
            return [Reply(texts.TASK_NONE_MISSING.format(code=code, title=title, period=label))]
        lines = [
            texts.TASK_MISSING_HEAD.format(code=code, title=title, count=len(units), period=label)
        ]
        lines += [
            texts.NOT_REPORTED_LINE.format(code=u.code, name=u.name) for u in units[:LIST_LIMIT]
        ]
        if len(units) > LIST_LIMIT:
            lines.append(texts.MORE_UNITS.format(count=len(units) - LIST_LIMIT))
        return replies("\n".join(lines))

    async def rates(self, turn: Turn, unit: Unit | None) -> str:
        """Return /tiendo's completion text: overall, trend, per task, lowest units ("" when
        no unit is counted)."""
        today = turn.now.astimezone(self.timezone).date()
        windows = [
            Window.of(p, self.timezone, now=turn.now) for p in last_periods(today, TREND_PERIODS)
        ]
        history = await trend(
            turn.session,
            windows=windows,
            task_codes=self.codes(),
            document=self.document,
            root_id=unit.id if unit else None,
            with_root=unit is None,
        )
        state = history[-1]
        if not state.units:
            return ""
        scope = f"{unit.code}" if unit else texts.SCOPE_ALL
        lines = [
            texts.COMPLETION_HEAD.format(
                period=state.period.label,
                scope=scope,
                rate=percent(state.rate),
                complete=state.complete,
                total=len(state.units),
            ),
            texts.COMPLETION_TREND.format(
                items=" → ".join(
                    texts.COMPLETION_TREND_ITEM.format(period=c.period.label, rate=percent(c.rate))
                    for c in history
                )
            ),
            texts.COMPLETION_TASKS,
        ]
        lines += [
            texts.COMPLETION_TASK_LINE.format(
                code=t.task_code,
                title=self.title(t.task_code),
                reported=t.reported,
                applicable=t.applicable,
                rate=percent(t.rate),
            )
            for t in state.tasks
            if t.applicable
        ]
        lowest = sorted(state.units, key=lambda u: (u.rate, u.code))[:LOWEST_UNITS]
        if lowest:
            lines.append(texts.COMPLETION_UNITS.format(count=len(lowest), total=len(state.units)))
            lines += [
                texts.COMPLETION_UNIT_LINE.format(
                    code=u.code, reported=u.reported, applicable=u.applicable, rate=percent(u.rate)
                )
                for u in lowest
            ]
        return "\n".join(lines)
