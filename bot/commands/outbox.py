"""`python -m bot outbox status [--json]`: what the senders have done and what went wrong;
`outbox retry ID|--dead` and `outbox drop ID`: queue dead messages again, or give up on one."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot import cli_texts as texts
from bot.commands.deadlines import format_table, local_iso, local_text, now_of, shorten
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from storage.models import Member, Outbox, OutboxStatus, Unit
from storage.queries.outbox import (
    OutboxError,
    drop_dead,
    last_errors,
    retry_dead,
    row_status,
    status_counts,
)

STATUSES = tuple(status.value for status in OutboxStatus)
ERRORS_SHOWN = 10
UNREACHABLE_SHOWN = 20
ERROR_CHARS = 120
ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `outbox status`, `outbox retry` and `outbox drop`."""
    outbox = sub.add_parser("outbox", help="look at the queue of outgoing messages")
    actions = outbox.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="counts per channel, recent errors")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=run_status)
    retry = actions.add_parser("retry", help="queue a dead message (or every one) again")
    retry.add_argument("id", nargs="?", help="the message id (#N in outbox status)")
    retry.add_argument("--dead", action="store_true", help="every dead message")
    retry.add_argument("--json", action="store_true", help="print one JSON object")
    retry.set_defaults(func=run_retry)
    drop = actions.add_parser("drop", help="give up on a dead message for good")
    drop.add_argument("id", help="the message id (#N in outbox status)")
    drop.add_argument("--json", action="store_true", help="print one JSON object")
    drop.set_defaults(func=run_drop)


def parse_outbox_id(value: str) -> int:
    """Return a message id typed on the command line ("42" or "#42")."""
    text = value.strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise UsageError(texts.OUTBOX_ID_BAD.format(value=value))
    return int(text)


async def check_dead(db: Database, outbox_id: int) -> None:
    """Refuse (usage error) an id that is unknown or not a dead message."""
    async with db.sessions() as session:
        status = await row_status(session, outbox_id=outbox_id)
    if status is None:
        raise UsageError(texts.OUTBOX_UNKNOWN.format(id=outbox_id))
    if status != OutboxStatus.DEAD.value:
        label = texts.OUTBOX_STATUS_LABELS.get(status, status)
        raise UsageError(texts.OUTBOX_NOT_DEAD.format(id=outbox_id, status=label))


async def requeue(db: Database, outbox_id: int | None, now: datetime) -> int:
    """Queue one dead message (checked first) or every one again, due `now`; return how many."""
    if outbox_id is not None:
        await check_dead(db, outbox_id)
    async with db.sessions() as session:
        count = await retry_dead(session, outbox_id=outbox_id, now=now, actor=ACTOR)
    if outbox_id is not None and count == 0:  # sent or dropped meanwhile
        await check_dead(db, outbox_id)
    return count


async def give_up(db: Database, outbox_id: int) -> None:
    """Drop one dead message (refused unless it is dead)."""
    await check_dead(db, outbox_id)
    async with db.sessions() as session:
        if not await drop_dead(session, outbox_id=outbox_id, actor=ACTOR):
            await check_dead(db, outbox_id)


@reports_errors
def run_retry(args: argparse.Namespace, settings: Settings) -> int:
    """Queue a dead message (or, with --dead, every one) again, attempts from zero."""
    if (args.id is None) == (not args.dead):
        raise UsageError(texts.OUTBOX_RETRY_NEEDS)
    outbox_id = None if args.dead else parse_outbox_id(args.id)
    now = now_of(settings)  # the reminder clock: the bot sends what is due on it
    count = with_database(settings, lambda db: requeue(db, outbox_id, now))
    if args.json:
        print(json.dumps({"retried": count}))
    elif count:
        print(texts.OUTBOX_RETRIED.format(count=count))
    else:
        print(texts.OUTBOX_NONE_DEAD)
    return EXIT_OK


@reports_errors
def run_drop(args: argparse.Namespace, settings: Settings) -> int:
    """Give up on one dead message: it is kept as "dropped" and never sent."""
    outbox_id = parse_outbox_id(args.id)
    with_database(settings, lambda db: give_up(db, outbox_id))
    if args.json:
        print(json.dumps({"dropped": outbox_id}))
    else:
        print(texts.OUTBOX_DROPPED.format(id=outbox_id))
    return EXIT_OK


@dataclass(frozen=True)
class Unreachable:
    """A chat the platform refused for good (blocked the bot, left, never started it)."""

    channel: str
    chat_id: str
    name: str
    unit: str
    error: str
    messages: int
    at: datetime


@dataclass(frozen=True)
class OutboxReport:
    """Everything `outbox status` shows."""

    counts: dict[str, dict[str, int]]
    errors: list[OutboxError]
    unreachable: list[Unreachable]
    unreachable_total: int


async def unreachable(session: AsyncSession, *, limit: int) -> tuple[list[Unreachable], int]:
    """Return the newest chats with undeliverable messages (who they are), and how many."""
    where = col(Outbox.status) == OutboxStatus.UNDELIVERABLE.value
    at = func.max(func.coalesce(col(Outbox.claimed_at), col(Outbox.created_at)))
    query = (
        sa_select(
            col(Outbox.channel),
            col(Outbox.chat_id),
            func.max(func.coalesce(col(Member.display_name), "")),
            func.max(func.coalesce(col(Unit.code), "")),
            func.max(col(Outbox.last_error)),
            func.count(),
            at,
        )
        .select_from(Outbox)
        .outerjoin(Member, col(Member.id) == col(Outbox.member_id))
        .outerjoin(Unit, col(Unit.id) == col(Member.unit_id))
        .where(where)
        .group_by(col(Outbox.channel), col(Outbox.chat_id))
        .order_by(at.desc(), col(Outbox.channel), col(Outbox.chat_id))
        .limit(limit)
    )
    rows = [Unreachable(*row) for row in (await session.execute(query)).all()]
    chats = sa_select(col(Outbox.channel), col(Outbox.chat_id)).where(where).distinct().subquery()
    total = int(await session.scalar(sa_select(func.count()).select_from(chats)) or 0)
    return rows, total


async def load_report(db: Database) -> OutboxReport:
    """Read the counts, the last errors and the unreachable chats."""
    async with db.sessions() as session:
        counts = await status_counts(session)
        errors = await last_errors(session, limit=ERRORS_SHOWN)
        chats, total = await unreachable(session, limit=UNREACHABLE_SHOWN)
        return OutboxReport(counts, errors, chats, total)


@reports_errors
def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the outbox counts per channel, the last errors and who could not be reached."""
    report = with_database(settings, load_report)
    zone = settings.zone
    counts = {
        channel: {status: report.counts[channel].get(status, 0) for status in STATUSES}
        for channel in sorted(report.counts)
    }
    if args.json:
        shown: dict[str, Any] = {
            "channels": counts,
            "totals": {s: sum(c[s] for c in counts.values()) for s in STATUSES},
            "last_errors": [
                {"id": e.outbox_id, "occasion": e.occasion, "chat_id": e.chat_id}
                | {"error": e.last_error}
                | {"at": local_iso(e.at, zone)}
                for e in report.errors
            ],
            "undeliverable": [
                {
                    "channel": u.channel,
                    "chat_id": u.chat_id,
                    "name": u.name,
                    "unit": u.unit or None,
                    "error": u.error,
                    "messages": u.messages,
                    "at": local_iso(u.at, zone),
                }
                for u in report.unreachable
            ],
            "undeliverable_chats": report.unreachable_total,
        }
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not counts:
        print(texts.OUTBOX_EMPTY)
        return EXIT_OK
    print(texts.OUTBOX_HEADER)
    headers = [texts.OUTBOX_CHANNEL, *(texts.OUTBOX_STATUS_LABELS[s] for s in STATUSES)]
    cells = [[channel, *(str(c[s]) for s in STATUSES)] for channel, c in counts.items()]
    if len(counts) > 1:
        totals = [str(sum(c[s] for c in counts.values())) for s in STATUSES]
        cells.append([texts.OUTBOX_TOTAL, *totals])
    print(format_table(headers, cells))
    if report.errors:
        print(texts.OUTBOX_ERRORS)
        for e in report.errors:
            print(
                texts.OUTBOX_ERROR_LINE.format(
                    at=local_text(e.at, zone),
                    id=e.outbox_id,
                    occasion=e.occasion,
                    chat=e.chat_id,
                    error=shorten(" ".join(e.last_error.split()), ERROR_CHARS),
                )
            )
    dead = sum(c[OutboxStatus.DEAD.value] for c in counts.values())
    if dead:
        print(texts.OUTBOX_DEAD_HINT.format(count=dead))
    if report.unreachable:
        print(texts.OUTBOX_UNREACHABLE.format(count=report.unreachable_total))
        for u in report.unreachable:
            who = f"{u.channel}:{u.chat_id} — {u.name or texts.OUTBOX_NO_NAME}"
            who += f" ({u.unit})" if u.unit else ""
            error = shorten(" ".join(u.error.split()), ERROR_CHARS)
            print(texts.OUTBOX_UNREACHABLE_LINE.format(who=who, error=error))
    return EXIT_OK
