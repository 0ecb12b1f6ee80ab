"""`python -m bot admins add CHANNEL:USER_ID | list`: who may manage units and invites."""

from __future__ import annotations

import argparse
import sys

from bot import cli_texts as texts
from bot.commands.errors import EXIT_OK
from bot.commands.parse import KNOWN_CHANNELS, MemberId, parse_member_id
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from storage.models import Member, Role
from storage.queries.members import get_member, list_admins, set_member_role

ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `admins add` and `admins list`."""
    admins = sub.add_parser("admins", help="manage admins")
    actions = admins.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="make CHANNEL:USER_ID an admin")
    add.add_argument("member", metavar="CHANNEL:USER_ID", help="e.g. telegram:123456, console:boss")
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="list the admins")
    listing.set_defaults(func=run_list)


@reports_errors
def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """Create or update the member and give it the admin role."""
    who = parse_member_id(args.member)
    if who.channel not in KNOWN_CHANNELS:
        known = ", ".join(KNOWN_CHANNELS)
        print(texts.CHANNEL_UNKNOWN.format(channel=who.channel, known=known), file=sys.stderr)
    changed = with_database(settings, lambda db: make_admin(db, who))
    print((texts.ADMIN_ADDED if changed else texts.ADMIN_ALREADY).format(member=who))
    return EXIT_OK


async def make_admin(db: Database, who: MemberId) -> bool:
    """Give `who` the admin role; return False when it already had it (nothing written)."""
    async with db.sessions() as session:
        member = await get_member(session, channel=who.channel, external_id=who.external_id)
        if member is not None and member.role == Role.ADMIN.value:
            return False
        await set_member_role(
            session,
            channel=who.channel,
            external_id=who.external_id,
            role=Role.ADMIN.value,
            actor=ACTOR,
        )
        return True


@reports_errors
def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print the admins in the database, then those named only in the ADMINS setting."""
    members = with_database(settings, load_admins)
    lines = [admin_line(member) for member in members]
    stored = {f"{member.channel}:{member.external_id}" for member in members}
    for configured in sorted(settings.admin_ids - stored):
        lines.append(texts.ADMIN_LINE.format(member=configured) + texts.ADMIN_FROM_SETTINGS)
    print("\n".join([texts.ADMINS_HEADER, *lines]) if lines else texts.ADMINS_NONE)
    return EXIT_OK


async def load_admins(db: Database) -> list[Member]:
    """Return the admin members."""
    async with db.sessions() as session:
        return await list_admins(session)


def admin_line(member: Member) -> str:
    """Return one admin as `• channel:id — name`."""
    line = texts.ADMIN_LINE.format(member=f"{member.channel}:{member.external_id}")
    return line + (texts.ADMIN_NAME.format(name=member.display_name) if member.display_name else "")
