"""`python -m bot outbox status [--json]`: what the senders have done and what went wrong."""

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
from bot.commands.deadlines import format_table, local_iso, local_text, shorten
from bot.commands.errors import EXIT_OK
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from storage.models import Member, Outbox, OutboxStatus, Unit
from storage.queries.outbox import OutboxError, last_errors, status_counts

STATUSES = tuple(status.value for status in OutboxStatus)
ERRORS_SHOWN = 10
UNREACHABLE_SHOWN = 20
ERROR_CHARS = 120


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `outbox status`."""
    outbox = sub.add_parser("outbox", help="look at the queue of outgoing messages")
    actions = outbox.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="counts per channel, recent errors")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=run_status)


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
                {"occasion": e.occasion, "chat_id": e.chat_id, "error": e.last_error}
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
                    occasion=e.occasion,
                    chat=e.chat_id,
                    error=shorten(" ".join(e.last_error.split()), ERROR_CHARS),
                )
            )
    if report.unreachable:
        print(texts.OUTBOX_UNREACHABLE.format(count=report.unreachable_total))
        for u in report.unreachable:
            who = f"{u.channel}:{u.chat_id} — {u.name or texts.OUTBOX_NO_NAME}"
            who += f" ({u.unit})" if u.unit else ""
            error = shorten(" ".join(u.error.split()), ERROR_CHARS)
            print(texts.OUTBOX_UNREACHABLE_LINE.format(who=who, error=error))
    return EXIT_OK
