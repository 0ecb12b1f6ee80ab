"""`python -m bot remind plan [--json] [--limit 20]`: what the reminder service will send next.

Computed the way the service schedules (scheduler/plan.py over the deadline table and the
directive's reporting periods), not read from APScheduler's job store, so it works whether
or not the bot runs. Recipient counts are SQL counts of who would be told now: two
statements for every deadline and overdue occasion shown; a reporting period's reminder
and escalation digest are computed as the jobs do (leaders of incomplete units, parents of
incomplete units), and --json lists their recipients.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_texts as texts
from bot.commands.deadlines import (
    format_table,
    local_iso,
    local_text,
    now_of,
    offset_text,
    quiet_hours,
)
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.library_source import load_full_library
from bot.settings import Settings
from handlers.texts import PERIOD_REMINDER_NAMES
from knowledge import Library
from knowledge.periods import period_of
from scheduler.plan import (
    QuietHours,
    escalation_times,
    local_moment,
    overdue_times,
    parse_clock_time,
    parse_offsets,
    parse_span,
    period_ends,
    reminder_times,
)
from storage.queries.completion import Window, completion, incomplete_children
from storage.queries.deadlines import list_deadlines
from storage.queries.recipients import (
    Recipient,
    count_recipients_for_plan,
    leaders_of_parents,
    reachable_leaders,
)

log = logging.getLogger(__name__)

DEFAULT_LIMIT, MOST = 20, 1000
PERIOD_HORIZON = timedelta(days=400)  # as far ahead as the service schedules period ends


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `remind plan`."""
    remind = sub.add_parser("remind", help="look at the reminders")
    actions = remind.add_subparsers(dest="action", required=True)
    plan = actions.add_parser("plan", help="the next reminders, in time order, with recipients")
    plan.add_argument("--limit", default=str(DEFAULT_LIMIT), help="how many (default 20)")
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.set_defaults(func=run_plan)


@dataclass(frozen=True)
class PlanConfig:
    """The reminder settings the plan needs, parsed."""

    zone: tzinfo
    reminder_time: time
    overdue_every: timedelta
    overdue_for: timedelta
    period_days: int
    quiet: QuietHours
    escalate_after: timedelta

    @classmethod
    def of(cls, settings: Settings) -> PlanConfig:
        """Parse the settings (already validated by Settings)."""
        return cls(
            zone=settings.zone,
            reminder_time=parse_clock_time(settings.reminder_time),
            overdue_every=parse_span(settings.overdue_every),
            overdue_for=parse_span(settings.overdue_for),
            period_days=settings.period_reminder_days,
            quiet=quiet_hours(settings),
            escalate_after=parse_span(settings.escalate_after),
        )


@dataclass
class Occasion:
    """One reminder to come: when it fires, when it is delivered, what and to how many."""

    at: datetime
    deliver_at: datetime
    kind: str  # "deadline" | "overdue" | "period" | "escalate"
    key: str  # the outbox occasion, e.g. "deadline:5:7d"
    label: str  # Vietnamese, e.g. "hạn 3.3 — trước 7 ngày"
    task: str = ""
    document: str = ""
    deadline_id: int | None = None
    since: date | None = None  # periods: the first day of the period
    recipients: int = field(default=0)
    to: list[dict[str, object]] | None = None  # periods and escalations: who, and why


def occasions(
    deadlines: list[tuple[int, str, str, datetime, str]],
    period_kinds: set[str],
    config: PlanConfig,
    now: datetime,
) -> list[Occasion]:
    """Return every occasion from now on, by delivery time (pure; no counts yet).

    `deadlines` are (id, document, task code, due_at, offsets).
    """
    out: list[Occasion] = []

    def add(occasion: Occasion) -> None:
        if occasion.at >= now:
            occasion.deliver_at = config.quiet.next_open(occasion.at)
            out.append(occasion)

    for deadline_id, document, task, due, offsets_text in deadlines:
        try:
            offsets = parse_offsets(offsets_text)
        except ValueError:
            log.warning("deadline %s has bad offsets %r; skipped", deadline_id, offsets_text)
            offsets = []
        for label, at in reminder_times(due, offsets):
            text = texts.PLAN_DEADLINE.format(task=task, offset=offset_text(label))
            key = f"deadline:{deadline_id}:{label}"
            add(Occasion(at, at, "deadline", key, text, task, document, deadline_id))
        for n, at in enumerate(overdue_times(due, config.overdue_every, config.overdue_for), 1):
            text = texts.PLAN_OVERDUE.format(task=task, round=n)
            key = f"overdue:{deadline_id}:{n}"
            add(Occasion(at, at, "overdue", key, text, task, document, deadline_id))
    today = now.astimezone(config.zone).date()
    for end in period_ends(period_kinds, today, today + PERIOD_HORIZON):
        day = end.end - timedelta(days=config.period_days)
        at = local_moment(day, config.reminder_time, config.zone)
        kinds = ", ".join(PERIOD_REMINDER_NAMES.get(k, k) for k in end.kinds)
        text = texts.PLAN_PERIOD.format(end=f"{end.end:%d/%m/%Y}", kinds=kinds)
        add(Occasion(at, at, "period", f"period:{end.end.isoformat()}", text, since=end.since))
    for at, end_day in escalation_times(
        period_kinds, today, config.escalate_after, config.reminder_time, config.zone
    ):
        text = texts.PLAN_ESCALATE.format(end=f"{end_day:%d/%m/%Y}")
        add(Occasion(at, at, "escalate", f"escalate:{end_day.isoformat()}", text, since=end_day))
    out.sort(key=lambda o: (o.deliver_at, o.at, o.kind != "period", o.task, o.key))
    return out


async def count_recipients(
    session: AsyncSession,
    shown: list[Occasion],
    config: PlanConfig,
    library: Library,
    now: datetime,
) -> None:
    """Fill in how many people each occasion would reach now (and, for periods, who).

    Deadline and overdue occasions: one count_recipients_for_plan per document (all its
    task codes at once); reporting periods: the leaders of units incomplete for the period
    on the reminder's day (counts per unit: `completion`, as `/chuabaocao` has them; the job
    lists each unit's missing tasks); escalations: the leaders of parents of incomplete units.
    """
    tasks: defaultdict[str, set[str]] = defaultdict(set)
    for occasion in shown:
        if occasion.kind in ("deadline", "overdue"):
            tasks[occasion.document].add(occasion.task)
    counts = {
        document: await count_recipients_for_plan(
            session, task_codes=sorted(codes), document=document
        )
        for document, codes in tasks.items()
    }
    codes = [t.code for t in library.tasks() if not t.children]
    document = library.default.number
    leaders: list[Recipient] | None = None  # read once, for every period shown
    for occasion in shown:
        if occasion.kind in ("deadline", "overdue"):
            occasion.recipients = counts[occasion.document].get(occasion.task, 0)
            continue
        assert occasion.since is not None
        day = occasion.deliver_at.astimezone(config.zone).date()
        if occasion.kind == "period":
            window = Window.of(period_of(occasion.since), config.zone, now=now, exempt_on=day)
            state = await completion(session, window=window, task_codes=codes, document=document)
            late = {u.unit_id: u.missing for u in state.units if not u.complete}
            if leaders is None:
                leaders = await reachable_leaders(session)
            occasion.to = [
                _whom(person, missing=late[person.unit_id or 0])
                for person in leaders
                if person.unit_id in late
            ]
        else:
            window = Window.of(period_of(occasion.since), config.zone, now=now).until(now)
            children = await incomplete_children(
                session, window=window, task_codes=codes, document=document
            )
            parents = await leaders_of_parents(session, parent_ids=children)
            occasion.to = [
                _whom(person, units=[u.code for u in children[person.unit_id or 0]])
                for person in parents
            ]
        occasion.recipients = len({entry["member_id"] for entry in occasion.to})


def _whom(person: Recipient, **why: object) -> dict[str, object]:
    """Return one recipient as --json shows it."""
    who: dict[str, object] = {
        "member_id": person.member_id,
        "channel": person.channel,
        "unit": person.unit_code,
    }
    return who | why


async def build_plan(
    session: AsyncSession,
    *,
    library: Library,
    config: PlanConfig,
    now: datetime,
    limit: int,
) -> tuple[list[Occasion], int]:
    """Return the next `limit` occasions with their recipient counts, and how many there are."""
    rows = [
        (d.id, d.document, d.task_code, d.due_at, d.offsets)
        for d in await list_deadlines(session)
        if d.id is not None
    ]
    kinds = {d.period for d in library.deadlines() if d.kind == "period" and d.period}
    every = occasions(rows, kinds, config, now)
    shown = every[:limit]
    await count_recipients(session, shown, config, library, now)
    return shown, len(every)


def parse_limit(value: str) -> int:
    """Return --limit as 1 … MOST."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MOST:
        raise UsageError(texts.LIMIT_BAD.format(value=value, most=MOST))
    return int(text)


@reports_errors
def run_plan(args: argparse.Namespace, settings: Settings) -> int:
    """Print the next reminders (a table, or JSON with --json)."""
    limit = parse_limit(args.limit)
    library = load_full_library(settings)
    config, now = PlanConfig.of(settings), now_of(settings)
    shown, total = with_database(settings, lambda db: plan_in(db, library, config, now, limit))
    zone = settings.zone
    if args.json:
        entries = [
            {
                "at": local_iso(o.at, zone),
                "deliver_at": local_iso(o.deliver_at, zone),
                "quiet": o.deliver_at != o.at,
                "kind": o.kind,
                "occasion": o.key,
                "label": o.label,
                "task": o.task or None,
                "deadline_id": o.deadline_id,
                "recipients": o.recipients,
            }
            | ({"to": o.to} if o.to is not None else {})
            for o in shown
        ]
        plan = {"now": local_iso(now, zone), "quiet_hours": settings.quiet_hours}
        print(json.dumps(plan | {"total": total, "entries": entries}, ensure_ascii=False))
        return EXIT_OK
    if not shown:
        print(texts.PLAN_NONE)
        return EXIT_OK
    print(texts.PLAN_HEADER.format(now=local_text(now, zone), zone=settings.timezone))
    cells = [
        [
            local_text(o.at, zone),
            o.label,
            str(o.recipients),
            texts.PLAN_QUIET.format(at=local_text(o.deliver_at, zone))
            if o.deliver_at != o.at
            else "",
        ]
        for o in shown
    ]
    print(format_table(texts.PLAN_HEADERS, cells))
    if total > len(shown):
        print(texts.PLAN_MORE.format(count=total - len(shown), more=min(MOST, total)))
    print(texts.PLAN_FOOTER.format(quiet=settings.quiet_hours))
    return EXIT_OK


async def plan_in(
    db: Database, library: Library, config: PlanConfig, now: datetime, limit: int
) -> tuple[list[Occasion], int]:
    """Build the plan in one session."""
    async with db.sessions() as session:
        return await build_plan(session, library=library, config=config, now=now, limit=limit)
