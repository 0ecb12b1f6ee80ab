"""Small builders shared by the storage tests."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Unit
from storage.queries.members import get_or_create_member
from storage.queries.unit_import import import_units_csv
from storage.queries.units import get_unit

#: T ─┬─ H1 ─┬─ X1
#:    │      └─ X2
#:    └─ H2 ─── X3
TREE_CSV = "T,Tỉnh,,tinh\nH1,Huyện 1,T,huyen\nH2,Huyện 2,T,huyen\n"
TREE_CSV += "X1,Xã 1,H1,coso\nX2,Xã 2,H1,coso\nX3,Xã 3,H2,coso\n"


async def make_tree(session: AsyncSession) -> dict[str, Unit]:
    """Import the test tree and return its units by code."""
    await import_units_csv(session, text=TREE_CSV, actor="test")
    units = {}
    for code in ("T", "H1", "H2", "X1", "X2", "X3"):
        unit = await get_unit(session, code=code)
        assert unit is not None
        units[code] = unit
    return units


def unit_id(unit: Unit) -> int:
    """Return the id of a stored unit."""
    assert unit.id is not None
    return unit.id


async def make_member(session: AsyncSession, external_id: str = "100") -> Member:
    """Return a Telegram member."""
    return await get_or_create_member(
        session, channel="telegram", external_id=external_id, display_name=f"Cán bộ {external_id}"
    )
