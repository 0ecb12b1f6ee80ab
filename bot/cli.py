"""The command line: `python -m bot ask|console|run|documents check` and the admin commands
(`db`, `admins`, `units`, `invite`, `export`: see bot/commands/)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot import cli_texts
from bot.ask import answer_lines, answer_one
from bot.commands.documents import add_actions as documents_actions
from bot.library_source import load_full_library
from bot.logs import setup_logging
from bot.settings import Settings
from handlers import texts

log = logging.getLogger("bot")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Commands that need no database: the admin commands' parsers (which import SQLAlchemy,
#: Alembic and the storage layer, ~0.4 s) are not built for them.
LIGHT_COMMANDS = frozenset({"ask", "documents"})


def build_parser(*, admin: bool = True) -> argparse.ArgumentParser:
    """Return the argument parser with one subparser per command (`admin`: with the admin
    commands too)."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Directive assistant bot")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question (or one a line from stdin)")
    ask.add_argument("question", nargs="*", help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per answer")
    ask.set_defaults(func=run_ask)
    console = sub.add_parser("console", help="chat in the terminal")
    console.add_argument("--user", default="local", help="user id of the console user")
    console.set_defaults(func=run_console)
    run = sub.add_parser("run", help="start every configured channel")
    run.add_argument(
        "--drop-webhook",
        action="store_true",
        help="poll Telegram even if a webhook is set (removes it: production stops receiving)",
    )
    run.set_defaults(func=run_bot)
    documents = sub.add_parser("documents", help="work with directive files")
    doc_sub = documents.add_subparsers(dest="action", required=True)
    check = doc_sub.add_parser(
        "check", help="read a .txt, .docx or .pdf directive and print its preview (stores nothing)"
    )
    check.add_argument("file", type=Path)
    check.set_defaults(func=run_check)
    documents_actions(doc_sub)
    if admin:
        from bot.commands import add_parsers

        add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code. Never shows a traceback."""
    use_utf8_streams()
    words = list(sys.argv[1:] if argv is None else argv)
    light = bool(words) and words[0] in LIGHT_COMMANDS
    args = build_parser(admin=not light).parse_args(words)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(texts.CLI_BAD_SETTINGS.format(error=first_error(exc)), file=sys.stderr)
        return EXIT_USAGE
    setup_logging(settings.log_level, settings.log_format, settings.secret_values)
    command: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return command(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.error("%s failed: %s: %s", args.command, type(exc).__name__, exc)
        log.debug("details", exc_info=True)
        print(texts.CLI_FAILED, file=sys.stderr)
        return EXIT_FAILED


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer the question on the command line, or each line of stdin."""
    question = " ".join(args.question)
    if args.question and not question.strip():
        print(texts.CLI_EMPTY_QUESTION, file=sys.stderr)
        return EXIT_USAGE
    library = load_full_library(settings)
    if args.question:
        print(answer_one(library, question, as_json=args.json))
    else:
        answer_lines(library, sys.stdin, sys.stdout, as_json=args.json)
    return EXIT_OK


def run_console(args: argparse.Namespace, settings: Settings) -> int:
    """Chat in the terminal until end of input."""
    from bot.app import Services  # the whole bot: not needed by `ask` or `documents`

    services = Services.build(settings)
    asyncio.run(services.serve([services.console(user_id=args.user)]))
    return EXIT_OK


def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """Start every configured channel (the console when none is)."""
    from bot.app import Services  # the whole bot: not needed by `ask` or `documents`
    from bot.channels.base import WebhookInUse

    services = Services.build(settings)
    services.drop_webhook = args.drop_webhook
    try:
        asyncio.run(services.serve(services.channels()))
    except WebhookInUse as exc:
        print(cli_texts.RUN_WEBHOOK_SET.format(host=urlsplit(exc.url).netloc), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Read one directive file (.txt, .docx, .pdf) and print its preview; store nothing."""
    from bot.commands.errors import UsageError
    from bot.preview import preview_lines, read_file
    from knowledge.ingest.preview import describe

    try:
        ingested = read_file(args.file)
    except UsageError as exc:
        log.info("documents check %s: %s", args.file.name, exc)
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    print("\n".join([*preview_lines(describe(ingested)), "", cli_texts.PREVIEW_DRY_RUN]))
    return EXIT_OK


def use_utf8_streams() -> None:
    """Read and write UTF-8 whatever the locale; undecodable bytes become U+FFFD."""
    for stream, errors in ((sys.stdin, "replace"), (sys.stdout, "strict"), (sys.stderr, "replace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors=errors)


def first_error(exc: ValidationError) -> str:
    """Return the first settings error as "FIELD: message" (never the value)."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]).upper()
    return f"{field}: {error['msg']}"
