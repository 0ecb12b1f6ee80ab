"""Who must report, from chat (admins): /phamvi narrows a task to some levels or units
(or back to every unit), /mien exempts a unit over a date range (lists, removes). The
same parsers as the CLI (handlers/scope_input.py) and the same audited storage writes
(storage/queries/applicability.py); bad input changes nothing and says why."""

from __future__ import annotations

from datetime import tzinfo

from handlers import texts
from handlers.inputs import fold, fold_word, parse_code
from handlers.ports import KnowledgeBase
from handlers.render import replies, shorten
from handlers.scope_input import (
    REASON_MAX,
    BadInput,
    clean_reason,
    level_of,
    parse_exemption_id,
    parse_span,
)
from handlers.turn import Turn
from handlers.types import Reply
from storage.models import Unit
from storage.queries.applicability import (
    add_exemption,
    clear_task_scope,
    get_task_scope,
    list_exemptions,
    list_task_scopes,
    remove_exemption,
    set_task_scope,
)
from storage.queries.units import get_unit, unit_ids_by_code

#: What an admin types after a task code to make it apply to every unit again (folded).
EVERY_UNIT = frozenset({"tatca", "moidonvi", "xoa"})
REMOVE = frozenset({"xoa", "bo"})  # /mien xoa 3
LIST_LIMIT = 50  # exemptions listed in one answer
TITLE_CHARS = 40


def refused(error: BadInput) -> str:
    """Return the chat's words for input the shared parsers refused."""
    return {
        "level": texts.SCOPE_WORD_BAD.format(value=error.value),
        "units": texts.SCOPE_USAGE,
        "day": texts.EXEMPT_DAY_BAD.format(value=error.value),
        "span": texts.EXEMPT_SPAN_BAD,
        "reason": texts.EXEMPT_REASON_BAD.format(limit=REASON_MAX),
        "id": texts.EXEMPT_ID_BAD.format(value=error.value),
    }[error.kind]


def describe(levels: list[str], units: list[str]) -> str:
    """Return a scope in words."""
    if not levels and not units:
        return texts.SCOPE_ALL_UNITS
    names = ", ".join(texts.SCOPE_LEVEL_NAMES.get(level, level) for level in levels)
    parts = [texts.SCOPE_LEVELS.format(levels=names)] if levels else []
    if units:
        parts.append(texts.SCOPE_UNITS.format(units=", ".join(units)))
    return "; ".join(parts)


class WhoReports:
    """The admins' chat commands that decide who must report."""

    def __init__(self, library: KnowledgeBase, timezone: tzinfo) -> None:
        self.library = library
        self.timezone = timezone

    @property
    def document(self) -> str:
        return self.library.default.number

    def title(self, code: str) -> str:
        """Return a task's short title, or ""."""
        task = self.library.find_task(code)
        return shorten(task.label, TITLE_CHARS) if task else ""

    async def scope(self, turn: Turn, arg: str) -> list[Reply]:
        """/phamvi: list narrowed tasks, show one, narrow it, or widen it to every unit."""
        words = arg.replace(",", " ").split()
        if not words:
            return await self.list_scopes(turn)
        code = parse_code(words[0])
        task = self.library.find_task(code) if code else None
        if task is None:
            return [Reply(texts.REPORT_UNKNOWN_TASK.format(code=shorten(words[0], 20)))]
        if task.children:
            return [Reply(texts.SCOPE_GROUP.format(code=task.code))]
        rest = words[1:]
        if not rest:
            levels, units = await get_task_scope(
                turn.session, task_code=task.code, document=self.document
            )
            scope = describe(levels, units)
            return [Reply(texts.SCOPE_SHOW.format(code=task.code, title=task.label, scope=scope))]
        if fold_word("".join(rest)) in EVERY_UNIT:
            cleared = await clear_task_scope(
                turn.session, task_code=task.code, actor=turn.actor, document=self.document
            )
            done = texts.SCOPE_CLEARED if cleared else texts.SCOPE_ALREADY_ALL
            return [Reply(done.format(code=task.code))]
        levels = sorted({level for word in rest if (level := level_of(word))})
        codes = [word for word in rest if level_of(word) is None]
        ids = await unit_ids_by_code(turn.session, codes=codes)
        unknown = [word for word in codes if word not in ids]
        if unknown:
            return [Reply(refused(BadInput("level", shorten(unknown[0], 30))))]
        await set_task_scope(
            turn.session,
            task_code=task.code,
            levels=levels,
            unit_ids=list(ids.values()),
            actor=turn.actor,
            document=self.document,
        )
        levels, units = await get_task_scope(
            turn.session, task_code=task.code, document=self.document
        )
        return [Reply(texts.SCOPE_SET.format(code=task.code, scope=describe(levels, units)))]

    async def list_scopes(self, turn: Turn) -> list[Reply]:
        """List every narrowed task (defaults included), then how to change one."""
        scopes = await list_task_scopes(turn.session, document=self.document)
        if not scopes:
            return replies(f"{texts.SCOPE_NONE}\n\n{texts.SCOPE_USAGE}")
        lines = [texts.SCOPE_LIST_HEAD.format(count=len(scopes))]
        lines += [
            texts.SCOPE_LINE.format(code=code, title=self.title(code), scope=describe(lv, us))
            for code, (lv, us) in scopes.items()
        ]
        return replies("\n".join([*lines, "", texts.SCOPE_USAGE]))

    async def exempt(self, turn: Turn, arg: str) -> list[Reply]:
        """/mien: list exemptions (of one unit), add one, or remove one by its number."""
        words = arg.split()
        if not words:
            return await self.list_exemptions(turn, None)
        if fold(words[0]) in REMOVE and len(words) == 2:
            return await self.remove(turn, words[1])
        unit = await get_unit(turn.session, code=words[0])
        if unit is None or unit.id is None:
            return [Reply(texts.UNKNOWN_UNIT.format(code=shorten(words[0], 30)))]
        if len(words) == 1:
            return await self.list_exemptions(turn, unit)
        if len(words) < 4:
            return [Reply(texts.EXEMPT_USAGE)]
        try:
            start, end = parse_span(words[1], words[2])
            reason = clean_reason(" ".join(words[3:]))
        except BadInput as error:
            return [Reply(refused(error))]
        row = await add_exemption(
            turn.session,
            unit_id=unit.id,
            starts_on=start,
            ends_on=end,
            reason=reason,
            actor=turn.actor,
        )
        lines = [
            texts.EXEMPT_ADDED.format(
                id=row.id, code=unit.code, start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}"
            )
        ]
        if end < turn.now.astimezone(self.timezone).date():
            lines.append(texts.EXEMPT_PAST)
        return [Reply("\n".join(lines))]

    async def remove(self, turn: Turn, value: str) -> list[Reply]:
        """Remove an exemption by its number."""
        try:
            number = parse_exemption_id(value)
        except BadInput as error:
            return [Reply(refused(error))]
        if not await remove_exemption(turn.session, exemption_id=number, actor=turn.actor):
            return [Reply(texts.EXEMPT_NOT_FOUND.format(id=number))]
        return [Reply(texts.EXEMPT_REMOVED.format(id=number))]

    async def list_exemptions(self, turn: Turn, unit: Unit | None) -> list[Reply]:
        """List the exemptions (one unit's), then how to add or remove one."""
        rows = await list_exemptions(turn.session, unit_id=unit.id if unit else None)
        if not rows:
            empty = texts.EXEMPT_NONE_FOR.format(unit=unit.code) if unit else texts.EXEMPT_NONE
            return replies(f"{empty}\n\n{texts.EXEMPT_USAGE}")
        lines = [texts.EXEMPT_LIST_HEAD.format(count=len(rows))]
        lines += [
            texts.EXEMPT_LINE.format(
                id=row.id,
                unit=unit_code,
                start=f"{row.starts_on:%d/%m/%Y}",
                end=f"{row.ends_on:%d/%m/%Y}",
                reason=shorten(row.reason, 80),
            )
            for row, unit_code in rows[:LIST_LIMIT]
        ]
        if len(rows) > LIST_LIMIT:
            lines.append(texts.EXEMPT_MORE.format(count=len(rows) - LIST_LIMIT))
        return replies("\n".join([*lines, "", texts.EXEMPT_USAGE]))
