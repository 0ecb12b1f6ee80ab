"""One update being handled: who sent it, their database session and member row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.types import Incoming
from storage.models import Member, Role
from storage.queries.audit import record
from storage.queries.members import get_or_create_member


@dataclass
class Turn:
    """The context every handler gets: the message, the session, the sender."""

    incoming: Incoming
    session: AsyncSession
    member: Member
    is_admin: bool
    now: datetime  # the server's clock, aware (never the client's)

    @property
    def actor(self) -> str:
        """Return the sender as CHANNEL:USER_ID, the form audit rows use."""
        return f"{self.incoming.channel}:{self.incoming.user_id}"

    @property
    def chat(self) -> tuple[str, str]:
        """Return (channel, chat id), the key of the chat's conversation state."""
        return (self.incoming.channel, self.incoming.chat_id)

    @property
    def unit_id(self) -> int | None:
        """Return the sender's unit, if they lead one."""
        return self.member.unit_id

    async def audit(self, action: str, target: str = "", **detail: Any) -> None:
        """Record something the sender did that changed or was refused."""
        await record(self.session, actor=self.actor, action=action, target=target, detail=detail)


async def begin_turn(
    session: AsyncSession, incoming: Incoming, admins: frozenset[str], now: datetime
) -> Turn:
    """Find or register the sender and return the turn."""
    member = await get_or_create_member(
        session,
        channel=incoming.channel,
        external_id=incoming.user_id,
        chat_id=None if incoming.is_group else incoming.chat_id,
        display_name=incoming.display_name or None,
    )
    named = f"{incoming.channel}:{incoming.user_id}" in admins
    is_admin = named or member.role == Role.ADMIN.value
    return Turn(incoming, session, member, is_admin=is_admin, now=now)
