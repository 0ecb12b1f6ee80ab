"""The jobs APScheduler runs: module-level functions taking ids, deciding who is told what.

APScheduler stores a job as a reference to one of these functions and its arguments,
so they can't close over anything: they find the running service in `RUNTIME`, set by
the leader process (scheduler/service.py) while it leads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import payloads, texts
from handlers.ports import KnowledgeBase, Sessions
from handlers.render import shorten
from knowledge.periods import Period, period_of
from scheduler.clock import Clock
from storage.models import Deadline, Role
from storage.queries.completion import Window, completion, incomplete_children
from storage.queries.deadlines import get_deadline
from storage.queries.outbox import OutboxRow, enqueue
from storage.queries.recipients import (
    Recipient,
    leaders_not_done,
    leaders_of_incomplete_units,
    leaders_of_parents,
    overdue_by_parent,
    subscribers,
)

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the jobs need, from the service that runs them."""

    sessions: Sessions
    library: KnowledgeBase
    clock: Clock
    zone: tzinfo
    wake_sender: Callable[[], None]  # new rows are waiting


RUNTIME: Runtime | None = None
LISTED_UNITS = 50  # child units named in a parent's overdue summary; the rest are counted
LISTED_TASKS = 30  # missing tasks named in a period reminder
REPORT_BUTTONS = 10  # one-tap report buttons in a period reminder
DIGEST_UNITS = 20  # incomplete units named in the admins' weekly digest


def runtime() -> Runtime:
    """Return the running service's context (jobs only run in the leader)."""
    if RUNTIME is None:
        raise RuntimeError("reminder jobs run only inside the reminder service")
    return RUNTIME


async def fire_deadline(deadline_id: int, offset: str) -> None:
    """Remind not-done leaders (and subscribers) of a deadline, `offset` before it."""
    rt = runtime()
    async with rt.sessions() as session:
        deadline = await get_deadline(session, deadline_id=deadline_id)
        if deadline is None or deadline.removed_at is not None:
            return
        people = await leaders_not_done(
            session, document=deadline.document, task_code=deadline.task_code
        )
        people += await subscribers(session)
        text = texts.REMINDER.format(
            code=_code(rt, deadline),
            title=_title(rt, _code(rt, deadline), deadline.title),
            due=_local(deadline.due_at, rt.zone),
            left=_days_left(deadline.due_at, rt.clock.now(), rt.zone),
        )
        occasion = f"deadline:{deadline_id}:{offset}"
        await _send(rt, session, occasion, "reminder", people, lambda _: text)


async def fire_overdue(deadline_id: int, round_no: int) -> None:
    """Nag the leaders of units still not done after the due date; parents get one summary."""
    rt = runtime()
    async with rt.sessions() as session:
        deadline = await get_deadline(session, deadline_id=deadline_id)
        if deadline is None or deadline.removed_at is not None:
            return
        args = {"document": deadline.document, "task_code": deadline.task_code}
        parents = await overdue_by_parent(session, **args)
        parent_ids = {leader.member_id for leader, _ in parents}
        plain = [
            r for r in await leaders_not_done(session, **args) if r.member_id not in parent_ids
        ]
        title = _title(rt, _code(rt, deadline), deadline.title)
        due = _local(deadline.due_at, rt.zone)
        base = texts.OVERDUE_REMINDER.format(code=_code(rt, deadline), title=title, due=due)
        children = {leader.member_id: codes for leader, codes in parents}
        occasion = f"overdue:{deadline_id}:{round_no}"

        def text_for(person: Recipient) -> str:
            codes = children.get(person.member_id)
            if codes is None:
                return base
            shown = ", ".join(codes[:LISTED_UNITS])
            if len(codes) > LISTED_UNITS:
                shown += texts.AND_MORE.format(count=len(codes) - LISTED_UNITS)
            return texts.OVERDUE_SUMMARY.format(base=base, count=len(codes), units=shown)

        await _send(rt, session, occasion, "overdue", [*plain, *(p for p, _ in parents)], text_for)


async def fire_period(end: str, since: str, kinds: str) -> None:
    """Remind the leaders of units incomplete for the period, each with its missing tasks."""
    rt = runtime()
    ending = date.fromisoformat(end)
    period = period_of(ending)
    now = rt.clock.now()
    today = now.astimezone(rt.zone).date()
    window = Window.of(period, rt.zone, now=now, exempt_on=today)
    names = ", ".join(texts.PERIOD_REMINDER_NAMES.get(k, k) for k in kinds.split(","))
    async with rt.sessions() as session:
        people = await leaders_of_incomplete_units(
            session, window=window, task_codes=leaf_codes(rt.library), document=_document(rt)
        )
        missing = {person.member_id: codes for person, codes in people}

        def text_for(person: Recipient) -> str:
            return period_text(
                rt.library, missing[person.member_id], names=names, period=period, end=ending
            )

        def buttons_for(person: Recipient) -> tuple[tuple[str, str], ...]:
            return report_buttons(rt.library, missing[person.member_id])

        await _send(
            rt, session, f"period:{end}", "period", [p for p, _ in people], text_for, buttons_for
        )


async def fire_escalation(end: str) -> None:
    """Tell each parent unit's leaders, once, which of its child units are still incomplete.

    Reports made after the period ended, up to now, count (the digest is about who is
    still missing); units exempt on any day of the period are left out.
    """
    rt = runtime()
    period = period_of(date.fromisoformat(end))
    now = rt.clock.now()
    window = Window.of(period, rt.zone, now=now).until(now)
    async with rt.sessions() as session:
        children = await incomplete_children(
            session, window=window, task_codes=leaf_codes(rt.library), document=_document(rt)
        )
        people = await leaders_of_parents(session, parent_ids=children)

        def text_for(person: Recipient) -> str:
            late = children[person.unit_id or 0]
            lines = [
                texts.ESCALATION_LINE.format(code=u.code, name=u.name, missing=u.missing)
                for u in late[:LISTED_UNITS]
            ]
            if len(late) > LISTED_UNITS:
                lines.append(texts.AND_MORE.format(count=len(late) - LISTED_UNITS).strip())
            return texts.ESCALATION.format(
                period=period.label, count=len(late), units="\n".join(lines)
            )

        await _send(rt, session, f"escalate:{period.key}", "period", people, text_for)


async def fire_digest(day: str) -> None:
    """Send the admins who opted in (/nhacnho bat) the week's standing of the whole tree."""
    rt = runtime()
    on = date.fromisoformat(day)
    window = Window.of(period_of(on), rt.zone, now=rt.clock.now(), exempt_on=on)
    async with rt.sessions() as session:
        people = await subscribers(session, roles=[Role.ADMIN.value])
        if not people:
            return
        state = await completion(
            session, window=window, task_codes=leaf_codes(rt.library), document=_document(rt)
        )
        late = state.incomplete
        lines = [
            texts.ESCALATION_LINE.format(code=u.code, name=u.name, missing=u.missing)
            for u in late[:DIGEST_UNITS]
        ]
        if len(late) > DIGEST_UNITS:
            lines.append(texts.AND_MORE.format(count=len(late) - DIGEST_UNITS).strip())
        text = texts.WEEKLY_DIGEST.format(
            day=f"{on:%d/%m/%Y}",
            complete=state.complete,
            total=len(state.units),
            period=window.period.label,
            rate=round(state.rate * 100),
            units="\n".join(lines) or texts.WEEKLY_DIGEST_ALL,
        )
        await _send(rt, session, f"digest:{day}", "period", people, lambda _: text)


def period_text(
    library: KnowledgeBase, codes: list[str], *, names: str, period: Period, end: date
) -> str:
    """Return a period reminder: the period, its end and the unit's missing tasks."""
    lines = [_task_line(library, code) for code in codes[:LISTED_TASKS]]
    if len(codes) > LISTED_TASKS:
        lines.append(texts.PERIOD_REMINDER_MORE.format(count=len(codes) - LISTED_TASKS))
    return texts.PERIOD_REMINDER.format(
        periods=names,
        period=period.label,
        end=f"{end:%d/%m/%Y}",
        count=len(codes),
        tasks="\n".join(lines),
    )


def report_buttons(library: KnowledgeBase, codes: list[str]) -> tuple[tuple[str, str], ...]:
    """Return a period reminder's one-tap report buttons (the first missing tasks)."""
    return tuple(
        (
            texts.BUTTON_REPORT_TASK.format(code=c, title=_short(library, c)),
            payloads.report("t", c),
        )
        for c in codes[:REPORT_BUTTONS]
    )


def leaf_codes(library: KnowledgeBase) -> list[str]:
    """Return the reportable (leaf) task codes of the default document."""
    return [t.code for t in library.tasks() if not t.children]


def _document(rt: Runtime) -> str:
    return rt.library.default.number


def _short(library: KnowledgeBase, code: str, limit: int = 24) -> str:
    task = library.find_task(code)
    return shorten(task.label, limit) if task else ""


def _task_line(library: KnowledgeBase, code: str) -> str:
    return texts.UNIT_MISSING_LINE.format(code=code, title=_short(library, code, 60))


async def _send(
    rt: Runtime,
    session: AsyncSession,
    occasion: str,
    kind: str,
    people: Iterable[Recipient],
    text_for: Callable[[Recipient], str],
    buttons_for: Callable[[Recipient], tuple[tuple[str, str], ...]] | None = None,
) -> None:
    """Write one outbox row per recipient (once per occasion), then wake the sender."""
    items, seen = [], set()
    for person in people:
        if person.member_id in seen or not person.chat_id:
            continue
        seen.add(person.member_id)
        items.append(
            OutboxRow(
                key=f"{occasion}:member:{person.member_id}",
                occasion=occasion,
                kind=kind,
                channel=person.channel,
                chat_id=person.chat_id,
                member_id=person.member_id,
                text=text_for(person),
                buttons=buttons_for(person) if buttons_for else (),
            )
        )
    new = await enqueue(session, rows=items, now=rt.clock.now()) if items else 0
    log.info("%s: %d recipient(s), %d new outbox row(s)", occasion, len(items), new)
    if new:
        rt.wake_sender()


def _code(rt: Runtime, deadline: Deadline) -> str:
    """Return a deadline's task code as shown: bare for the current directive, else
    qualified ("09-KL:3.3")."""
    return rt.library.qualified(deadline.task_code, deadline.document)


def _title(rt: Runtime, code: str, title: str) -> str:
    """Return the deadline's own title, or its task's label (`code` as `_code` shows it)."""
    task = rt.library.find_task(code)
    return title or (task.label if task else "")


def _local(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%d/%m/%Y}"


def _days_left(due: datetime, now: datetime, zone: tzinfo) -> str:
    days = (due.astimezone(zone).date() - now.astimezone(zone).date()).days
    return texts.DUE_TODAY if days <= 0 else texts.DAYS_LEFT.format(days=days)
