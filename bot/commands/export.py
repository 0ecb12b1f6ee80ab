"""`python -m bot export progress OUT.xlsx|OUT.csv [--since DATE] [--document NUMBER]`:
progress on a directive (the current one by default) for Excel."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from bot import cli_texts as texts
from bot.commands.deadlines import now_of
from bot.commands.errors import EXIT_OK, CommandFailed, UsageError
from bot.commands.parse import parse_since
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.library_source import load_full_library
from bot.settings import Settings
from knowledge.periods import last_periods
from storage.export import EXPORT_PERIODS, write_csv, write_xlsx
from storage.queries.audit import record
from storage.queries.matrix import PeriodReport, Span, period_report
from storage.queries.summary import ExportRow, TaskOverview, export_rows, overview

ACTOR = "cli"
FORMATS = (".xlsx", ".csv")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `export progress`."""
    export = sub.add_parser("export", help="export data to a file")
    kinds = export.add_subparsers(dest="action", required=True)
    progress = kinds.add_parser("progress", help="current progress per unit and task")
    progress.add_argument("out", type=Path, metavar="OUT.xlsx|OUT.csv", help="file to write")
    progress.add_argument(
        "--since", metavar="DATE", help="only reports from this day (2024-03-01 or 01/03/2024)"
    )
    progress.add_argument(
        "--document",
        metavar="NUMBER",
        help="the directive (09-KL or 09-KL/BTCTW; default: the current one)",
    )
    progress.set_defaults(func=run_export)


@reports_errors
def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the progress workbook (.xlsx) or table (.csv) and say where and how many rows."""
    out: Path = args.out
    check_target(out)
    since = parse_since(args.since, settings.zone) if args.since else None
    library = load_full_library(settings)
    doc = library.document(args.document.strip()) if args.document else library.default
    if doc is None:
        raise UsageError(texts.DOC_UNKNOWN.format(key=args.document))
    tasks, document = list(doc.tasks), doc.number
    titles = {task.code: task.title for task in tasks}
    today = now_of(settings).astimezone(settings.zone).date()
    spans = Span.of_periods(last_periods(today, EXPORT_PERIODS), settings.zone)
    leaves = [task.code for task in tasks if not task.children]
    rows = with_database(
        settings, lambda db: export_to(db, out, since, titles, (leaves, spans), document)
    )
    print(done_message(out, rows, since))
    return EXIT_OK


def check_target(out: Path) -> None:
    """Refuse an unknown extension or a folder that does not exist."""
    if out.suffix.lower() not in FORMATS:
        raise UsageError(texts.EXPORT_BAD_EXTENSION.format(name=out.name))
    folder = out.parent
    if not folder.is_dir():
        raise UsageError(texts.EXPORT_NO_FOLDER.format(folder=folder))


async def export_to(
    db: Database,
    out: Path,
    since: datetime | None,
    titles: dict[str, str],
    periods: tuple[list[str], list[Span]],
    document: str,
) -> int:
    """Write the current reports (since `since`) to `out`, audit it; return the row count.

    `periods`: the leaf task codes and the periods of the workbook's matrix and summaries.
    """
    async with db.sessions() as session:
        rows = await export_rows(session, since=since, document=document)
        tasks = await overview(session, document=document)
        report = None
        if out.suffix.lower() == ".xlsx":
            codes, spans = periods
            report = await period_report(session, task_codes=codes, spans=spans, document=document)
        write(out, rows, tasks, titles, report)
        detail = {"rows": len(rows), "since": since.isoformat() if since else None}
        await record(session, actor=ACTOR, action="export.progress", target=out.name, detail=detail)
        return len(rows)


def write(
    out: Path,
    rows: list[ExportRow],
    tasks: list[TaskOverview],
    titles: dict[str, str],
    report: PeriodReport | None = None,
) -> None:
    """Save an .xlsx workbook (progress, summary, matrix, period sheets) or a .csv table."""
    try:
        if out.suffix.lower() == ".xlsx":
            write_xlsx(rows, task_titles=titles, overview=tasks, periods=report, path=out)
        else:
            write_csv(rows, task_titles=titles, path=out)
    except OSError as exc:
        reason = texts.WRITE_PROBLEMS.get(type(exc).__name__, texts.WRITE_PROBLEM_OTHER)
        raise CommandFailed(texts.EXPORT_WRITE_FAILED.format(path=out, reason=reason)) from None


def done_message(out: Path, rows: int, since: datetime | None) -> str:
    """Return the one-line report of a finished export."""
    message = texts.EXPORT_DONE.format(rows=rows, path=out)
    if since is not None:
        message += texts.EXPORT_SINCE.format(since=since.strftime("%d/%m/%Y"))
    if rows == 0:
        message += texts.EXPORT_EMPTY
    return message
