"""The reminder clock: real time, or real time shifted to a chosen start (tests, drills).

APScheduler waits in real time; every time the bot computes (fire times, quiet hours)
is on this clock, and `to_real` turns it into the real time APScheduler waits for.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Aware 'now', optionally starting at a given moment and running at real speed."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = timedelta(0)
        if start is not None:
            if start.tzinfo is None:
                raise ValueError("the clock's start must be an aware datetime")
            self.offset = start - datetime.now(UTC)
        self.started = time.monotonic()

    def now(self) -> datetime:
        """Return the current time on this clock (UTC, aware)."""
        return datetime.now(UTC) + self.offset

    def to_real(self, moment: datetime) -> datetime:
        """Return the real time at which this clock shows `moment`."""
        return moment - self.offset
