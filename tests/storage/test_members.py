"""Members: one per (channel, user), roles, binding, reachability."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member
from storage.queries.audit import list_audit
from storage.queries.members import (
    bind_member,
    get_member,
    get_or_create_member,
    list_admins,
    list_leaders,
    set_blocked,
    set_member_role,
    set_subscribed,
)
from tests.storage.helpers import make_member, make_tree, unit_id


async def test_one_member_per_channel_and_user(session: AsyncSession) -> None:
    first = await get_or_create_member(session, channel="telegram", external_id="7", chat_id="7")
    again = await get_or_create_member(
        session, channel="telegram", external_id="7", chat_id="-100", display_name="Lan"
    )
    other = await get_or_create_member(session, channel="zalo_oa", external_id="7")
    assert first.id == again.id != other.id
    stored = await get_member(session, channel="telegram", external_id="7")
    assert stored is not None and (stored.chat_id, stored.display_name) == ("-100", "Lan")
    assert stored.last_seen_at >= stored.created_at


async def test_database_refuses_a_duplicate_member(session: AsyncSession) -> None:
    await make_member(session, "7")
    session.add(Member(channel="telegram", external_id="7"))
    with pytest.raises(IntegrityError):
        await session.commit()


async def test_admins_add_creates_or_updates_the_member(session: AsyncSession) -> None:
    created = await set_member_role(
        session, channel="telegram", external_id="42", role="admin", actor="cli"
    )
    existing = await make_member(session, "43")
    await set_member_role(session, channel="telegram", external_id="43", role="admin", actor="cli")
    assert {m.id for m in await list_admins(session)} == {created.id, existing.id}
    with pytest.raises(ValueError):
        await set_member_role(session, channel="telegram", external_id="1", role="boss", actor="x")
    audit = await list_audit(session, action="member.role")
    assert [row.target for row in audit] == ["telegram:43", "telegram:42"]


async def test_leaders_of_units_and_reachability(session: AsyncSession) -> None:
    units = await make_tree(session)
    lan, minh, hoa = [await make_member(session, x) for x in ("1", "2", "3")]
    for member, code in ((lan, "X1"), (minh, "X2"), (hoa, "X3")):
        assert member.id is not None
        await bind_member(
            session, member_id=member.id, unit_id=unit_id(units[code]), role="leader", actor="cli"
        )
    assert minh.id is not None and hoa.id is not None
    await set_blocked(session, member_id=minh.id)
    await set_subscribed(session, member_id=hoa.id, subscribed=False, actor="telegram:3")
    some = await list_leaders(session, unit_ids=[unit_id(units["X1"]), unit_id(units["X2"])])
    assert [m.external_id for m in some] == ["1", "2"]
    reachable = await list_leaders(session, reachable_only=True)
    assert [m.external_id for m in reachable] == ["1"]
