"""Fault injection: the real bot process (`python -m bot run`) when things break.

a) the Bot API answers 502 for 30 s: every reply and reminder is delivered afterwards, once;
b) PostgreSQL restarts while leaders report: no confirmed report is lost, the others are
   answered "not saved, send again", the bot reconnects and leads again by itself;
c) the scheduler leader is SIGKILLed mid-broadcast to 2,000: the follower finishes it,
   nobody is missed, only the messages in flight are sent twice;
d) the disk under the SQLite file fills up: reports are refused clearly, questions are
   still answered, and reports are saved again once space is back.
e) the scheduler leader hangs (SIGSTOP) mid-broadcast, its connections open: PostgreSQL ends
   its lock session, a follower leads within 60 s and finishes; resumed, the old leader
   sends nothing it had claimed (its term is over).

Slow by nature (a: ~45 s, e: ~80 s); b restarts the machine's PostgreSQL cluster (run it
sparingly: other tests using the server at that moment fail), d mounts a small tmpfs (root
only).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers import Handlers, Incoming, texts
from handlers.types import Reply
from scheduler.sender import CONCURRENCY, TAKEOVER_LEASE
from storage.engine import create_engine, session_factory
from storage.queries.outbox import status_counts
from tests.botprocess import (
    BotProcess,
    Launcher,
    add_members,
    admin,
    bot_env,
    free_port,
    log_count,
    seed_districts,
    throwaway_database,
    wait_for_log,
)
from tests.conftest import FakeLibrary, fixed_clock
from tests.fakes import FakeTelegram

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NEVER_QUIET = "00:00-00:00"  # no quiet hours, however long a test runs
QUESTION = "Hạn chót xây dựng đề án vị trí việc làm là khi nào?"
BROADCAST = "Thông báo: họp giao ban trực tuyến lúc 14 giờ."
LEADERS = {"HU-TP": 301, "HU-AN": 302, "HU-PM": 303}  # HU-PM has finished task 3.3
SAVED = re.compile(r"^Đã lưu báo cáo .* \((\d+)%\)")
LEADER_LOG = "this process is the leader"


# --- seeding ---------------------------------------------------------------------------


async def reported_percents(url: str) -> dict[str, set[int]]:
    """Return the percents stored in progress_update, per unit code."""
    engine = create_engine(url)
    query = text(
        "SELECT u.code, p.percent FROM progress_update p JOIN unit u ON u.id = p.unit_id"
        " WHERE p.percent IS NOT NULL"
    )
    stored: dict[str, set[int]] = {}
    async with engine.connect() as conn:
        for code, percent in (await conn.execute(query)).all():
            stored.setdefault(code, set()).add(percent)
    await engine.dispose()
    return stored


async def outbox_counts(url: str) -> dict[str, int]:
    """Return the outbox rows of Telegram per status."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        counts = await status_counts(session)
    await engine.dispose()
    return counts.get("telegram", {})


def texts_to(fake: FakeTelegram, chat: int) -> list[str]:
    """Return the visible texts the bot sent to one chat, oldest first."""
    return [r["plain"] or "" for r in fake.sent_to(chat)]


async def launched(fake: FakeTelegram, launcher: Launcher, url: str, **env: str) -> BotProcess:
    """Start a bot on `url` (no quiet hours, the pinned clock) and wait until it polls."""
    env = {"QUIET_HOURS": NEVER_QUIET} | env
    bot = await launcher.start(bot_env(fake, url, **env))
    await wait_for_log(bot, "job(s) scheduled")
    await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
    return bot


@pytest.fixture
def launcher(tmp_path: Path) -> Iterable[Launcher]:
    runner = Launcher(tmp_path)
    yield runner
    # stopped by each test inside its own loop; a failing test's processes are killed here
    for bot in runner.started:
        if bot.process.returncode is None:
            bot.process.kill()


# --- a) the Bot API answers 502 for 30 s -----------------------------------------------

OUTAGE = 30.0


async def test_a_30_s_bot_api_outage_delays_every_reply_and_reminder_and_repeats_none(
    launcher: Launcher, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed_districts(url, LEADERS)
    askers = await add_members(url, range(500, 516))
    early, late = askers[:8], askers[8:]  # answered as the outage begins / asked during it
    async with FakeTelegram() as fake:
        try:
            bot = await launched(fake, launcher, url)
            fake.delay("sendMessage", 1.0, times=len(early))  # hold the early answers …
            for chat in early:
                fake.message(chat, QUESTION)
            await fake.wait_for(lambda f: len(f.calls_to("sendMessage")) >= len(early), 15)
            fake.fail_all(status=502, seconds=OUTAGE)  # … so they fail in flight
            ends = time.monotonic() + OUTAGE
            for chat in late:
                fake.message(chat, QUESTION)  # polled only after the outage
            due = bot.now() + timedelta(seconds=12)  # fires mid-outage
            await admin(
                "deadlines", "add", "--task", "3.3", "--due", due.isoformat(), "--remind", "0m",
                url=url, cwd=tmp_path,
            )  # fmt: skip
            await admin("broadcast", BROADCAST, "--to", "all", "--wait", "0", url=url, cwd=tmp_path)
            assert fake.in_outage, "setting up took longer than the outage"

            def delivered(f: FakeTelegram) -> bool:
                return all(len(f.sent_to(c)) >= 2 for c in [*askers, 301, 302]) and bool(
                    f.sent_to(303)
                )

            await fake.wait_for(delivered, timeout=OUTAGE + 45)
            recovery = max(r["at"] for r in fake.sent) - ends
            await asyncio.sleep(3)  # anything sent twice would arrive by now
        finally:
            await launcher.stop_all()
        print(f"\nlast message {recovery:.1f} s after a {OUTAGE:.0f} s outage")
        for chat in askers:
            got = texts_to(fake, chat)
            assert sorted(t == BROADCAST for t in got) == [False, True], (chat, got)
            assert any("31/3/2024" in t for t in got), (chat, got)  # the answer, not an apology
        for chat in (301, 302):
            got = sorted(texts_to(fake, chat))
            assert len(got) == 2 and BROADCAST in got, (chat, got)
            assert any(t.startswith("⏰ Nhắc hạn: nhiệm vụ 3.3") for t in got), (chat, got)
        assert texts_to(fake, 303) == [BROADCAST]
        failed = [c for c in fake.calls if c["status"] == 502]
        assert sum(c["method"] == "sendMessage" for c in failed) >= len(early)  # retried
        assert any(c["method"] == "getUpdates" for c in failed)
        assert not [r for r in fake.sent if ends - OUTAGE < r["at"] < ends]
        assert fake.breaches == []  # the backlog went out within the flood limits
    assert await outbox_counts(url) == {"sent": len(askers) + 3 + 2}  # none dead


# --- b) PostgreSQL restarts while leaders report ---------------------------------------

REPORTERS = 20
RESTART_AT = 4  # the round after which the restart begins
AFTER = 3  # rounds reported once the server is back (all must be saved)


def postgres_cluster() -> list[str] | None:
    """Return the pg_ctlcluster command for this machine's cluster, or None."""
    root = Path("/etc/postgresql")
    versions = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    if not versions or shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


async def pg_ctl(cluster: list[str], action: str, *extra: str) -> int:
    """Run one pg_ctlcluster action; return its exit status (status: 0 = running)."""
    # the server runs on the real clock even when the tests run under faketime
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and "FAKETIME" not in k}
    process = await asyncio.create_subprocess_exec(
        *cluster, action, *extra, stdout=asyncio.subprocess.DEVNULL, env=env
    )
    return await process.wait()


@pytest.fixture
async def restartable_postgres() -> AsyncIterator[tuple[str, list[str]]]:
    """The server of TEST_DATABASE_URL and its pg_ctlcluster command; running again after."""
    base = os.environ.get("TEST_DATABASE_URL")
    cluster = postgres_cluster()
    if not base or cluster is None or make_url(base).host not in ("127.0.0.1", "localhost"):
        pytest.skip("needs a local TEST_DATABASE_URL, root and pg_ctlcluster (the CI machine)")
    try:
        yield base, cluster
    finally:
        if await pg_ctl(cluster, "status") != 0:
            await pg_ctl(cluster, "start")


async def test_b_postgres_restart_loses_no_confirmed_report_and_the_bot_recovers(
    restartable_postgres: tuple[str, list[str]], launcher: Launcher, tmp_path: Path
) -> None:
    base, cluster = restartable_postgres
    leaders = {f"HU-{n:02d}": 2000 + n for n in range(1, REPORTERS + 1)}
    async with throwaway_database(base, "faults_pg") as url:
        await seed_districts(url, leaders)
        async with FakeTelegram() as fake:
            try:
                bot = await launched(fake, launcher, url, FLOOD_PER_MINUTE="0")
                await wait_for_log(bot, LEADER_LOG)
                restart: asyncio.Task[int] | None = None
                rounds, after = 0, []  # every leader reports once a second, percent = round
                while len(after) < AFTER:
                    if restart is not None and restart.done():
                        after.append(rounds)
                    for chat in leaders.values():
                        fake.message(chat, f"/baocao 3.3 dang thuc hien {rounds}% lan {rounds}")
                    if rounds == RESTART_AT:
                        restart = asyncio.create_task(pg_ctl(cluster, "restart", "-m", "fast"))
                    await asyncio.sleep(1.0)
                    rounds += 1
                assert restart is not None and await restart == 0
                answered = lambda f: all(len(f.sent_to(c)) >= rounds for c in leaders.values())  # noqa: E731
                await fake.wait_for(answered, timeout=60)
                for _ in range(300):  # stepped down with the lost connection, then led again
                    if log_count(bot, LEADER_LOG) >= 2:
                        break
                    await asyncio.sleep(0.1)
                assert log_count(bot, LEADER_LOG) >= 2, bot.text()[-3000:]
                await admin(
                    "broadcast", BROADCAST, "--to", "leaders", "--wait", "0", url=url, cwd=tmp_path
                )  # the sender works again
                await fake.wait_for(
                    lambda f: all(BROADCAST in texts_to(f, c) for c in leaders.values()), 30
                )
                await asyncio.sleep(2)
            finally:
                await launcher.stop_all()
        stored = await reported_percents(url)
    failures = 0
    for code, chat in leaders.items():
        got = texts_to(fake, chat)
        assert got.count(BROADCAST) == 1
        replies = [t for t in got if t != BROADCAST]
        assert len(replies) == rounds, (chat, replies)
        saved = [int(m.group(1)) for t in replies if (m := SAVED.match(t))]
        refused = [t for t in replies if t in (texts.REPORT_FAILED, texts.DB_UNAVAILABLE)]
        assert len(saved) + len(refused) == rounds, replies  # never the generic apology
        assert set(saved) <= stored.get(code, set())  # every "saved" is in the database
        assert set(after) <= set(saved)  # reconnected by itself
        failures += len(refused)
    print(f"\n{failures} of {REPORTERS * rounds} reports refused during the restart")
    assert failures > 0, "the restart hit no report: the test proved nothing"


# --- c) the leader is killed during a broadcast to 2,000 -------------------------------

RECIPIENTS = 2_000
PAID_RATE = 1000.0  # messages a second with TELEGRAM_PAID_BROADCAST
KILL_AFTER = 550  # mid-batch (the sender claims 100 rows at a time)


def duplicate_bound() -> int:
    """Return how many messages a killed leader can have sent without recording them.

    A send keeps its slot (one of CONCURRENCY) until the platform's acceptance is
    recorded: at most CONCURRENCY messages are in flight or accepted but unrecorded.
    """
    return CONCURRENCY


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A throw-away PostgreSQL database (skipped without TEST_DATABASE_URL)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    async with throwaway_database(base, "faults_kill") as url:
        yield url


async def broadcast_on_two(
    fake: FakeTelegram, launcher: Launcher, url: str, tmp_path: Path, **extra: str
) -> tuple[BotProcess, BotProcess]:
    """Start a leader and a follower (webhook, one port) on `url`, then queue a broadcast."""
    port = free_port()
    env = bot_env(
        fake,
        url,
        QUIET_HOURS=NEVER_QUIET,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
        **extra,
    )
    leader = await launcher.start(env)
    await wait_for_log(leader, LEADER_LOG)
    follower = await launcher.start(env, port=port)
    await wait_for_log(follower, "telegram: webhook registered")
    await admin("broadcast", BROADCAST, "--to", "all", "--wait", "0", url=url, cwd=tmp_path)
    return leader, follower


async def test_c_killed_leader_mid_broadcast_the_follower_finishes_it(
    postgres_url: str, launcher: Launcher, tmp_path: Path
) -> None:
    chats = await add_members(postgres_url, range(10_000, 10_000 + RECIPIENTS))
    async with FakeTelegram(overall_limit=int(PAID_RATE)) as fake:
        try:
            leader, follower = await broadcast_on_two(
                fake, launcher, postgres_url, tmp_path, TELEGRAM_PAID_BROADCAST="true"
            )
            await fake.wait_for(lambda f: len(f.sent) >= KILL_AFTER, timeout=60)
            await leader.stop(kill=True)
            killed_at = len(fake.sent)
            await wait_for_log(follower, LEADER_LOG, seconds=30)
            everyone = lambda f: len({r["chat_id"] for r in f.sent}) >= RECIPIENTS  # noqa: E731
            await fake.wait_for(everyone, timeout=60)
            # the rows the dead leader had claimed are taken over TAKEOVER_LEASE into the
            # new term: the unrecorded ones go out again then
            for _ in range(int(TAKEOVER_LEASE.total_seconds()) + 30):
                if await outbox_counts(postgres_url) == {"sent": RECIPIENTS}:
                    break
                await asyncio.sleep(1)
            await asyncio.sleep(1)
        finally:
            await launcher.stop_all()
    got = Counter(r["chat_id"] for r in fake.sent if r["method"] == "sendMessage")
    missing = sum(1 for chat in chats if got[chat] == 0)
    duplicates = sum(n - 1 for n in got.values())
    print(
        f"\nleader killed after {killed_at} of {RECIPIENTS}: {missing} missing, "
        f"{duplicates} duplicate(s) (bound {duplicate_bound()})"
    )
    assert missing == 0
    assert duplicates <= duplicate_bound()
    assert set(got) == set(chats)
    assert await outbox_counts(postgres_url) == {"sent": RECIPIENTS}


# --- e) the leader hangs (SIGSTOP) during a broadcast, then resumes ---------------------

HUNG_RECIPIENTS = 300  # at the free tier's 30 msg/s: batches of 100 take 3.3 s each
STOP_AFTER = 130  # mid-way through the second batch: 70 claimed rows not sent yet


async def sending_rows(url: str) -> list[tuple[int, int]]:
    """Return (claimed_term, rows) of the rows left "sending"."""
    engine = create_engine(url)
    query = text(
        "SELECT claimed_term, count(*) FROM outbox WHERE status = 'sending' GROUP BY 1 ORDER BY 1"
    )
    async with engine.connect() as conn:
        found = [(int(term), int(n)) for term, n in (await conn.execute(query)).all()]
    await engine.dispose()
    return found


async def test_e_a_hung_leader_loses_leadership_and_once_resumed_sends_nothing_it_claimed(
    postgres_url: str, launcher: Launcher, tmp_path: Path
) -> None:
    chats = await add_members(postgres_url, range(20_000, 20_000 + HUNG_RECIPIENTS))
    async with FakeTelegram() as fake:
        try:
            leader, follower = await broadcast_on_two(fake, launcher, postgres_url, tmp_path)
            await fake.wait_for(lambda f: len(f.sent) >= STOP_AFTER, timeout=60)
            os.kill(leader.process.pid, signal.SIGSTOP)  # hung, its connections still open
            stopped = time.monotonic()
            await wait_for_log(follower, LEADER_LOG, seconds=60)
            took_over = time.monotonic() - stopped
            claimed = await sending_rows(postgres_url)
            for _ in range(int(TAKEOVER_LEASE.total_seconds()) + 60):  # the hung leader's rows
                if await outbox_counts(postgres_url) == {"sent": HUNG_RECIPIENTS}:
                    break
                await asyncio.sleep(1)
            before_resume = len(fake.sent)
            os.kill(leader.process.pid, signal.SIGCONT)
            await wait_for_log(leader, "lost the leader's connection", seconds=30)
            await asyncio.sleep(3)
            after_resume = len(fake.sent) - before_resume
        finally:
            if leader.process.returncode is None:
                os.kill(leader.process.pid, signal.SIGCONT)
            await launcher.stop_all()
    got = Counter(r["chat_id"] for r in fake.sent if r["method"] == "sendMessage")
    duplicates = sum(n - 1 for n in got.values())
    print(
        f"\nleader stopped after {STOP_AFTER}: follower led {took_over:.1f} s later; rows it "
        f"had claimed (term, rows): {claimed}; {after_resume} sent after it resumed; "
        f"{duplicates} duplicate(s)"
    )
    assert took_over < 60
    assert claimed and claimed[0][1] > 0  # it had claimed rows it had not sent
    assert after_resume == 0
    assert set(got) == set(chats)
    assert duplicates <= duplicate_bound()
    assert await outbox_counts(postgres_url) == {"sent": HUNG_RECIPIENTS}


# --- d) the disk under SQLite is full ---------------------------------------------------


def fill(directory: Path) -> Path:
    """Write a ballast file until the file system has no byte left; return it."""
    ballast = directory / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    assert os.statvfs(directory).f_bavail == 0
    return ballast


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterable[Path]:
    """A 16 MiB tmpfs for DATA_DIR (skipped where mounting is not allowed)."""
    data = tmp_path / "data"
    data.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = os.system(f"mount -t tmpfs -o size=16m tmpfs '{data}' 2>/dev/null")
    if mounted != 0:
        pytest.skip("mount -t tmpfs is not permitted here (no CAP_SYS_ADMIN)")
    try:
        yield data
    finally:
        if os.system(f"umount '{data}'") != 0:
            os.system(f"umount -l '{data}'")


async def say(fake: FakeTelegram, chat: int, message: str) -> str:
    """Send a message as a user; return the bot's next message to that chat."""
    before = len(fake.sent_to(chat))
    fake.message(chat, message)
    await fake.wait_for(lambda f: len(f.sent_to(chat)) > before, timeout=20)
    return texts_to(fake, chat)[before]


async def test_d_full_disk_refuses_reports_clearly_keeps_answering_and_recovers(
    small_disk: Path, launcher: Launcher
) -> None:
    url = f"sqlite+aiosqlite:///{small_disk / 'bot.db'}"
    await seed_districts(url, {"HU-TP": 301})
    async with FakeTelegram() as fake:
        try:
            await launched(fake, launcher, url, DATA_DIR=str(small_disk))
            assert SAVED.match(await say(fake, 301, "/baocao 3.3 dang thuc hien 10% truoc"))
            ballast = fill(small_disk)
            assert await say(fake, 301, "/baocao 3.3 dang thuc hien 20% khi day") == (
                texts.REPORT_FAILED
            )
            known = await say(fake, 301, QUESTION)
            newcomer = await say(fake, 777, QUESTION)  # registering them needs a write
            for answer in (known, newcomer):
                assert "31/3/2024" in answer, answer
            ballast.unlink()
            assert SAVED.match(await say(fake, 301, "/baocao 3.3 dang thuc hien 30% sau"))
        finally:
            await launcher.stop_all()
    assert await reported_percents(url) == {"HU-TP": {10, 30}}


# --- the same at the handlers' depth, fast ----------------------------------------------

AT = datetime(2024, 3, 1, 9, 0, tzinfo=VN)


def message(text_: str, user: str = "u1") -> Incoming:
    """Return a private Telegram message from `user`."""
    return Incoming(channel="telegram", chat_id=user, user_id=user, text=text_, at=AT)


HandlersOn = Callable[[str], Handlers]


@pytest.fixture
async def handlers_on() -> AsyncIterator[HandlersOn]:
    """Return a function making handlers on the database at a URL (engines closed after)."""
    engines: list[AsyncEngine] = []

    def make(url: str) -> Handlers:
        engines.append(create_engine(url))
        sessions = session_factory(engines[-1])
        return Handlers(library=FakeLibrary(), clock=fixed_clock(AT), sessions=sessions)

    yield make
    for engine in engines:
        await engine.dispose()


async def test_an_unreachable_database_gets_a_specific_answer_not_the_apology(
    handlers_on: HandlersOn,
) -> None:
    bot = handlers_on(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/bot")  # refused
    assert await bot.handle(message("hạn chót vị trí việc làm?")) == [Reply(texts.DB_UNAVAILABLE)]
    report = await bot.handle(message("/baocao 3.3 dang thuc hien 60% xong"))
    assert report == [Reply(texts.REPORT_FAILED)]  # "not saved, send it again"


async def test_a_database_refusing_writes_still_answers_and_refuses_reports(
    handlers_on: HandlersOn, migrated_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bot.db"
    shutil.copy(migrated_db, path)
    await seed_districts(f"sqlite+aiosqlite:///{path}", {"HU-TP": 301})
    read_only = handlers_on(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    for user in ("301", "999"):  # a leader, and a newcomer whose row can't be created
        [answer] = await read_only.handle(message("hạn chót vị trí việc làm?", user))
        assert "31/3/2024" in answer.text
    report = await read_only.handle(message("/baocao 3.3 dang thuc hien 60% xong", "301"))
    assert report == [Reply(texts.REPORT_FAILED)]
    writable = handlers_on(f"sqlite+aiosqlite:///{path}")
    [saved] = await writable.handle(message("/baocao 3.3 dang thuc hien 60% xong", "301"))
    assert saved.text.startswith("Đã lưu báo cáo")


async def test_a_newcomer_on_a_database_refusing_writes_is_told_nothing_was_saved(
    handlers_on: HandlersOn, migrated_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bot.db"
    shutil.copy(migrated_db, path)
    await seed_districts(f"sqlite+aiosqlite:///{path}", {"HU-TP": 301})
    read_only = handlers_on(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    for command in ("/dangky ABCD-1234", "/nhacnho bat", "/nhacnho tat"):
        assert await read_only.handle(message(command, "999")) == [Reply(texts.NOT_SAVED)]
    # a registered member's subscription fails the same way (its write is refused)
    assert await read_only.handle(message("/nhacnho bat", "301")) == [Reply(texts.DB_UNAVAILABLE)]


async def test_the_menu_is_still_shown_on_a_database_refusing_writes(
    handlers_on: HandlersOn, migrated_db: Path, tmp_path: Path
) -> None:
    """Keeping the menu's choices (for a typed number) is a write; its failure hides nothing."""
    path = tmp_path / "bot.db"
    shutil.copy(migrated_db, path)
    await seed_districts(f"sqlite+aiosqlite:///{path}", {"HU-TP": 301})
    read_only = handlers_on(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    [welcome] = await read_only.handle(message("/start", "301"))
    assert welcome.text.startswith("Xin chào") and welcome.buttons
