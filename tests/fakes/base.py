"""What the loopback fakes share: an aiohttp server on 127.0.0.1 that records what it is sent.

`LoopbackServer` starts and stops the server on a free port, gives its `url`, is an async
context manager, waits for a condition (`wait_for`) and describes what happened (`dump`).
`UpdateServer` adds what Telegram-like APIs share: a queue of updates for long polls, a
webhook delivered to in order by background tasks. `FaultQueue` holds injected failures.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, Self, TypeVar

from aiohttp import ClientError, ClientSession, ClientTimeout, web

Json = dict[str, Any]
Handler = Callable[[Json, dict[str, Json]], Coroutine[Any, Any, Any]]


class _Counted(Protocol):
    times: int


F = TypeVar("F", bound=_Counted)


class FaultQueue(Generic[F]):
    """Injected failures per key ("*" = any call), each used for its next `times` calls."""

    def __init__(self) -> None:
        self._queues: dict[str, list[F]] = {}

    def add(self, key: str, fault: F) -> None:
        """Queue a fault after the ones already queued under `key`."""
        self._queues.setdefault(key, []).append(fault)

    def take(self, *keys: str) -> F | None:
        """Use up one call of the first fault queued under the first key that has one."""
        for key in keys:
            faults = self._queues.get(key)
            if faults:
                fault = faults[0]
                fault.times -= 1
                if fault.times <= 0:
                    faults.pop(0)
                return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self._queues.clear()


async def read_params(
    request: web.Request, bad_json: Callable[[], Exception] | None = None
) -> tuple[Json, dict[str, Json]]:
    """Read parameters from a query string, a JSON body, a form or a multipart body.

    A JSON body that does not parse raises `bad_json()` (default: the ValueError itself).
    """
    params: Json = dict(request.query)
    files: dict[str, Json] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            if bad_json is None:
                raise
            raise bad_json() from None
        params.update(body if isinstance(body, dict) else {})
        return params, files
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            content = value.file.read()
            files[key] = {"name": value.filename, "mime": value.content_type, "content": content}
        elif isinstance(value, bytes | bytearray):
            params[key] = bytes(value).decode("utf-8", "replace")
        else:
            params[key] = value
    return params, files


def one_line(text: str | None) -> str:
    """Return the first 300 characters of a text on one line, for dumps."""
    return (text or "")[:300].replace("\n", "\\n")


class LoopbackServer:
    """An in-process aiohttp server on 127.0.0.1 that records `calls` and `sent` messages.

    Subclasses set `label` (for logs), `recipient` (the key of a `sent` record that
    `_sent_to` matches) and maybe `client_max_size`, and define `_add_routes`,
    `_describe_sent` and `_dump_tail`.
    """

    label = "fake server"
    recipient = "chat_id"
    client_max_size = 1024**2  # aiohttp's default

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.sent: list[Json] = []
        self.calls: list[Json] = []
        self.deliveries: list[Json] = []
        self.started_at = time.monotonic()
        self._log = logging.getLogger(type(self).__module__)
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        """Route the platform's paths to their handlers."""
        raise NotImplementedError

    # --- lifecycle ---

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port (or `port`) and start serving."""
        app = web.Application(client_max_size=self.client_max_size)
        self._add_routes(app.router)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self.started_at = time.monotonic()
        self._log.info("%s listening on %s", self.label, self.url)

    async def stop(self) -> None:
        """Close the client session and the server."""
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def url(self) -> str:
        """Return the server's root, e.g. "http://127.0.0.1:PORT"."""
        if self._runner is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://{self.host}:{self.port}"

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST `body` to `url` with the fake's client session; return the HTTP status."""
        assert self._session is not None
        async with self._session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    # --- reading what happened ---

    def _sent_to(self, recipient: object) -> list[Json]:
        """Return the `sent` records whose recipient is `recipient` (compared as str)."""
        return [record for record in self.sent if str(record[self.recipient]) == str(recipient)]

    async def wait_for(
        self,
        predicate_or_count: Callable[[Self], Any] | int,
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API
    ) -> Any:
        """Wait until predicate(fake) is truthy (or `count` messages were sent); return it."""
        if isinstance(predicate_or_count, int):
            count = predicate_or_count
            predicate: Callable[[Self], Any] = lambda fake: len(fake.sent) >= count  # noqa: E731
        else:
            predicate = predicate_or_count
        deadline = time.monotonic() + timeout
        while not (result := predicate(self)):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s\n{self.dump()}")
            await asyncio.sleep(0.02)
        return result

    def dump(self) -> str:
        """Describe what was sent, then `_dump_tail`, for failure messages."""
        lines = [f"sent ({len(self.sent)}):"]
        for record in self.sent:
            at = record["at"] - self.started_at
            lines.append(f"  +{at:7.3f}s {self._describe_sent(record)}")
        lines.extend(self._dump_tail())
        return "\n".join(lines)

    def _describe_sent(self, record: Json) -> str:
        """Describe one `sent` record on one line (after its time)."""
        raise NotImplementedError

    def _dump_tail(self) -> list[str]:
        """Return the dump's lines after the sent messages."""
        return []


class UpdateServer(LoopbackServer):
    """A LoopbackServer that hands updates to long polls or POSTs them to a webhook."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.unknown_methods: list[str] = []
        self.webhook: Json | None = None
        self._queue: list[Json] = []
        self._changed = asyncio.Event()
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._delivery_lock = asyncio.Lock()

    async def stop(self) -> None:
        """Release pending long polls, cancel webhook deliveries and close the server."""
        self._closing = True
        self._wake()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await super().stop()

    def calls_to(self, method: str) -> list[Json]:
        """Return the API calls of one method, oldest first."""
        return [call for call in self.calls if call["method"].lower() == method.lower()]

    @property
    def pending_updates(self) -> list[Json]:
        """Return the updates no getUpdates call has taken (or confirmed) yet."""
        return list(self._queue)

    def repeat(self, update: Json) -> Json:
        """Hand out an update again (queued, or POSTed to the webhook), as a platform does
        when the bot's confirmation was lost; return it."""
        return self._push(copy.deepcopy(update))

    def _push(self, update: Json) -> Json:
        """Queue an update for getUpdates, or deliver it when a webhook is set."""
        raise NotImplementedError

    async def deliver(self, update: Json) -> int:
        """POST an update to the registered webhook; return the HTTP status it answered."""
        raise NotImplementedError

    def _failed_delivery(self, update: Json) -> Json:
        """Return the `deliveries` record of an update that could not be POSTed."""
        raise NotImplementedError

    def _wake(self) -> None:
        """Wake every waiting long poll."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a background task, keeping a reference until it is done."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_in_order(self, update: Json) -> None:
        """Deliver one update to the webhook after the ones before it (no retries)."""
        async with self._delivery_lock:
            try:
                await self.deliver(update)
            except (ClientError, TimeoutError, RuntimeError) as exc:
                self._log.warning("%s: webhook delivery failed: %r", self.label, exc)
                self.deliveries.append(self._failed_delivery(update))
