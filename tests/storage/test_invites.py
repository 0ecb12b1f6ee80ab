"""Invites: plain code shown once, hash stored, single use, expiry, wrong-try limit."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Member
from storage.queries.invites import (
    CODE_ALPHABET,
    RedeemOutcome,
    count_wrong_tries,
    create_invite,
    hash_code,
    list_invites,
    open_invite,
    redeem_invite,
    revoke_invite,
)
from storage.types import utcnow
from tests.storage.helpers import make_member, make_tree, unit_id


async def test_code_is_random_and_only_its_hash_is_stored(session: AsyncSession) -> None:
    units = await make_tree(session)
    invite, code = await create_invite(session, unit_id=unit_id(units["X1"]), created_by="cli")
    _, other = await create_invite(session, unit_id=unit_id(units["X1"]), created_by="cli")
    assert len(code) == 10 and set(code) <= set(CODE_ALPHABET) and code != other
    assert invite.code_hash == hashlib.sha256(code.encode()).hexdigest()
    for row in (await session.execute(select(Invite.__table__))).all():
        assert code not in [str(value) for value in row]


async def test_redeem_makes_a_leader_once(session: AsyncSession) -> None:
    units = await make_tree(session)
    _, code = await create_invite(session, unit_id=unit_id(units["X2"]), created_by="cli")
    lan, minh = await make_member(session, "1"), await make_member(session, "2")
    result = await redeem_invite(session, member=lan, code=f" {code[:5].lower()}-{code[5:]} ")
    assert result.outcome is RedeemOutcome.OK
    assert result.unit is not None and result.unit.code == "X2"
    stored = await session.get(Member, lan.id)
    assert stored is not None and (stored.role, stored.unit_id) == ("leader", units["X2"].id)
    assert (await redeem_invite(session, member=minh, code=code)).outcome is RedeemOutcome.USED
    assert await list_invites(session, active_only=True) == []


async def test_expired_and_unknown_codes(session: AsyncSession) -> None:
    units = await make_tree(session)
    now = utcnow()
    _, code = await create_invite(
        session, unit_id=unit_id(units["X1"]), created_by="cli", ttl=timedelta(hours=1), now=now
    )
    lan = await make_member(session)
    later = now + timedelta(hours=2)
    assert (await redeem_invite(session, member=lan, code=code, now=later)).outcome == "expired"
    assert (await redeem_invite(session, member=lan, code="ZZZZZZZZZZ")).outcome == "unknown"
    assert lan.role == "member"


async def test_five_wrong_tries_lock_for_the_rest_of_the_hour(session: AsyncSession) -> None:
    units = await make_tree(session)
    _, code = await create_invite(session, unit_id=unit_id(units["X1"]), created_by="cli")
    lan, minh = await make_member(session, "1"), await make_member(session, "2")
    start = utcnow()
    for minute in range(5):
        at = start + timedelta(minutes=minute)
        result = await redeem_invite(session, member=lan, code="WRONGCODE2", now=at)
        assert result.outcome is RedeemOutcome.UNKNOWN
    assert lan.id is not None
    assert await count_wrong_tries(session, member_id=lan.id, now=start + timedelta(minutes=5)) == 5
    locked = await redeem_invite(session, member=lan, code=code, now=start + timedelta(minutes=30))
    assert locked.outcome is RedeemOutcome.RATE_LIMITED
    assert locked.retry_after == start + timedelta(hours=1)
    other = await redeem_invite(session, member=minh, code="WRONGCODE2", now=start)
    assert other.outcome is RedeemOutcome.UNKNOWN
    after = start + timedelta(hours=1, seconds=1)
    assert (await redeem_invite(session, member=lan, code=code, now=after)).outcome == "ok"


async def test_a_revoked_invite_reads_as_expired_and_is_revoked_once(session: AsyncSession) -> None:
    units = await make_tree(session)
    invite, code = await create_invite(session, unit_id=unit_id(units["X1"]), created_by="cli")
    assert invite.id is not None
    other = unit_id(units["X2"])
    assert not await revoke_invite(session, invite_id=invite.id, unit_id=other, actor="t")
    assert await revoke_invite(
        session, invite_id=invite.id, unit_id=unit_id(units["X1"]), actor="t"
    )
    assert not await revoke_invite(
        session, invite_id=invite.id, unit_id=unit_id(units["X1"]), actor="t"
    )
    result = await redeem_invite(session, member=await make_member(session, "1"), code=code)
    assert result.outcome is RedeemOutcome.EXPIRED


async def test_an_open_invite_is_found_without_a_try_and_redeemed_by_its_hash(
    session: AsyncSession,
) -> None:
    units = await make_tree(session)
    invite, code = await create_invite(session, unit_id=unit_id(units["X3"]), created_by="cli")
    lan = await make_member(session, "1")
    assert lan.id is not None
    found = await open_invite(session, code=code.lower())
    assert found is not None and found.id == invite.id
    assert await open_invite(session, code="KHONGCOMA9") is None
    assert await count_wrong_tries(session, member_id=lan.id) == 0  # peeking counts nothing
    result = await redeem_invite(session, member=lan, code_hash=hash_code(code))
    assert result.outcome is RedeemOutcome.OK and result.unit is not None
    assert result.unit.code == "X3"
    assert await open_invite(session, code=code) is None  # used
