"""Audit log: who changed what, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import AuditLog
from storage.types import utcnow

_INSERT = insert(AuditLog.__table__)  # type: ignore[attr-defined]  # built once: compiled once


def add_audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add an audit row to the session without committing (joins the caller's write)."""
    row = AuditLog(
        actor=actor[:128],
        action=action[:64],
        target=target[:255],
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(row)
    return row


async def insert_audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Insert an audit row now, as one Core INSERT (no ORM flush); the caller commits."""
    values = {"actor": actor[:128], "action": action[:64], "target": target[:255]}
    await session.execute(_INSERT, {**values, "detail": detail or {}, "at": at or utcnow()})


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Record a stand-alone event (e.g. an export or a broadcast) and commit."""
    row = add_audit(session, actor=actor, action=action, target=target, detail=detail)
    await session.commit()
    return row


async def list_audit(
    session: AsyncSession,
    *,
    limit: int = 50,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditLog]:
    """Return the newest audit rows, optionally filtered by action, actor, target and a
    time range [since, until)."""
    query = select(AuditLog).order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
    if action is not None:
        query = query.where(AuditLog.action == action)
    if actor is not None:
        query = query.where(AuditLog.actor == actor)
    if target is not None:
        query = query.where(AuditLog.target == target)
    if since is not None:
        query = query.where(col(AuditLog.at) >= since)
    if until is not None:
        query = query.where(col(AuditLog.at) < until)
    return list((await session.scalars(query.limit(limit))).all())
