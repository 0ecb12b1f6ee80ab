"""`python -m bot broadcast "TEXT" --to all|leaders|incomplete|unit:CODE [--wait 60] [--json]`.

The audiences are `storage.queries.recipients.audience`'s, as in chat and on the web;
"incomplete" means the leaders of units incomplete for the period in force (the
directive's leaf tasks, read from the library).

Queues one outbox message per recipient; the running bot's sender delivers them. The
command then watches the broadcast's progress every 2 s until nothing is pending or
`--wait` seconds passed. With no bot running nothing moves: it says so and exits 0 (the
broadcast stays queued and goes out when the bot runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot import cli_texts as texts
from bot.commands.deadlines import local_text, now_of, quiet_hours
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from handlers.audiences import reporting_at
from knowledge import load_library
from storage.errors import UnitNotFoundError
from storage.models import OUTBOX_TEXT_MAX_CHARS, OutboxStatus
from storage.queries.outbox import (
    broadcast_occasion,
    create_broadcast,
    occasion_progress,
    status_counts,
)
from storage.queries.recipients import AUDIENCES, Reporting
from storage.queries.recipients import audience as resolve_audience

ACTOR = "cli"
POLL = 2.0  # seconds between looks at the progress
NO_SENDER_AFTER = 10.0  # nothing moved anywhere in the outbox this long: no bot is sending
DEFAULT_WAIT, MOST_WAIT = 60, 24 * 3600
DONE = (OutboxStatus.SENT.value,)
FAILED = (
    OutboxStatus.FAILED.value,
    OutboxStatus.DEAD.value,
    OutboxStatus.UNDELIVERABLE.value,
    OutboxStatus.DROPPED.value,
)
WAITING = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `broadcast`."""
    broadcast = sub.add_parser("broadcast", help="send a message to many members")
    broadcast.add_argument("text", metavar="TEXT", help="the message (at most 4,000 characters)")
    broadcast.add_argument(
        "--to",
        required=True,
        metavar="all|leaders|incomplete|unit:CODE",
        help="who receives it",
    )
    broadcast.add_argument(
        "--wait", default=str(DEFAULT_WAIT), metavar="SECONDS", help="watch progress (default 60)"
    )
    broadcast.add_argument("--json", action="store_true", help="print one JSON summary")
    broadcast.set_defaults(func=run_broadcast)


@dataclass(frozen=True)
class Progress:
    """Where a broadcast's messages are."""

    total: int
    sent: int
    failed: int
    pending: int
    sending: int

    @classmethod
    def of(cls, total: int, counts: dict[str, int]) -> Progress:
        """Summarise occasion_progress()."""
        return cls(
            total=total,
            sent=sum(counts.get(s, 0) for s in DONE),
            failed=sum(counts.get(s, 0) for s in FAILED),
            pending=sum(counts.get(s, 0) for s in WAITING),
            sending=counts.get(OutboxStatus.SENDING.value, 0),
        )

    @property
    def shown(self) -> tuple[int, int, int]:
        """Return what a progress line shows: sent, failed, pending."""
        return self.sent, self.failed, self.pending

    @property
    def moved(self) -> bool:
        """Tell whether any message was picked up by a sender."""
        return self.sent + self.failed + self.sending > 0


def check_text(value: str) -> str:
    """Return the message NFC-normalised and stripped; refuse empty or too long ones."""
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise UsageError(texts.BROADCAST_EMPTY)
    if len(text) > OUTBOX_TEXT_MAX_CHARS:
        raise UsageError(
            texts.BROADCAST_TOO_LONG.format(length=len(text), limit=OUTBOX_TEXT_MAX_CHARS)
        )
    return text


def check_audience(value: str) -> str:
    """Return all / leaders / incomplete / unit:CODE (prefix and keywords case-insensitive)."""
    text = value.strip()
    lowered = text.lower()
    if lowered in AUDIENCES:
        return lowered
    prefix, sep, code = text.partition(":")
    if sep and prefix.strip().lower() == "unit" and code.strip():
        return f"unit:{code.strip()}"
    raise UsageError(texts.BROADCAST_AUDIENCE_BAD.format(value=value))


def parse_wait(value: str) -> int:
    """Return --wait in seconds, 0 … MOST_WAIT."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) > MOST_WAIT:
        raise UsageError(texts.BROADCAST_WAIT_BAD.format(value=value, most=MOST_WAIT))
    return int(text)


def describe_audience(audience: str) -> str:
    """Return who an audience is, in Vietnamese."""
    if audience.startswith("unit:"):
        return texts.BROADCAST_AUDIENCES["unit"].format(code=audience.removeprefix("unit:"))
    return texts.BROADCAST_AUDIENCES[audience]


async def queue(
    db: Database, text: str, audience: str, now: datetime, reporting: Reporting | None = None
) -> tuple[int, int]:
    """Resolve the audience and create the broadcast, due `now` on the reminder clock;
    return its id and message count."""
    async with db.sessions() as session:
        try:
            people = await resolve_audience(session, audience=audience, reporting=reporting)
        except UnitNotFoundError:
            code = audience.removeprefix("unit:")
            raise UsageError(texts.UNIT_UNKNOWN.format(code=code)) from None
        except ValueError:
            raise UsageError(texts.BROADCAST_AUDIENCE_BAD.format(value=audience)) from None
        if not people:
            raise UsageError(texts.BROADCAST_NOBODY.format(audience=audience))
        broadcast = await create_broadcast(
            session, text=text, audience=audience, actor=ACTOR, recipients=people, now=now
        )
        assert broadcast.id is not None
        return broadcast.id, broadcast.total


async def watch(
    db: Database, occasion: str, total: int, wait: float, show: Callable[[Progress], None]
) -> Progress:
    """Poll the broadcast every POLL s until nothing is pending, `wait` passed, or no sender."""
    started = time.monotonic()
    last_change, seen_outbox = started, None
    progress: Progress | None = None
    while True:
        async with db.sessions() as session:
            current = Progress.of(total, await occasion_progress(session, occasion=occasion))
            outbox = await status_counts(session)
        if progress is None or current.shown != progress.shown:
            show(current)
        if current != progress or outbox != seen_outbox:
            last_change = time.monotonic()
        progress, seen_outbox = current, outbox
        elapsed = time.monotonic() - started
        idle = time.monotonic() - last_change
        if progress.pending == 0 or elapsed >= wait:
            return progress
        if not progress.moved and idle >= NO_SENDER_AFTER:
            return progress
        await asyncio.sleep(min(POLL, max(0.0, wait - elapsed)))


@reports_errors
def run_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    """Queue the broadcast, watch it, summarise."""
    text = check_text(args.text)
    audience = check_audience(args.to)
    wait = parse_wait(args.wait)
    quiet, now = quiet_hours(settings), now_of(settings)
    reporting = None
    if audience == "incomplete":
        reporting = reporting_at(load_library(settings.documents_dir), settings.zone, now)

    def show(progress: Progress) -> None:
        if not args.json:
            line = texts.BROADCAST_PROGRESS.format(
                sent=progress.sent,
                total=progress.total,
                failed=progress.failed,
                pending=progress.pending,
            )
            print(line, flush=True)

    async def body(db: Database) -> tuple[int, Progress]:
        broadcast_id, total = await queue(db, text, audience, now, reporting)
        if not args.json:
            who = describe_audience(audience)
            print(texts.BROADCAST_QUEUED.format(id=broadcast_id, total=total, audience=who))
            if quiet.is_quiet(now):
                until = local_text(quiet.next_open(now), settings.zone)
                print(texts.BROADCAST_QUIET.format(quiet=settings.quiet_hours, until=until))
            if wait:
                print(texts.BROADCAST_WATCH.format(wait=wait), flush=True)
        occasion = broadcast_occasion(broadcast_id)
        if not wait:
            async with db.sessions() as session:
                counts = await occasion_progress(session, occasion=occasion)
            return broadcast_id, Progress.of(total, counts)
        return broadcast_id, await watch(db, occasion, total, wait, show)

    broadcast_id, progress = with_database(settings, body)
    no_sender = wait > 0 and progress.pending > 0 and not progress.moved
    if args.json:
        summary = {
            "id": broadcast_id,
            "audience": audience,
            "total": progress.total,
            "sent": progress.sent,
            "failed": progress.failed,
            "pending": progress.pending,
            "bot_sending": (not no_sender) if wait else None,
        }
        print(json.dumps(summary, ensure_ascii=False))
        return EXIT_OK
    values = {
        "sent": progress.sent,
        "total": progress.total,
        "failed": progress.failed,
        "pending": progress.pending,
    }
    if progress.pending == 0:
        print(texts.BROADCAST_DONE.format(**values))
    elif not wait:
        print(texts.BROADCAST_NOT_WATCHED.format(pending=progress.pending))
    elif no_sender:
        print(texts.BROADCAST_NO_SENDER.format(id=broadcast_id, pending=progress.pending))
    else:
        print(texts.BROADCAST_TIMEOUT.format(wait=wait, **values))
    sys.stdout.flush()
    return EXIT_OK
