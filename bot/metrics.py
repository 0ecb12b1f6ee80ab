"""The process's counters, served as Prometheus text on /metrics.

One `Metrics` per process, with its own registry. Handlers count questions and reports
through the `Meter` port; channels report their platform calls through `ChannelStats`;
the outbox is counted from the database at scrape time (every process sees the same).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.channels.base import Dispatch
from bot.channels.lanes import Admit
from handlers.types import Incoming, Reply

OUTBOX_STATUSES = (
    "pending",
    "sending",
    "sent",
    "failed",
    "dead",
    "undeliverable",
    "dropped",
)
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Counters of one process; `Meter` for the handlers, `channel()` for each adapter."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("bot_updates_received", "Updates received", ["channel"], registry=r)
        self.answered = Counter(
            "bot_updates_answered", "Updates that got a reply", ["channel"], registry=r
        )
        self.questions = Counter(
            "bot_questions", "Questions, by whether the directive answered", ["result"], registry=r
        )
        self.reports = Counter("bot_reports_stored", "Progress reports stored", registry=r)
        self.outbox = Gauge(
            "bot_outbox_messages",
            "Outbox rows by channel and status",
            ["channel", "status"],
            registry=r,
        )
        self.send_seconds = Histogram(
            "bot_send_seconds",
            "Time of one message's API call",
            ["channel"],
            buckets=SEND_BUCKETS,
            registry=r,
        )
        self.rate_limited_count = Counter(
            "bot_rate_limited", "Flood-limit answers (429 or alike)", ["channel"], registry=r
        )
        self.rate_limited_wait = Counter(
            "bot_rate_limited_wait_seconds",
            "Seconds of waiting the flood limits asked for",
            ["channel"],
            registry=r,
        )
        self.last_ok: dict[str, float] = {}  # channel → time.time() of its last working call

    def question(self, found: bool) -> None:
        """Count one question (the handlers' Meter)."""
        self.questions.labels("found" if found else "not_found").inc()

    def report_stored(self) -> None:
        """Count one stored report (the handlers' Meter)."""
        self.reports.inc()

    def counting(self, dispatch: Dispatch) -> Dispatch:
        """Return `dispatch`, counting the updates it receives and those it answers."""

        async def counted(incoming: Incoming) -> list[Reply]:
            self.received.labels(incoming.channel).inc()
            replies = await dispatch(incoming)
            if replies:
                self.answered.labels(incoming.channel).inc()
            return replies

        return counted

    def admitting(self, admit: Admit) -> Admit:
        """Return `admit`, counting the updates it holds back (`counting` counts the rest)."""

        def counted(incoming: Incoming) -> list[Reply] | None:
            held = admit(incoming)
            if held is not None:
                self.received.labels(incoming.channel).inc()
                if held:
                    self.answered.labels(incoming.channel).inc()
            return held

        return counted

    def channel(self, name: str) -> ChannelMetrics:
        """Return the ChannelStats of one channel."""
        return ChannelMetrics(self, name)

    def render(self, outbox: Mapping[str, Mapping[str, int]]) -> bytes:
        """Return the Prometheus text, the outbox gauges set from {channel: {status: rows}}."""
        self.outbox.clear()
        for channel, counts in outbox.items():
            for status in OUTBOX_STATUSES:
                self.outbox.labels(channel, status).set(counts.get(status, 0))
        return generate_latest(self.registry)


class ChannelMetrics:
    """One channel's ChannelStats, kept in the process's Metrics."""

    def __init__(self, metrics: Metrics, name: str) -> None:
        self.metrics = metrics
        self.name = name
        self.send_seconds = metrics.send_seconds.labels(name)
        self.rate_limited_count = metrics.rate_limited_count.labels(name)
        self.rate_limited_wait = metrics.rate_limited_wait.labels(name)

    def succeeded(self) -> None:
        """Note that a call to the platform just worked."""
        self.metrics.last_ok[self.name] = time.time()

    def sent(self, seconds: float) -> None:
        """Note one message delivered in `seconds`."""
        self.send_seconds.observe(seconds)
        self.succeeded()

    def rate_limited(self, wait: float) -> None:
        """Note a flood-limit answer and the wait it asked for."""
        self.rate_limited_count.inc()
        self.rate_limited_wait.inc(wait)
