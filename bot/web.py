"""One aiohttp server per process: webhooks of every channel, and health checks.

The dispatcher never imports this module; channels add their routes to it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY = 1024 * 1024  # webhook bodies over 1 MB are refused (413)


class WebServer:
    """The process's HTTP server; routes are added before start()."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_get("/healthz", self.healthz)
        self.runner: web.AppRunner | None = None

    def add_post(self, path: str, handler: Handler) -> None:
        """Route POST requests on `path` to `handler`."""
        self.app.router.add_post(path, handler)

    def add_get(self, path: str, handler: Handler) -> None:
        """Route GET requests on `path` to `handler`."""
        self.app.router.add_get(path, handler)

    async def healthz(self, request: web.Request) -> web.Response:
        """Answer that the process is up."""
        return web.json_response({"status": "ok"})

    async def start(self) -> None:
        """Listen on host:port."""
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.host, self.port).start()
        log.info("HTTP server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and finish open requests."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
