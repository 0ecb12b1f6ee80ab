"""`python -m bot members forget CHANNEL:USER_ID`: erase a member's personal data."""

from __future__ import annotations

import argparse
import sys

from bot import cli_texts as texts
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.parse import MemberId, parse_member_id
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from handlers import texts as chat_texts
from storage.errors import MemberNotFoundError
from storage.queries.members import Forgotten, forget_member

ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `members forget`."""
    members = sub.add_parser("members", help="manage members")
    actions = members.add_subparsers(dest="action", required=True)
    forget = actions.add_parser(
        "forget", help="erase a member's name and ids; their unit's reports stay"
    )
    forget.add_argument("member", metavar="CHANNEL:USER_ID", help="e.g. telegram:123456")
    forget.set_defaults(func=run_forget)


@reports_errors
def run_forget(args: argparse.Namespace, settings: Settings) -> int:
    """Forget one member and say what was erased and what was kept."""
    who = parse_member_id(args.member)
    done = with_database(settings, lambda db: forget(db, who))
    print(
        texts.MEMBER_FORGOTTEN.format(
            member=who,
            reports=done.reports_kept,
            label=chat_texts.FORGOTTEN_NAME,
            outbox=done.outbox_deleted,
            states=done.states_deleted,
            audit=done.audit_scrubbed,
        )
    )
    if str(who) in settings.admin_ids:
        print(texts.MEMBER_STILL_IN_ADMINS.format(member=who), file=sys.stderr)
    return EXIT_OK


async def forget(db: Database, who: MemberId) -> Forgotten:
    """Forget `who` in one transaction; an unknown member is a usage error."""
    async with db.sessions() as session:
        try:
            return await forget_member(
                session,
                channel=who.channel,
                external_id=who.external_id,
                actor=ACTOR,
                label=chat_texts.FORGOTTEN_NAME,
            )
        except MemberNotFoundError:
            raise UsageError(texts.MEMBER_UNKNOWN.format(member=who)) from None
