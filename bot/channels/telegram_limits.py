"""Stay inside Telegram's flood limits, and ride out 429s and short outages.

Every request python-telegram-bot makes passes through `FloodControl`: messages
are spaced per chat (1 s in a private chat, 3 s in a group: 20 a minute) and kept
under the overall limit in every sliding second (30, or 1,000 with paid broadcasts);
a 429 pauses every send for its retry_after and then tries again.

Network errors and 5xx are retried with exponential backoff for up to PATIENCE seconds,
so a 30 s outage of the Bot API loses no reply (a 5xx means Telegram delivered nothing:
the retry is not a second copy); each retry of a message waits for its turn again. A
message counts against the overall limit from its slot until a second after its answer
(Telegram counts it on arrival, somewhere in between), so a backlog that a busy event
loop sends late and all at once stays inside the limit too. The "typing…" action and
button acknowledgements are tried once: late, they are worthless. Requests for one
chat go out in order. What is kept per chat lives only while it matters: a chat's turn
while requests for it wait, its next allowed moment until that moment has passed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.channels.base import ChannelStats, NoStats
from scheduler.delivery import check_send_guard

log = logging.getLogger(__name__)

MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "copyMessage",
        "forwardMessage",
    }
)
PRIVATE_INTERVAL = 1.0  # seconds between messages to one private chat
GROUP_INTERVAL = 3.0  # 20 messages a minute to one group
WINDOW = 1.02  # seconds; one message under the limit per window, and 2% slack for jitter
ANSWERED_WINDOW = 1.0  # seconds an answered message still counts (it arrived before its answer)
MAX_PAUSE = 120.0  # a longer retry_after is not waited for here: the caller decides
PATIENCE = 60.0  # seconds network errors and 5xx are retried before a request fails
TRY_ONCE = frozenset({"sendChatAction", "answerCallbackQuery"})  # not worth a retry
# Messages on the wire at once: at Telegram's ~50 ms a call, ~300 messages/s, ten times the
# free tier's overall limit, without a burst of replies opening hundreds of connections.
CALLS_AT_ONCE = 16


def seconds(value: float | timedelta) -> float:
    """Return a retry_after (int or timedelta, by PTB version) in seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ChatTurn:
    """One chat's lock, and how many requests hold it or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class FloodControl(BaseRateLimiter[int]):
    """Throttle message requests per chat and overall (at most CALLS_AT_ONCE on the wire);
    retry 429s, 5xx and timeouts."""

    def __init__(
        self,
        *,
        overall_rate: float = 30.0,
        retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 5.0,
        patience: float = PATIENCE,
        clock: Callable[[], float] = time.monotonic,
        stats: ChannelStats | None = None,
    ) -> None:
        self.capacity = max(1, int(overall_rate) - 1)  # messages in any WINDOW
        self.spacing = 1.0 / overall_rate  # and never two closer: a stalled loop can't burst
        self.recent: deque[float] = deque(maxlen=self.capacity)  # when the last ones went
        self.limit = max(1, int(overall_rate))  # counted from slot to answer + 1 s: no slack
        self.in_flight = 0  # messages given a slot and not answered yet
        self.answered: deque[float] = deque()  # when the last second's messages were answered
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.patience = patience
        self.clock = clock
        self.next_for_chat: OrderedDict[str, float] = OrderedDict()  # latest set last
        self.chat_turns: dict[str, ChatTurn] = {}  # chats with requests waiting or going out
        self.overall_lock = asyncio.Lock()
        self.resume_at = 0.0  # set by a 429: nothing is sent before then
        self.retry_after_total = 0.0  # seconds waited because of 429s
        self.stats = stats or NoStats()
        self.calls = asyncio.Semaphore(CALLS_AT_ONCE)  # messages being sent right now

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send one request within the limits, retrying what is worth retrying."""
        chat = str(data.get("chat_id", ""))
        if endpoint not in MESSAGE_METHODS or not chat:
            return await self.with_retries(callback, args, kwargs, endpoint)
        turn = self.chat_turns.setdefault(chat, ChatTurn())
        turn.users += 1
        try:
            async with turn.lock:
                await self.wait_for_chat(chat)
                try:
                    return await self.with_retries(self.counted(callback), args, kwargs, endpoint)
                finally:
                    gap = GROUP_INTERVAL if chat.startswith("-") else PRIVATE_INTERVAL
                    self.space_chat(chat, self.clock() + gap)
        finally:
            turn.users -= 1
            if not turn.users:
                del self.chat_turns[chat]

    def space_chat(self, chat: str, until: float) -> None:
        """Hold the chat's next message until `until`; forget chats whose wait has passed."""
        self.next_for_chat.pop(chat, None)
        self.next_for_chat[chat] = until
        now = self.clock()
        while self.next_for_chat:
            first, moment = next(iter(self.next_for_chat.items()))
            if moment > now:  # (a group's longer gap may keep a few passed ones behind it)
                return
            del self.next_for_chat[first]

    async def wait_for_chat(self, chat: str) -> None:
        """Sleep until this chat may get its next message."""
        delay = self.next_for_chat.get(chat, 0.0) - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def wait_overall(self) -> None:
        """Wait until one more message keeps every 1 s window under the limit, evenly spaced."""
        async with self.overall_lock:
            while True:
                now = self.clock()
                if now < self.resume_at:  # a 429 pause
                    await asyncio.sleep(self.resume_at - now)
                    continue
                spaced = not self.recent or now - self.recent[-1] >= self.spacing
                if not spaced:
                    await asyncio.sleep(self.spacing - (now - self.recent[-1]))
                    continue
                while self.answered and now - self.answered[0] >= ANSWERED_WINDOW:
                    self.answered.popleft()
                if self.in_flight + len(self.answered) >= self.limit:  # still counted
                    oldest = self.answered[0] if self.answered else now
                    await asyncio.sleep(max(self.spacing, ANSWERED_WINDOW - (now - oldest)))
                    continue
                if len(self.recent) < self.capacity or now - self.recent[0] >= WINDOW:
                    self.recent.append(now)
                    self.in_flight += 1
                    return
                await asyncio.sleep(WINDOW - (now - self.recent[0]))

    def counted(
        self, callback: Callable[..., Coroutine[Any, Any, Any]]
    ) -> Callable[..., Coroutine[Any, Any, Any]]:
        """Return `callback` made to take a slot of the overall limit on every attempt."""

        async def attempt(*args: Any, **kwargs: Any) -> Any:
            async with self.calls:
                await self.wait_overall()
                started = time.monotonic()
                try:
                    await check_send_guard()  # an outbox message may have waited past its term
                    result = await callback(*args, **kwargs)
                    self.stats.sent(time.monotonic() - started)  # the API call, not the waits
                    return result
                finally:
                    self.in_flight -= 1
                    self.answered.append(self.clock())

        return attempt

    async def with_retries(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: Any,
        endpoint: str,
    ) -> Any:
        """Call the API; wait out 429s, back off on network errors and 5xx for `patience` s."""
        attempt = 0
        give_up_at = self.clock() + self.patience
        while True:
            try:
                result = await callback(*args, **kwargs)
                self.stats.succeeded()
                return result
            except RetryAfter as exc:
                pause = seconds(exc.retry_after)
                if pause > MAX_PAUSE or attempt >= self.retries:
                    raise
                await self.pause_all(pause, endpoint)
            except BadRequest:
                raise
            except NetworkError as exc:
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                if endpoint in TRY_ONCE or self.clock() + delay > give_up_at:
                    raise
                log.warning("%s failed (%s); retry %d in %.1f s", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
            attempt += 1

    async def pause_all(self, pause: float, endpoint: str) -> None:
        """Hold every send for a 429's retry_after, then let this one try again."""
        log.warning("%s hit the flood limit; pausing all sends for %.1f s", endpoint, pause)
        self.resume_at = max(self.resume_at, self.clock() + pause)
        self.retry_after_total += pause
        self.stats.rate_limited(pause)
        await asyncio.sleep(max(0.0, self.resume_at - self.clock()))
