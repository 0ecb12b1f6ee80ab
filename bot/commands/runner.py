"""Running an admin command: the database opened and migrated first, errors as messages."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot import cli_texts as texts
from bot.commands.errors import CommandError, CommandFailed, UsageError
from bot.database import Database
from bot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
Command = Callable[[argparse.Namespace, Settings], int]


def reports_errors(command: Command) -> Command:
    """Print a CommandError's message on stderr and return its exit code (no traceback)."""

    @functools.wraps(command)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return command(args, settings)
        except CommandError as exc:
            print(exc, file=sys.stderr)
            return exc.exit_code

    return run


#: Loggers narrating every (usually empty) migration run; quiet unless LOG_LEVEL=DEBUG.
ALEMBIC_LOGGERS = ("alembic",)
MIGRATION_LOGGERS = ("storage.migrate", "bot.database")


def with_database(
    settings: Settings, body: Callable[[Database], Awaitable[T]], *, narrate: bool = False
) -> T:
    """Open the configured database, bring its schema up to date, run `body`, close.

    The migration's INFO lines are shown only when `narrate` (`db upgrade`) or at DEBUG.
    """
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ALEMBIC_LOGGERS if narrate else ALEMBIC_LOGGERS + MIGRATION_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    return asyncio.run(_open_and_run(settings, body))


async def _open_and_run(settings: Settings, body: Callable[[Database], Awaitable[T]]) -> T:
    """The async part of with_database."""
    db = open_database(settings)
    try:
        await migrate(db)
        return await body(db)
    finally:
        await db.close()


def open_database(settings: Settings) -> Database:
    """Build the engine for DATABASE_URL; a malformed URL is a usage error."""
    try:
        return Database.open(settings)
    except ArgumentError as exc:
        log.debug("bad database url: %s", exc)
        raise UsageError(texts.DB_BAD_URL.format(reason="sai cú pháp địa chỉ")) from None
    except ValueError as exc:
        log.debug("bad database url: %s", exc)
        reason = "chỉ hỗ trợ SQLite và PostgreSQL"
        raise UsageError(texts.DB_BAD_URL.format(reason=reason)) from None
    except OSError as exc:  # the SQLite folder could not be created
        log.error("cannot prepare the data folder: %s", exc)
        raise CommandFailed(texts.DB_UNREACHABLE.format(kind=type(exc).__name__)) from None


async def migrate(db: Database) -> None:
    """Apply pending migrations (idempotent); an unreachable database is a failure."""
    try:
        await db.upgrade()
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.error("database upgrade failed: %s: %s", type(exc).__name__, exc)
        log.debug("details", exc_info=True)
        raise CommandFailed(texts.DB_UNREACHABLE.format(kind=type(exc).__name__)) from None
