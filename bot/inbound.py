"""Each platform event handled once, across processes: the `inbound_event` table decides.

Channels ask `InboundLedger.first_time(channel, key)` before handling an update (Telegram's
update_id, Zalo OA's msg_id or the sha256 of the signed body, Zalo Bot's message_id).
When the database can't answer, the event is handled anyway (at least once): a user
whose message was dropped would never know, while a rare double answer is visible and
harmless (a report confirmed twice is refused the second time by its flow's state).
Each process prunes rows older than a day at its first event, then at most once an hour.
"""

from __future__ import annotations

import logging
import time

from handlers.ports import Clock, Sessions
from storage.engine import is_unavailable
from storage.queries.inbound import claim_event, prune_events

log = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0  # seconds between one process's prunes of day-old events


class InboundLedger:
    """Tells whether a platform event is seen for the first time (by any process)."""

    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.pruned_at = -PRUNE_EVERY  # prune at the first event, then hourly

    async def first_time(self, channel: str, key: str) -> bool:
        """Record the event; False if it was taken in before; True (handle it) if unsure."""
        try:
            async with self.sessions() as session:
                new = await claim_event(session, channel=channel, key=key, now=self.clock())
        except Exception as exc:
            if is_unavailable(exc):
                log.warning("%s event %s: repeat check skipped, database unavailable", channel, key)
            else:
                log.exception("%s event %s: repeat check failed; handling it", channel, key)
            return True
        if not new:
            log.info("%s event %s repeated: dropped", channel, key)
            return False
        await self.prune_if_due()
        return True

    async def prune_if_due(self) -> None:
        """Delete day-old events, at most once every PRUNE_EVERY seconds in this process."""
        if time.monotonic() - self.pruned_at < PRUNE_EVERY:
            return
        self.pruned_at = time.monotonic()
        try:
            async with self.sessions() as session:
                pruned = await prune_events(session, now=self.clock())
        except Exception as exc:  # tried again in an hour
            log.warning("inbound events not pruned: %s", exc)
            return
        log.debug("inbound events pruned: %d", pruned)
