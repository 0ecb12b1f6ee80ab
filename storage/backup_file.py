"""The backup file: a zip of `manifest.json` and one payload, and the errors of backups.

The manifest (format, version, engine, kind, aware created_at, Alembic revision, rows per
table, the payload's sha256 and size, and for the logical format each table's columns) is
written first; reading a backup checks it and the payload's checksum before anything else.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

FORMAT = "directive-bot-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class Kind(StrEnum):
    """What the payload of a backup is."""

    SQLITE = "sqlite"
    PG_DUMP = "pg_dump"
    ROWS = "rows"


PAYLOADS = {Kind.SQLITE: "bot.db", Kind.PG_DUMP: "dump.pgc", Kind.ROWS: "rows.jsonl"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the subclass says why."""


class BadBackupFile(BackupError):
    """The file is not a readable backup; `reason` is one of the REASONS."""

    REASONS = ("not_zip", "no_manifest", "bad_manifest", "version", "checksum", "payload")

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class DatabaseNotEmpty(BackupError):
    """The target database holds rows; `counts` says where."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__(", ".join(f"{name}={count}" for name, count in counts.items()))
        self.counts = counts


class WrongEngine(BackupError):
    """A pg_dump backup cannot be restored into SQLite."""


class UnknownRevision(BackupError):
    """The backup's schema revision is not one this code knows (made by a newer version)."""


class ToolMissing(BackupError):
    """A PostgreSQL client program needed for the restore is not on PATH."""


class NoDatabase(BackupError):
    """There is no database to back up (the SQLite file does not exist)."""


class ToolFailed(BackupError):
    """pg_dump or pg_restore exited with an error (the message holds its stderr)."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written before its payload."""

    engine: str
    kind: str
    created_at: datetime
    revision: str | None
    tables: dict[str, int]
    sha256: str
    size: int
    columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def payload(self) -> str:
        """Return the payload's name in the zip file."""
        return PAYLOADS[Kind(self.kind)]

    @property
    def rows(self) -> int:
        """Return the number of rows over every table."""
        return sum(self.tables.values())

    def to_json(self) -> str:
        """Return the manifest as JSON."""
        data: dict[str, Any] = {"format": FORMAT, "version": VERSION, **asdict(self)}
        data["created_at"] = self.created_at.isoformat()
        data["payload"] = self.payload
        return json.dumps(data, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse and check a manifest; raise BadBackupFile when it is not one of ours."""
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BadBackupFile("bad_manifest", str(exc)) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BadBackupFile("bad_manifest", "not this bot's backup")
        if data.get("version") != VERSION:
            raise BadBackupFile("version", str(data.get("version")))
        try:
            manifest = cls(
                engine=str(data["engine"]),
                kind=Kind(data["kind"]).value,
                created_at=datetime.fromisoformat(data["created_at"]),
                revision=data["revision"],
                tables={str(k): int(v) for k, v in data["tables"].items()},
                sha256=str(data["sha256"]),
                size=int(data["size"]),
                columns={str(k): list(map(str, v)) for k, v in data.get("columns", {}).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadBackupFile("bad_manifest", repr(exc)) from None
        if (
            manifest.created_at.tzinfo is None
            or manifest.engine not in ("sqlite", "postgresql")
            or not isinstance(manifest.revision, str | None)
        ):
            raise BadBackupFile("bad_manifest", "engine, created_at or revision")
        return manifest


def digest_of(path: Path) -> tuple[str, int]:
    """Return the sha256 and size of a file."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_archive(target: Path, manifest: Manifest, payload: Path) -> None:
    """Write the zip: the manifest first, then the payload (stored when already compressed)."""
    packed = zipfile.ZIP_STORED if manifest.kind == Kind.PG_DUMP else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest.to_json())
        archive.write(payload, manifest.payload, compress_type=packed)


# --- reading a backup ---------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """Return a backup's manifest after checking the payload against it.

    Raises BadBackupFile (not a zip, no or bad manifest, unknown version, damaged data)
    and OSError when the file cannot be read at all.
    """
    with open_archive(path) as archive:
        try:
            raw = archive.read(MANIFEST)
        except KeyError:
            raise BadBackupFile("no_manifest") from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise BadBackupFile("bad_manifest", str(exc)) from None
        manifest = Manifest.from_json(raw)
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(manifest.payload) as data:
                while chunk := data.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except KeyError:
            raise BadBackupFile("payload", "missing") from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise BadBackupFile("checksum", str(exc)) from None
    if digest.hexdigest() != manifest.sha256 or size != manifest.size:
        raise BadBackupFile("checksum", "sha256 differs")
    return manifest


@contextmanager
def open_archive(path: Path) -> Iterator[zipfile.ZipFile]:
    """Open a backup zip; a file that is no zip is a BadBackupFile."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise BadBackupFile("not_zip", str(exc)) from None
    with archive:
        yield archive


def extract(path: Path, manifest: Manifest, work: Path) -> Path:
    """Extract the payload into `work`; return its path."""
    target = work / manifest.payload
    with open_archive(path) as archive, archive.open(manifest.payload) as data:
        with target.open("wb") as out:
            shutil.copyfileobj(data, out, CHUNK)
    return target
