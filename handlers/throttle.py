"""Flood control per member: at most `limit` messages in a minute, then one notice, then silence.

The window is fixed and anchored at a member's first message: the minute starting then
allows `limit` messages (button presses count too); the next one gets the slow-down
notice with the moment the minute ends; the rest of that minute is dropped unanswered.
The first message after the minute starts a new window. (A burst at the end of one
window and the start of the next can reach 2 x limit within a few seconds; over any
longer stretch a member averages at most `limit` a minute.)

Memory stays bounded: windows are kept in the order they started, so expired ones are
evicted from the front as time passes; and never more than `max_senders` are kept (the
oldest go first, which only lets those members start afresh).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

WINDOW = timedelta(minutes=1)
MAX_SENDERS = 100_000


class Verdict(Enum):
    """What to do with one message."""

    PASS = "pass"  # handle it
    WARN = "warn"  # answer only with the slow-down notice
    DROP = "drop"  # neither handle nor answer


@dataclass(frozen=True)
class Admission:
    """The verdict on one message, and when its sender may write again."""

    verdict: Verdict
    reopens_at: datetime | None = None  # set with WARN and DROP


class _Window:
    """One sender's current window."""

    __slots__ = ("count", "start")

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.count = 1


class Throttle:
    """Counts each sender's messages in their current minute; pure, the time is passed in."""

    def __init__(
        self, limit: int, *, window: timedelta = WINDOW, max_senders: int = MAX_SENDERS
    ) -> None:
        if limit < 1 or max_senders < 1:
            raise ValueError("limit and max_senders must be positive")
        self.limit = limit
        self.window = window
        self.max_senders = max_senders
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def __len__(self) -> int:
        """Return how many senders are remembered."""
        return len(self._windows)

    def admit(self, sender: str, now: datetime) -> Admission:
        """Count one message from `sender` at `now` (aware) and say what to do with it."""
        self.evict(now)
        window = self._windows.get(sender)
        if window is None or not self.covers(window, now):
            self._windows.pop(sender, None)
            self._windows[sender] = _Window(now)  # newest start goes last
            if len(self._windows) > self.max_senders:
                self._windows.popitem(last=False)
            return Admission(Verdict.PASS)
        window.count += 1
        if window.count <= self.limit:
            return Admission(Verdict.PASS)
        verdict = Verdict.WARN if window.count == self.limit + 1 else Verdict.DROP
        return Admission(verdict, window.start + self.window)

    def covers(self, window: _Window, now: datetime) -> bool:
        """Tell whether `now` falls in the window (a clock set back starts a new one)."""
        return window.start <= now < window.start + self.window

    def evict(self, now: datetime) -> None:
        """Forget the windows that have ended, oldest first."""
        while self._windows:
            oldest = next(iter(self._windows.values()))
            if self.covers(oldest, now):
                return
            self._windows.popitem(last=False)
