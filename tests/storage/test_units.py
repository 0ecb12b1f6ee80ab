"""Units: upsert by code, subtree, CSV import (re-import updates, parents may come later)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import UnitCycleError, UnitImportError, UnitNotFoundError
from storage.queries.audit import list_audit
from storage.queries.unit_import import import_units_csv
from storage.queries.units import (
    delete_unit,
    get_unit,
    list_children,
    list_subtree,
    list_units,
    upsert_unit,
)

TREE = """code,name,parent,level
X1,Xã Một,H1,coso
X2,Xã Hai,H1,cơ sở
H1,Huyện Một,T,huyện
H2,Huyện Hai,T,huyen
X3,Xã Ba,H2,coso
T,Tỉnh,,tỉnh
"""


async def test_upsert_adds_then_updates_by_code(session: AsyncSession) -> None:
    await upsert_unit(session, code="T", name="Tỉnh", level="tinh", actor="cli")
    first = await upsert_unit(session, code="H1", name="Huyện", parent_code="T", actor="cli")
    second = await upsert_unit(session, code="H1", name="Huyện Một", parent_code="T", actor="cli")
    assert first.id == second.id
    assert [u.code for u in await list_units(session)] == ["H1", "T"]
    assert (await get_unit(session, code="H1")).name == "Huyện Một"  # type: ignore[union-attr]
    actions = [row.action for row in await list_audit(session)]
    assert actions == ["unit.update", "unit.add", "unit.add"]


async def test_upsert_refuses_unknown_parent_and_cycles(session: AsyncSession) -> None:
    with pytest.raises(UnitNotFoundError):
        await upsert_unit(session, code="A", name="A", parent_code="NOPE", actor="cli")
    await upsert_unit(session, code="A", name="A", actor="cli")
    await upsert_unit(session, code="B", name="B", parent_code="A", actor="cli")
    with pytest.raises(UnitCycleError):
        await upsert_unit(session, code="A", name="A", parent_code="B", actor="cli")


async def test_csv_import_with_parents_after_children(session: AsyncSession) -> None:
    result = await import_units_csv(session, text=TREE, actor="cli")
    assert (result.added, result.updated, result.unchanged) == (6, 0, 0)
    h1 = await get_unit(session, code="H1")
    assert h1 is not None and h1.level == "huyen"
    assert [u.code for u in await list_children(session, unit_id=h1.id)] == ["X1", "X2"]  # type: ignore[arg-type]
    t = await get_unit(session, code="T")
    assert t is not None
    subtree = await list_subtree(session, unit_id=t.id)  # type: ignore[arg-type]
    assert [u.code for u in subtree] == ["H1", "H2", "T", "X1", "X2", "X3"]
    grassroots = await list_subtree(session, unit_id=t.id, level="coso")  # type: ignore[arg-type]
    assert [u.code for u in grassroots] == ["X1", "X2", "X3"]


async def test_csv_reimport_updates_never_duplicates(session: AsyncSession) -> None:
    await import_units_csv(session, text=TREE, actor="cli")
    changed = TREE.replace("X3,Xã Ba,H2", "X3,Xã Ba mới,H1")
    result = await import_units_csv(session, text=changed + "X4,Xã Bốn,H2,coso\n", actor="cli")
    assert (result.added, result.updated, result.unchanged) == (1, 1, 5)
    assert len(await list_units(session)) == 7
    x3 = await get_unit(session, code="X3")
    h1 = await get_unit(session, code="H1")
    assert x3 is not None and h1 is not None
    assert (x3.name, x3.parent_id) == ("Xã Ba mới", h1.id)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("A,Tên,MISSING,coso\n", 1),
        ("A,A,,coso\nA,A2,,coso\n", 2),
        ("A,A,B,\nB,B,A,\n", 1),
        ("A,,,\n", 1),
        ("A,A,,thon\n", 1),
    ],
)
async def test_csv_import_rejects_bad_files_whole(
    session: AsyncSession, text: str, line: int
) -> None:
    with pytest.raises(UnitImportError) as caught:
        await import_units_csv(session, text=text, actor="cli")
    assert caught.value.line == line
    assert await list_units(session) == []


async def test_delete_unit_detaches_children(session: AsyncSession) -> None:
    await import_units_csv(session, text=TREE, actor="cli")
    assert await delete_unit(session, code="H1", actor="cli")
    x1 = await get_unit(session, code="X1")
    assert x1 is not None and x1.parent_id is None
    assert not await delete_unit(session, code="H1", actor="cli")
