"""A round-robin loopback proxy: the load balancer in front of several bot processes.

Each request, whatever its path, goes to the next of the `upstreams` in turn (request n to
upstream n mod N), with its method, path, query, headers and body; the answer comes back
as the upstream gave it. `forwarded` records where each request went and how it was
answered, so a test can check that its requests really alternated between processes.
"""

from __future__ import annotations

import itertools
import time

from aiohttp import ClientError, web

from .base import Json, LoopbackServer

HOP_BY_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})
DECODED = HOP_BY_HOP | {"content-encoding"}  # aiohttp's client decodes a compressed answer


class RoundRobinProxy(LoopbackServer):
    """An aiohttp server on 127.0.0.1 forwarding each request to the next upstream."""

    label = "round-robin proxy"
    recipient = "upstream"
    client_max_size = 2 * 1024**2  # above the bot's own 1 MB limit: the bot refuses, not us

    def __init__(self, upstreams: list[str], *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        if not upstreams:
            raise ValueError("a proxy needs at least one upstream")
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self._turns = itertools.count()

    @property
    def forwarded(self) -> list[Json]:
        """Return the requests forwarded so far: path, upstream index, status; oldest first."""
        return self.sent

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        """Forward every method and path."""
        router.add_route("*", "/{tail:.*}", self._forward)

    async def _forward(self, request: web.Request) -> web.Response:
        """Send the request to the next upstream and answer with its answer (502 if none)."""
        assert self._session is not None
        index = next(self._turns) % len(self.upstreams)
        record = {"path": request.path, "upstream": index, "status": 502, "at": time.monotonic()}
        self.sent.append(record)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        url = f"{self.upstreams[index]}{request.path_qs}"
        try:
            async with self._session.request(
                request.method, url, data=await request.read(), headers=headers
            ) as answer:
                body = await answer.read()
                record["status"] = answer.status
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in DECODED}
                return web.Response(status=answer.status, body=body, headers=kept)
        except (ClientError, TimeoutError) as exc:
            self._log.warning("%s: upstream %d failed: %r", self.label, index, exc)
            return web.Response(status=502)

    def _describe_sent(self, record: Json) -> str:
        """Describe one forwarded request for `dump`."""
        return f"{record['path']} -> upstream {record['upstream']}: {record['status']}"
