"""`python -m bot tasks scope [CODE] [--levels …] [--units …] [--clear]`: which units a task
of the directive applies to (all units unless narrowed), and `units exempt`: units excused
from reporting and reminders over a date range. Both change who counts as incomplete in
/chuabaocao, /tiendo and the period reminders."""

from __future__ import annotations

import argparse
import json
from datetime import date

from bot import cli_texts as texts
from bot.commands.deadlines import check_task, now_of
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.library_source import load_full_library
from bot.settings import Settings
from handlers.scope_input import (
    REASON_MAX,
    BadInput,
    clean_reason,
    parse_exemption_id,
    parse_levels,
    parse_span,
    parse_unit_codes,
)
from storage.queries.applicability import (
    add_exemption,
    clear_task_scope,
    get_task_scope,
    list_exemptions,
    list_task_scopes,
    remove_exemption,
    set_task_scope,
)
from storage.queries.units import get_unit, unit_ids_by_code

ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `tasks scope`."""
    tasks = sub.add_parser("tasks", help="which units each task applies to")
    actions = tasks.add_subparsers(dest="action", required=True)
    scope = actions.add_parser("scope", help="show, narrow or clear a task's scope")
    scope.add_argument("code", nargs="?", help="task code, e.g. 6.2 (none: every narrowed task)")
    scope.add_argument("--levels", metavar="tw,tinh,huyen,coso", help="levels it applies to")
    scope.add_argument("--units", metavar="CODE,CODE", help="units it applies to")
    scope.add_argument("--clear", action="store_true", help="apply it to every unit again")
    scope.add_argument("--json", action="store_true", help="print JSON")
    scope.set_defaults(func=run_scope)


def add_unit_actions(actions: argparse._SubParsersAction) -> None:
    """Register `units exempt` on the `units` command."""
    exempt = actions.add_parser("exempt", help="excuse a unit from reporting for a while")
    exempt.add_argument("code", nargs="?", help="unit code (with --list: only that unit)")
    exempt.add_argument("--from", dest="start", metavar="DATE", help="first day, dd/mm/yyyy")
    exempt.add_argument("--to", dest="end", metavar="DATE", help="last day, dd/mm/yyyy")
    exempt.add_argument("--reason", help="why (shown to admins)")
    exempt.add_argument("--list", action="store_true", help="list exemptions")
    exempt.add_argument("--remove", metavar="ID", help="remove exemption #ID")
    exempt.add_argument("--json", action="store_true", help="print JSON (with --list)")
    exempt.set_defaults(func=run_exempt)


def refused(error: BadInput) -> UsageError:
    """Return the CLI's words for input the shared parsers refused."""
    message = {
        "level": texts.SCOPE_LEVEL_BAD.format(value=error.value),
        "units": texts.SCOPE_USAGE,
        "day": texts.SINCE_BAD.format(value=error.value),
        "span": texts.EXEMPT_SPAN_BAD,
        "reason": texts.EXEMPT_REASON_BAD.format(limit=REASON_MAX),
        "id": texts.EXEMPT_ID_BAD.format(value=error.value),
    }[error.kind]
    return UsageError(message)


def describe(levels: list[str], units: list[str]) -> str:
    """Return a scope in words."""
    if not levels and not units:
        return texts.SCOPE_ALL_UNITS
    parts = [texts.SCOPE_LEVELS.format(levels=", ".join(levels))] if levels else []
    if units:
        parts.append(texts.SCOPE_UNITS.format(units=", ".join(units)))
    return "; ".join(parts)


@reports_errors
def run_scope(args: argparse.Namespace, settings: Settings) -> int:
    """Show, narrow or clear a task's scope (no code: list every narrowed task)."""
    changing = args.levels is not None or args.units is not None
    if args.code is None:
        if changing or args.clear:
            raise UsageError(texts.SCOPE_USAGE)
        scopes = with_database(settings, show_all)
        if args.json:
            print(json.dumps({c: {"levels": lv, "units": us} for c, (lv, us) in scopes.items()}))
            return EXIT_OK
        for code, (levels, units) in scopes.items():
            print(texts.SCOPE_LINE.format(code=code, scope=describe(levels, units)))
        if not scopes:
            print(texts.SCOPE_NONE)
        return EXIT_OK
    if changing and args.clear:
        raise UsageError(texts.SCOPE_USAGE)
    task = check_task(load_full_library(settings), args.code)
    try:
        levels = parse_levels(args.levels) if args.levels else []
        codes = parse_unit_codes(args.units) if args.units is not None else []
    except BadInput as error:
        raise refused(error) from None
    if task.children:
        raise UsageError(texts.SCOPE_GROUP.format(code=task.code))
    result = with_database(
        settings,
        lambda db: change_scope(
            db, task.code, levels, codes, args.clear, changing, document=task.document
        ),
    )
    if args.json:
        print(json.dumps({"task": task.code, "levels": result[0], "units": result[1]}))
    else:
        print(texts.SCOPE_LINE.format(code=task.code, scope=describe(*result)))
    return EXIT_OK


async def show_all(db: Database) -> dict[str, tuple[list[str], list[str]]]:
    """Return every narrowed task."""
    async with db.sessions() as session:
        return await list_task_scopes(session)


async def change_scope(
    db: Database,
    code: str,
    levels: list[str],
    units: list[str],
    clear: bool,
    changing: bool,
    *,
    document: str,
) -> tuple[list[str], list[str]]:
    """Apply the change (if any) and return the task's scope as it now is."""
    async with db.sessions() as session:
        if clear:
            await clear_task_scope(session, task_code=code, actor=ACTOR, document=document)
        elif changing:
            ids = await unit_ids_by_code(session, codes=units)
            for unit_code in units:
                if unit_code not in ids:
                    raise UsageError(texts.UNIT_UNKNOWN.format(code=unit_code))
            await set_task_scope(
                session,
                task_code=code,
                levels=levels,
                unit_ids=list(ids.values()),
                actor=ACTOR,
                document=document,
            )
        return await get_task_scope(session, task_code=code, document=document)


@reports_errors
def run_exempt(args: argparse.Namespace, settings: Settings) -> int:
    """Add, list or remove unit exemptions."""
    if args.list:
        rows = with_database(settings, lambda db: exemptions(db, args.code))
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        for row in [] if args.json else rows:
            print(texts.EXEMPT_LINE.format(**row))
        if not rows and not args.json:
            print(texts.EXEMPT_NONE)
        return EXIT_OK
    if args.remove is not None:
        try:
            number = parse_exemption_id(args.remove)
        except BadInput as error:
            raise refused(error) from None
        if not with_database(settings, lambda db: drop(db, number)):
            raise UsageError(texts.EXEMPT_NOT_FOUND.format(id=number))
        print(texts.EXEMPT_REMOVED.format(id=number))
        return EXIT_OK
    if not args.code or not args.start or not args.end:
        raise UsageError(texts.EXEMPT_USAGE)
    try:
        start, end = parse_span(args.start, args.end)
        reason = clean_reason(args.reason or "")
    except BadInput as error:
        raise refused(error) from None
    added = with_database(settings, lambda db: exempt(db, args.code.strip(), start, end, reason))
    print(
        texts.EXEMPT_ADDED.format(
            id=added, code=args.code.strip(), start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}"
        )
    )
    today = now_of(settings).astimezone(settings.zone).date()
    if end < today:
        print(texts.EXEMPT_PAST)
    return EXIT_OK


async def exempt(db: Database, code: str, start: date, end: date, reason: str) -> int:
    """Store the exemption; return its id."""
    async with db.sessions() as session:
        unit = await get_unit(session, code=code)
        if unit is None or unit.id is None:
            raise UsageError(texts.UNIT_UNKNOWN.format(code=code))
        row = await add_exemption(
            session, unit_id=unit.id, starts_on=start, ends_on=end, reason=reason, actor=ACTOR
        )
        return row.id or 0


async def exemptions(db: Database, code: str | None) -> list[dict[str, object]]:
    """Return the exemptions (of one unit) as plain rows."""
    async with db.sessions() as session:
        unit_id = None
        if code:
            unit = await get_unit(session, code=code.strip())
            if unit is None:
                raise UsageError(texts.UNIT_UNKNOWN.format(code=code))
            unit_id = unit.id
        rows = await list_exemptions(session, unit_id=unit_id)
    return [
        {
            "id": row.id,
            "unit": unit_code,
            "start": f"{row.starts_on:%d/%m/%Y}",
            "end": f"{row.ends_on:%d/%m/%Y}",
            "reason": row.reason,
        }
        for row, unit_code in rows
    ]


async def drop(db: Database, exemption_id: int) -> bool:
    """Remove an exemption; False when there is none."""
    async with db.sessions() as session:
        return await remove_exemption(session, exemption_id=exemption_id, actor=ACTOR)
