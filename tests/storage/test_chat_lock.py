"""One chat's turns one at a time across processes: sessions on two engines (as two bot
processes would have) take the chat's advisory lock (`storage/queries/locks.py`); so does a
check-then-write such as the dashboard's once-an-hour «nhắc ngay»."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.engine import session_factory
from storage.queries.audit import add_audit, list_audit
from storage.queries.locks import chat_lock_key, lock_chat, lock_until_commit
from storage.queries.state import get_state, put_state
from tests.storage.conftest import Backend

WAITS = 0.5  # seconds a blocked lock must stay blocked
PROMPT = 5.0  # seconds a free lock may take at most


@pytest_asyncio.fixture
async def other(engine: AsyncEngine, backend: Backend) -> AsyncIterator[AsyncEngine]:
    """A second engine on the same database: another process."""
    made = backend.engine()
    yield made
    await made.dispose()


def postgres_only(backend: Backend) -> None:
    """Skip on SQLite, where one process has one writer and the lock does nothing."""
    if backend.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite runs one process")


async def still_waiting(task: asyncio.Task[Any]) -> bool:
    """Tell whether `task` is still blocked after WAITS seconds."""
    done, _ = await asyncio.wait({task}, timeout=WAITS)
    return not done


async def lock(session: AsyncSession, chat: str, channel: str = "zalo_bot") -> None:
    """Take the lock of a chat."""
    await lock_chat(session, channel=channel, chat_id=chat)


def test_the_key_is_a_stable_signed_64_bit_number_per_channel_and_chat() -> None:
    key = chat_lock_key("zalo_bot", "42")
    assert key == chat_lock_key("zalo_bot", "42")
    assert -(2**63) <= key < 2**63
    assert len({key, chat_lock_key("telegram", "42"), chat_lock_key("zalo_bot", "421")}) == 3


async def test_a_second_turn_of_the_same_chat_waits_then_sees_what_the_first_wrote(
    engine: AsyncEngine, other: AsyncEngine, backend: Backend
) -> None:
    postgres_only(backend)

    async def second_turn() -> dict[str, object] | None:
        async with session_factory(other)() as second:
            await lock(second, "c1")
            row = await get_state(second, channel="zalo_bot", chat_id="c1")
            return dict(row.data) if row is not None else None

    async with session_factory(engine)() as first:
        await lock(first, "c1")
        waiting = asyncio.create_task(second_turn())
        assert await still_waiting(waiting)
        await put_state(first, channel="zalo_bot", chat_id="c1", state="report", data={"n": 1})
        assert await asyncio.wait_for(waiting, PROMPT) == {"n": 1}


async def test_the_lock_is_taken_again_by_the_turns_next_transaction(
    engine: AsyncEngine, other: AsyncEngine, backend: Backend
) -> None:
    postgres_only(backend)
    async with session_factory(engine)() as first, session_factory(other)() as second:
        await lock(first, "c1")
        await first.commit()
        await get_state(first, channel="zalo_bot", chat_id="c1")  # a new transaction
        waiting = asyncio.create_task(lock(second, "c1"))
        assert await still_waiting(waiting)
        await first.close()  # the turn ends: its transaction, and the lock, with it
        await asyncio.wait_for(waiting, PROMPT)


async def test_other_chats_do_not_wait(
    engine: AsyncEngine, other: AsyncEngine, backend: Backend
) -> None:
    postgres_only(backend)
    async with session_factory(engine)() as first:
        await lock(first, "c1")
        for channel, chat in (("zalo_bot", "c2"), ("telegram", "c1")):
            async with session_factory(other)() as second:
                await asyncio.wait_for(lock(second, chat, channel=channel), PROMPT)


async def test_on_sqlite_the_lock_takes_no_connection(
    engine: AsyncEngine, backend: Backend
) -> None:
    if backend.name != "sqlite":
        pytest.skip("the SQLite case")
    sessions = session_factory(engine)  # one connection per process on SQLite
    async with sessions() as first, sessions() as second:
        await lock(first, "c1")
        await asyncio.wait_for(lock(second, "c1"), PROMPT)
        await put_state(second, channel="zalo_bot", chat_id="c1", state="report", data={})


async def test_a_once_an_hour_check_runs_one_process_at_a_time(
    engine: AsyncEngine, other: AsyncEngine, backend: Backend
) -> None:
    """Two committee members press «nhắc ngay» for one unit at once, in two processes: the
    second's check waits for the first's commit, sees its audit row, and sends nothing."""
    postgres_only(backend)

    async def remind(sessions: Any, pause: float) -> bool:
        async with sessions() as session:
            await lock_until_commit(session, "unit.remind", "HU-A")
            if await list_audit(session, limit=1, action="unit.remind", target="HU-A"):
                return False
            await asyncio.sleep(pause)  # the window a check-then-write race needs
            add_audit(session, actor="t", action="unit.remind", target="HU-A", detail={})
            await session.commit()
            return True

    first = asyncio.create_task(remind(session_factory(engine), WAITS))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(remind(session_factory(other), 0))
    assert sorted(await asyncio.wait_for(asyncio.gather(first, second), PROMPT)) == [False, True]
    async with session_factory(engine)() as session:
        other_unit = asyncio.create_task(lock_until_commit(session, "unit.remind", "HU-B"))
        await asyncio.wait_for(other_unit, PROMPT)
