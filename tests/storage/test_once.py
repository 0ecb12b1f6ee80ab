"""Once means once across processes: two engines (as two bot processes would have) race the
same confirm press, or one member's wrong invite codes, through the real handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers import Handlers, Incoming, texts
from storage.engine import session_factory
from storage.models import InviteAttempt, ProgressUpdate, Role
from storage.queries.invites import MAX_WRONG_TRIES
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.state import get_state, put_state
from tests.conftest import FakeLibrary
from tests.storage.conftest import Backend
from tests.storage.helpers import make_tree, unit_id

ROUNDS = 5
SAVED = texts.REPORT_SAVED.split("{")[0]  # "Đã lưu báo cáo của "
LOCKED = texts.INVITE_LOCKED.split("{")[0]
UNKNOWN = texts.INVITE_UNKNOWN.split("(")[0]


def real_clock() -> datetime:
    return datetime.now(UTC)


@pytest_asyncio.fixture
async def two(engine: AsyncEngine, backend: Backend) -> AsyncIterator[list[Handlers]]:
    """The same conversation served by two processes: handlers on two engines."""
    other = backend.engine()
    library = FakeLibrary()
    yield [
        Handlers(library=library, clock=real_clock, sessions=session_factory(e))
        for e in (engine, other)
    ]
    await other.dispose()


def pressed(payload: str = "", text: str = "") -> Incoming:
    return Incoming(
        channel="test",
        chat_id="u1",
        user_id="u1",
        text=text,
        payload=payload or None,
        at=datetime.now(UTC),
    )


async def test_a_confirm_pressed_in_two_processes_at_once_saves_one_report(
    engine: AsyncEngine, two: list[Handlers]
) -> None:
    sessions = session_factory(engine)
    async with sessions() as s:
        units = await make_tree(s)
        member = await get_or_create_member(s, channel="test", external_id="u1", chat_id="u1")
        await bind_member(
            s, member_id=member.id or 0, unit_id=unit_id(units["X1"]), actor="t", role=Role.LEADER
        )
    confirm = {"step": "confirm", "code": "3.3", "status": "hoan_thanh", "percent": 100}
    for round_ in range(1, ROUNDS + 1):
        async with sessions() as s:
            await put_state(s, channel="test", chat_id="u1", state="report", data=confirm)
        answers = await asyncio.gather(*(h.handle(pressed("bc:ok")) for h in two * 2))
        said = [reply.text for replies in answers for reply in replies]
        assert sum(text.startswith(SAVED) for text in said) == 1, said
        assert all(text.startswith(SAVED) or text == texts.STALE_BUTTON for text in said), said
        async with sessions() as s:
            stored = await s.scalar(select(func.count()).select_from(ProgressUpdate))
        assert stored == round_


async def test_twenty_wrong_codes_at_once_from_two_processes_lock_after_five(
    engine: AsyncEngine, two: list[Handlers]
) -> None:
    async with session_factory(engine)() as s:
        await make_tree(s)
    answers = await asyncio.gather(
        *(two[n % 2].handle(pressed(text=f"/dangky WRONGCODE{n}")) for n in range(20))
    )
    said = [reply.text for replies in answers for reply in replies]
    assert sum(text.startswith(UNKNOWN) for text in said) == MAX_WRONG_TRIES, said
    assert sum(text.startswith(LOCKED) for text in said) == 20 - MAX_WRONG_TRIES, said
    async with session_factory(engine)() as s:
        tries = await s.scalar(select(func.count()).select_from(InviteAttempt))
    assert tries == MAX_WRONG_TRIES


async def test_two_answers_to_one_step_from_two_processes_are_taken_one_after_the_other(
    engine: AsyncEngine, two: list[Handlers], backend: Backend
) -> None:
    if backend.name != "postgresql":
        pytest.skip("several processes need PostgreSQL (the chat's advisory lock)")
    sessions = session_factory(engine)
    async with sessions() as s:
        units = await make_tree(s)
        member = await get_or_create_member(s, channel="test", external_id="u1", chat_id="u1")
        await bind_member(
            s, member_id=member.id or 0, unit_id=unit_id(units["X1"]), actor="t", role=Role.LEADER
        )
    at_percent = {"step": "percent", "code": "3.3", "status": "dang_thuc_hien"}
    for _ in range(ROUNDS):
        async with sessions() as s:
            await put_state(s, channel="test", chat_id="u1", state="report", data=at_percent)
        presses = (pressed("bc:p:50"), pressed("bc:p:75"))
        answers = await asyncio.gather(*(h.handle(p) for h, p in zip(two, presses, strict=True)))
        said = sorted(reply.text for replies in answers for reply in replies)
        assert said == sorted([texts.REPORT_ASK_NOTE, texts.STALE_BUTTON]), said
        async with sessions() as s:
            row = await get_state(s, channel="test", chat_id="u1")
        assert row is not None and row.data["step"] == "note" and row.data["percent"] in (50, 75)
