"""PTB's transport to the Bot API over aiohttp's client instead of httpx.

Profiled in a burst (bench/bench_telegram.py), a quarter of the bot's CPU went to httpcore's
pool bookkeeping: every request start and end walks every pooled connection, polls each idle
socket and counts idle connections once per idle connection (quadratic), so sixteen messages on
the wire cost more to book than to send. aiohttp's connector keeps idle connections per host in
a queue and hands one out without a scan; aiohttp is already the web server's library.

The behaviour PTB relies on is kept: the parameters go form-encoded (files as multipart), the
status and raw body come back for PTB to judge, a timeout is `TimedOut` and any other transport
failure `NetworkError`.
"""

from __future__ import annotations

import urllib.request

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

USER_AGENT = BaseRequest.USER_AGENT


class AiohttpRequest(BaseRequest):
    """Bot API calls through one aiohttp `ClientSession` with at most `pool_size` connections."""

    def __init__(
        self,
        *,
        pool_size: int,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self.pool_size = pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}  # origin → its proxy from the environment

    @property
    def read_timeout(self) -> float | None:
        """The read timeout of a call that names none (PTB adds it to getUpdates' wait)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the client session (idempotent)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.pool_size, limit_per_host=self.pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the client session and its connections (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one call; return its HTTP status and body."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            body = _multipart(fields or {}, files)
        timeout = self._timeout(
            read=read_timeout,
            write=write_timeout,
            connect=connect_timeout,
            pool=pool_timeout,
            media=bool(files),
        )
        try:
            proxy = self._proxy_for(url)
            async with session.request(
                method, url, data=body, timeout=timeout, proxy=proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _proxy_for(self, url: str) -> str | None:
        """Return the proxy HTTPS_PROXY / HTTP_PROXY name for the URL's host unless NO_PROXY
        exempts it, as httpx did (offices reaching Telegram through a proxy); looked up once
        per host: aiohttp's own `trust_env` reads the environment and ~/.netrc every call,
        which cost more than a third of the bot's CPU per update in a burst."""
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host[:port]
        if origin not in self._proxies:
            scheme, _, host = origin.partition("://")
            bypass = urllib.request.proxy_bypass(host.rsplit(":", 1)[0])
            self._proxies[origin] = None if bypass else urllib.request.getproxies().get(scheme)
        return self._proxies[origin]

    def _timeout(
        self, *, read: object, write: object, connect: object, pool: object, media: bool
    ) -> aiohttp.ClientTimeout:
        """Return the call's timeouts, each defaulting to this transport's own."""
        write_default = self._media_write_timeout if media else self._write_timeout
        read_s = _given(read, self._read_timeout)
        write_s = _given(write, write_default)
        connect_s = _given(connect, self._connect_timeout)
        pool_s = _given(pool, self._pool_timeout)
        # aiohttp's `connect` covers waiting for a pooled connection and opening one; its
        # `sock_read` is the longest silence while reading, as httpx's read timeout. Sending a
        # body has no timeout of its own in aiohttp: `total` bounds a whole call by the sum.
        acquire = None if connect_s is None or pool_s is None else connect_s + pool_s
        parts = (acquire, write_s, read_s)
        total = None if None in parts else sum(p for p in parts if p is not None)
        return aiohttp.ClientTimeout(
            total=total, connect=acquire, sock_connect=connect_s, sock_read=read_s
        )


def _given(value: object, default: float | None) -> float | None:
    """Return a timeout a call passed (a number or None), or the default when it passed none."""
    if isinstance(value, DefaultValue):
        return default
    return None if value is None else float(value)  # type: ignore[arg-type]


def _multipart(fields: dict[str, str], files: UploadFileDict) -> aiohttp.FormData:
    """Return the parameters and files as one multipart body, as PTB's httpx transport sends."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
