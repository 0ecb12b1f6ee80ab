"""Where a process's library comes from: the bundled directive, DOCUMENTS_DIR, and the
directives admins stored in the database; analysed once per text (a pickle cache under
DATA_DIR/cache), and reloaded by a running bot when the stored directives change.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import pickle
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import knowledge
from bot.settings import Settings
from knowledge.library import Analysed, Library, analyse, base_texts, text_digest, unique

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from knowledge.model import Document

log = logging.getLogger(__name__)

POLL_EVERY = 5.0  # seconds between looks at the stored directives' version
CACHE_DIR = "cache"


@dataclass(frozen=True)
class StoredText:
    """One stored directive as the library needs it."""

    number: str
    text: str
    filename: str
    sha256: str
    current: bool
    archived: bool


@cache
def code_version() -> str:
    """Return a digest of the knowledge layer's code and word lists (a cache key part)."""
    root = Path(knowledge.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *root.glob("data/*.tsv")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def analysed(
    text: str, source: str, cache_dir: Path | None, document: Document | None = None
) -> Analysed:
    """Return the text analysed, from the cache when this code analysed it before
    (`document`: the text already parsed, not parsed again)."""
    if cache_dir is None:
        return analyse(text, source, document)
    path = cache_dir / f"{text_digest(text)}-{code_version()}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError):
        with path.open("rb") as handle:
            item = pickle.load(handle)  # written by this process's own code, 0600
        if isinstance(item, Analysed):
            return item
    item = analyse(text, source, document)
    _write_cache(path, item)
    return item


def _write_cache(path: Path, item: Analysed) -> None:
    """Write a cache file atomically, readable only by its owner (best effort)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot cache the analysed directive: %s", exc)


def cache_dir_of(settings: Settings) -> Path:
    """Return where analysed directives are cached."""
    return settings.data_dir / CACHE_DIR


def build_library(settings: Settings, stored: list[StoredText]) -> Library:
    """Return the library of the bundled directive, DOCUMENTS_DIR and the stored directives."""
    where = cache_dir_of(settings)
    base = [analysed(text, source, where) for text, source in base_texts(settings.documents_dir)]
    extra = [analysed(s.text, s.filename, where) for s in stored]
    items = unique(base + extra)
    current = next((s.number for s in stored if s.current and not s.archived), None)
    archived = frozenset(s.number for s in stored if s.archived)
    log.info("loaded %d document(s), current %s", len(items), current or items[0].document.number)
    return Library.of(
        items, current=current, archived=archived, stored=frozenset(s.number for s in stored)
    )


async def read_stored(session: AsyncSession) -> list[StoredText]:
    """Return the stored directives (through the storage layer)."""
    from storage.models import DirectiveStatus
    from storage.queries.directives import list_directives

    return [
        StoredText(
            r.number,
            r.text,
            r.filename,
            r.sha256,
            r.is_current,
            r.status == DirectiveStatus.ARCHIVED.value,
        )
        for r in await list_directives(session)
    ]


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL (None for another database or an in-memory one)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(path.split("?", 1)[0]) if path and path != ":memory:" else None


def read_stored_sqlite(path: Path) -> list[StoredText]:
    """Read the stored directives straight from a SQLite file (no SQLAlchemy: `ask` stays
    quick); a missing file or table means none."""
    if not path.is_file():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT number, text, filename, sha256, is_current, status FROM directive "
                "ORDER BY id"
            ).fetchall()
    except sqlite3.Error as exc:  # not migrated yet: no directive table
        log.debug("no stored directives: %s", exc)
        return []
    return [StoredText(n, t, f, s, bool(c), st == "archived") for n, t, f, s, c, st in rows]


def read_stored_now(settings: Settings) -> list[StoredText]:
    """Return the stored directives from a synchronous caller (`ask`, admin commands)."""
    path = sqlite_path(settings.database)
    if path is not None or settings.database.startswith("sqlite"):
        return read_stored_sqlite(path) if path else []
    return _in_thread(lambda: asyncio.run(_read_with_engine(settings)))


async def _read_with_engine(settings: Settings) -> list[StoredText]:
    """Open the database briefly and read the stored directives."""
    from bot.database import Database

    database = Database.open(settings)
    try:
        async with database.sessions() as session:
            return await read_stored(session)
    except Exception as exc:  # not migrated, or unreachable: the bundled library still answers
        log.warning("cannot read the stored directives: %s", type(exc).__name__)
        return []
    finally:
        await database.close()


def _in_thread(work: Callable[[], Any]) -> Any:
    """Run work on its own thread (an event loop may be running on this one)."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join()
    return out[0] if out else []


def load_full_library(settings: Settings) -> Library:
    """Return the library every process uses: bundled, DOCUMENTS_DIR and stored directives."""
    return build_library(settings, read_stored_now(settings))


class LibraryWatcher:
    """Reloads a running process's library when the stored directives change.

    Polls `directives_version` (count and newest change) every POLL_EVERY seconds, like the
    reminder service polls its deadlines; a change re-reads the rows and swaps the library's
    contents in place (`Library.adopt`), so every holder of it sees the new directives.
    Analysis happens only for texts not seen before (cache), off the event loop.
    """

    def __init__(
        self,
        settings: Settings,
        library: Library,
        sessions: async_sessionmaker[AsyncSession],
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.library = library
        self.sessions = sessions
        self.on_change = on_change
        self.version: tuple[int, Any] | None = None
        self.task: asyncio.Task[None] | None = None

    async def refresh(self) -> bool:
        """Reload the library if the stored directives changed; return whether it did."""
        from storage.queries.directives import directives_version

        async with self.sessions() as session:
            version = await directives_version(session)
            if version == self.version:
                return False
            stored = await read_stored(session)
        fresh = await asyncio.to_thread(build_library, self.settings, stored)
        self.library.adopt(fresh)
        self.version = version
        if self.on_change is not None:
            self.on_change()
        return True

    async def start(self) -> None:
        """Load the stored directives now, then keep watching."""
        await self.refresh()
        self.task = asyncio.create_task(self._watch(), name="library-watcher")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_EVERY)
            try:
                await self.refresh()
            except Exception as exc:  # the database away: keep the library we have
                log.warning("library refresh failed: %s: %s", type(exc).__name__, exc)

    async def stop(self) -> None:
        """Stop watching."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
