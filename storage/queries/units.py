"""Units: upsert by code, lookups, the subtree of a unit, and the unit scope of reports."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from storage.errors import UnitCycleError, UnitNotFoundError
from storage.models import Level, Unit
from storage.queries.audit import add_audit

#: Unicode categories never allowed in a unit code: control (NUL …) and invisible format
#: characters (zero-width space and joiners, soft hyphen, BOM …).
_HIDDEN = ("Cc", "Cf")


def code_is_clean(code: str) -> bool:
    """Tell whether a unit code has no whitespace, control or invisible characters."""
    return not any(ch.isspace() or unicodedata.category(ch) in _HIDDEN for ch in code)


def name_is_clean(name: str) -> bool:
    """Tell whether a unit name has no control or invisible characters (spaces are fine)."""
    return not any(unicodedata.category(ch) in _HIDDEN for ch in name)


CODE_MAX, NAME_MAX = 64, 255


def unit_problem(code: str, name: str) -> str | None:
    """Return what is wrong with a new unit's (stripped) code and name, or None:
    "empty", "too_long", "code_spaces" or "name_hidden" (CLI, chat and web say it)."""
    if not code or not name:
        return "empty"
    if len(code) > CODE_MAX or len(name) > NAME_MAX:
        return "too_long"
    if not code_is_clean(code):
        return "code_spaces"
    if not name_is_clean(name):
        return "name_hidden"
    return None


async def get_unit(session: AsyncSession, *, code: str) -> Unit | None:
    """Return the unit with this code, or None."""
    return await session.scalar(select(Unit).where(Unit.code == code.strip()))


async def get_unit_by_id(session: AsyncSession, *, unit_id: int) -> Unit | None:
    """Return the unit with this id, or None."""
    return await session.get(Unit, unit_id)


async def unit_ids_by_code(session: AsyncSession, *, codes: Sequence[str]) -> dict[str, int]:
    """Return code → id for the codes that name a unit (unknown codes are left out)."""
    wanted = sorted({code.strip() for code in codes})
    if not wanted:
        return {}
    query = select(Unit.code, Unit.id).where(col(Unit.code).in_(wanted))
    return {code: unit_id for code, unit_id in (await session.execute(query)).all()}


async def list_units(session: AsyncSession, *, level: str | None = None) -> list[Unit]:
    """Return all units ordered by code, optionally only one level."""
    query = select(Unit).order_by(col(Unit.code))
    if level is not None:
        query = query.where(Unit.level == level)
    return list((await session.scalars(query)).all())


async def list_children(session: AsyncSession, *, unit_id: int) -> list[Unit]:
    """Return the direct children of a unit, ordered by code."""
    query = select(Unit).where(Unit.parent_id == unit_id).order_by(col(Unit.code))
    return list((await session.scalars(query)).all())


def subtree_ids(root_id: int) -> Select[Any]:
    """Return a SELECT of the ids of `root_id` and all its descendants (recursive CTE)."""
    tree = select(col(Unit.id)).where(Unit.id == root_id).cte("subtree", recursive=True)
    child = aliased(Unit)
    tree = tree.union(select(child.id).where(col(child.parent_id) == tree.c.id))
    return select(tree.c.id)


def scope_ids(*, root_id: int | None = None, level: str | None = None) -> Select[Any]:
    """Return a SELECT of the unit ids in scope: all units or one subtree, maybe one level."""
    query = select(col(Unit.id))
    if root_id is not None:
        query = query.where(col(Unit.id).in_(subtree_ids(root_id)))
    if level is not None:
        query = query.where(Unit.level == level)
    return query


async def list_subtree(
    session: AsyncSession, *, unit_id: int, level: str | None = None
) -> list[Unit]:
    """Return a unit and all its descendants ordered by code (optionally one level)."""
    ids = scope_ids(root_id=unit_id, level=level)
    query = select(Unit).where(col(Unit.id).in_(ids)).order_by(col(Unit.code))
    return list((await session.scalars(query)).all())


async def _check_parent(session: AsyncSession, unit: Unit, parent: Unit | None) -> None:
    """Refuse a parent that is the unit itself or one of its descendants."""
    if parent is None or unit.id is None:
        return
    descendants = set((await session.scalars(subtree_ids(unit.id))).all())
    if parent.id in descendants:
        raise UnitCycleError(f"{parent.code} nằm trong cây của {unit.code}")


async def upsert_unit(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    actor: str,
    parent_code: str | None = None,
    level: str = "",
) -> Unit:
    """Add a unit or update the one with this code (parent given by code); commit."""
    level = Level(level).value
    parent = None
    if parent_code:
        parent = await get_unit(session, code=parent_code)
        if parent is None:
            raise UnitNotFoundError(parent_code)
    unit = await get_unit(session, code=code)
    action = "unit.update" if unit else "unit.add"
    if unit is None:
        unit = Unit(code=code.strip(), name=name.strip(), level=level)
    await _check_parent(session, unit, parent)
    unit.name, unit.level = name.strip(), level
    unit.parent_id = parent.id if parent else None
    session.add(unit)
    detail = {"name": unit.name, "parent": parent_code or "", "level": level}
    add_audit(session, actor=actor, action=action, target=unit.code, detail=detail)
    await session.commit()
    return unit


async def delete_unit(session: AsyncSession, *, code: str, actor: str) -> bool:
    """Delete a unit (children are detached, its reports removed); commit."""
    unit = await get_unit(session, code=code)
    if unit is None:
        return False
    await session.delete(unit)
    add_audit(session, actor=actor, action="unit.delete", target=code)
    await session.commit()
    return True
