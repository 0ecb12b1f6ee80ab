"""The reminder service: while this process leads, APScheduler fires jobs and the sender drains.

Jobs live in APScheduler's SQLAlchemy job store (the bot's own database), with explicit
ids and replace_existing, and are re-synced from the deadline table at start and after
every change: a bot that was down at fire time sends once when back (misfire grace), and
outbox keys make a job that fires twice write nothing new.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.ports import KnowledgeBase, Sessions
from scheduler import jobs
from scheduler.clock import Clock
from scheduler.delivery import Deliverer
from scheduler.leader import Leadership
from scheduler.plan import (
    QuietHours,
    escalation_times,
    local_moment,
    overdue_times,
    parse_offsets,
    period_ends,
    reminder_times,
    weekly_digest_times,
)
from scheduler.sender import OutboxSender
from storage.engine import to_sync_url
from storage.models import Deadline
from storage.queries.deadlines import list_deadlines, upsert_document_deadline
from storage.queries.directives import list_directives

log = logging.getLogger(__name__)

SYNC_EVERY = timedelta(hours=6)  # re-sync: new period ends come into the horizon
STOP_WAIT = 10.0  # seconds the sender may take to finish its batch when the bot stops
CHANGE_POLL = 5.0  # seconds between looks for deadlines changed by the CLI or another process
RETRY_LEAD = 5.0  # seconds before competing again after a term ended in an error
PERIOD_HORIZON = timedelta(days=400)


@dataclass(frozen=True)
class ReminderConfig:
    """The reminder settings, parsed."""

    offsets: str
    reminder_time: time
    overdue_every: timedelta
    overdue_for: timedelta
    period_days: int
    quiet: QuietHours
    misfire_grace: timedelta
    max_attempts: int
    zone: tzinfo
    escalate_after: timedelta = timedelta(days=3)  # after a period ends: parents' digest
    mini_app_url: str = ""  # the report form (https): a "Báo cáo" button on Telegram reminders


class ReminderService:
    """Run the scheduler and the outbox sender in the leader process."""

    def __init__(
        self,
        *,
        config: ReminderConfig,
        engine: AsyncEngine,
        sessions: Sessions,
        library: KnowledgeBase,
        channels: dict[str, Deliverer],
        clock: Clock,
    ) -> None:
        self.config = config
        self.engine = engine
        self.sessions = sessions
        self.library = library
        self.clock = clock
        worker = f"{socket.gethostname()}:{os.getpid()}"
        self.sender = OutboxSender(
            sessions=sessions,
            channels=channels,
            clock=clock,
            quiet=config.quiet,
            max_attempts=config.max_attempts,
            worker=worker,
            mini_app_url=config.mini_app_url,
        )
        self.leadership = Leadership(engine, sessions, clock.now)
        self.scheduler: AsyncIOScheduler | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin competing for leadership in the background."""
        self.task = asyncio.create_task(self.lead(), name="reminders")

    async def stop(self) -> None:
        """Stop leading (if we do) and stop competing."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def lead(self) -> None:
        """Wait to lead; while leading, run the scheduler and the sender; repeat if lost."""
        while True:
            await self.leadership.acquire()
            try:
                await self.serve_term()
            except Exception:  # e.g. the database went away while the scheduler started
                log.exception("reminder service: leading failed; competing again")
                await asyncio.sleep(RETRY_LEAD)

    async def serve_term(self) -> None:
        """Lead until leadership is lost: scheduler and sender running; then clean up."""
        assert self.leadership.fence is not None
        sending = asyncio.create_task(self.sender.run(self.leadership.fence), name="outbox")
        syncing: asyncio.Task[None] | None = None
        try:
            await self.start_scheduler()
            syncing = asyncio.create_task(self.resync(), name="resync")
            await self.leadership.hold()
        finally:
            await self.stop_sending(sending)
            if syncing is not None:
                syncing.cancel()
                await asyncio.gather(syncing, return_exceptions=True)
            self.stop_scheduler()
            await self.leadership.release()

    async def start_scheduler(self) -> None:
        """Start APScheduler on the job store and sync the jobs."""
        store = SQLAlchemyJobStore(
            url=to_sync_url(self.engine.url).render_as_string(hide_password=False),
            engine_options={"hide_parameters": True},
        )
        scheduler = AsyncIOScheduler(
            jobstores={"default": store},
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": int(self.config.misfire_grace.total_seconds()),
                "max_instances": 1,
            },
            timezone=self.config.zone,
        )
        jobs.RUNTIME = jobs.Runtime(
            self.sessions, self.library, self.clock, self.config.zone, self.sender.wake
        )
        # The store's table first, off the loop: creating it waits for SQLite's write lock,
        # which this process's own connection may hold in a transaction the loop must finish.
        await asyncio.to_thread(store.jobs_t.create, store.engine, True)
        scheduler.start()
        self.scheduler = scheduler
        await self.sync()
        log.info("reminder service: %d job(s) scheduled", len(scheduler.get_jobs()))

    async def stop_sending(self, sending: asyncio.Task[None]) -> None:
        """Let the sender finish its batch and record it; cancel only if it hangs."""
        self.sender.stop()
        try:
            await asyncio.wait_for(asyncio.shield(sending), timeout=STOP_WAIT)
        except (TimeoutError, asyncio.CancelledError):
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
        except Exception:
            log.exception("reminder service: the sender failed")

    async def resync(self) -> None:
        """Re-sync when deadlines change (in any process) and every SYNC_EVERY."""
        seen, last = await self.deadlines_version(), self.clock.now()
        while True:
            await asyncio.sleep(CHANGE_POLL)
            try:
                version = await self.deadlines_version()
                if version != seen or self.clock.now() - last > SYNC_EVERY:
                    await self.sync()
                    seen, last = version, self.clock.now()
            except Exception:
                log.exception("reminder re-sync failed; trying again later")

    async def deadlines_version(self) -> tuple[tuple[object, ...], ...]:
        """Return what identifies the current set of deadlines."""
        async with self.sessions() as session:
            rows = await list_deadlines(session, include_removed=True)
        return tuple((d.id, d.due_at, d.offsets, d.removed_at) for d in rows)

    def stop_scheduler(self) -> None:
        """Shut APScheduler down (jobs stay in the store)."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
        jobs.RUNTIME = None

    async def sync(self) -> None:
        """Make the scheduled jobs match the deadlines and reporting periods."""
        assert self.scheduler is not None
        await self.sync_document_deadlines()
        async with self.sessions() as session:
            deadlines = await list_deadlines(session)
            # The job store writes synchronously, on this thread: while this session holds
            # SQLite's one pooled connection, no other session can be inside a write
            # transaction that the blocked event loop could never finish ("database is locked").
            wanted: set[str] = set()
            for deadline in deadlines:
                wanted |= self.schedule_deadline(deadline)
            wanted |= self.schedule_periods()
            for job in self.scheduler.get_jobs():
                if job.id not in wanted:
                    job.remove()

    async def sync_document_deadlines(self) -> None:
        """Copy the bundled directives' dated deadlines into the deadline table (once each)."""
        async with self.sessions() as session:
            # An added directive's deadlines are proposed to the admin, not copied.
            stored = {row.number for row in await list_directives(session)}
            for item in self.library.deadlines():
                if item.due is None or not item.task_code or item.document in stored:
                    continue
                due = local_moment(item.due, self.config.reminder_time, self.config.zone)
                await upsert_document_deadline(
                    session,
                    document=item.document,
                    task_code=item.task_code,
                    due_at=due,
                    offsets=self.config.offsets,
                    title="",  # reminders name the task; the date is the row's own
                )

    def schedule_deadline(self, deadline: Deadline) -> set[str]:
        """Add a deadline's reminder and overdue jobs that are still to come; return their ids."""
        assert deadline.id is not None
        due = deadline.due_at
        ids = set()
        for label, at in reminder_times(due, parse_offsets(deadline.offsets)):
            ids |= self.add(
                f"deadline:{deadline.id}:{label}", at, jobs.fire_deadline, [deadline.id, label]
            )
        for n, at in enumerate(
            overdue_times(due, self.config.overdue_every, self.config.overdue_for), 1
        ):
            ids |= self.add(f"overdue:{deadline.id}:{n}", at, jobs.fire_overdue, [deadline.id, n])
        return ids

    def schedule_periods(self) -> set[str]:
        """Add the reminders before each reporting period ends, within the horizon."""
        kinds = {d.period for d in self.library.deadlines() if d.kind == "period"}
        today = self.clock.now().astimezone(self.config.zone).date()
        ids = set()
        for end in period_ends(kinds, today, today + PERIOD_HORIZON):
            day = end.end - timedelta(days=self.config.period_days)
            at = local_moment(day, self.config.reminder_time, self.config.zone)
            args = [end.end.isoformat(), end.since.isoformat(), ",".join(end.kinds)]
            ids |= self.add(f"period:{end.end.isoformat()}", at, jobs.fire_period, args)
        for at, end_day in escalation_times(
            kinds, today, self.config.escalate_after, self.config.reminder_time, self.config.zone
        ):
            ids |= self.add(
                f"escalate:{end_day.isoformat()}", at, jobs.fire_escalation, [end_day.isoformat()]
            )
        for at, day in weekly_digest_times(today, self.config.reminder_time, self.config.zone):
            ids |= self.add(f"digest:{day.isoformat()}", at, jobs.fire_digest, [day.isoformat()])
        return ids

    def add(self, job_id: str, at: datetime, func: object, args: Sequence[object]) -> set[str]:
        """Schedule one job at `at` (this clock) unless it is past the misfire grace."""
        assert self.scheduler is not None
        if at < self.clock.now() - self.config.misfire_grace:
            return set()
        self.scheduler.add_job(
            func,
            "date",
            run_date=self.clock.to_real(at),
            id=job_id,
            args=args,
            replace_existing=True,
        )
        return {job_id}
