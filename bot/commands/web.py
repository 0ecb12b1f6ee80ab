"""`python -m bot web [link CHANNEL:USER_ID [--ttl 10m]]`: serve only the web dashboard, or
print a one-time login link for an admin or a unit leader."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta

from bot import cli_texts as texts
from bot.commands.deadlines import local_iso, local_text, now_of
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.parse import MemberId, parse_member_id, parse_ttl
from bot.commands.runner import reports_errors, with_database
from bot.dashboard.viewer import viewer_of
from bot.database import Database
from bot.settings import Settings
from handlers.web_login import login_url
from storage.queries.members import get_member, get_or_create_member
from storage.queries.web_auth import create_login_link

ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `web` (serve the dashboard) and `web link`."""
    web = sub.add_parser("web", help="serve only the web dashboard (same database)")
    web.set_defaults(func=run_serve)
    actions = web.add_subparsers(dest="action")
    link = actions.add_parser("link", help="print a one-time dashboard login link")
    link.add_argument("member", metavar="CHANNEL:USER_ID", help="e.g. telegram:123456")
    link.add_argument("--ttl", default="10m", help="how long the link works (default 10m)")
    link.add_argument("--json", action="store_true", help="print one JSON object")
    link.set_defaults(func=run_link)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the dashboard and /healthz on HTTP_HOST:HTTP_PORT until stopped."""
    from bot.app import Services

    services = Services.build(settings)
    print(texts.WEB_SERVING.format(url=settings.web_base), file=sys.stderr)
    asyncio.run(services.serve_web())
    return EXIT_OK


@reports_errors
def run_link(args: argparse.Namespace, settings: Settings) -> int:
    """Print a fresh login link for the member (an admin or a unit leader)."""
    who = parse_member_id(args.member)
    ttl = parse_ttl(args.ttl)
    now = now_of(settings)
    token = with_database(settings, lambda db: make_link(db, who, settings, ttl))
    url, expires = login_url(settings.web_base, token), now + ttl
    if args.json:
        shown = {"member": str(who), "url": url, "expires_at": local_iso(expires, settings.zone)}
        print(json.dumps(shown, ensure_ascii=False))
    else:
        print(
            texts.WEB_LINK_FOR.format(
                member=who, expires=local_text(expires, settings.zone), url=url
            )
        )
    return EXIT_OK


async def make_link(db: Database, who: MemberId, settings: Settings, ttl: timedelta) -> str:
    """Store a login link for `who`; refuse a member who may not use the dashboard."""
    async with db.sessions() as session:
        member = await get_member(session, channel=who.channel, external_id=who.external_id)
        if member is None and str(who) in settings.admin_ids:  # named in ADMINS, never wrote
            member = await get_or_create_member(
                session, channel=who.channel, external_id=who.external_id
            )
        if member is None or member.id is None:
            raise UsageError(texts.MEMBER_UNKNOWN.format(member=who))
        if viewer_of(member, settings.admin_ids) is None:
            raise UsageError(texts.WEB_NOT_ALLOWED.format(member=who))
        return await create_login_link(
            session, member_id=member.id, actor=ACTOR, now=now_of(settings), ttl=ttl
        )
