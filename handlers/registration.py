"""Registration: an invite code makes the sender the leader of a unit (/dangky)."""

from __future__ import annotations

import math

from handlers import texts
from handlers.turn import Turn
from handlers.types import Reply
from storage.queries.invites import (
    MAX_WRONG_TRIES,
    RedeemOutcome,
    count_wrong_tries,
    redeem_invite,
)

_REFUSALS = {
    RedeemOutcome.EXPIRED: texts.INVITE_EXPIRED,
    RedeemOutcome.USED: texts.INVITE_USED,
}


async def register(turn: Turn, code: str) -> list[Reply]:
    """Bind the sender to the unit of an invite code, as its leader (private chats only)."""
    if not code.strip():
        return [Reply(texts.REGISTER_HOW)]
    if turn.member.id is None:  # a newcomer the database refused to store (read-only, full)
        return [Reply(texts.NOT_SAVED)]
    result = await redeem_invite(turn.session, member=turn.member, code=code[:64], now=turn.now)
    if result.outcome is RedeemOutcome.OK and result.unit is not None:
        return [Reply(texts.REGISTERED.format(unit=f"{result.unit.code} — {result.unit.name}"))]
    if result.outcome is RedeemOutcome.RATE_LIMITED and result.retry_after is not None:
        minutes = math.ceil((result.retry_after - turn.now).total_seconds() / 60)
        return [Reply(texts.INVITE_LOCKED.format(minutes=max(1, minutes)))]
    if result.outcome in _REFUSALS:
        return [Reply(_REFUSALS[result.outcome])]
    assert turn.member.id is not None
    tries = await count_wrong_tries(turn.session, member_id=turn.member.id, now=turn.now)
    return [Reply(texts.INVITE_UNKNOWN.format(left=max(0, MAX_WRONG_TRIES - tries)))]
