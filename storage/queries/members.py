"""Members: one per (channel, external id); roles, unit binding, reachability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import col, select

from storage.errors import MemberNotFoundError
from storage.models import (
    AuditLog,
    Broadcast,
    ConversationState,
    Deadline,
    Invite,
    InviteAttempt,
    Member,
    Outbox,
    OutboxStatus,
    ProgressUpdate,
    Role,
    Unit,
    WebLoginLink,
    WebSession,
)
from storage.queries.audit import add_audit, insert_audit
from storage.queries.units import subtree_ids
from storage.types import UTCDateTime, as_utc, utcnow

SEEN_EVERY = timedelta(hours=1)  # how stale last_seen_at may get before it is written
# Built once: every update reads its sender with it, and SQLAlchemy reuses a statement's
# cache key and compiled form only when it is the same object.
_BY_ACCOUNT = select(Member).where(
    col(Member.channel) == bindparam("channel"),
    col(Member.external_id) == bindparam("external_id"),
)
# The sender and their chat's unexpired conversation state, in one statement: every update
# needs both (populate_existing: put_state writes with a Core upsert, see queries/state.py).
_CS = ConversationState
_BY_ACCOUNT_WITH_STATE = (
    select(Member, _CS)
    .outerjoin(
        _CS,
        (col(_CS.channel) == col(Member.channel))
        & (col(_CS.chat_id) == bindparam("chat_id"))
        & (col(_CS.expires_at) > bindparam("now", type_=UTCDateTime())),
    )
    .where(
        col(Member.channel) == bindparam("channel"),
        col(Member.external_id) == bindparam("external_id"),
    )
    .execution_options(populate_existing=True)
)
# A newcomer and its audit row, as Core INSERTs on the tables: the ORM's unit of work
# (flush, identity bookkeeping) cost more than the two statements themselves.
_NEW_MEMBER = insert(Member.__table__).returning(Member.__table__.c.id)  # type: ignore[attr-defined]


async def get_member(session: AsyncSession, *, channel: str, external_id: str) -> Member | None:
    """Return the member known on `channel` as `external_id` (with their unit), or None."""
    return await session.scalar(_BY_ACCOUNT, {"channel": channel, "external_id": external_id})


async def get_member_and_state(
    session: AsyncSession, *, channel: str, external_id: str, chat_id: str, now: datetime
) -> tuple[Member, ConversationState | None] | None:
    """Return the member known on `channel` as `external_id` with the unexpired conversation
    state of chat `chat_id` (None: no state), read in one statement; None for a newcomer."""
    values = {"channel": channel, "external_id": external_id, "chat_id": chat_id, "now": now}
    row = (await session.execute(_BY_ACCOUNT_WITH_STATE, values)).first()
    return (row[0], row[1]) if row is not None else None


async def get_member_by_id(session: AsyncSession, *, member_id: int) -> Member | None:
    """Return the member with this id, or None."""
    return await session.get(Member, member_id)


async def _require(session: AsyncSession, member_id: int) -> Member:
    """Return the member with this id or raise MemberNotFoundError."""
    member = await session.get(Member, member_id)
    if member is None:
        raise MemberNotFoundError(member_id)
    return member


async def get_or_create_member(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    chat_id: str | None = None,
    display_name: str | None = None,
    now: datetime | None = None,
) -> Member:
    """Return the member for (channel, external_id), creating it; refresh chat/name/seen.

    Commits only when something changed (or last seen is older than SEEN_EVERY), so a
    busy chat doesn't cost a write per message; a newcomer costs one INSERT (and its audit).
    """
    now = now or utcnow()
    member = await get_member(session, channel=channel, external_id=external_id)
    return await seen_member(
        session,
        member,
        channel=channel,
        external_id=external_id,
        chat_id=chat_id,
        display_name=display_name,
        now=now,
    )


async def seen_member(
    session: AsyncSession,
    member: Member | None,
    *,
    channel: str,
    external_id: str,
    chat_id: str | None,
    display_name: str | None,
    now: datetime,
) -> Member:
    """Return `member` (as read; None: a newcomer, created) with chat/name/seen refreshed;
    commit only when something changed (get_or_create_member's second half)."""
    if member is None:
        try:
            return await _create_member(
                session, channel, external_id, chat_id or external_id, display_name or "", now
            )
        except IntegrityError:  # another worker created it first
            await session.rollback()
            member = await get_member(session, channel=channel, external_id=external_id)
            assert member is not None
    if chat_id is not None and member.chat_id != chat_id:
        member.chat_id = chat_id
    if display_name is not None and member.display_name != display_name[:255]:
        member.display_name = display_name[:255]
    if as_utc(member.last_seen_at) < now - SEEN_EVERY:
        member.last_seen_at = now
    if member.blocked:  # someone who writes to the bot can be reached again
        member.blocked = False
    if session.dirty or session.new:
        await session.commit()
    return member


async def _create_member(
    session: AsyncSession,
    channel: str,
    external_id: str,
    chat_id: str,
    display_name: str,
    now: datetime,
) -> Member:
    """Insert a newcomer with its audit row; commit; return it attached to the session."""
    values: dict[str, Any] = {
        "channel": channel,
        "external_id": external_id,
        "chat_id": chat_id,
        "display_name": display_name[:255],
        "role": Role.MEMBER.value,
        "unit_id": None,
        "subscribed": False,
        "blocked": False,
        "created_at": now,
        "last_seen_at": now,
    }
    member_id = (await session.execute(_NEW_MEMBER, values)).scalar_one()
    await insert_audit(session, actor=f"{channel}:{external_id}", action="member.create", at=now)
    await session.commit()
    member = Member(id=member_id, unit=None, **values)
    make_transient_to_detached(member)  # as if loaded: later changes are tracked and saved
    session.add(member)
    return member


async def set_member_role(
    session: AsyncSession, *, channel: str, external_id: str, role: str, actor: str
) -> Member:
    """Create or update the member and give it `role` (CLI `admins add CHANNEL:ID`); commit."""
    role = Role(role).value
    member = await get_member(session, channel=channel, external_id=external_id)
    if member is None:
        member = Member(channel=channel, external_id=external_id, chat_id=external_id)
    old = member.role
    member.role = role
    session.add(member)
    target = f"{channel}:{external_id}"
    add_audit(
        session, actor=actor, action="member.role", target=target, detail={"from": old, "to": role}
    )
    await session.commit()
    return member


async def bind_member(
    session: AsyncSession,
    *,
    member_id: int,
    unit_id: int | None,
    actor: str,
    role: str | None = None,
) -> Member:
    """Attach a member to a unit (None detaches), optionally changing the role; commit."""
    member = await _require(session, member_id)
    detail = {"from_unit": member.unit_id, "to_unit": unit_id, "role": role or member.role}
    member.unit_id = unit_id
    if role is not None:
        member.role = Role(role).value
    target = f"{member.channel}:{member.external_id}"
    add_audit(session, actor=actor, action="member.bind", target=target, detail=detail)
    await session.commit()
    return member


async def set_subscribed(
    session: AsyncSession, *, member_id: int, subscribed: bool, actor: str
) -> Member:
    """Turn reminders on or off for a member; commit."""
    member = await _require(session, member_id)
    member.subscribed = subscribed
    target = f"{member.channel}:{member.external_id}"
    add_audit(
        session,
        actor=actor,
        action="member.subscribed",
        target=target,
        detail={"value": subscribed},
    )
    await session.commit()
    return member


async def set_blocked(
    session: AsyncSession, *, member_id: int, blocked: bool = True, actor: str = "system"
) -> Member:
    """Mark a member as having blocked the bot (stop sending) or not; commit."""
    member = await _require(session, member_id)
    member.blocked = blocked
    target = f"{member.channel}:{member.external_id}"
    add_audit(
        session, actor=actor, action="member.blocked", target=target, detail={"value": blocked}
    )
    await session.commit()
    return member


async def list_admins(session: AsyncSession) -> list[Member]:
    """Return every admin member."""
    query = select(Member).where(Member.role == Role.ADMIN.value).order_by(col(Member.id))
    return list((await session.scalars(query)).all())


MEMBERS_SHOWN = 200  # a members list is capped (the dashboard says how many were left out)


async def list_members(
    session: AsyncSession,
    *,
    root_id: int | None = None,
    leaders_only: bool = False,
    limit: int = MEMBERS_SHOWN,
) -> list[Member]:
    """Return members (with their unit) by unit code, admins and leaders first, then name.

    `root_id`: only members bound to that unit or a unit under it (a leader's scope);
    None: everyone but forgotten members. `leaders_only`: only leaders and admins bound to
    a unit (who leads which unit).
    """
    query = (
        select(Member)
        .outerjoin(Unit, col(Unit.id) == col(Member.unit_id))
        .where(col(Member.channel) != FORGOTTEN_CHANNEL)
        .order_by(
            func.coalesce(col(Unit.code), ""),
            col(Member.role) == Role.MEMBER.value,
            col(Member.display_name),
            col(Member.id),
        )
        .limit(limit)
    )
    if root_id is not None:
        query = query.where(col(Member.unit_id).in_(subtree_ids(root_id)))
    if leaders_only:
        query = query.where(
            col(Member.unit_id).is_not(None),
            col(Member.role).in_([Role.LEADER.value, Role.ADMIN.value]),
        )
    return list((await session.scalars(query)).unique().all())


async def revoke_leader(session: AsyncSession, *, member_id: int, actor: str) -> Member | None:
    """End a member's leadership of their unit: detached, a leader becomes a plain member
    (an admin stays admin); audited "member.revoke"; commit. None when they lead no unit."""
    member = await session.get(Member, member_id)
    if member is None or member.unit_id is None or member.role == Role.MEMBER.value:
        return None
    unit = member.unit
    detail = {"unit": unit.code if unit else member.unit_id, "role": member.role}
    member.unit_id = None
    if member.role == Role.LEADER.value:
        member.role = Role.MEMBER.value
    target = f"{member.channel}:{member.external_id}"
    add_audit(session, actor=actor, action="member.revoke", target=target, detail=detail)
    await session.commit()
    await session.refresh(member)
    return member


async def set_admin(session: AsyncSession, *, member_id: int, admin: bool, actor: str) -> Member:
    """Give or take the admin role (taken: back to leader of their unit, or plain member);
    audited "member.role"; commit. Raises MemberNotFoundError."""
    member = await _require(session, member_id)
    old = member.role
    if admin:
        member.role = Role.ADMIN.value
    elif old == Role.ADMIN.value:
        member.role = (Role.LEADER if member.unit_id is not None else Role.MEMBER).value
    if member.role != old:
        target = f"{member.channel}:{member.external_id}"
        detail = {"from": old, "to": member.role}
        add_audit(session, actor=actor, action="member.role", target=target, detail=detail)
    await session.commit()
    return member


#: The channel of a forgotten member's row: no platform sends it, so no account maps to it.
FORGOTTEN_CHANNEL = "forgotten"
#: Outbox states of a message not delivered yet: a forgotten member's are deleted.
UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.FAILED.value)


@dataclass(frozen=True)
class Forgotten:
    """What `forget_member` did."""

    member_id: int
    reports_kept: int
    states_deleted: int
    outbox_deleted: int
    outbox_scrubbed: int
    audit_scrubbed: int


async def forget_member(
    session: AsyncSession, *, channel: str, external_id: str, actor: str, label: str
) -> Forgotten:
    """Erase a member's personal data but keep their reports (shown as `label`); commit.

    The row stays, as channel "forgotten" / external id = member id, so reports and audit
    rows keep pointing at it; the account's next message makes a new, unregistered member.
    Audit rows and `created_by` columns naming the account name `member:<id>` instead.
    """
    member = await get_member(session, channel=channel, external_id=external_id)
    if member is None or member.id is None or channel == FORGOTTEN_CHANNEL:
        raise MemberNotFoundError(f"{channel}:{external_id}")
    account, alias = f"{channel}:{external_id}", f"member:{member.id}"
    chats = {member.chat_id, external_id} - {""}
    states = await session.execute(
        delete(ConversationState).where(
            col(ConversationState.channel) == channel,
            col(ConversationState.chat_id).in_(sorted(chats)),
        )
    )
    theirs = or_(
        col(Outbox.member_id) == member.id,
        (col(Outbox.channel) == channel) & col(Outbox.chat_id).in_(sorted(chats)),
    )
    unsent = await session.execute(delete(Outbox).where(theirs, col(Outbox.status).in_(UNSENT)))
    scrubbed = await session.execute(update(Outbox).where(theirs).values(chat_id=""))
    await session.execute(delete(InviteAttempt).where(col(InviteAttempt.member_id) == member.id))
    for signed_in in (WebLoginLink, WebSession):  # their dashboard links and sessions end
        await session.execute(delete(signed_in).where(col(signed_in.member_id) == member.id))
    named = or_(col(AuditLog.actor) == account, col(AuditLog.target) == account)
    audit = int(await session.scalar(select(func.count()).where(named)) or 0)
    for column in (AuditLog.actor, AuditLog.target):
        await session.execute(
            update(AuditLog).where(col(column) == account).values({column: alias})
        )
    for table in (Invite, Deadline, Broadcast):
        await session.execute(
            update(table).where(col(table.created_by) == account).values(created_by=alias)
        )
    reports = await session.scalar(
        select(func.count()).where(col(ProgressUpdate.reporter_member_id) == member.id)
    )
    member.channel, member.external_id, member.chat_id = FORGOTTEN_CHANNEL, str(member.id), ""
    member.display_name, member.role, member.unit_id = label, Role.MEMBER.value, None
    member.subscribed, member.blocked = False, True
    done = Forgotten(
        member.id,
        int(reports or 0),
        states.rowcount,  # type: ignore[attr-defined]
        unsent.rowcount,  # type: ignore[attr-defined]
        scrubbed.rowcount,  # type: ignore[attr-defined]
        audit,
    )
    detail = {"channel": channel, "reports_kept": done.reports_kept}
    detail |= {"outbox_deleted": done.outbox_deleted, "audit_scrubbed": done.audit_scrubbed}
    add_audit(session, actor=actor, action="member.forget", target=alias, detail=detail)
    await session.commit()
    return done
