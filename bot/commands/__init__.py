"""Admin commands of `python -m bot`: db, admins, units, invite, export, and the reminder
commands deadlines, remind, outbox, broadcast.

Each module has `add_parser(sub)`; every command opens the configured database,
applies pending migrations, and reports bad input as one Vietnamese line on
stderr with exit code 2 (failures: exit 1).
"""

from __future__ import annotations

import argparse

from bot.commands import (
    admins,
    broadcast,
    db,
    deadlines,
    export,
    invites,
    outbox,
    remind,
    units,
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register every admin command on the top-level subparsers."""
    for module in (db, admins, units, invites, export, deadlines, remind, outbox, broadcast):
        module.add_parser(sub)
