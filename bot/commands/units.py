"""`python -m bot units add | import | list | exempt`: the tree of organisation units
(`exempt` lives in scope.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot import cli_texts as texts
from bot.commands import scope
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.parse import check_unit, parse_level
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from handlers import texts as chat_texts
from storage.errors import UnitCycleError, UnitImportError, UnitNotFoundError
from storage.models import Unit
from storage.queries.unit_import import ImportResult, import_units_csv
from storage.queries.units import get_unit, list_units, upsert_unit

ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `units add`, `units import` and `units list`."""
    units = sub.add_parser("units", help="manage organisation units")
    actions = units.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a unit, or update the one with this code")
    add.add_argument("code", help="unit code, e.g. HU-TP")
    add.add_argument("name", help='unit name, e.g. "Huyện ủy Tuy Phước"')
    add.add_argument("--parent", metavar="CODE", help="code of the parent unit")
    add.add_argument("--level", metavar="tinh|huyen|coso", help="administrative level")
    add.set_defaults(func=run_add)
    load = actions.add_parser("import", help="add or update units from a CSV file")
    load.add_argument("file", type=Path, help="CSV with columns code,name,parent,level")
    load.set_defaults(func=run_import)
    listing = actions.add_parser("list", help="list the units")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=run_list)
    scope.add_unit_actions(actions)


@reports_errors
def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add or update one unit."""
    code, name = check_unit(args.code, args.name)
    level = parse_level(args.level)
    parent = (args.parent or "").strip() or None
    added, unit = with_database(settings, lambda db: save_unit(db, code, name, parent, level))
    message = texts.UNIT_ADDED if added else texts.UNIT_UPDATED
    print(message.format(code=unit.code, name=unit.name))
    return EXIT_OK


async def save_unit(
    db: Database, code: str, name: str, parent: str | None, level: str
) -> tuple[bool, Unit]:
    """Upsert the unit; return whether it is new, and the unit."""
    async with db.sessions() as session:
        added = await get_unit(session, code=code) is None
        try:
            unit = await upsert_unit(
                session, code=code, name=name, actor=ACTOR, parent_code=parent, level=level
            )
        except UnitNotFoundError:
            raise UsageError(texts.PARENT_UNKNOWN.format(code=parent)) from None
        except UnitCycleError:
            raise UsageError(texts.UNIT_CYCLE.format(parent=parent, code=code)) from None
        return added, unit


@reports_errors
def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import a CSV file of units; a bad line changes nothing."""
    path: Path = args.file
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = chat_texts.FILE_PROBLEMS.get(type(exc).__name__, chat_texts.FILE_PROBLEM_OTHER)
        raise UsageError(chat_texts.CLI_UNREADABLE_FILE.format(path=path, reason=reason)) from None
    result = with_database(settings, lambda db: import_file(db, path, text))
    print(
        texts.UNITS_IMPORTED.format(
            path=path, added=result.added, updated=result.updated, unchanged=result.unchanged
        )
    )
    return EXIT_OK


async def import_file(db: Database, path: Path, text: str) -> ImportResult:
    """Run the import in one transaction."""
    async with db.sessions() as session:
        try:
            return await import_units_csv(session, text=text, actor=ACTOR)
        except UnitImportError as exc:
            raise UsageError(texts.UNITS_IMPORT_BAD.format(path=path, error=exc)) from None


@reports_errors
def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print the units as a table, or as a JSON array with --json."""
    units = with_database(settings, load_units)
    codes = {unit.id: unit.code for unit in units}
    rows = [
        {
            "code": unit.code,
            "name": unit.name,
            "parent": codes.get(unit.parent_id) if unit.parent_id is not None else None,
            "level": unit.level or None,
        }
        for unit in units
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(format_table(rows) if rows else texts.UNITS_NONE)
    return EXIT_OK


async def load_units(db: Database) -> list[Unit]:
    """Return every unit ordered by code."""
    async with db.sessions() as session:
        return await list_units(session)


def format_table(rows: list[dict[str, str | None]]) -> str:
    """Return the units as aligned columns: code, name, parent code, level."""
    cells = [list(texts.UNITS_HEADERS)]
    for row in rows:
        level = texts.LEVEL_LABELS.get(row["level"] or "", row["level"] or "")
        cells.append([row["code"] or "", row["name"] or "", row["parent"] or "", level])
    widths = [max(len(line[column]) for line in cells) for column in range(len(cells[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
