"""`python -m bot backup` / `restore`: consistent copies of a live database, round trips on
SQLite and PostgreSQL (pg_dump and the logical format), and every refusal."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

from storage import backup as store
from storage.backup_rows import reflect
from storage.engine import create_engine, session_factory
from storage.migrate import alembic_config, current_revision, upgrade
from storage.models import DEFAULT_DOCUMENT, AuditLog, ProgressLatest, ProgressUpdate
from storage.queries.deadlines import add_deadline
from storage.queries.inbound import claim_event
from storage.queries.invites import create_invite, redeem_invite
from storage.queries.members import get_or_create_member, set_member_role
from storage.queries.outbox import OutboxRow, enqueue, mark_sent
from storage.queries.progress import add_update, ranked
from storage.queries.state import put_state
from storage.queries.units import upsert_unit
from tests.clitools import ok, refused

PG_URL = os.environ.get("TEST_DATABASE_URL")
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
NOW = datetime.now(UTC)
_HIDDEN = ("DATABASE_URL", "DOCUMENTS_DIR", "LOG_LEVEL", "ADMINS", "TIMEZONE", "DATA_DIR")

needs_pg = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")


# --- databases ----------------------------------------------------------------------------


async def _admin(sql: str) -> None:
    """Run CREATE/DROP DATABASE on the test server (outside a transaction)."""
    assert PG_URL is not None
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Return a factory of empty databases: a SQLite file, or a throw-away PG database."""
    made: list[str] = []

    def make(engine: str) -> str:
        name = f"bot_restore_{secrets.token_hex(5)}"
        if engine == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / name}.db"
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL not set")
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    for name in made:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Run:
    """Return a function running `python -m bot ARGS` on DATABASE_URL `url`."""
    env = {k: v for k, v in os.environ.items() if k not in _HIDDEN}
    env["PYTHONIOENCODING"] = "utf-8"
    bare = tmp_path / "bin"  # PATH without the PostgreSQL client programs
    bare.mkdir()

    def run(url: str, *args: str, tools: bool = True) -> subprocess.CompletedProcess[str]:
        extra = {"DATABASE_URL": url} | ({} if tools else {"PATH": str(bare)})
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env=env | extra,
            timeout=120,
        )

    return run


# --- what a database holds ----------------------------------------------------------------


async def seed(url: str, revision: str = "head") -> None:
    """Fill a database with one of everything: units (a parent added after its child),
    a leader and an admin, invites, reports (one back-dated), a deadline, outbox rows
    (pending and sent), a conversation in progress, an update taken in."""
    await upgrade(url, revision)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            child = await upsert_unit(s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t")
            await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
            child = await upsert_unit(
                s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t", parent_code="TU-BD"
            )
            leader = await get_or_create_member(
                s, channel="telegram", external_id="111", display_name="Nguyễn Văn A"
            )
            await set_member_role(
                s, channel="console", external_id="boss", role="admin", actor="cli"
            )
            _, code = await create_invite(s, unit_id=child.id or 0, created_by="cli")
            await redeem_invite(s, member=leader, code=code)
            await create_invite(s, unit_id=child.id or 0, created_by="cli")
            for status, percent, days_ago in (
                ("dang_thuc_hien", 40, 3),
                ("hoan_thanh", 100, 1),
                ("vuong_mac", None, 5),
            ):
                report = {
                    "unit_id": child.id or 0,
                    "task_code": "3.3",
                    "status": status,
                    "percent": percent,
                    "note": f"ghi chú «{status}»",
                    "reporter_member_id": leader.id,
                    "reported_at": NOW - timedelta(days=days_ago),
                }
                if revision == "head":
                    await add_update(s, **report)
                else:  # before 0009 (replaced_by): the insert the bot made then
                    row = insert(ProgressUpdate).values(document=DEFAULT_DOCUMENT, **report)
                    await s.execute(row)
                    await s.commit()
            await add_deadline(
                s, task_code="3.2", due_at=NOW + timedelta(days=40), offsets="7d,0d", actor="cli"
            )
            rows = [
                OutboxRow(
                    key=f"deadline:1:7d:member:{leader.id}:{n}",
                    occasion="deadline:1:7d",
                    kind="reminder",
                    channel="telegram",
                    chat_id="111",
                    text=f"Nhắc hạn {n}",
                    member_id=leader.id,
                )
                for n in (1, 2)
            ]
            await enqueue(s, rows=rows, now=NOW)
            await mark_sent(s, outbox_id=1, now=NOW)
            await put_state(s, channel="telegram", chat_id="111", state="report", data={"s": 2})
            if revision == "head":  # inbound_event came with 0006
                await claim_event(s, channel="telegram", key="700000001", now=NOW)
    finally:
        await engine.dispose()


def _plain(value: Any) -> Any:
    """Return a value comparable across engines (timestamps as UTC ISO text)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    return value


async def table_rows(
    url: str, only: dict[str, list[str]] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Return every product table's rows, ordered by primary key, comparable across engines
    (only the `only` columns of the tables it names, e.g. those an older revision had)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = {}
            for table in await reflect(connection):
                order = list(table.primary_key.columns)
                found = (await connection.execute(select(table).order_by(*order))).all()
                names = sorted((only or {}).get(table.name) or table.columns.keys())
                rows[table.name] = [tuple(_plain(r._mapping[n]) for n in names) for r in found]
            return rows
    finally:
        await engine.dispose()


async def table_columns(url: str) -> dict[str, list[str]]:
    """Return the columns of every product table of a database."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return {table.name: list(table.columns.keys()) for table in await reflect(connection)}
    finally:
        await engine.dispose()


async def consistency(url: str) -> tuple[int, int, bool]:
    """Return (reports, their audit rows, whether progress_latest is the newest per task)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            reports = await s.scalar(select(func.count()).select_from(ProgressUpdate))
            audited = await s.scalar(
                select(func.count()).where(col(AuditLog.action) == "progress.add")
            )
            newest = ranked()
            expected = set(
                (await s.execute(select(newest.c.id).where(newest.c.rank == 1))).scalars()
            )
            latest = set((await s.execute(select(col(ProgressLatest.update_id)))).scalars())
            return int(reports or 0), int(audited or 0), expected == latest
    finally:
        await engine.dispose()


def outputs(cli: Run, url: str, tmp_path: Path, tag: str) -> list[str]:
    """Return what the admin sees: units, the progress export, the outbox status."""
    export = tmp_path / f"export-{tag}.csv"
    ok(cli(url, "export", "progress", str(export)))
    return [
        ok(cli(url, "units", "list", "--json")),
        export.read_text(encoding="utf-8-sig"),
        ok(cli(url, "outbox", "status", "--json")),
    ]


# --- round trips --------------------------------------------------------------------------

ROUND_TRIPS = [
    pytest.param("sqlite", "sqlite", True, "sqlite", id="sqlite"),
    pytest.param("postgresql", "postgresql", True, "pg_dump", id="postgresql-pg_dump"),
    pytest.param("postgresql", "postgresql", False, "rows", id="postgresql-logical"),
    pytest.param("sqlite", "postgresql", True, "sqlite", id="sqlite-into-postgresql"),
    pytest.param("postgresql", "sqlite", False, "rows", id="postgresql-logical-into-sqlite"),
]


@pytest.mark.parametrize(("source", "target", "tools", "kind"), ROUND_TRIPS)
def test_restore_brings_back_every_row(
    cli: Run,
    new_db: Callable[[str], str],
    tmp_path: Path,
    source: str,
    target: str,
    tools: bool,
    kind: str,
) -> None:
    src, dst = new_db(source), new_db(target)
    asyncio.run(seed(src))
    same_engine = source == target  # across engines the rows are compared, not the commands
    before_out = outputs(cli, src, tmp_path, "before") if same_engine else []
    before = asyncio.run(table_rows(src))
    backup = tmp_path / "bot.zip"

    said = ok(cli(src, "backup", str(backup), tools=tools))
    assert "Đã sao lưu" in said and str(backup) in said
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds tokens: the owner only
    manifest = store.read_manifest(backup)
    assert manifest.kind == kind and manifest.engine == source and manifest.revision == HEAD
    assert manifest.created_at.tzinfo is not None
    assert manifest.tables == {name: len(rows) for name, rows in before.items()}

    said = ok(cli(dst, "restore", str(backup), tools=tools))
    assert "Đã khôi phục" in said and f"({HEAD})" in said
    assert asyncio.run(table_rows(dst)) == before
    assert asyncio.run(current_revision(dst)) == HEAD
    reports, audited, latest_ok = asyncio.run(consistency(dst))
    assert (reports, audited, latest_ok) == (3, 3, True)
    if same_engine:
        assert outputs(cli, dst, tmp_path, "after") == before_out

    # The bot carries on: new ids don't collide, the trigger audits the new report again.
    asyncio.run(report_once(dst))
    assert asyncio.run(consistency(dst)) == (4, 4, True)


async def report_once(url: str) -> None:
    """Add one report the way the bot does."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            await add_update(s, unit_id=2, task_code="3.2", status="hoan_thanh")
            await add_deadline(
                s, task_code="3.3", due_at=NOW + timedelta(days=9), offsets="1d", actor="cli"
            )
    finally:
        await engine.dispose()


OLD_REVISION = "0004"  # before platform_token: the seed uses only older tables


@pytest.mark.parametrize(
    ("engine", "logical"),
    [("sqlite", False), ("sqlite", True), ("postgresql", False), ("postgresql", True)],
)
def test_an_older_backup_lands_at_head_in_a_migrated_empty_database(
    new_db: Callable[[str], str], tmp_path: Path, engine: str, logical: bool
) -> None:
    src, dst = new_db(engine), new_db(engine)
    asyncio.run(seed(src, OLD_REVISION))
    asyncio.run(upgrade(dst))  # e.g. a bot started once on the new database
    backup = tmp_path / "old.zip"
    manifest = asyncio.run(store.make_backup(src, backup, logical=logical))
    assert manifest.revision == OLD_REVISION

    asyncio.run(store.restore_backup(dst, backup))
    assert asyncio.run(current_revision(dst)) == HEAD
    older = asyncio.run(table_columns(src))  # columns added since are left out
    restored = {name: rows for name, rows in asyncio.run(table_rows(dst, older)).items() if rows}
    assert restored == {name: rows for name, rows in asyncio.run(table_rows(src)).items() if rows}


# --- a live database ----------------------------------------------------------------------


async def write_reports(url: str, stop: asyncio.Event) -> None:
    """Add reports one after another until told to stop."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            n = 0
            while not stop.is_set():
                n += 1
                await add_update(
                    s, unit_id=2, task_code=f"9.{n % 7}", status="dang_thuc_hien", percent=n % 100
                )
                await asyncio.sleep(0.002)
    finally:
        await engine.dispose()


async def backup_while_writing(src: str, backup: Path, tools: bool, bare: Path) -> tuple[int, int]:
    """Run `python -m bot backup` while reports are written; return reports before and after."""
    before = (await consistency(src))[0]
    stop = asyncio.Event()
    writer = asyncio.create_task(write_reports(src, stop))
    env = {k: v for k, v in os.environ.items() if k not in _HIDDEN} | {"DATABASE_URL": src}
    if not tools:
        env["PATH"] = str(bare)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(backup), env=env, cwd=bare.parent
    )
    assert await process.wait() == 0
    stop.set()
    await writer
    return before, (await consistency(src))[0]


@pytest.mark.parametrize(
    ("engine", "tools"),
    [
        pytest.param("sqlite", True, id="sqlite"),
        pytest.param("postgresql", True, id="postgresql-pg_dump"),
        pytest.param("postgresql", False, id="postgresql-logical"),
    ],
)
def test_backup_of_a_live_database_is_one_moment(
    new_db: Callable[[str], str], cli: Run, tmp_path: Path, engine: str, tools: bool
) -> None:
    src, dst = new_db(engine), new_db(engine)
    asyncio.run(seed(src))
    backup = tmp_path / "live.zip"
    started, ended = asyncio.run(backup_while_writing(src, backup, tools, tmp_path / "bin"))

    manifest = store.read_manifest(backup)
    saved = manifest.tables["progress_update"]
    assert started < saved < ended  # taken while reports kept arriving
    ok(cli(dst, "restore", str(backup), tools=tools))
    # Every report has its audit row and latest row: no table was read at another moment.
    assert asyncio.run(consistency(dst)) == (saved, saved, True)
    counts = {name: len(rows) for name, rows in asyncio.run(table_rows(dst)).items()}
    assert counts == manifest.tables


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_restore_into_a_database_with_rows_is_refused(
    new_db: Callable[[str], str], cli: Run, tmp_path: Path, engine: str
) -> None:
    src, dst = new_db(engine), new_db(engine)
    asyncio.run(seed(src))
    backup = tmp_path / "bot.zip"
    asyncio.run(store.make_backup(src, backup))
    asyncio.run(one_unit(dst))
    before = asyncio.run(table_rows(dst))

    said = refused(cli(dst, "restore", str(backup)), code=1)
    assert "không trống" in said and "unit: 1" in said and "Chưa có gì thay đổi" in said
    assert asyncio.run(table_rows(dst)) == before


async def one_unit(url: str) -> None:
    """Make a database that is not empty: migrated, with one unit."""
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            await upsert_unit(s, code="HU-AN", name="Huyện ủy An Nhơn", actor="cli")
    finally:
        await engine.dispose()


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """Copy a backup zip, passing each member through `change` (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)


def _manifest_edit(**fields: Any) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, data: bytes) -> bytes | None:
        if name != "manifest.json":
            return data
        return json.dumps(json.loads(data) | fields).encode()

    return change


def _flip_payload_byte(name: str, data: bytes) -> bytes | None:
    if name == "manifest.json":
        return data
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


BAD_FILES: dict[str, tuple[Callable[[Path, Path], object], str]] = {
    "text file": (
        lambda good, bad: bad.write_text("không phải bản sao lưu", encoding="utf-8"),
        "không phải tệp sao lưu",
    ),
    "truncated": (
        lambda good, bad: bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2]),
        "không phải tệp sao lưu",
    ),
    "no manifest": (
        lambda good, bad: _rewrite(good, bad, lambda n, d: None if n == "manifest.json" else d),
        "thiếu phần mô tả",
    ),
    "another format": (
        lambda good, bad: _rewrite(good, bad, _manifest_edit(format="something-else")),
        "không phải của bot này",
    ),
    "future format version": (
        lambda good, bad: _rewrite(good, bad, _manifest_edit(version=99)),
        "chưa được hỗ trợ",
    ),
    "damaged payload": (
        lambda good, bad: _rewrite(good, bad, _flip_payload_byte),
        "bị hỏng",
    ),
    "newer schema": (
        lambda good, bad: _rewrite(good, bad, _manifest_edit(revision="9999")),
        "mới hơn bản bot này",
    ),
}


@pytest.fixture(scope="module")
def good_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A logical backup of a seeded SQLite database (made in-process: the CLI is tested above)."""
    folder = tmp_path_factory.mktemp("good")
    src = f"sqlite+aiosqlite:///{folder / 'src.db'}"
    asyncio.run(seed(src))
    backup = folder / "good.zip"
    asyncio.run(store.make_backup(src, backup, logical=True))
    return backup


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_reason(
    good_backup: Path, new_db: Callable[[str], str], cli: Run, tmp_path: Path, case: str
) -> None:
    make, reason = BAD_FILES[case]
    bad = tmp_path / "bad.zip"
    make(good_backup, bad)
    dst = new_db("sqlite")

    said = refused(cli(dst, "restore", str(bad)), code=2)
    assert reason in said and "Chưa có gì thay đổi" in said
    assert not Path(make_url(dst).database or "").exists()  # the target was not even created


def test_missing_file_and_existing_output_are_usage_errors(
    new_db: Callable[[str], str], cli: Run, tmp_path: Path
) -> None:
    db = new_db("sqlite")
    assert "không có tệp này" in refused(cli(db, "restore", str(tmp_path / "nope.zip")))
    said = refused(cli(db, "backup", str(tmp_path / "x.zip")), code=1)
    assert "Không có cơ sở dữ liệu để sao lưu" in said
    asyncio.run(seed(db))
    taken = tmp_path / "taken.zip"
    taken.write_text("old backup", encoding="utf-8")
    assert "đã có" in refused(cli(db, "backup", str(taken)))
    assert taken.read_text(encoding="utf-8") == "old backup"


@needs_pg
def test_pg_dump_backup_cannot_go_into_sqlite(
    new_db: Callable[[str], str], cli: Run, tmp_path: Path
) -> None:
    src, dst = new_db("postgresql"), new_db("sqlite")
    asyncio.run(seed(src))
    backup = tmp_path / "pg.zip"
    assert asyncio.run(store.make_backup(src, backup)).kind == "pg_dump"
    said = refused(cli(dst, "restore", str(backup)), code=2)
    assert "không khôi phục được vào SQLite" in said and "--logical" in said


@needs_pg
def test_pg_dump_backup_needs_pg_restore(
    new_db: Callable[[str], str], cli: Run, tmp_path: Path
) -> None:
    src, dst = new_db("postgresql"), new_db("postgresql")
    asyncio.run(seed(src))
    backup = tmp_path / "pg.zip"
    assert asyncio.run(store.make_backup(src, backup)).kind == "pg_dump"
    said = refused(cli(dst, "restore", str(backup), tools=False), code=1)
    assert "pg_restore" in said
    assert asyncio.run(current_revision(dst)) is None  # untouched
