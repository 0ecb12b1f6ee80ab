"""One update being handled: who sent it, their database session and member row."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.conversation import ChatState, read_state, state_of_row
from handlers.scope import Scope, compute_scope
from handlers.types import Incoming
from storage.engine import is_unavailable
from storage.models import Member, Role
from storage.queries.audit import record
from storage.queries.locks import lock_chat
from storage.queries.members import get_member, get_member_and_state, seen_member
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """The context every handler gets: the message, the session, the sender."""

    incoming: Incoming
    session: AsyncSession
    member: Member
    is_admin: bool
    now: datetime  # the server's clock, aware (never the client's)
    scope: Scope = field(default_factory=lambda: Scope(None, False, None))
    state: ChatState | None = None  # the chat's open flow, read once per turn

    @property
    def actor(self) -> str:
        """Return the sender as CHANNEL:USER_ID, the form audit rows use."""
        return f"{self.incoming.channel}:{self.incoming.user_id}"

    @property
    def chat(self) -> tuple[str, str]:
        """Return (channel, chat id), the key of the chat's conversation state."""
        return (self.incoming.channel, self.incoming.chat_id)

    async def audit(self, action: str, target: str = "", **detail: Any) -> None:
        """Record something the sender did that changed or was refused."""
        await record(self.session, actor=self.actor, action=action, target=target, detail=detail)


async def begin_turn(
    session: AsyncSession, incoming: Incoming, admins: frozenset[str], now: datetime
) -> Turn:
    """Find or register the sender and return the turn."""
    await lock_chat(session, channel=incoming.channel, chat_id=incoming.chat_id)
    chat = (incoming.channel, incoming.chat_id)
    state: ChatState | None = None
    try:
        stored = utcnow()  # what `last seen` and a state's expiry are kept in, not `now`
        found = await get_member_and_state(
            session,
            channel=incoming.channel,
            external_id=incoming.user_id,
            chat_id=incoming.chat_id,
            now=stored,
        )
        if found is not None and found[1] is not None:
            state = state_of_row(found[1])  # read before seen_member may commit
        member = await seen_member(
            session,
            found[0] if found is not None else None,
            channel=incoming.channel,
            external_id=incoming.user_id,
            chat_id=None if incoming.is_group else incoming.chat_id,
            display_name=incoming.display_name or None,
            now=stored,
        )
        if found is None:  # a newcomer: a chat state is rare, but a group may have one
            state = await read_state(session, chat)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        member = await read_only_member(session, incoming, exc)
        state = await read_state(session, chat)
    named = f"{incoming.channel}:{incoming.user_id}" in admins
    is_admin = named or member.role == Role.ADMIN.value
    scope = await compute_scope(session, member, is_admin)
    return Turn(incoming, session, member, is_admin=is_admin, now=now, scope=scope, state=state)


async def read_only_member(session: AsyncSession, incoming: Incoming, exc: Exception) -> Member:
    """Return the sender as stored (or a new, unsaved member) when the database refused a write.

    Registering a newcomer or refreshing "last seen" is not worth failing the message for:
    a question is still answered when the disk is full. If reading fails too, that error
    goes up (the database is down, not just full).
    """
    await session.rollback()
    member = await get_member(session, channel=incoming.channel, external_id=incoming.user_id)
    log.warning("member of %s:%s not updated: %s", incoming.channel, incoming.user_id, exc)
    return member or Member(
        channel=incoming.channel, external_id=incoming.user_id, chat_id=incoming.chat_id
    )
