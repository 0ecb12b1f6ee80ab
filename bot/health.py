"""/readyz and /metrics: what an operator's monitoring asks the process.

/healthz (bot/web.py) says the process is up; /readyz says it can work: the database
answers, some process leads the reminders, and when each channel last reached its
platform. /metrics is the Prometheus text of bot/metrics.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from bot.metrics import Metrics
from bot.web import WebServer
from handlers.ports import Sessions
from storage.queries.outbox import status_counts

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0  # seconds a readiness check may take before it counts as failed
LeaderKnown = Callable[[], Awaitable[bool]]


class Health:
    """The readiness and metrics endpoints of one process."""

    def __init__(
        self, *, sessions: Sessions, metrics: Metrics, leader_known: LeaderKnown | None
    ) -> None:
        self.sessions = sessions
        self.metrics = metrics
        self.leader_known = leader_known

    def add_routes(self, server: WebServer) -> None:
        """Serve /readyz and /metrics on the process's web server."""
        server.add_get("/readyz", self.readyz)
        server.add_get("/metrics", self.serve_metrics)

    async def readyz(self, request: web.Request) -> web.Response:
        """Answer 200 when the database answers and a leader is known, else 503."""
        database = await self.check(self.ping_database)
        leader = await self.check(self.leader_known) if self.leader_known else True
        channels = {
            name: datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
            for name, moment in sorted(self.metrics.last_ok.items())
        }
        ready = database and leader
        body = {
            "status": "ok" if ready else "unavailable",
            "database": "ok" if database else "unreachable",
            "leader": "known" if leader else "none",
            "channels_last_ok": channels,
        }
        return web.json_response(body, status=200 if ready else 503)

    async def serve_metrics(self, request: web.Request) -> web.Response:
        """Return the counters in the Prometheus text format."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT), self.sessions() as session:
                outbox = await status_counts(session)
        except Exception as exc:  # the counters are still worth serving
            log.warning("metrics: could not count the outbox: %s", type(exc).__name__)
            outbox = {}
        body = self.metrics.render(outbox)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def ping_database(self) -> bool:
        """Run SELECT 1."""
        async with self.sessions() as session:
            await session.execute(text("SELECT 1"))
        return True

    async def check(self, probe: Callable[[], Awaitable[bool]]) -> bool:
        """Return the probe's answer; False if it fails or takes too long."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                return await probe()
        except Exception as exc:
            log.warning("readiness check %s failed: %s", probe.__name__, type(exc).__name__)
            return False
