"""Import units from CSV text (code,name,parent,level): re-import updates, never duplicates."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.errors import UnitImportError
from storage.models import Level, Unit
from storage.queries.audit import add_audit
from storage.queries.units import code_is_clean, name_is_clean
from storage.status import fold

_LEVELS = {
    "": Level.NONE,
    "tinh": Level.PROVINCE,
    "huyen": Level.DISTRICT,
    "co so": Level.GRASSROOTS,
    "coso": Level.GRASSROOTS,
}


@dataclass(frozen=True)
class UnitRow:
    """One parsed CSV line."""

    line: int
    code: str
    name: str
    parent: str
    level: str


@dataclass(frozen=True)
class ImportResult:
    """How many units an import added, changed, and left as they were."""

    added: int
    updated: int
    unchanged: int


def _parse_row(line: int, cells: list[str]) -> UnitRow:
    """Validate one CSV line; level accepts tinh/huyen/coso with or without diacritics."""
    cells = [cell.strip() for cell in cells] + ["", "", "", ""]
    code, name, parent, level_text = cells[:4]
    name = " ".join(name.split())  # as `units add` stores it
    if not code or not name:
        raise UnitImportError(line, "thiếu mã hoặc tên đơn vị")
    if len(code) > 64 or len(name) > 255:
        raise UnitImportError(line, "mã hoặc tên quá dài")
    if not code_is_clean(code) or not code_is_clean(parent):
        raise UnitImportError(line, f"mã {code!r} chứa khoảng trắng hoặc ký tự ẩn")
    if not name_is_clean(name):
        raise UnitImportError(line, "tên đơn vị chứa ký tự điều khiển hoặc ký tự ẩn")
    level = _LEVELS.get(fold(level_text))
    if level is None:
        raise UnitImportError(line, f"cấp không hợp lệ: {level_text!r}")
    if parent == code:
        raise UnitImportError(line, "đơn vị không thể là cấp trên của chính nó")
    return UnitRow(line, code, name, parent, level.value)


def parse_units_csv(text: str) -> list[UnitRow]:
    """Parse CSV text (optional header, BOM, blank and # lines ignored); reject duplicates."""
    rows: list[UnitRow] = []
    seen: set[str] = set()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line, cells in enumerate(reader, start=1):
        if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
            continue
        if not rows and fold(cells[0]) in {"code", "ma"}:
            continue
        row = _parse_row(line, cells)
        if row.code in seen:
            raise UnitImportError(line, f"mã {row.code} bị lặp")
        seen.add(row.code)
        rows.append(row)
    return rows


def _check_cycles(units: dict[str, Unit], by_id: dict[int, Unit], rows: list[UnitRow]) -> None:
    """Refuse a file whose parent links would form a loop."""
    for row in rows:
        seen: set[int] = set()
        unit: Unit | None = units[row.code]
        while unit is not None and unit.parent_id is not None:
            if unit.parent_id in seen:
                raise UnitImportError(row.line, f"vòng lặp cấp trên tại {row.code}")
            seen.add(unit.parent_id)
            unit = by_id.get(unit.parent_id)


async def import_units_csv(session: AsyncSession, *, text: str, actor: str) -> ImportResult:
    """Add or update units from CSV text in one transaction; parents may come later."""
    rows = parse_units_csv(text)
    units = {unit.code: unit for unit in (await session.scalars(select(Unit))).all()}
    before = {code: _state(unit) for code, unit in units.items()}
    try:
        for row in rows:
            unit = units.setdefault(row.code, Unit(code=row.code, name=row.name))
            unit.name, unit.level = row.name, row.level
            session.add(unit)
        await session.flush()
        for row in rows:
            if row.parent and row.parent not in units:
                raise UnitImportError(row.line, f"không tìm thấy cấp trên {row.parent}")
            units[row.code].parent_id = units[row.parent].id if row.parent else None
        by_id = {unit.id: unit for unit in units.values() if unit.id is not None}
        _check_cycles(units, by_id, rows)
    except Exception:
        await session.rollback()
        raise
    result = _count(rows, units, before)
    detail = {"added": result.added, "updated": result.updated, "rows": len(rows)}
    add_audit(session, actor=actor, action="unit.import", detail=detail)
    await session.commit()
    return result


def _state(unit: Unit) -> tuple[str, str, int | None]:
    """Return what an import may change on a unit."""
    return unit.name, unit.level, unit.parent_id


def _count(
    rows: list[UnitRow],
    units: dict[str, Unit],
    before: dict[str, tuple[str, str, int | None]],
) -> ImportResult:
    """Compare imported rows with their state before the import."""
    added = sum(1 for row in rows if row.code not in before)
    updated = sum(
        1 for row in rows if row.code in before and before[row.code] != _state(units[row.code])
    )
    return ImportResult(added, updated, len(rows) - added - updated)
