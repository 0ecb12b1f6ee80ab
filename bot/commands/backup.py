"""`python -m bot backup OUT [--logical]` and `python -m bot restore IN`.

backup copies the database while the bot runs (SQLite online backup, pg_dump from a
snapshot, or rows read in one snapshot); restore fills an empty database and migrates it
to head. The work is in storage/backup.py; here: arguments, errors, messages.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot import cli_texts as texts
from bot.commands.errors import EXIT_OK, CommandFailed, UsageError
from bot.commands.runner import ALEMBIC_LOGGERS, MIGRATION_LOGGERS, reports_errors
from bot.settings import Settings
from handlers import texts as chat_texts
from storage import backup as store
from storage.backup import Manifest
from storage.migrate import current_revision

log = logging.getLogger(__name__)

T = TypeVar("T")
ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `backup` and `restore`."""
    backup = sub.add_parser("backup", help="copy the database to a file (safe while the bot runs)")
    backup.add_argument("out", type=Path, metavar="OUT", help="backup file to create, e.g. bot.zip")
    backup.add_argument(
        "--logical",
        action="store_true",
        help="rows as JSON lines instead of a SQLite file / pg_dump (restorable into either)",
    )
    backup.set_defaults(func=run_backup)
    restore = sub.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("file", type=Path, metavar="IN", help="a file made by `backup`")
    restore.set_defaults(func=run_restore)


def database_url(settings: Settings) -> str:
    """Return the configured database URL; a malformed or unsupported one is a usage error."""
    try:
        backend = make_url(settings.database).get_backend_name()
    except ArgumentError:
        raise UsageError(texts.DB_BAD_URL.format(reason="sai cú pháp địa chỉ")) from None
    if backend not in ("sqlite", "postgresql"):
        raise UsageError(texts.DB_BAD_URL.format(reason="chỉ hỗ trợ SQLite và PostgreSQL"))
    return settings.database


def run_quietly(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` with the migrations' INFO lines hidden (unless LOG_LEVEL=DEBUG)."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ALEMBIC_LOGGERS + MIGRATION_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    return asyncio.run(work)


def unreachable(exc: Exception) -> CommandFailed:
    """Return the failure of a database that could not be opened or read."""
    log.error("database error: %s: %s", type(exc).__name__, exc)
    log.debug("details", exc_info=True)
    return CommandFailed(texts.DB_UNREACHABLE.format(kind=type(exc).__name__))


@reports_errors
def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Write a backup file and say what it holds."""
    out: Path = args.out
    if out.exists():
        raise UsageError(texts.BACKUP_EXISTS.format(path=out))
    if not out.parent.is_dir():
        raise UsageError(texts.BACKUP_NO_FOLDER.format(folder=out.parent))
    url = database_url(settings)
    try:
        manifest = run_quietly(store.make_backup(url, out, logical=args.logical))
    except store.NoDatabase as exc:
        raise CommandFailed(texts.BACKUP_NO_DATABASE.format(path=exc)) from None
    except (SQLAlchemyError, sqlite3.Error, ConnectionError, TimeoutError) as exc:
        raise unreachable(exc) from None
    except OSError as exc:
        log.error("cannot write the backup: %s", exc)
        reason = texts.WRITE_PROBLEMS.get(type(exc).__name__, texts.WRITE_PROBLEM_OTHER)
        raise CommandFailed(texts.BACKUP_WRITE_FAILED.format(path=out, reason=reason)) from None
    print(
        texts.BACKUP_DONE.format(
            path=out,
            kind=texts.BACKUP_KINDS[manifest.kind],
            rows=manifest.rows,
            tables=len(manifest.tables),
            size=format_size(out.stat().st_size),
        )
    )
    return EXIT_OK


@reports_errors
def run_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a backup file into the configured (empty) database."""
    path: Path = args.file
    try:
        path.open("rb").close()
    except OSError as exc:
        reason = chat_texts.FILE_PROBLEMS.get(type(exc).__name__, chat_texts.FILE_PROBLEM_OTHER)
        raise UsageError(chat_texts.CLI_UNREADABLE_FILE.format(path=path, reason=reason)) from None
    url = database_url(settings)
    manifest = run_quietly(restore(url, path))
    print(
        texts.RESTORE_DONE.format(
            path=path,
            created=manifest.created_at.astimezone(settings.zone).strftime("%d/%m/%Y %H:%M"),
            engine=ENGINE_LABELS.get(manifest.engine, manifest.engine),
            kind=texts.BACKUP_KINDS[manifest.kind],
            rows=manifest.rows,
            tables=len(manifest.tables),
            revision=run_quietly(current_revision(url)) or "-",
        )
    )
    return EXIT_OK


async def restore(url: str, path: Path) -> Manifest:
    """Restore, turning each refusal into its message."""
    try:
        return await store.restore_backup(url, path)
    except store.BadBackupFile as exc:
        log.debug("bad backup file: %s", exc)
        reason = texts.RESTORE_PROBLEMS[exc.reason]
        raise UsageError(texts.RESTORE_BAD_FILE.format(path=path, reason=reason)) from None
    except store.UnknownRevision as exc:
        raise UsageError(texts.RESTORE_NEWER.format(path=path, revision=exc)) from None
    except store.WrongEngine:
        raise UsageError(texts.RESTORE_WRONG_ENGINE.format(path=path)) from None
    except store.DatabaseNotEmpty as exc:
        held = ", ".join(f"{name}: {count}" for name, count in exc.counts.items())
        raise CommandFailed(texts.RESTORE_NOT_EMPTY.format(tables=held)) from None
    except store.ToolMissing as exc:
        raise CommandFailed(texts.RESTORE_TOOL_MISSING.format(tool=exc)) from None
    except store.ToolFailed:
        raise CommandFailed(texts.RESTORE_TOOL_FAILED.format(path=path)) from None
    except (SQLAlchemyError, sqlite3.Error, OSError, TimeoutError) as exc:
        raise unreachable(exc) from None


def format_size(size: int) -> str:
    """Return a file size as `12 KB` or `3,4 MB` (Vietnamese decimal comma)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")
