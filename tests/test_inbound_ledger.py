"""The inbound ledger: a repeat is dropped, day-old keys pruned, and a database that can't
answer never makes the bot drop an update (handled at least once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import inbound
from bot.inbound import InboundLedger
from handlers.ports import Sessions
from storage.engine import create_engine, session_factory
from tests.conftest import fixed_clock

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_a_repeat_is_dropped_and_day_old_keys_are_pruned(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = NOW
    ledger = InboundLedger(sessions, lambda: now)
    assert await ledger.first_time("telegram", "1")
    assert not await ledger.first_time("telegram", "1")
    monkeypatch.setattr(inbound, "PRUNE_EVERY", 0.0)
    now = NOW + timedelta(days=1, minutes=1)
    assert await ledger.first_time("telegram", "2")  # and prunes "1", a day old
    assert await ledger.first_time("telegram", "1")


async def test_an_unreachable_database_lets_every_update_through(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'no.db'}")
    ledger = InboundLedger(session_factory(engine), fixed_clock(NOW))
    assert await ledger.first_time("zalo_oa", "m1")
    assert await ledger.first_time("zalo_oa", "m1")
    await engine.dispose()
