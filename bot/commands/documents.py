"""`python -m bot documents add | list | show | set-current | archive`: the library of directives.

`documents check FILE` (bot/cli.py) stays a dry run. These commands store directives in
the database; every process's library holds the bundled Kết luận 09-KL/BTCTW plus them,
and a running bot reloads within seconds (`bot/library_source.LibraryWatcher`).
Registered under the light `documents` command, so SQLAlchemy is imported only when one
of them runs, never for `documents check`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.settings import Settings

if TYPE_CHECKING:
    from knowledge import Document, Library
    from storage.models import Directive

ACTOR = "cli"
BUNDLED_KEYS = ("0", "bundled")


def add_actions(actions: argparse._SubParsersAction) -> None:
    """Register add, list, show, set-current and archive under `documents`."""
    add = actions.add_parser("add", help="read a directive file, preview it, store it")
    add.add_argument("file", type=Path)
    add.add_argument("--current", action="store_true", help="make it the current directive")
    add.add_argument("--yes", action="store_true", help="store without asking")
    add.set_defaults(func=_lazy("run_add"))
    listing = actions.add_parser("list", help="list the directives of the library")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=_lazy("run_list"))
    show = actions.add_parser("show", help="print a stored directive's outline")
    show.add_argument("key", metavar="ID|NUMBER")
    show.set_defaults(func=_lazy("run_show"))
    current = actions.add_parser("set-current", help="make a directive the current one")
    current.add_argument("key", metavar="ID|NUMBER", help="an id, a number, or 09-KL (bundled)")
    current.set_defaults(func=_lazy("run_set_current"))
    archive = actions.add_parser("archive", help="archive a directive (history kept)")
    archive.add_argument("key", metavar="ID|NUMBER")
    archive.set_defaults(func=_lazy("run_archive"))


def _lazy(name: str) -> Any:
    """Return a command that imports the database layer only when it runs."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            logging.getLogger("alembic").setLevel(logging.WARNING)  # chatty on import
        from bot.commands import documents_run
        from bot.commands.runner import reports_errors

        command = reports_errors(getattr(documents_run, name))
        return int(command(args, settings))

    return run


# --- listing -----------------------------------------------------------------


def document_row(doc: Document, row: Directive | None, library: Library) -> dict[str, Any]:
    """Return one directive as `documents list --json` prints it."""
    meta = doc.metadata
    return {
        "id": row.id if row is not None else None,
        "number": doc.number,
        "kind": meta.kind,
        "title": meta.title,
        "issued": meta.issued.isoformat() if meta.issued else None,
        "tasks": len(doc.tasks),
        "current": doc.number == library.default.number,
        "archived": doc.number in library.archived,
        "bundled": row is None,
    }


def print_json(data: Any) -> None:
    """Print data as readable JSON."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def confirm(question: str, *, stdin: Any = None) -> bool:
    """Ask yes/no on the terminal ("c" / "có" / "y" is yes)."""
    stream = stdin or sys.stdin
    print(question, end="", flush=True)
    answer = stream.readline().strip().casefold()
    return answer in {"c", "có", "co", "y", "yes"}


def is_terminal() -> bool:
    """Tell whether a person can answer on stdin."""
    return sys.stdin.isatty()
