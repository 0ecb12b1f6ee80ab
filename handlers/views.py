"""What the committee and leaders see: /tiendo, /lichsu, /chuabaocao, /xuat, /bieudo.

Who sees what is the turn's scope (handlers/scope.py): an admin sees every unit; a leader
sees their own unit and the units under it; the router refuses the rest, and group chats.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from handlers import texts
from handlers.inputs import parse_any_code, parse_code
from handlers.ports import KnowledgeBase
from handlers.render import replies, shorten
from handlers.standing import Standing
from handlers.tasks import directive_name, find_directive, tasks_of
from handlers.turn import Turn
from handlers.types import Reply, ReplyFile
from knowledge.library import short_number
from knowledge.periods import last_periods
from storage.chart import completion_chart
from storage.export import EXPORT_PERIODS, write_xlsx
from storage.models import ProgressUpdate, Unit
from storage.queries.matrix import Span, period_report
from storage.queries.progress import latest_for_task, latest_for_unit, task_history
from storage.queries.summary import (
    TaskOverview,
    count_units,
    export_rows,
    overview,
    units_not_reported,
)
from storage.queries.units import get_unit, get_unit_by_id, list_children
from storage.status import SILENT_LABEL, STATUS_LABELS, Status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTE_SHOWN = 60  # characters of a note in a list
# Order of a task's units: those needing help first.
_ATTENTION = [Status.STUCK, Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE]
LIST_LIMIT = 50  # units listed in one answer; the rest are counted (full list: /xuat)


class Views:
    """Progress views over the database, scoped to what the sender may see."""

    def __init__(self, library: KnowledgeBase, timezone: tzinfo) -> None:
        self.library = library
        self.timezone = timezone
        self.standing = Standing(library, timezone)

    @property
    def document(self) -> str:
        return self.library.default.number

    def codes(self) -> list[str]:
        """Return the reportable task codes, in directive order."""
        return [t.code for t in self.library.tasks() if not t.children]

    async def progress(self, turn: Turn, arg: str) -> list[Reply]:
        """Show a unit's latest status per task, the committee's overview, or one task."""
        unit = turn.scope.root  # the router checked the sender sees some units
        if arg.strip():
            return await self.one_task(turn, unit, arg)
        if unit is not None and not await list_children(turn.session, unit_id=unit.id or 0):
            return await self.own_unit(turn, unit)
        rates = await self.standing.rates(turn, unit)
        return [*(replies(rates) if rates else []), *await self.overview(turn, unit)]

    async def own_unit(self, turn: Turn, unit: Unit) -> list[Reply]:
        """List a unit's current report on each task."""
        rows = await latest_for_unit(turn.session, unit_id=unit.id or 0, document=self.document)
        if not rows:
            return [Reply(texts.UNIT_PROGRESS_EMPTY.format(unit=_name(unit)))]
        head = texts.UNIT_PROGRESS_HEADER.format(
            unit=_name(unit), reported=len(rows), total=len(self.codes())
        )
        lines = [
            texts.UNIT_PROGRESS_LINE.format(
                code=r.task_code, status=_status(r), percent=_percent(r), when=self.when(r)
            )
            for r in rows
        ]
        return replies("\n".join([head, *lines]))

    async def overview(self, turn: Turn, unit: Unit | None) -> list[Reply]:
        """Count units per status for every task, over all units or a leader's subtree."""
        root = unit.id if unit else None
        total = await count_units(turn.session, root_id=root)
        if not total:
            return [Reply(texts.NO_UNITS)]
        items = await overview(
            turn.session, document=self.document, root_id=root, task_codes=self.codes()
        )
        head = texts.OVERVIEW_HEADER.format(
            scope=_name(unit) if unit else texts.SCOPE_ALL, units=total
        )
        lines = [
            texts.OVERVIEW_LINE.format(
                code=i.task_code,
                done=i.done,
                in_progress=i.in_progress,
                not_started=i.not_started,
                stuck=i.stuck,
                silent=i.silent,
            )
            for i in items
        ]
        return replies("\n".join([head, *lines]))

    async def one_task(self, turn: Turn, unit: Unit | None, arg: str) -> list[Reply]:
        """Show one task across the units the sender may see."""
        code = parse_any_code(arg.split()[0])
        task = self.library.find_task(code) if code else None
        if task is None:
            return [Reply(texts.REPORT_UNKNOWN_TASK.format(code=shorten(arg, 20)))]
        document = task.document  # "09-KL:3.3": Kết luận 09's task, whichever is current
        root = unit.id if unit else None
        rows = await latest_for_task(
            turn.session, task_code=task.code, document=document, root_id=root
        )
        [counts] = await overview(
            turn.session, document=document, root_id=root, task_codes=[task.code]
        )
        head = texts.TASK_ACROSS_HEADER.format(
            code=self.library.qualified(task.code, document),
            title=shorten(task.title, 120),
            units=counts.total,
            done=counts.done,
            in_progress=counts.in_progress,
            not_started=counts.not_started,
            stuck=counts.stuck,
            silent=counts.silent,
        )
        rows.sort(key=lambda pair: _ATTENTION.index(Status(pair[1].status)))
        lines = [
            texts.TASK_ACROSS_LINE.format(
                unit=_name(u), status=_status(r), percent=_percent(r), note=_note(r)
            )
            for u, r in rows[:LIST_LIMIT]
        ]
        if len(lines) < LIST_LIMIT and counts.silent:
            silent = await units_not_reported(
                turn.session, document=document, task_code=task.code, root_id=root
            )
            lines += [
                texts.TASK_ACROSS_LINE.format(
                    unit=_name(u), status=SILENT_LABEL, percent="", note=""
                )
                for u in silent[: LIST_LIMIT - len(lines)]
            ]
        if counts.total > len(lines):
            lines.append(texts.MORE_UNITS.format(count=counts.total - len(lines)))
        return replies("\n".join([head, *lines]))

    async def history(self, turn: Turn, arg: str) -> list[Reply]:
        """Show every report of one unit on one task, newest first."""
        unit = turn.scope.root  # the router checked the sender sees some units
        parts = arg.split()
        code = parse_any_code(parts[0]) if parts else None
        task = self.library.find_task(code) if code else None
        if task is None:
            return [Reply(texts.HISTORY_USAGE)]
        code = self.library.qualified(task.code, task.document)
        if len(parts) > 1:
            other = await get_unit(turn.session, code=parts[1].upper())
            if other is None:
                return [Reply(texts.UNKNOWN_UNIT.format(code=shorten(parts[1], 30)))]
            if not await self.may_see(turn, unit, other):
                return [Reply(texts.OUTSIDE_SCOPE.format(code=other.code))]
            unit = other
        if unit is None:
            return [Reply(texts.HISTORY_USAGE)]
        rows = await task_history(
            turn.session, unit_id=unit.id or 0, task_code=task.code, document=task.document
        )
        if not rows:
            return [Reply(texts.HISTORY_EMPTY.format(unit=_name(unit), code=code))]
        lines = [texts.HISTORY_HEADER.format(code=code, unit=_name(unit))]
        lines += [
            texts.HISTORY_LINE.format(
                when=self.when(r),
                status=_status(r),
                percent=_percent(r),
                note=_note(r),
                who=texts.HISTORY_WHO.format(name=name) if name else "",
            )
            for r, name in rows
        ]
        return replies("\n".join(lines))

    async def may_see(self, turn: Turn, unit: Unit | None, other: Unit) -> bool:
        """Tell whether the sender may see another unit: admins all, leaders their subtree."""
        if turn.scope.all_units or unit is None:
            return turn.scope.all_units
        seen: Unit | None = other
        while seen is not None:
            if seen.id == unit.id:
                return True
            seen = (
                await get_unit_by_id(turn.session, unit_id=seen.parent_id)
                if seen.parent_id
                else None
            )
        return False

    async def not_reported(self, turn: Turn, arg: str) -> list[Reply]:
        """Who has not reported this period: units missing tasks, or one task's units;
        a leader of a unit with no units below sees its own missing tasks."""
        unit = turn.scope.root  # the router checked the sender sees some units
        task, document = None, ""
        if arg.strip():  # "3.3", "09-KL:3.3" (a task of another directive), or "09-KL"
            word = arg.split()[0]
            code = parse_any_code(word)
            task = self.library.find_task(code) if code else None
            named = find_directive(self.library, word) if code is None else None
            if task is None and named is None:
                return [Reply(texts.REPORT_UNKNOWN_TASK.format(code=shorten(arg, 20)))]
            document = task.document if task is not None else named.number if named else ""
        if unit is not None and not await list_children(turn.session, unit_id=unit.id or 0):
            return await self.standing.own(turn, unit, tap=True, document=document)
        if task is not None:
            return await self.standing.task(turn, unit, task)
        return await self.standing.summary(turn, unit, document)

    async def missing_of(self, turn: Turn, unit_id: int) -> list[Reply]:
        """Drill into one unit in the sender's scope: its missing tasks this period."""
        unit = turn.scope.root  # the router checked the sender sees some units
        other = await get_unit_by_id(turn.session, unit_id=unit_id)
        if other is None or not await self.may_see(turn, unit, other):
            return [Reply(texts.UNKNOWN_UNIT.format(code=unit_id))]
        return await self.standing.own(
            turn, other, tap=turn.scope.unit is not None and other.id == turn.scope.unit.id
        )

    async def export(self, turn: Turn, arg: str) -> list[Reply]:
        """Send an Excel file of the units the sender may see: reports, matrix, periods; of
        the current directive, or of the one named (`/xuat 09-KL`)."""
        unit = turn.scope.root  # the router checked the sender sees some units
        named = arg.split()[0].partition(":")[0] if arg.strip() else ""
        document = self.document
        if named and parse_code(named) is None:  # "3.3" (typed words) names no directive
            found = find_directive(self.library, named)
            if found is None:
                return [Reply(texts.EXPORT_UNKNOWN_DIRECTIVE.format(name=shorten(named, 20)))]
            document = found.number
        root = unit.id if unit else None
        now = turn.now.astimezone(self.timezone)
        codes = self.standing.codes(document)
        rows = await export_rows(turn.session, document=document, root_id=root)
        items = await overview(turn.session, document=document, root_id=root, task_codes=codes)
        spans = Span.of_periods(last_periods(now.date(), EXPORT_PERIODS), self.timezone)
        periods = await period_report(
            turn.session, task_codes=codes, spans=spans, document=document, root_id=root
        )
        titles = {t.code: t.title for t in tasks_of(self.library, document)}
        content = write_xlsx(rows, task_titles=titles, overview=items, periods=periods)
        scope = unit.code if unit else "*"
        await turn.audit("progress.export", "xlsx", rows=len(rows), scope=scope, document=document)
        other = "" if document == self.document else f"{short_number(document)}-"
        name = f"tien-do-{other}{now:%Y%m%d-%H%M}.xlsx"
        text = texts.EXPORT_READY.format(
            scope=_name(unit) if unit else texts.SCOPE_ALL,
            rows=len(rows),
            when=f"{now:%d/%m/%Y %H:%M}",
            document=directive_name(self.library, document),
        )
        return [Reply(text, file=ReplyFile(name, content, XLSX))]

    async def chart(self, turn: Turn, arg: str) -> list[Reply]:
        """Send a bar chart of completion per task group (admins: all; leaders: their subtree)."""
        unit = turn.scope.root  # the router checked the sender sees some units
        root = unit.id if unit else None
        items = await overview(
            turn.session, document=self.document, root_id=root, task_codes=self.codes()
        )
        scope = _name(unit) if unit else texts.SCOPE_ALL
        png = chart_png(self.library, items, scope=scope)
        return [
            Reply(
                texts.CHART_READY.format(scope=scope),
                file=ReplyFile("bieu-do.png", png, "image/png", "photo"),
            )
        ]

    def when(self, row: ProgressUpdate) -> str:
        """Return when a report was made, in the users' zone."""
        return f"{row.reported_at.astimezone(self.timezone):%d/%m/%Y %H:%M}"


def chart_png(
    library: KnowledgeBase, items: Sequence[TaskOverview], *, scope: str, number: str = ""
) -> bytes:
    """Return /bieudo's PNG: completion per task group (the code before the first dot) of a
    directive (`number`; the current one by default)."""
    groups: dict[str, list[int]] = {}
    for item in items:
        done_total = groups.setdefault(item.task_code.split(".")[0], [0, 0])
        done_total[0] += item.done
        done_total[1] += item.total
    bars = [(group_label(library, g, number), d, t) for g, (d, t) in groups.items()]
    return completion_chart(bars, title=f"{texts.CHART_TITLE} — {scope}")


def group_label(library: KnowledgeBase, code: str, number: str = "") -> str:
    """Return a task group's label for the chart, e.g. '3. Về tổ chức bộ máy…'."""
    task = library.find_task(library.qualified(code, number) if number else code)
    return texts.CHART_GROUP.format(code=code, title=shorten(task.title, 40) if task else "")


def _name(unit: Unit) -> str:
    return f"{unit.code} — {unit.name}"


def _status(row: ProgressUpdate) -> str:
    return STATUS_LABELS[Status(row.status)]


def _percent(row: ProgressUpdate) -> str:
    return f" ({row.percent}%)" if row.percent is not None else ""


def _note(row: ProgressUpdate) -> str:
    return f"{texts.NOTE_SEPARATOR}{shorten(row.note, NOTE_SHOWN)}" if row.note else ""
