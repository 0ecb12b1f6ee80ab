"""`python -m bot db upgrade`: apply the database migrations."""

from __future__ import annotations

import argparse

from bot import cli_texts as texts
from bot.commands.errors import EXIT_OK
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from storage.migrate import current_revision


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `db upgrade`."""
    db = sub.add_parser("db", help="manage the database")
    actions = db.add_subparsers(dest="action", required=True)
    upgrade = actions.add_parser("upgrade", help="apply the migrations (safe to repeat)")
    upgrade.set_defaults(func=run_upgrade)


@reports_errors
def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the schema up to date (with_database migrates) and say which revision it is at."""

    async def revision(db: Database) -> str | None:
        return await current_revision(db.engine)

    print(texts.DB_UPGRADED.format(revision=with_database(settings, revision, narrate=True) or "-"))
    return EXIT_OK
