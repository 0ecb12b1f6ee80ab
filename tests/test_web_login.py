"""/web and /quantri in chat: a one-time dashboard link for admins and leaders only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from handlers import texts
from storage.models import Role
from storage.queries.members import bind_member, get_member
from storage.queries.units import upsert_unit
from storage.queries.web_auth import take_login_link

LINK = re.compile(r"https://bang\.example/dang-nhap/([A-Za-z0-9_-]{43})")


async def test_a_leader_gets_a_link_that_signs_in_once(make_handlers, sessions, now, incoming):
    handlers = make_handlers(now, web_base_url="https://bang.example/")
    async with sessions() as s:
        unit = await upsert_unit(s, code="HU-PM", name="Huyện ủy Phù Mỹ", actor="t")
    assert (await handlers.handle(incoming("/web")))[0].text == texts.NO_UNIT_SCOPE
    async with sessions() as s:
        member = await get_member(s, channel="test", external_id="u1")
        assert member is not None and member.id is not None
        await bind_member(s, member_id=member.id, unit_id=unit.id or 0, actor="t", role=Role.LEADER)
    [reply] = await handlers.handle(incoming("/quantri"))
    assert "hết hạn sau 10 phút" in reply.text
    match = LINK.search(reply.text)
    assert match is not None, reply.text
    async with sessions() as s:
        assert await take_login_link(s, token=match[1], now=now) == member.id
        assert await take_login_link(s, token=match[1], now=now) is None


async def test_an_admin_named_in_settings_gets_a_link_that_expires(
    make_handlers, sessions, now: datetime, incoming
):
    handlers = make_handlers(
        now, admins=frozenset({"test:u1"}), web_base_url="https://bang.example"
    )
    [reply] = await handlers.handle(incoming("/web"))
    match = LINK.search(reply.text)
    assert match is not None, reply.text
    async with sessions() as s:
        assert await take_login_link(s, token=match[1], now=now + timedelta(minutes=10)) is None


async def test_no_link_in_a_group(make_handlers, now, incoming):
    handlers = make_handlers(
        now, admins=frozenset({"test:u1"}), web_base_url="https://bang.example"
    )
    [reply] = await handlers.handle(incoming("/web", is_group=True))
    assert reply.text == texts.PRIVATE_ONLY
