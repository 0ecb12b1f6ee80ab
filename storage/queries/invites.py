"""Invite codes: shown once, stored as sha256, single use, expiring, rate-limited."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.errors import UnitNotFoundError
from storage.models import Invite, InviteAttempt, Member, Role, Unit
from storage.queries.audit import add_audit
from storage.types import utcnow

#: No 0/O, 1/I/L: easy to read aloud and type on a phone (32 symbols → 5 bits each).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
DEFAULT_TTL = timedelta(days=7)
MAX_WRONG_TRIES = 5
WRONG_TRY_WINDOW = timedelta(hours=1)


class RedeemOutcome(StrEnum):
    """What happened when a member typed an invite code."""

    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class RedeemResult:
    """Outcome of a redeem, the unit joined (on OK) and when to retry (when limited)."""

    outcome: RedeemOutcome
    unit: Unit | None = None
    retry_after: datetime | None = None


def normalize_code(code: str) -> str:
    """Upper-case a typed code and drop spaces and dashes."""
    return re.sub(r"[\s\-_.]", "", code).upper()


def hash_code(code: str) -> str:
    """Return the sha256 hex digest of a normalised code (the only form stored)."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def new_code() -> str:
    """Return a fresh random code of CODE_LENGTH symbols (≈49 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def create_invite(
    session: AsyncSession,
    *,
    unit_id: int,
    created_by: str,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> tuple[Invite, str]:
    """Create an invite for a unit; return it and the plain code (shown once); commit."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise UnitNotFoundError(unit_id)
    now = now or utcnow()
    code = new_code()
    invite = Invite(
        unit_id=unit_id, code_hash=hash_code(code), expires_at=now + ttl, created_by=created_by
    )
    session.add(invite)
    detail = {"expires_at": invite.expires_at.isoformat()}
    add_audit(session, actor=created_by, action="invite.create", target=unit.code, detail=detail)
    await session.commit()
    return invite, code


async def retry_after(
    session: AsyncSession, *, member_id: int, now: datetime | None = None
) -> datetime | None:
    """Return when a member may try again after MAX_WRONG_TRIES in the window, else None."""
    now = now or utcnow()
    query = (
        select(col(InviteAttempt.at))
        .where(InviteAttempt.member_id == member_id, InviteAttempt.at > now - WRONG_TRY_WINDOW)
        .order_by(col(InviteAttempt.at).desc())
        .limit(MAX_WRONG_TRIES)
    )
    recent = list((await session.scalars(query)).all())
    if len(recent) < MAX_WRONG_TRIES:
        return None
    return min(recent) + WRONG_TRY_WINDOW


async def _refuse(
    session: AsyncSession, member: Member, outcome: RedeemOutcome, now: datetime
) -> RedeemResult:
    """Record a failed redeem (a wrong code also counts as a wrong try); commit."""
    assert member.id is not None
    if outcome is RedeemOutcome.UNKNOWN:
        session.add(InviteAttempt(member_id=member.id, at=now))
    target = f"{member.channel}:{member.external_id}"
    add_audit(
        session,
        actor=target,
        action="invite.refused",
        target=target,
        detail={"outcome": outcome.value},
    )
    await session.commit()
    return RedeemResult(outcome)


async def open_invite(
    session: AsyncSession, *, code: str, now: datetime | None = None
) -> Invite | None:
    """Return the unused, unexpired invite with this code (nothing recorded), or None."""
    invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None or invite.used_at is not None or invite.expires_at <= (now or utcnow()):
        return None
    return invite


async def redeem_invite(
    session: AsyncSession,
    *,
    member: Member,
    code: str = "",
    code_hash: str = "",
    now: datetime | None = None,
) -> RedeemResult:
    """Redeem a code (or its stored hash, kept while a move is confirmed): on OK the member
    leads the invite's unit (admins stay admins); commit.

    One member's redeems run one at a time, in every process: the count of wrong tries and
    the new one are in one transaction holding the member's row (`_hold_member`).
    """
    now = now or utcnow()
    assert member.id is not None
    await _hold_member(session, member.id)
    limited_until = await retry_after(session, member_id=member.id, now=now)
    if limited_until is not None:
        await session.commit()
        return RedeemResult(RedeemOutcome.RATE_LIMITED, retry_after=limited_until)
    wanted = code_hash or hash_code(code)
    invite = await session.scalar(select(Invite).where(Invite.code_hash == wanted))
    if invite is None:
        return await _refuse(session, member, RedeemOutcome.UNKNOWN, now)
    if invite.used_at is not None:
        return await _refuse(session, member, RedeemOutcome.USED, now)
    if invite.expires_at <= now:
        return await _refuse(session, member, RedeemOutcome.EXPIRED, now)
    claimed = await session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by_member_id=member.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent redeem won
        return await _refuse(session, member, RedeemOutcome.USED, now)
    return await _bind(session, member, invite, now)


async def _hold_member(session: AsyncSession, member_id: int) -> None:
    """Lock the member's row until commit (the caller's read snapshot ended first).

    An UPDATE (last seen: now), not SELECT … FOR UPDATE: SQLite has no row locks, but a
    transaction opening with a write takes its write lock, where one that read first could
    not upgrade its snapshot; PostgreSQL makes a second redeem wait for the first's commit.
    """
    await session.commit()
    await session.execute(
        update(Member).where(col(Member.id) == member_id).values(last_seen_at=utcnow())
    )


async def _bind(
    session: AsyncSession, member: Member, invite: Invite, now: datetime
) -> RedeemResult:
    """Make the member leader of the invite's unit and audit it; commit."""
    unit = await session.get(Unit, invite.unit_id)
    member.unit_id = invite.unit_id
    if member.role != Role.ADMIN.value:
        member.role = Role.LEADER.value
    session.add(member)
    target = f"{member.channel}:{member.external_id}"
    detail = {"invite_id": invite.id, "unit": unit.code if unit else None}
    add_audit(session, actor=target, action="invite.redeem", target=target, detail=detail, at=now)
    await session.commit()
    await session.refresh(invite)
    return RedeemResult(RedeemOutcome.OK, unit=unit)


async def list_invites(
    session: AsyncSession,
    *,
    unit_id: int | None = None,
    active_only: bool = False,
    now: datetime | None = None,
) -> list[Invite]:
    """Return invites (newest first), optionally for one unit or only unused and unexpired."""
    query = select(Invite).order_by(col(Invite.created_at).desc(), col(Invite.id).desc())
    if unit_id is not None:
        query = query.where(Invite.unit_id == unit_id)
    if active_only:
        query = query.where(col(Invite.used_at).is_(None), Invite.expires_at > (now or utcnow()))
    return list((await session.scalars(query)).all())


async def count_wrong_tries(
    session: AsyncSession, *, member_id: int, now: datetime | None = None
) -> int:
    """Return how many wrong codes the member typed in the last WRONG_TRY_WINDOW."""
    since = (now or utcnow()) - WRONG_TRY_WINDOW
    query = select(func.count()).where(
        InviteAttempt.member_id == member_id, InviteAttempt.at > since
    )
    return int(await session.scalar(query) or 0)


async def revoke_invite(
    session: AsyncSession, *, invite_id: int, unit_id: int, actor: str, now: datetime | None = None
) -> bool:
    """End an unused, unexpired invite of this unit now (it then reads as expired); commit.

    Return False (nothing written) when there is no such invite or it is already over.
    """
    now = now or utcnow()
    ended = await session.execute(
        update(Invite)
        .where(
            col(Invite.id) == invite_id,
            col(Invite.unit_id) == unit_id,
            col(Invite.used_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(expires_at=now)
    )
    if not ended.rowcount:  # type: ignore[attr-defined]
        await session.commit()  # ends the transaction; nothing was written
        return False
    unit = await session.get(Unit, unit_id)
    target = unit.code if unit else str(unit_id)
    add_audit(session, actor=actor, action="invite.revoke", target=target, detail={"id": invite_id})
    await session.commit()
    return True
