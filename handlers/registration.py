"""Registration: an invite code makes the sender the leader of a unit (/dangky, /start CODE).

A leader of another unit is asked to confirm the move first (handlers/flows/move.py).
"""

from __future__ import annotations

from handlers import texts
from handlers.flows.move import ask_move, redeemed
from handlers.turn import Turn
from handlers.types import Reply
from storage.queries.invites import redeem_invite


def deep_link(username: str, code: str) -> str:
    """Return the Telegram link that opens the bot and registers with the code, or ""."""
    name = username.strip().lstrip("@")
    return f"https://t.me/{name}?start={code}" if name else ""


async def register(turn: Turn, code: str) -> list[Reply]:
    """Bind the sender to the unit of an invite code, as its leader (private chats only);
    a leader of another unit is asked to confirm the move first."""
    if not code.strip():
        return [Reply(texts.REGISTER_HOW)]
    if turn.member.id is None:  # a newcomer the database could not store (read-only, full)
        return [Reply(texts.NOT_SAVED)]
    code = code[:64]
    moving = await ask_move(turn, code)
    if moving is not None:
        return moving
    result = await redeem_invite(turn.session, member=turn.member, code=code, now=turn.now)
    return await redeemed(turn, result)
