"""`python -m bot invite UNIT_CODE [--ttl 7d] [--json]`: a single-use code for a unit leader."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta

from bot import cli_texts as texts
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.parse import parse_ttl
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from handlers.registration import deep_link as deep_link
from storage.models import Unit
from storage.queries.invites import create_invite
from storage.queries.units import get_unit

ACTOR = "cli"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `invite`."""
    invite = sub.add_parser("invite", help="create an invite code for a unit's leader")
    invite.add_argument("unit", metavar="UNIT_CODE", help="code of the unit, e.g. HU-TP")
    invite.add_argument("--ttl", default="7d", help="lifetime: 7d, 12h, 30m (default 7d)")
    invite.add_argument("--json", action="store_true", help='print {"code", "unit", "expires_at"}')
    invite.set_defaults(func=run_invite)


@reports_errors
def run_invite(args: argparse.Namespace, settings: Settings) -> int:
    """Create the invite and show its code once, with its expiry and how to use it."""
    ttl = parse_ttl(args.ttl)
    code_text = args.unit.strip()
    unit, code, expires = with_database(settings, lambda db: new_invite(db, code_text, ttl))
    expires_local = expires.astimezone(settings.zone)
    link = deep_link(settings.telegram_bot_username, code)
    if args.json:
        shown = {"code": code, "unit": unit.code, "expires_at": expires_local.isoformat()}
        print(json.dumps(shown | ({"link": link} if link else {}), ensure_ascii=False))
    else:
        when = expires_local.strftime(DATETIME_FORMAT)
        print(texts.INVITE_CREATED.format(unit=unit.code, name=unit.name, code=code, expires=when))
        if link:
            print(texts.INVITE_LINK.format(link=link))
    return EXIT_OK


async def new_invite(db: Database, unit_code: str, ttl: timedelta) -> tuple[Unit, str, datetime]:
    """Return the unit, the plain code (never stored) and when it expires."""
    async with db.sessions() as session:
        unit = await get_unit(session, code=unit_code) if unit_code else None
        if unit is None or unit.id is None:
            raise UsageError(texts.UNIT_UNKNOWN.format(code=unit_code))
        invite, code = await create_invite(session, unit_id=unit.id, created_by=ACTOR, ttl=ttl)
        return unit, code, invite.expires_at
