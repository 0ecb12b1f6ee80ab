"""The service container: build everything once from Settings, run the channels."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.base import Channel, Dispatch
from bot.channels.console import ConsoleChannel
from bot.channels.lanes import Admit
from bot.database import Database
from bot.health import Health
from bot.inbound import InboundLedger
from bot.library_source import LibraryWatcher, load_full_library
from bot.metrics import Metrics
from bot.settings import Settings
from bot.web import WebServer
from handlers import Handlers
from handlers.ports import Clock
from handlers.reminders import ReminderDefaults
from handlers.web_login import mini_app_url
from knowledge import Library
from scheduler.clock import Clock as ShiftedClock
from scheduler.plan import QuietHours, parse_clock_time, parse_span
from scheduler.service import ReminderConfig, ReminderService

log = logging.getLogger(__name__)

# One factory per chat platform; each returns None when its settings are absent. A channel
# calls `admit` as an update arrives (the flood limit), `dispatch` in the chat's turn.
ChannelFactory = Callable[["Services", Dispatch, Admit], Channel | None]


def telegram_channel(services: Services, dispatch: Dispatch, admit: Admit) -> Channel | None:
    """Return the Telegram channel when TELEGRAM_BOT_TOKEN is set."""
    settings = services.settings
    if settings.telegram_bot_token is None:
        return None
    from bot.channels.telegram import TelegramChannel, TelegramConfig  # PTB only when used

    token = settings.telegram_bot_token.get_secret_value()
    given = settings.telegram_webhook_secret
    config = TelegramConfig(
        token=token,
        api_base_url=settings.telegram_api_base_url,
        webhook_url=settings.telegram_webhook_url,
        secret=given.get_secret_value() if given else derived_secret(token, "telegram-webhook"),
        overall_rate=settings.telegram_overall_rate,
        drop_webhook=services.drop_webhook,
        mini_app_url=mini_app_url(settings.web_base),
    )
    return TelegramChannel(
        dispatch,
        config,
        web_server=services.web,
        reachability=services.handlers.note_reachability,
        stats=services.metrics.channel("telegram"),
        first_time=services.inbound.first_time,
        admit=admit,
    )


def zalo_oa_channel(services: Services, dispatch: Dispatch, admit: Admit) -> Channel | None:
    """Return the Zalo Official Account channel when its app id and secrets are set."""
    s = services.settings
    if not (s.zalo_oa_app_id and s.zalo_oa_app_secret and s.zalo_oa_secret_key):
        return None
    from bot.channels.zalo_oa import ZaloOAChannel, ZaloOAConfig

    config = ZaloOAConfig(
        app_id=s.zalo_oa_app_id,
        app_secret=s.zalo_oa_app_secret.get_secret_value(),
        secret_key=s.zalo_oa_secret_key.get_secret_value(),
        refresh_token=s.zalo_oa_refresh_token.get_secret_value() if s.zalo_oa_refresh_token else "",
        api_base_url=s.zalo_oa_api_base_url,
        oauth_base_url=s.zalo_oauth_base_url,
        max_event_age=timedelta(seconds=s.zalo_max_event_age),
        http_files=s.zalo_oa_api_base_url.startswith("http://"),  # only a loopback fake's
    )
    return ZaloOAChannel(
        dispatch,
        config,
        web_server=services.web,
        sessions=services.database.sessions,
        reachability=services.handlers.note_reachability,
        stats=services.metrics.channel("zalo_oa"),
        first_time=services.inbound.first_time,
        admit=admit,
        may_upload=services.handlers.may_upload,
    )


def zalo_bot_channel(services: Services, dispatch: Dispatch, admit: Admit) -> Channel | None:
    """Return the Zalo Bot channel when ZALO_BOT_TOKEN is set."""
    s = services.settings
    if s.zalo_bot_token is None:
        return None
    from bot.channels.zalo_bot import ZaloBotChannel, ZaloBotConfig

    token = s.zalo_bot_token.get_secret_value()
    given = s.zalo_bot_webhook_secret
    secret = given.get_secret_value() if given else derived_secret(token, "zalo-bot-webhook")
    config = ZaloBotConfig(token, s.zalo_bot_api_base_url, s.zalo_bot_webhook_url, secret)
    return ZaloBotChannel(
        dispatch,
        config,
        web_server=services.web,
        reachability=services.handlers.note_reachability,
        stats=services.metrics.channel("zalo_bot"),
        first_time=services.inbound.first_time,
        admit=admit,
    )


def derived_secret(token: str, purpose: str) -> str:
    """Return a webhook secret every process derives alike from the token (hex)."""
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


CHANNEL_FACTORIES: list[ChannelFactory] = [telegram_channel, zalo_oa_channel, zalo_bot_channel]


def make_clock(shifted: ShiftedClock, zone: ZoneInfo) -> Clock:
    """Return a clock giving aware datetimes in the users' zone (CLOCK_START shifts it)."""

    def now() -> datetime:
        return shifted.now().astimezone(zone)

    return now


@dataclass
class Services:
    """Everything a process needs, built once."""

    settings: Settings
    library: Library
    clock: Clock
    database: Database
    handlers: Handlers
    web: WebServer
    reminder_clock: ShiftedClock
    metrics: Metrics
    inbound: InboundLedger
    drop_webhook: bool = False  # `run --drop-webhook`: polling may remove a webhook

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Load the library once, open the database and wire the handlers to both."""
        library = load_full_library(settings)
        shifted = ShiftedClock(settings.clock_start)
        clock = make_clock(shifted, settings.zone)
        database = Database.open(settings)
        metrics = Metrics()
        handlers = Handlers(
            library=library,
            clock=clock,
            sessions=database.sessions,
            admins=settings.admin_ids,
            timezone=settings.zone,
            reminder_defaults=ReminderDefaults(
                settings.reminder_offsets, parse_clock_time(settings.reminder_time)
            ),
            meter=metrics,
            flood_per_minute=settings.flood_per_minute,
            web_base_url=settings.web_base,
            bot_username=settings.telegram_bot_username,
        )
        web = WebServer(settings.http_host, settings.http_port)
        inbound = InboundLedger(database.sessions, clock)
        return cls(settings, library, clock, database, handlers, web, shifted, metrics, inbound)

    def watcher(self) -> LibraryWatcher:
        """Return the watcher reloading this process's library when directives change."""
        return LibraryWatcher(self.settings, self.library, self.database.sessions)

    async def serve(self, channels: list[Channel]) -> None:
        """Migrate; with chat platforms, open the web server and run reminders; run the channels."""
        await self.database.upgrade()
        watcher = self.watcher()
        await watcher.start()
        platforms = {c.name: c for c in channels if c.name != "console"}
        reminders = self.reminders(platforms) if platforms else None
        try:
            for channel in channels:  # before anything starts: a refusal changes nothing
                await channel.preflight()
            if reminders is not None:
                leader = reminders.leadership.leader_known
                health = Health(
                    sessions=self.database.sessions, metrics=self.metrics, leader_known=leader
                )
                health.add_routes(self.web)
                self.add_dashboard()
                await self.web.start()
                await reminders.start()
            settle_memory()
            await run_channels(channels)
        finally:
            if reminders is not None:
                await reminders.stop()
            await watcher.stop()
            await self.web.stop()
            await self.database.close()

    async def serve_web(self) -> None:
        """Migrate, then serve only the web dashboard (and /healthz) until SIGTERM/SIGINT."""
        await self.database.upgrade()
        watcher = self.watcher()
        await watcher.start()
        try:
            self.add_dashboard()
            await self.web.start()
            settle_memory()
            stop = asyncio.Event()
            install_stop_signals(stop)
            await stop.wait()
        finally:
            await watcher.stop()
            await self.web.stop()
            await self.database.close()

    def add_dashboard(self) -> None:
        """Add the web dashboard's pages to the web server (before it starts)."""
        from bot.dashboard import add_dashboard  # Jinja2 and the templates only when served

        add_dashboard(
            self.web,
            settings=self.settings,
            database=self.database,
            clock=self.clock,
            library=self.library,
            meter=self.metrics,
        )

    def reminders(self, channels: dict[str, Channel]) -> ReminderService:
        """Return the reminder service sending through these channels."""
        settings = self.settings
        config = ReminderConfig(
            offsets=settings.reminder_offsets,
            reminder_time=parse_clock_time(settings.reminder_time),
            overdue_every=parse_span(settings.overdue_every),
            overdue_for=parse_span(settings.overdue_for),
            period_days=settings.period_reminder_days,
            quiet=QuietHours.parse(
                settings.quiet_hours, settings.zone, settings.skip_weekends, settings.holidays
            ),
            escalate_after=parse_span(settings.escalate_after),
            misfire_grace=parse_span(settings.misfire_grace),
            max_attempts=settings.max_attempts,
            zone=settings.zone,
            mini_app_url=mini_app_url(settings.web_base),
        )
        return ReminderService(
            config=config,
            engine=self.database.engine,
            sessions=self.database.sessions,
            library=self.library,
            channels=dict(channels),
            clock=self.reminder_clock,
        )

    def console(self, user_id: str = "local") -> ConsoleChannel:
        """Return a console channel on this process's stdin and stdout."""
        return ConsoleChannel(
            self.handlers.handle,
            clock=self.clock,
            stdin=sys.stdin,
            stdout=sys.stdout,
            user_id=user_id,
            files_dir=self.settings.data_dir / "exports",
        )

    def channels(self) -> list[Channel]:
        """Return every configured channel; the console when none is configured."""
        dispatch = self.metrics.counting(self.handlers.handle_admitted)
        admit = self.metrics.admitting(self.handlers.admit)
        built = [factory(self, dispatch, admit) for factory in CHANNEL_FACTORIES]
        channels = [channel for channel in built if channel is not None]
        return channels or [self.console()]


def settle_memory() -> None:
    """Exempt what start-up built (the library's index, modules) from garbage collection."""
    # Those ~135,000 objects live as long as the process, and every full collection
    # walked them all: ~100 ms (2 busy cores) in the middle of whichever replies were due.
    gc.collect()
    gc.freeze()


async def run_channels(channels: list[Channel]) -> None:
    """Start the channels, wait until one finishes or a stop signal, then stop them all."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    for channel in channels:
        log.info("starting channel %s", channel.name)
        await channel.start()
    waiters = [asyncio.create_task(stop.wait())]
    waiters += [asyncio.create_task(channel.finished.wait()) for channel in channels]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await stop_channels(channels)


async def stop_channels(channels: list[Channel]) -> None:
    """Stop every channel; one failing to stop doesn't keep the others running."""
    for channel in reversed(channels):
        try:
            await channel.stop()
        except Exception:
            log.exception("channel %s failed to stop", channel.name)


def install_stop_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGTERM (and SIGINT) where the platform allows it."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
