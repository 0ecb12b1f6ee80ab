"""The move flow: a leader of one unit who redeems another unit's invite is asked first
(buttons `cd:ok` / `cd:huy`); nothing changes, and the invite stays unused, unless they say
yes. Only the code's hash is kept in the chat's state meanwhile. `/dangky` is in
handlers/registration.py.
"""

from __future__ import annotations

import math

from handlers import payloads, texts
from handlers.conversation import Ask, ChatState
from handlers.flows.base import show
from handlers.payloads import Payload
from handlers.scope import PRIVATE
from handlers.turn import Turn
from handlers.types import Button, Reply
from storage.models import Role
from storage.queries.invites import (
    MAX_WRONG_TRIES,
    RedeemOutcome,
    RedeemResult,
    count_wrong_tries,
    hash_code,
    open_invite,
    redeem_invite,
    retry_after,
)
from storage.queries.state import take_state
from storage.queries.units import get_unit_by_id

MOVE = "move"
_REFUSALS = {
    RedeemOutcome.EXPIRED: texts.INVITE_EXPIRED,
    RedeemOutcome.USED: texts.INVITE_USED,
}


async def ask_move(turn: Turn, code: str) -> list[Reply] | None:
    """Ask a leader whose invite is for another unit whether to move; None: no need to ask."""
    member = turn.member
    if member.unit_id is None or member.role == Role.MEMBER.value or member.id is None:
        return None
    if await retry_after(turn.session, member_id=member.id, now=turn.now) is not None:
        return None  # redeem_invite says how long to wait
    invite = await open_invite(turn.session, code=code, now=turn.now)
    if invite is None or invite.unit_id == member.unit_id:
        return None
    old = await get_unit_by_id(turn.session, unit_id=member.unit_id)
    new = await get_unit_by_id(turn.session, unit_id=invite.unit_id)
    if old is None or new is None:
        return None
    yes, no = payloads.move("ok"), payloads.move("huy")
    reply = Reply(
        texts.MOVE_ASK.format(old=f"{old.code} — {old.name}", new=f"{new.code} — {new.name}"),
        [
            [Button(texts.BUTTON_MOVE_YES.format(code=new.code), yes)],
            [Button(texts.BUTTON_MOVE_NO.format(code=old.code), no)],
        ],
    )
    ask = Ask(reply, yes=yes, no=no, hint=texts.STEP_MOVE)
    return await show(turn, MOVE, {"step": "confirm", "hash": hash_code(code)}, ask)


async def redeemed(turn: Turn, result: RedeemResult) -> list[Reply]:
    """Say what a redeem did."""
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


class MoveFlow:
    """The question "move to the invite's unit?"; only a yes redeems the invite."""

    name = MOVE
    kind = payloads.MOVE
    access = PRIVATE
    title = texts.FLOW_MOVE
    cancelled = texts.MOVE_KEPT

    def opens(self, arg: str) -> bool:
        """/dangky with a code may open it: a flow open in the chat is kept or ended first."""
        return bool(arg.strip())

    def enters(self, payload: Payload) -> bool:
        """No button starts it."""
        return False

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Not started by a command (/dangky asks when it must)."""
        return []

    async def press(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Redeem the invite waiting in this chat (cd:ok); taken once."""
        channel, chat = turn.chat
        taken = await take_state(turn.session, channel=channel, chat_id=chat)
        turn.state = None
        if taken is None or taken.state != MOVE or payload.step != "ok":
            await turn.session.rollback()
            await turn.audit("payload.refused", payload.pack(), reason="stale step")
            return [Reply(texts.STALE_BUTTON)]
        result = await redeem_invite(
            turn.session, member=turn.member, code_hash=str(taken.data["hash"]), now=turn.now
        )
        return await redeemed(turn, result)

    async def type(self, turn: Turn, state: ChatState, text: str) -> list[Reply] | None:
        """Yes or no only."""
        return None

    def match(self, state: ChatState, text: str) -> str | None:
        """Nothing beyond the buttons' labels and yes / no."""
        return None
