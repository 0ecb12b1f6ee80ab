"""`python -m bot deadlines add | list | remove`: the deadlines reminders are sent for.

The running bot's reminder service polls the deadline table, so a change made here is
scheduled within seconds without a restart. Also holds the small helpers the other
reminder commands share: the reminder clock's "now", local times, offset labels, tables.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo

from bot import cli_texts as texts
from bot.commands import proposals
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.library_source import load_full_library
from bot.settings import Settings
from handlers.inputs import looks_like_day, parse_day
from knowledge import Library
from knowledge.model import Task
from scheduler.clock import Clock
from scheduler.plan import (
    QuietHours,
    local_moment,
    parse_clock_time,
    parse_offsets,
    reminder_times,
)
from storage.models import DEADLINE_TITLE_MAX_CHARS, Deadline
from storage.queries.deadlines import add_deadline, list_deadlines, remove_deadline
from storage.types import as_utc

ACTOR = "cli"
OFFSETS_MAX_CHARS = 64  # the deadline.offsets column
TITLE_SHOWN = 40  # characters of a title in the table

_LABEL = re.compile(r"(\d+)([dhm])")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `deadlines add`, `deadlines list` and `deadlines remove`."""
    deadlines = sub.add_parser("deadlines", help="manage the deadlines reminders are sent for")
    actions = deadlines.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a deadline (or update the reminders of one)")
    add.add_argument("--task", required=True, help="task code of the directive, e.g. 3.3")
    add.add_argument(
        "--due",
        required=True,
        help="due date 2026-12-15 or 15/12/2026, or 2026-12-15T08:00:00+07:00",
    )
    add.add_argument("--at", help="local time of day for a date (default REMINDER_TIME)")
    add.add_argument("--remind", help="offsets before the due time (default REMINDER_OFFSETS)")
    add.add_argument("--title", help="title shown in reminders (default: the task's title)")
    add.add_argument("--json", action="store_true", help="print one JSON object")
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="list the deadlines by due date")
    listing.add_argument("--all", action="store_true", help="include removed deadlines")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=run_list)
    remove = actions.add_parser("remove", help="remove a deadline (its history stays)")
    remove.add_argument("id", metavar="ID", help="the deadline's id (see deadlines list)")
    remove.set_defaults(func=run_remove)
    proposals.add_actions(actions)  # the deadlines an added directive proposes


# --- shared helpers ----------------------------------------------------------


def now_of(settings: Settings) -> datetime:
    """Return "now" on the reminder clock (CLOCK_START shifts it, as in the bot)."""
    start = settings.clock_start
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=settings.zone)
    return Clock(start).now()


def quiet_hours(settings: Settings) -> QuietHours:
    """Return the configured quiet hours."""
    return QuietHours.parse(
        settings.quiet_hours, settings.zone, settings.skip_weekends, settings.holidays
    )


def local_text(moment: datetime, zone: tzinfo) -> str:
    """Return a moment as local dd/mm/yyyy HH:MM."""
    return moment.astimezone(zone).strftime(texts.DATETIME_FORMAT)


def local_iso(moment: datetime, zone: tzinfo) -> str:
    """Return a moment as local ISO 8601 with its offset."""
    return moment.astimezone(zone).isoformat()


def offset_text(label: str) -> str:
    """Return "7d" as "trước 7 ngày", "0d" as "đúng hạn"."""
    match = _LABEL.fullmatch(label)
    if match is None:
        return label
    if int(match[1]) == 0:
        return texts.OFFSET_AT_DUE
    return texts.OFFSET_BEFORE.format(amount=int(match[1]), unit=texts.OFFSET_UNITS[match[2]])


def days_status(due: datetime, now: datetime, zone: tzinfo) -> tuple[str, int]:
    """Return "còn N ngày" / "đến hạn hôm nay" / "đã quá hạn …" and the days left (local dates)."""
    days = (due.astimezone(zone).date() - now.astimezone(zone).date()).days
    if due <= now:
        shown = texts.DEADLINE_OVERDUE_DAYS.format(days=-days) if days < 0 else None
        return shown or texts.DEADLINE_OVERDUE, days
    if days == 0:
        return texts.DEADLINE_TODAY, days
    return texts.DEADLINE_DAYS_LEFT.format(days=days), days


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return rows as aligned columns under a header and a rule."""
    cells = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(line[column]) for line in cells) for column in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def shorten(text: str, limit: int) -> str:
    """Return text cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- parsing -------------------------------------------------------------------


def parse_due(value: str, at: str | None, settings: Settings) -> datetime:
    """Return the due moment (aware UTC) of `--due` (+ `--at` for a date)."""
    text = value.strip()
    if looks_like_day(text):
        day = parse_day(text)
        if day is None:  # 31/02/2026
            raise UsageError(texts.DUE_BAD.format(value=value))
        return local_moment(day, parse_at(at or settings.reminder_time), settings.zone)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(texts.DUE_BAD.format(value=value)) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UsageError(texts.DUE_NO_ZONE.format(value=value))
    if at is not None:
        raise UsageError(texts.AT_WITH_DATETIME.format(value=value))
    return as_utc(moment)


def parse_at(value: str) -> time:
    """Return HH:MM as a time."""
    try:
        return parse_clock_time(value)
    except ValueError:
        raise UsageError(texts.AT_BAD.format(value=value)) from None


def parse_remind(value: str) -> str:
    """Return the offsets normalised ("30d,7d,1d,0d": largest first, no repeats)."""
    try:
        offsets = parse_offsets(value)
    except ValueError:
        raise UsageError(texts.REMIND_BAD.format(value=value)) from None
    normal = ",".join(label for label, _ in offsets)
    if len(normal) > OFFSETS_MAX_CHARS:
        raise UsageError(texts.REMIND_TOO_LONG.format(value=value))
    return normal


def check_task(library: Library, code: str) -> Task:
    """Return the directive's task with this code; unknown → the nearest codes."""
    code = code.strip().rstrip(".")
    if not code:
        raise UsageError(texts.TASK_EMPTY)
    task = library.find_task(code)
    if task is None:
        close = ", ".join(library.close_codes(code)) or "—"
        document = library.default.number
        raise UsageError(texts.TASK_UNKNOWN.format(code=code, document=document, close=close))
    return task


def parse_title(value: str | None) -> str:
    """Return the title on one line; refuse one longer than the column."""
    title = " ".join((value or "").split())
    if len(title) > DEADLINE_TITLE_MAX_CHARS:
        raise UsageError(texts.TITLE_TOO_LONG.format(limit=DEADLINE_TITLE_MAX_CHARS))
    return title


def parse_id(value: str) -> int:
    """Return a deadline id typed on the command line."""
    text = value.strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise UsageError(texts.DEADLINE_ID_BAD.format(value=value))
    return int(text)


# --- add -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewDeadline:
    """A validated `deadlines add`."""

    task: Task
    document: str
    due_at: datetime
    offsets: str
    title: str


@reports_errors
def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add (or update) a deadline; show when its reminders go out."""
    due_at = parse_due(args.due, args.at, settings)
    offsets = parse_remind(args.remind if args.remind is not None else settings.reminder_offsets)
    title = parse_title(args.title)
    library = load_full_library(settings)
    task = check_task(library, args.task)
    new = NewDeadline(task, library.default.number, due_at, offsets, title)
    deadline, created = with_database(settings, lambda db: save_deadline(db, new))
    assert deadline.id is not None
    zone = settings.zone
    times = reminder_times(deadline.due_at, parse_offsets(deadline.offsets))
    if args.json:
        shown = {
            "id": deadline.id,
            "task": deadline.task_code,
            "title": deadline.title or task.label,
            "due_at": local_iso(deadline.due_at, zone),
            "remind": [label for label, _ in times],
            "reminders_at": [local_iso(at, zone) for _, at in times],
            "created": created,
        }
        print(json.dumps(shown, ensure_ascii=False))
        return EXIT_OK
    print(describe_added(deadline, task, created, times, settings))
    return EXIT_OK


async def save_deadline(
    db: Database, new: NewDeadline, actor: str = ACTOR
) -> tuple[Deadline, bool]:
    """Add the deadline; return it and whether it is new (not an update of the same one)."""
    async with db.sessions() as session:
        same = [
            d
            for d in await list_deadlines(session)
            if (d.document, d.task_code, d.due_at) == (new.document, new.task.code, new.due_at)
        ]
        deadline = await add_deadline(
            session,
            task_code=new.task.code,
            due_at=new.due_at,
            offsets=new.offsets,
            actor=actor,
            title=new.title,
            document=new.document,
        )
        return deadline, not same


def describe_added(
    deadline: Deadline,
    task: Task,
    created: bool,
    times: list[tuple[str, datetime]],
    settings: Settings,
) -> str:
    """Return the human summary of `deadlines add`."""
    zone, now, quiet = settings.zone, now_of(settings), quiet_hours(settings)
    title = f" — {deadline.title or task.label}" if (deadline.title or task.label) else ""
    head = texts.DEADLINE_ADDED if created else texts.DEADLINE_UPDATED
    lines = [
        head.format(id=deadline.id, task=deadline.task_code, title=title),
        texts.DEADLINE_DUE.format(due=local_text(deadline.due_at, zone), zone=settings.timezone),
    ]
    if deadline.due_at <= now:
        lines.append(texts.DEADLINE_PAST)
    lines.append(texts.DEADLINE_REMINDERS)
    for label, at in times:
        note = ""
        if at < now:
            note = texts.REMINDER_PAST_NOTE
        elif quiet.is_quiet(at):
            note = texts.REMINDER_QUIET_NOTE.format(at=local_text(quiet.next_open(at), zone))
        lines.append(
            texts.DEADLINE_REMINDER_LINE.format(
                at=local_text(at, zone), offset=offset_text(label), note=note
            )
        )
    lines.append(texts.DEADLINE_PICKED_UP)
    return "\n".join(lines)


# --- list ----------------------------------------------------------------------


@reports_errors
def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print the deadlines by due date (a table, or a JSON array with --json)."""
    deadlines = with_database(settings, lambda db: load_deadlines(db, args.all))
    library = load_full_library(settings)
    zone, now = settings.zone, now_of(settings)
    rows = []
    for d in deadlines:
        task = library.find_task(d.task_code, d.document)
        state, days = days_status(d.due_at, now, zone)
        rows.append(
            {
                "id": d.id,
                "task": d.task_code,
                "document": d.document,
                "title": d.title or (task.label if task else ""),
                "due_at": local_iso(d.due_at, zone),
                "remind": d.offsets.split(","),
                "source": d.source,
                "days_left": days,
                "overdue": d.due_at <= now,
                "removed_at": local_iso(d.removed_at, zone) if d.removed_at else None,
                "state": texts.DEADLINE_REMOVED_MARK if d.removed_at else state,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print(texts.DEADLINES_NONE)
    else:
        cells = [
            [
                str(row["id"]),
                library.qualified(d.task_code, d.document),
                shorten(str(row["title"]), TITLE_SHOWN),
                local_text(datetime.fromisoformat(str(row["due_at"])), zone),
                ",".join(d.offsets.split(",")),
                texts.DEADLINE_SOURCES.get(str(row["source"]), str(row["source"])),
                str(row["state"]),
            ]
            for row, d in zip(rows, deadlines, strict=True)
        ]
        print(format_table(texts.DEADLINES_HEADERS, cells))
    return EXIT_OK


async def load_deadlines(db: Database, include_removed: bool) -> list[Deadline]:
    """Return the deadlines by due date."""
    async with db.sessions() as session:
        return await list_deadlines(session, include_removed=include_removed)


# --- remove --------------------------------------------------------------------


@reports_errors
def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Soft-remove one deadline; an unknown or already removed id is a usage error."""
    deadline_id = parse_id(args.id)
    deadline = with_database(settings, lambda db: drop_deadline(db, deadline_id))
    due = local_text(deadline.due_at, settings.zone)
    print(texts.DEADLINE_REMOVED.format(id=deadline_id, task=deadline.task_code, due=due))
    return EXIT_OK


async def drop_deadline(db: Database, deadline_id: int, actor: str = ACTOR) -> Deadline:
    """Remove the deadline; return it as it was."""
    async with db.sessions() as session:
        deadline = await session.get(Deadline, deadline_id)
        if deadline is None or not await remove_deadline(
            session, deadline_id=deadline_id, actor=actor
        ):
            raise UsageError(texts.DEADLINE_UNKNOWN.format(id=deadline_id))
        return deadline
