"""Conversation state with expiry, and the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.queries.audit import list_audit, record
from storage.queries.state import clear_state, get_state, purge_expired_states, put_state
from storage.types import utcnow


async def test_state_put_get_replace_expire_clear(session: AsyncSession) -> None:
    now = utcnow()
    data = {"task": "3.3", "unit": "X1", "note": "Đã rà soát"}
    await put_state(session, channel="telegram", chat_id="1", state="report:status", data=data)
    stored = await get_state(session, channel="telegram", chat_id="1")
    assert stored is not None and (stored.state, stored.data) == ("report:status", data)
    await put_state(
        session, channel="telegram", chat_id="1", state="report:note", ttl=timedelta(minutes=5)
    )
    replaced = await get_state(session, channel="telegram", chat_id="1")
    assert replaced is not None and (replaced.state, replaced.data) == ("report:note", {})
    assert await get_state(session, channel="zalo_oa", chat_id="1") is None
    later = now + timedelta(minutes=10)
    assert await get_state(session, channel="telegram", chat_id="1", now=later) is None
    assert await purge_expired_states(session, now=later) == 1
    await put_state(session, channel="telegram", chat_id="2", state="x")
    await clear_state(session, channel="telegram", chat_id="2")
    assert await get_state(session, channel="telegram", chat_id="2") is None


async def test_audit_records_are_listed_newest_first(session: AsyncSession) -> None:
    await record(session, actor="cli", action="export", detail={"rows": 3})
    await record(session, actor="telegram:1", action="broadcast", target="all")
    rows = await list_audit(session)
    assert [(r.actor, r.action) for r in rows] == [("telegram:1", "broadcast"), ("cli", "export")]
    assert rows[1].detail == {"rows": 3} and rows[0].at.tzinfo is not None
    assert [r.action for r in await list_audit(session, actor="cli")] == ["export"]
