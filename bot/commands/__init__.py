"""Admin commands of `python -m bot`: db, admins, units, invite, export.

Each module has `add_parser(sub)`; every command opens the configured database,
applies pending migrations, and reports bad input as one Vietnamese line on
stderr with exit code 2 (failures: exit 1).
"""

from __future__ import annotations

import argparse

from bot.commands import admins, db, export, invites, units


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register every admin command on the top-level subparsers."""
    for module in (db, admins, units, invites, export):
        module.add_parser(sub)
