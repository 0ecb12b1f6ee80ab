"""Admin commands of `python -m bot`: db, admins, members, units, invite, export, backup,
restore, the reminder commands deadlines, remind, outbox, broadcast, tokens (Zalo OA),
tasks scope / units exempt (who must report), and web (the dashboard and its login links).

Each module has `add_parser(sub)`; every command opens the configured database,
applies pending migrations, and reports bad input as one Vietnamese line on
stderr with exit code 2 (failures: exit 1).
"""

from __future__ import annotations

import argparse


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register every admin command on the top-level subparsers."""
    # Imported here, not at the top: `documents check` imports bot.commands.documents
    # and must not pay for SQLAlchemy and the storage layer.
    from bot.commands import (
        admins,
        backup,
        broadcast,
        db,
        deadlines,
        export,
        invites,
        members,
        outbox,
        remind,
        scope,
        tokens,
        units,
        web,
    )

    for module in (
        db,
        admins,
        members,
        units,
        invites,
        export,
        backup,
        deadlines,
        remind,
        outbox,
        broadcast,
        tokens,
        scope,
        web,
    ):
        module.add_parser(sub)
