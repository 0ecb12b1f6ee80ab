"""PostgreSQL's own tools: pg_dump from an exported snapshot, pg_restore into an empty database.

The connection settings go to the tools as libpq environment variables (PGHOST,
PGPASSWORD …), never on the command line where `ps` would show the password.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.backup_file import ToolFailed

log = logging.getLogger(__name__)

STDERR_KEPT = 2000  # characters of a failing tool's stderr kept for the log


def find_tool(name: str) -> str | None:
    """Return the path of a PostgreSQL client program on PATH, or None."""
    return shutil.which(name)


def libpq_environment(url: str) -> dict[str, str]:
    """Return the process environment plus PG* variables naming the database of `url`."""
    parsed = make_url(url)
    env = dict(os.environ)
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGSSLMODE": parsed.query.get("sslmode") or parsed.query.get("ssl"),
    }
    if not values["PGHOST"] and isinstance(parsed.query.get("host"), str):
        values["PGHOST"] = str(parsed.query["host"])
    env.update({key: str(value) for key, value in values.items() if value})
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


async def _run(program: str, args: list[str], url: str) -> None:
    """Run a PostgreSQL client program against `url`; raise ToolFailed on a non-zero exit."""
    process = await asyncio.create_subprocess_exec(
        program,
        *args,
        env=libpq_environment(url),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        message = stderr.decode("utf-8", "replace").strip()[-STDERR_KEPT:]
        raise ToolFailed(f"{Path(program).name} exited with {process.returncode}: {message}")


async def pg_dump(program: str, url: str, out: Path, *, snapshot: str) -> None:
    """Dump the whole database in the custom format, as seen by the exported `snapshot`."""
    args = ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
    await _run(program, [*args, f"--file={out}"], url)


async def pg_restore(program: str, url: str, dump: Path) -> None:
    """Restore a custom-format dump in one transaction (objects it holds are replaced)."""
    args = ["--clean", "--if-exists", "--single-transaction", "--exit-on-error"]
    args += ["--no-owner", "--no-privileges", f"--dbname={make_url(url).database}"]
    await _run(program, [*args, str(dump)], url)
