"""Members: one per (channel, user), roles, binding, reachability."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from handlers import Handlers, Incoming, texts
from storage.engine import session_factory
from storage.models import Member, Role
from storage.queries.audit import list_audit
from storage.queries.members import (
    bind_member,
    get_member,
    get_or_create_member,
    list_admins,
    list_members,
    revoke_leader,
    set_admin,
    set_blocked,
    set_member_role,
    set_subscribed,
)
from tests.conftest import FakeLibrary, fixed_clock
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


async def test_blocking_and_subscribing_are_recorded(session: AsyncSession) -> None:
    lan = await make_member(session, "1")
    assert lan.id is not None and not lan.subscribed  # general reminders are opt-in
    await set_blocked(session, member_id=lan.id)
    await set_subscribed(session, member_id=lan.id, subscribed=True, actor="telegram:1")
    again = await get_or_create_member(session, channel="telegram", external_id="1")
    assert again.subscribed and not again.blocked  # writing again makes them reachable
    actions = [row.action for row in await list_audit(session, limit=10)]
    assert {"member.blocked", "member.subscribed"} <= set(actions)


async def test_a_nul_in_a_name_or_an_overlong_id_fails_none_of_the_users_messages(
    engine: AsyncEngine,
) -> None:
    """PostgreSQL refuses NUL in text and ids longer than their column: every message of
    such a user used to get the apology."""
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    bot = Handlers(library=FakeLibrary(), clock=fixed_clock(at), sessions=session_factory(engine))
    users = [("u\x00nul", "Nguyễn\x00Văn A"), ("9" * 100, "Dài"), ("9" * 99 + "8", "Khác")]
    for user, name in users:
        for said in ("/start", "/help", "hạn chót vị trí việc làm?"):
            incoming = Incoming(
                channel="telegram", chat_id=user, user_id=user, text=said, display_name=name, at=at
            )
            replies = await bot.handle(incoming)
            assert replies and texts.SORRY not in [r.text for r in replies]
    async with session_factory(engine)() as session:
        members = list((await session.scalars(select(Member))).all())
    assert len({m.external_id for m in members}) == 3  # long ids kept apart, not cut
    assert all(len(m.external_id) <= 64 and len(m.chat_id) <= 64 for m in members)
    assert "NguyễnVăn A" in {m.display_name for m in members}
    assert "u\ufffdnul" in {m.external_id for m in members}


async def test_members_by_unit_and_leadership_revoked_and_admin_roles(
    session: AsyncSession,
) -> None:
    units = await make_tree(session)
    people = {}
    for user, code, role in (
        ("t", "T", "leader"),
        ("h1", "H1", "leader"),
        ("x1", "X1", "leader"),
        ("x1m", "X1", "member"),
        ("x3", "X3", "leader"),
    ):
        member = await make_member(session, user)
        assert member.id is not None
        await bind_member(
            session, member_id=member.id, unit_id=unit_id(units[code]), role=role, actor="cli"
        )
        people[user] = member.id
    await make_member(session, "guest")  # never joined a unit
    everyone = await list_members(session)
    assert [m.external_id for m in everyone] == ["guest", "h1", "t", "x1", "x1m", "x3"]
    assert everyone[1].unit is not None and everyone[1].unit.code == "H1"  # loaded with it
    subtree = await list_members(session, root_id=unit_id(units["H1"]), leaders_only=True)
    assert [m.external_id for m in subtree] == ["h1", "x1"]
    assert len(await list_members(session, limit=2)) == 2

    revoked = await revoke_leader(session, member_id=people["x1"], actor="telegram:h1")
    assert revoked is not None and (revoked.role, revoked.unit_id) == (Role.MEMBER.value, None)
    assert await revoke_leader(session, member_id=people["x1"], actor="telegram:h1") is None
    assert await revoke_leader(session, member_id=people["x1m"], actor="telegram:h1") is None

    made = await set_admin(session, member_id=people["x3"], admin=True, actor="telegram:adm")
    assert made.role == Role.ADMIN.value
    back = await set_admin(session, member_id=people["x3"], admin=False, actor="telegram:adm")
    assert (back.role, back.unit_id) == (Role.LEADER.value, unit_id(units["X3"]))
    actions = [(a.action, a.actor, a.target) for a in await list_audit(session, limit=3)]
    assert actions == [
        ("member.role", "telegram:adm", "telegram:x3"),
        ("member.role", "telegram:adm", "telegram:x3"),
        ("member.revoke", "telegram:h1", "telegram:x1"),
    ]
