"""One lane per chat: a chat's updates in arrival order, one at a time; chats side by side.

An update is admitted when it arrives, before it waits for anything: the flood limit
(`Admit`, the handlers' per-member throttle) counts it then, so a member over the limit
gets their notice queued behind their earlier replies and the rest of their flood is
dropped on the spot, never queued. Admitted updates wait in their chat's lane, not in a
shared pool: a chat sending 200 messages at once holds one worker at a time, and the
waiting costs nothing to the other chats. At most `workers` updates are handled at once
(the database and the CPU are shared); delivering the replies, which may wait out the
platform's per-chat spacing, happens outside that limit. A lane exists only while its
chat has work: an idle chat leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from handlers.types import Incoming, Reply

log = logging.getLogger(__name__)

WORKERS = 16  # updates handled at once, all chats together

Admit = Callable[[Incoming], list[Reply] | None]  # None: handle it; else reply only that
Handle = Callable[[], Awaitable[list[Reply]]]  # the work of one update, started in turn
Deliver = Callable[[list[Reply]], Awaitable[None]]  # send the replies, in turn


def admit_all(incoming: Incoming) -> list[Reply] | None:
    """Admit every update (the dispatcher then applies the flood limit itself)."""
    return None


class ChatLanes:
    """Per-chat queues of admitted updates, each drained by its own task while it has work."""

    def __init__(self, name: str, admit: Admit = admit_all, *, workers: int = WORKERS) -> None:
        self.name = name
        self.admit = admit
        self.workers = asyncio.Semaphore(workers)
        self.waiting: dict[str, deque[tuple[Handle, Deliver]]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """Return how many chats have work queued or in hand."""
        return len(self.waiting)

    def take(self, incoming: Incoming, handle: Handle, deliver: Deliver) -> None:
        """Admit an update now; queue its work (or just its notice) in its chat's lane."""
        held = self.admit(incoming)
        if held is not None:
            if not held:
                return  # over the flood limit, notice already given: nothing to do or keep
            handle = _ready(held)
        self.submit(incoming.chat_id, handle, deliver)

    def submit(self, chat: str, handle: Handle, deliver: Deliver) -> None:
        """Queue work behind the chat's earlier updates; start the chat's lane if idle."""
        queue = self.waiting.get(chat)
        if queue is not None:
            queue.append((handle, deliver))
            return
        self.waiting[chat] = deque([(handle, deliver)])
        task = asyncio.create_task(self.drain(chat), name=f"{self.name} chat lane")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, chat: str) -> None:
        """Run the chat's updates in order until none is left, then forget the chat."""
        queue = self.waiting[chat]
        try:
            while queue:
                handle, deliver = queue[0]
                try:
                    async with self.workers:
                        replies = await handle()
                    await deliver(replies)
                except Exception:
                    log.exception("%s update in chat %s failed", self.name, chat)
                queue.popleft()
        finally:
            del self.waiting[chat]

    async def join(self) -> None:
        """Wait until every queued update has been handled and answered."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def _ready(replies: list[Reply]) -> Handle:
    """Return a Handle whose work is already done: these replies."""

    async def handle() -> list[Reply]:
        return replies

    return handle
