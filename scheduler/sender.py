"""Drain the outbox: claim due messages per channel, send them within limits, record each.

At-least-once, and a crash resends at most CONCURRENCY messages: a send keeps its slot
until the platform's acceptance is recorded (sends finishing together are recorded in
one statement: a group commit), so a message accepted but not recorded always holds one
of the CONCURRENCY slots. A claimed row whose sender died or hung goes back to the queue
after its lease, counted as an attempt; a new leader takes over the rows claimed before
its term sooner, once it has led for TAKEOVER_LEASE (the last leader is dead, or stopped
sending within HEARTBEAT + STOP_WAIT of losing the lock; only this process's clock
measures the wait, so clocks of other processes need not agree). Claims carry the
leader's term, and each send first checks the term is still current (`Fence`): a leader
that hung and resumed after a follower took over sends nothing more.

A database that goes away (restart, disk full) pauses the sender: messages already
accepted stay listed in memory until they are recorded, and sending resumes when the
database answers again. Nothing is sent in quiet hours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from handlers import texts
from handlers.ports import Sessions
from handlers.types import Button, LinkButton, Reply
from scheduler.clock import Clock
from scheduler.delivery import SEND_GUARD, Deliverer, Fenced, RateLimited, Undeliverable
from scheduler.leader import Fence
from scheduler.plan import QuietHours
from storage.models import Outbox, OutboxKind
from storage.queries.outbox import (
    CLAIM_LEASE,
    claim_due,
    mark_failed,
    mark_sent_many,
    mark_undeliverable,
    postpone,
)

log = logging.getLogger(__name__)

BATCH = 100  # rows claimed at a time per channel
CONCURRENCY = 5  # sends in flight at once (the channel's own limiter spaces them)
IDLE = 1.0  # seconds between looks at an empty outbox (a new row wakes the sender at once)
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
ERROR_PAUSE = 5.0  # seconds to wait after the database failed, before trying again
# A deposed leader notices within 5 s (leader.HEARTBEAT) and stops sending within 10 s
# (service.STOP_WAIT): a new leader takes its rows over after that, with a margin.
TAKEOVER_LEASE = timedelta(seconds=30)


class OutboxSender:
    """Sends what the jobs and broadcasts put in the outbox."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        channels: dict[str, Deliverer],
        clock: Clock,
        quiet: QuietHours,
        max_attempts: int,
        worker: str,
        mini_app_url: str = "",
    ) -> None:
        self.sessions = sessions
        self.mini_app_url = mini_app_url
        self.channels = channels
        self.clock = clock
        self.quiet = quiet
        self.max_attempts = max_attempts
        self.worker = worker
        self.wakeup = asyncio.Event()
        self.limit = asyncio.Semaphore(CONCURRENCY)
        self.sent: list[int] = []  # accepted by the platform, not yet recorded
        self.recording = asyncio.Lock()  # one write marking sent messages at a time
        self.stopping = False
        self.since: datetime | None = None  # when this sender began leading
        self.fence: Fence | None = None  # this leader's term

    def wake(self) -> None:
        """Look at the outbox now (new rows were written)."""
        self.wakeup.set()

    async def run(self, fence: Fence) -> None:
        """Send in `fence`'s term until stopped, or until the term is over."""
        self.stopping = False
        self.since = self.clock.now()
        self.fence = fence
        try:
            await self.send_forever()
        finally:
            await self.try_record_sent()

    async def record_now(self, outbox_id: int) -> None:
        """Record a message the platform accepted, joining a write under way (group commit)."""
        self.sent.append(outbox_id)
        async with self.recording:
            if outbox_id in self.sent:  # not written by the write we waited for
                await self.record_sent()

    async def record_sent(self) -> None:
        """Mark the messages sent since the last time, in one statement (kept if it fails)."""
        ids, self.sent = self.sent, []
        if not ids:
            return
        try:
            async with self.sessions() as session:
                await mark_sent_many(session, outbox_ids=ids, now=self.clock.now())
        except BaseException:
            self.sent[:0] = ids  # recorded next time: never sent again by this process
            raise

    async def try_record_sent(self) -> bool:
        """Record the sent messages; log and tell False when the database refused."""
        try:
            await self.record_sent()
        except Exception as exc:
            log.warning("could not record %d sent message(s) yet: %s", len(self.sent), exc)
            return False
        return True

    def stop(self) -> None:
        """Finish the batch in hand, then return from run() (no database call is cut off)."""
        self.stopping = True
        self.wakeup.set()

    async def send_forever(self) -> None:
        """Send due messages until stopped."""
        while not self.stopping:
            now = self.clock.now()
            if self.quiet.is_quiet(now):
                await self.idle((self.quiet.next_open(now) - now).total_seconds())
                continue
            try:
                busy = await self.drain_all()
            except Exception as exc:
                if not isinstance(exc, SQLAlchemyError | OSError):  # a bug, not the database
                    log.exception("outbox: sending failed")
                log.warning("outbox: %s; sending again in %.0f s", exc, ERROR_PAUSE)
                await self.idle(ERROR_PAUSE)
                continue
            if not busy:
                await self.idle(IDLE)

    async def drain_all(self) -> bool:
        """Record what is still unrecorded, then send one batch per channel; tell if any."""
        if self.sent:
            await self.record_sent()  # first: a message recorded late must not be claimed again
        busy = False
        for name, channel in self.channels.items():
            busy |= await self.drain_once(name, channel)
        return busy

    async def idle(self, seconds: float) -> None:
        """Wait `seconds` or until woken."""
        if self.stopping:
            return
        self.wakeup.clear()
        try:
            await asyncio.wait_for(self.wakeup.wait(), timeout=max(0.05, min(seconds, 60.0)))
        except TimeoutError:
            pass

    async def drain_once(self, name: str, channel: Deliverer) -> bool:
        """Claim one batch of a channel's due rows and send them; tell whether there were any."""
        now = self.clock.now()
        if not await self.holds():
            return False
        async with self.sessions() as session:
            rows = await claim_due(
                session,
                channel=name,
                now=now,
                limit=BATCH,
                worker=self.worker,
                lease=self.lease(now),
                max_attempts=self.max_attempts,
                term=self.term,
            )
        if rows:
            outcomes = await asyncio.gather(
                *(self.send_one(channel, row) for row in rows), return_exceptions=True
            )
            failed = [o for o in outcomes if isinstance(o, Exception)]
            if failed:  # recording an outcome failed: the row is claimed again later
                log.warning("outbox: %d outcome(s) not recorded: %s", len(failed), failed[0])
            await self.record_sent()
        return bool(rows)

    @property
    def term(self) -> int | None:
        """Return this leader's term (None outside a term: tests driving the sender alone)."""
        return None if self.fence is None else self.fence.term

    async def holds(self) -> bool:
        """Tell whether this leader's term is still current; stop sending if it is not."""
        if self.fence is None or await self.fence.holds():
            return True
        self.stop()
        return False

    def lease(self, now: datetime) -> timedelta:
        """Return how old a claim must be to take it over: older than our term, once it is safe."""
        if self.since is None or now - self.since < TAKEOVER_LEASE:
            return CLAIM_LEASE
        return min(CLAIM_LEASE, now - self.since)

    async def send_one(self, channel: Deliverer, row: Outbox) -> None:
        """Send one row and record what happened to it."""
        assert row.id is not None
        async with self.limit:
            if not await self.holds():
                return  # a deposed leader: its successor takes the row over
            guard = SEND_GUARD.set(self.holds)  # asked again after the channel's own waits
            try:
                await channel.send(row.chat_id, _reply(row, self.mini_app_url))
            except Fenced:
                return  # the term ended while the message waited for its slot: not sent
            except Undeliverable as exc:
                error = str(exc)[:500]
                await self.record(mark_undeliverable, outbox_id=row.id, error=error, term=self.term)
            except RateLimited as exc:
                await self.pause(channel.name, row, exc.retry_after)
            except Exception as exc:  # network, 5xx after the channel's own retries, bugs
                log.warning("outbox %s to %s:%s failed: %s", row.id, channel.name, row.chat_id, exc)
                await self.retry_later(row, exc)
            else:
                await self.record_now(row.id)  # before the slot goes to the next send
            finally:
                SEND_GUARD.reset(guard)

    async def retry_later(self, row: Outbox, exc: Exception) -> None:
        """Back off exponentially; dead-letter after max_attempts."""
        assert row.id is not None
        delay = min(LAST_RETRY, FIRST_RETRY * 2**row.attempts)
        await self.record(
            mark_failed,
            outbox_id=row.id,
            error=f"{type(exc).__name__}: {exc}"[:500],
            retry_at=self.clock.now() + delay,
            max_attempts=self.max_attempts,
            term=self.term,
        )

    async def pause(self, name: str, row: Outbox, retry_after: float) -> None:
        """Hold the whole channel for retry_after (this row included, not counted as a try)."""
        until = self.clock.now() + timedelta(seconds=retry_after)
        log.warning("channel %s rate limited; pausing its outbox until %s", name, until)
        async with self.sessions() as session:
            await postpone(session, channel=name, until=until, outbox_id=row.id, term=self.term)

    async def record(self, action: Callable[..., Awaitable[object]], **values: object) -> None:
        """Run one outbox update in its own session (sends run concurrently)."""
        async with self.sessions() as session:
            await action(session, **values)


def _reply(row: Outbox, mini_app_url: str = "") -> Reply:
    """Return a queued message as a reply, with its one-tap buttons (one a row); a reminder
    on Telegram also gets the report form's button when the form is served over https."""
    buttons = [[Button(label, payload)] for label, payload in row.buttons or []]
    links = []
    if mini_app_url and row.channel == "telegram" and row.kind != OutboxKind.BROADCAST.value:
        links.append(LinkButton(texts.BUTTON_REPORT_FORM, mini_app_url, web_app=True))
    return Reply(row.text, buttons, links=links)
