"""`python -m bot tokens status | replace CHANNEL`: the platforms' stored OAuth tokens.

Zalo OA refresh tokens are single use: the bot keeps the current pair in the database.
`replace` stores a refresh token issued in the Zalo console (read from stdin, so it never
appears in the shell history or the process list); every running process trades it at
its next call. `status` shows expiries, never values.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot import cli_texts as texts
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from storage.models import PlatformToken
from storage.queries.tokens import NEVER, list_tokens, replace_refresh_token

OAUTH_CHANNELS = ("zalo_oa",)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `tokens status` and `tokens replace`."""
    tokens = sub.add_parser("tokens", help="stored platform tokens (Zalo OA)")
    actions = tokens.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="show when each stored token expires")
    status.set_defaults(func=run_status)
    replace = actions.add_parser("replace", help="store a new refresh token read from stdin")
    replace.add_argument("channel", choices=OAUTH_CHANNELS)
    replace.set_defaults(func=run_replace)


@reports_errors
def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print each stored pair's expiry and last change."""
    rows = with_database(settings, load_tokens)
    if not rows:
        print(texts.TOKENS_NONE)
        return EXIT_OK
    zone = settings.zone
    for row in rows:
        updated = row.updated_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
        if row.access_token and row.expires_at > NEVER:
            until = row.expires_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
            print(texts.TOKEN_LINE.format(channel=row.channel, until=until, updated=updated))
        else:
            print(texts.TOKEN_WAITING.format(channel=row.channel, updated=updated))
    return EXIT_OK


async def load_tokens(db: Database) -> list[PlatformToken]:
    """Return every stored pair."""
    async with db.sessions() as session:
        return await list_tokens(session)


@reports_errors
def run_replace(args: argparse.Namespace, settings: Settings) -> int:
    """Read a refresh token from stdin (hidden on a terminal) and store it."""
    if sys.stdin.isatty():
        token = getpass.getpass(texts.TOKEN_PROMPT)
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token or len(token) > 2048 or any(c.isspace() for c in token):
        raise UsageError(texts.TOKEN_BAD)
    with_database(settings, lambda db: store(db, args.channel, token))
    print(texts.TOKEN_REPLACED.format(channel=args.channel))
    return EXIT_OK


async def store(db: Database, channel: str, token: str) -> None:
    """Store the refresh token; the running bot trades it at its next call."""
    async with db.sessions() as session:
        await replace_refresh_token(session, channel=channel, refresh_token=token)
