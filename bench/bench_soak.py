"""The soak: the real bot for 10 minutes at a steady 50 updates/s, mixed, with broadcasts running.

The bot (`python -m bot run`; SQLite, or PostgreSQL in a throw-away database with --pg)
polls the loopback fake Bot API (tests/fakes/telegram.py), which enforces 1,000 msg/s
overall and 1 s between messages to one private chat: a breach is answered with 429.
Seeded: 1,000 units (a province, 20 districts, 979 grassroots units), each with its
leader on Telegram, and 1,000 plain members, so a broadcast to "all" has 2,000
recipients. Every 20th leader is also a committee admin (ADMINS): their views cover
every unit.

Load: 50 updates/s for --minutes (default 10, env BENCH_SOAK_MINUTES), round-robin over
the 1,000 leaders (3 messages a minute each, far under the per-member flood limit):
~60% questions (../shared/eval/qa_dev.jsonl and tests/data/qa_heldout.jsonl), ~25%
one-line reports (`/baocao 3.3 đang làm 40% ghi chú soak #N`, each note unique), ~15%
views (/tiendo, /chuabaocao, /tiendo 3.3, /chuabaocao 3.3, /lichsu 3.3 UNIT). A
broadcast to the 2,000 is queued at the start and every 2 minutes (--broadcast-every).
The reminder clock starts at 10:00 on the tests' pinned day (CLOCK_START, May 2025),
outside quiet hours and away from every deadline and period of the directive, with
MISFIRE_GRACE=1m so no earlier reminder is caught up: the only messages not answering
an update are the broadcasts.

50 replies a second is more than Telegram's free 30 msg/s, so the bot runs with
TELEGRAM_PAID_BROADCAST (1,000 msg/s): a broadcast then takes ~20 s beside this load
(8 sends in flight, each a round trip to the busy fake), not ~70 s.

Printed: update sent → first reply seen by the fake (p50/p95/p99 overall, per minute
and per kind), throughput, the bot's RSS (/proc/PID/status VmRSS) every minute and its
growth from minute 1 to the end (target ≤ 20%), reports acknowledged ("Đã lưu báo cáo")
against the progress_update rows holding their notes (lost = acknowledged but absent;
target 0), broadcast messages delivered, 429s, errors, and a verdict. Exit 1 only for
hard failures: a lost report, a report not confirmed, an update never answered, the bot
dying.

--trace-malloc runs the bot under tracemalloc (bench/soak_trace.py) and prints what grew
between the snapshots at minute 1 and at the end, and glibc's heap (bytes in use, bytes
freed but kept) at both. Tracing makes the bot several times slower, so this mode sends
10 updates/s unless --rate says otherwise; its latencies don't count, nor its RSS (taking
a snapshot itself leaves ~25 MB freed but kept by the C heap).

Run: .venv/bin/python -m bench.bench_soak [--minutes 1] [--pg] [--trace-malloc]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import signal
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from handlers import texts
from knowledge import load_library
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Member, Outbox, ProgressUpdate, Unit
from storage.queries.outbox import create_broadcast
from storage.queries.recipients import audience
from storage.status import STATUS_LABELS, Status, parse_status
from tests.botprocess import ROOT, bot_env, free_port, member_row, pinned_day
from tests.fakes import FakeTelegram

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CLOCK_START = pinned_day(hour=10)  # the bot's clock: daytime, no deadline near
QUESTION_SETS = (
    ROOT.parent / "shared" / "eval" / "qa_dev.jsonl",
    ROOT / "tests/data/qa_heldout.jsonl",
)
FALLBACK = ["hạn chót vị trí việc làm", "tinh giản biên chế đến năm nào", "báo cáo định kỳ"]
RATE = 50.0  # updates per second
TRACE_RATE = 10.0  # under tracemalloc the bot answers far fewer
UNITS = 1_000  # one leader each
DISTRICTS = 20
PLAIN_MEMBERS = 1_000  # broadcast recipients besides the leaders
ADMIN_EVERY = 20  # every 20th leader is a committee admin
LEADER_BASE = 1_000_000  # Telegram ids (= private chat ids) of the leaders
MEMBER_BASE = 2_000_000  # and of the plain members
MIX = {"question": 60, "report": 25, "view": 15}
STATUS_WORDS = ("đang làm", "hoàn thành", "chưa triển khai", "vướng mắc", "dang thuc hien")
BROADCAST_EVERY = 120.0  # seconds
BROADCAST_TEXT = "Thông báo thử nghiệm số {k}: họp giao ban trực tuyến lúc 14 giờ thứ Sáu."
BROADCAST_PREFIX = "Thông báo thử nghiệm số "
SAVED, SAVED_REST = texts.REPORT_SAVED.split("{unit}")  # "Đã lưu báo cáo của ", the rest
APOLOGIES = (texts.SORRY, texts.REPORT_FAILED)
SAMPLE_EVERY = 5.0  # seconds between RSS samples
DRAIN = 90.0  # seconds to wait after the load for the last replies and broadcasts
GROWTH_TARGET = 20.0  # % RSS growth from minute 1 to the end
HEADINGS = "  p50 ms   p95 ms   p99 ms   max ms   RSS MB anon MB  bcast"
P99_REFERENCE = 100.0  # ms; bench_telegram's target for questions alone at 50/s


@dataclass
class Update:
    """One update sent to the bot, and the first reply to it."""

    n: int
    kind: str
    chat: int
    text: str
    note: str = ""  # a report's unique note
    saved_text: str = ""  # what the report's confirmation must say
    at: float = 0.0
    replied_at: float | None = None
    reply: str = ""
    acknowledged: bool = False

    @property
    def latency_ms(self) -> float | None:
        """Return update → first reply, in ms (None: no reply seen)."""
        return None if self.replied_at is None else (self.replied_at - self.at) * 1000


@dataclass
class Tally:
    """What the soak sent and saw, filled in as it runs."""

    began: float = 0.0
    updates: list[Update] = field(default_factory=list)
    pending: dict[int, deque[Update]] = field(default_factory=dict)  # per chat, not answered
    unconfirmed: dict[int, list[Update]] = field(default_factory=dict)  # reports, per chat
    cursor: int = 0  # into fake.sent
    extra: int = 0  # messages to a chat with no update waiting (second parts of long replies)
    broadcast_at: list[tuple[str, float]] = field(default_factory=list)  # (number, when sent)
    queued: list[tuple[float, int]] = field(default_factory=list)  # (when, recipients)
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # (s in, VmRSS, RssAnon kB)
    base: tuple[int, int] = (0, 0)  # (VmRSS, RssAnon) kB at minute 1, before any snapshot
    end: tuple[int, int] = (0, 0)  # and when the load ends
    load_s: float = 0.0

    def minute(self, moment: float) -> int:
        """Return the 1-based minute of the run a moment falls in."""
        return int((moment - self.began) // 60) + 1


@dataclass
class Options:
    """How long and how hard to soak."""

    minutes: float
    rate: float
    broadcast_every: float
    pg: bool
    trace: bool


# --- seeding ---------------------------------------------------------------------------


def unit_rows(now: datetime) -> list[dict[str, Any]]:
    """Return a province, DISTRICTS districts and grassroots units up to UNITS."""
    rows: list[dict[str, Any]] = [
        {"id": 1, "code": "T", "name": "Tỉnh ủy", "level": "tinh", "parent_id": None}
    ]
    rows += [
        {
            "id": 2 + d,
            "code": f"H{d:02d}",
            "name": f"Huyện ủy {d}",
            "level": "huyen",
            "parent_id": 1,
        }
        for d in range(DISTRICTS)
    ]
    rows += [
        {
            "id": i + 1,
            "code": f"C{i:04d}",
            "name": f"Chi bộ {i}",
            "level": "coso",
            "parent_id": 2 + i % DISTRICTS,
        }
        for i in range(len(rows), UNITS)
    ]
    return [row | {"created_at": now} for row in rows]


async def seed(engine: AsyncEngine) -> list[str]:
    """Migrate, add the units, their leaders and the plain members; return the unit codes."""
    await upgrade(engine)
    now = datetime.now(VN)
    units = unit_rows(now)
    leaders = [
        member_row(LEADER_BASE + i, unit_id=i + 1, name=f"Cán bộ {LEADER_BASE + i}")
        for i in range(UNITS)
    ]
    plain = [member_row(MEMBER_BASE + i) for i in range(PLAIN_MEMBERS)]
    async with engine.begin() as conn:
        await conn.execute(insert(Unit), units)
        await conn.execute(insert(Member), leaders + plain)
    return [row["code"] for row in units]


@asynccontextmanager
async def database(pg: bool, tmp: Path) -> AsyncIterator[str]:
    """Yield the URL of a fresh database: a SQLite file, or a throw-away PostgreSQL one."""
    if not pg:
        yield f"sqlite+aiosqlite:///{tmp / 'soak.db'}"
        return
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        raise SystemExit("--pg needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    name = f"soak_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


# --- the load ----------------------------------------------------------------------------


def questions() -> list[str]:
    """Return the dev and held-out questions (a few of our own without them)."""
    found = [
        json.loads(line)["q"]
        for path in QUESTION_SETS
        if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return found or FALLBACK


class Plan:
    """Decides update n: who sends it (round-robin over the leaders) and what."""

    def __init__(self, codes: list[str], seed: int = 7) -> None:
        self.units = codes
        self.tasks = [t.code for t in load_library().tasks() if not t.children]
        self.questions = questions()
        self.rng = random.Random(seed)
        self.done: set[tuple[int, str]] = set()  # (chat, task) reported "hoàn thành"

    def update(self, n: int) -> Update:
        """Return update number n (not yet sent)."""
        leader = n % UNITS
        chat = LEADER_BASE + leader
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        task = self.rng.choice(self.tasks)
        if kind == "question":
            return Update(n, kind, chat, self.rng.choice(self.questions))
        if kind == "report":
            status = self.rng.choice(STATUS_WORDS)
            if (chat, task) in self.done:  # a step back from "hoàn thành" asks to confirm first
                status = "hoàn thành"
            if parse_status(status) is Status.DONE:
                self.done.add((chat, task))
            percent = {"hoàn thành": 100, "chưa triển khai": 0}.get(status, self.rng.randint(5, 95))
            note = f"ghi chú soak #{n}"
            label = STATUS_LABELS[parse_status(status) or Status.IN_PROGRESS]
            saved = SAVED_REST.format(code=task, status=label, percent=f" ({percent}%)")
            return Update(n, kind, chat, f"/baocao {task} {status} {percent}% {note}", note, saved)
        views = (
            "/tiendo",
            "/chuabaocao",
            f"/tiendo {task}",
            f"/chuabaocao {task}",
            f"/lichsu {task} {self.units[leader]}",
        )
        return Update(n, kind, chat, self.rng.choice(views))


async def drive(fake: FakeTelegram, tally: Tally, plan: Plan, options: Options) -> None:
    """Send `rate` updates a second for the whole run (catching up if the loop fell behind)."""
    total = int(options.minutes * 60 * options.rate)
    for n in range(total):
        await asyncio.sleep(max(0.0, tally.began + n / options.rate - time.monotonic()))
        update = plan.update(n)
        update.at = time.monotonic()
        tally.updates.append(update)
        tally.pending.setdefault(update.chat, deque()).append(update)
        if update.kind == "report":
            tally.unconfirmed.setdefault(update.chat, []).append(update)
        fake.message(update.chat, update.text)
    tally.load_s = time.monotonic() - tally.began


def collect(fake: FakeTelegram, tally: Tally) -> None:
    """Match the messages the fake received since the last call to the updates waiting."""
    sent = fake.sent
    while tally.cursor < len(sent):
        record = sent[tally.cursor]
        tally.cursor += 1
        plain = record["plain"] or ""
        if plain.startswith(BROADCAST_PREFIX):
            number = plain.removeprefix(BROADCAST_PREFIX).split(":")[0]
            tally.broadcast_at.append((number, record["at"]))
            continue
        chat = int(record["chat_id"])
        if plain.startswith(SAVED):
            confirm(tally, chat, plain)
        waiting = tally.pending.get(chat)
        if not waiting:
            tally.extra += 1
            continue
        update = waiting.popleft()
        update.replied_at, update.reply = record["at"], plain


def confirm(tally: Tally, chat: int, plain: str) -> None:
    """Mark the chat's oldest unconfirmed report this confirmation describes as acknowledged.

    Matched on the text (task, status, percent), not on the order of replies, so a long
    reply in several messages can't make a confirmation count for another report.
    """
    reports = tally.unconfirmed.get(chat, [])
    for index, update in enumerate(reports):
        if update.saved_text in plain:
            update.acknowledged = True
            del reports[index]
            return


async def collect_forever(fake: FakeTelegram, tally: Tally) -> None:
    """Collect replies a few times a second."""
    while True:
        collect(fake, tally)
        await asyncio.sleep(0.2)


def memory_kb(pid: int) -> tuple[int, int]:
    """Return a process's resident set size and its anonymous part (VmRSS, RssAnon) in kB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    kb = [int(fields.get(name, "0 kB").split()[0]) for name in ("VmRSS", "RssAnon")]
    return kb[0], kb[1]


async def sample_forever(pid: int, tally: Tally) -> None:
    """Record the bot's RSS every SAMPLE_EVERY seconds."""
    while True:
        tally.rss.append((time.monotonic() - tally.began, *memory_kb(pid)))
        await asyncio.sleep(SAMPLE_EVERY)


async def queue_broadcast(engine: AsyncEngine, k: int) -> int:
    """Queue broadcast number k to everyone; return how many messages it queued."""
    async with session_factory(engine)() as session:
        people = await audience(session, audience="all")
        made = await create_broadcast(
            session,
            text=BROADCAST_TEXT.format(k=k),
            audience="all",
            actor="bench:soak",
            recipients=people,
            now=CLOCK_START,  # due at once on the bot's clock, which began there
        )
    return made.total


async def broadcast_forever(engine: AsyncEngine, tally: Tally, every: float, until: float) -> None:
    """Queue a broadcast now and every `every` seconds while the load lasts (`until` s)."""
    k = 0
    while k * every < until:
        await asyncio.sleep(max(0.0, tally.began + k * every - time.monotonic()))
        k += 1
        total = await queue_broadcast(engine, k)
        tally.queued.append((time.monotonic(), total))


# --- the bot process -----------------------------------------------------------------------


def soak_env(fake: FakeTelegram, url: str, trace_dir: Path | None) -> dict[str, str]:
    """Return the bot's environment: paid tier, admins, a quiet-free reminder clock."""
    admins = ",".join(f"telegram:{LEADER_BASE + i}" for i in range(0, UNITS, ADMIN_EVERY))
    env = bot_env(
        fake,
        url,
        TELEGRAM_PAID_BROADCAST="true",
        CLOCK_START=CLOCK_START.isoformat(),
        MISFIRE_GRACE="1m",
        ADMINS=admins,
        LOG_LEVEL="WARNING",
        HTTP_PORT=str(free_port()),
    )
    if trace_dir is not None:
        env["SOAK_TRACE_DIR"] = str(trace_dir)
    return env


async def start_bot(
    env: dict[str, str], tmp: Path, trace: bool
) -> tuple[asyncio.subprocess.Process, Path]:
    """Start the bot (under tracemalloc with `trace`); return it and its log file."""
    log = tmp / "bot.log"
    module = "bench.soak_trace" if trace else "bot"
    args = [] if trace else ["run"]
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, cwd=tmp, env=env, stdout=out, stderr=out
        )
    return process, log


async def stop_bot(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the bot and wait for it (SIGKILL after 20 s)."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=20)
    except TimeoutError:
        process.kill()
        await process.wait()


async def snapshot(process: asyncio.subprocess.Process, directory: Path, number: int) -> Path:
    """Ask the traced bot for snapshot `number` and wait until it is written."""
    path = directory / f"snapshot-{number}.pickle"
    process.send_signal(signal.SIGUSR1)
    for _ in range(1200):
        if path.exists():
            return path
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no {path.name} from the bot")


# --- the run -----------------------------------------------------------------------------------


async def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    """Poll `condition` every 0.2 s for at most `seconds`."""
    for _ in range(int(seconds / 0.2)):
        if condition():
            return
        await asyncio.sleep(0.2)


async def load_phase(
    fake: FakeTelegram,
    engine: AsyncEngine,
    process: asyncio.subprocess.Process,
    tally: Tally,
    plan: Plan,
    options: Options,
    trace_dir: Path | None,
) -> list[Path]:
    """Run the load with the broadcasts, sampling and collecting; drain; return snapshots."""
    tally.began = time.monotonic()
    helpers = [
        asyncio.create_task(collect_forever(fake, tally)),
        asyncio.create_task(sample_forever(process.pid or 0, tally)),
        asyncio.create_task(
            broadcast_forever(engine, tally, options.broadcast_every, options.minutes * 60)
        ),
    ]
    snapshots: list[Path] = []
    driver = asyncio.create_task(drive(fake, tally, plan, options))
    await asyncio.sleep(baseline_at(options.minutes))
    tally.base = memory_kb(process.pid or 0)
    if trace_dir is not None:
        snapshots.append(await snapshot(process, trace_dir, 1))
    await driver
    tally.end = memory_kb(process.pid or 0)
    helpers[1].cancel()  # the table shows the load, not the drain
    if trace_dir is not None:
        snapshots.append(await snapshot(process, trace_dir, 2))
    expected = lambda: sum(total for _, total in tally.queued)  # noqa: E731
    await wait_until(lambda: not any(tally.pending.values()), DRAIN)
    await wait_until(lambda: len(tally.broadcast_at) >= expected(), DRAIN)
    collect(fake, tally)
    for helper in helpers:
        helper.cancel()
    await asyncio.gather(*helpers, return_exceptions=True)
    return snapshots


def baseline_at(minutes: float) -> float:
    """Return when the memory baseline is taken: minute 1, or half-way in shorter runs."""
    return 60.0 if minutes >= 2 else minutes * 30.0


async def stored(engine: AsyncEngine) -> tuple[set[str], Counter[str]]:
    """Return the notes in progress_update and the broadcast outbox rows per status."""
    async with engine.connect() as conn:
        notes = set((await conn.scalars(select(col(ProgressUpdate.note)))).all())
        rows = await conn.execute(
            select(col(Outbox.status), func.count())
            .where(col(Outbox.kind) == "broadcast")
            .group_by(col(Outbox.status))
        )
        return notes, Counter({status: count for status, count in rows.all()})


async def soak(options: Options) -> int:
    """Seed, run the bot under load, check the database, print the results; return the exit code."""
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp_name:
        tmp = Path(tmp_name)
        trace_dir = tmp if options.trace else None
        async with database(options.pg, tmp) as url:
            engine = create_engine(url)
            try:
                codes = await seed(engine)
                plan = Plan(codes)
                tally = Tally()
                async with FakeTelegram(enforce=True, overall_limit=1000) as fake:
                    process, log = await start_bot(
                        soak_env(fake, url, trace_dir), tmp, options.trace
                    )
                    try:
                        await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=60)
                        snapshots = await load_phase(
                            fake, engine, process, tally, plan, options, trace_dir
                        )
                        alive = process.returncode is None
                    finally:
                        await stop_bot(process)
                    notes, outbox = await stored(engine)
                    results = Results(
                        options,
                        tally,
                        fake,
                        notes,
                        outbox,
                        log.read_text(errors="replace"),
                        alive,
                        url,
                    )
                    results.show()
                    if len(snapshots) == 2:
                        show_growth(snapshots[0], snapshots[1])
                    return results.exit_code()
            finally:
                await engine.dispose()


# --- the results -----------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    """Return the q-th percentile (nearest rank) of sorted values; nan when empty."""
    if not ordered:
        return float("nan")
    rank = math.ceil(len(ordered) * q / 100)
    return ordered[min(len(ordered), max(1, rank)) - 1]


def spread(latencies: list[float]) -> str:
    """Return p50, p95, p99 and max of latencies (ms) as table cells."""
    ordered = sorted(latencies)
    cells = [percentile(ordered, q) for q in (50, 95, 99, 100)]
    return " ".join(f"{cell:8.0f}" for cell in cells)


class Results:
    """The figures of one soak, computed once the bot has stopped."""

    def __init__(
        self,
        options: Options,
        tally: Tally,
        fake: FakeTelegram,
        notes: set[str],
        outbox: Counter[str],
        log: str,
        alive: bool,
        url: str,
    ) -> None:
        self.options, self.tally, self.outbox, self.alive = options, tally, outbox, alive
        self.backend = make_url(url).get_backend_name()
        updates = tally.updates
        self.unanswered = [u for u in updates if u.replied_at is None]
        reports = [u for u in updates if u.kind == "report"]
        self.reports = len(reports)
        acked = {u.note for u in reports if u.acknowledged}
        self.acked = len(acked)
        self.lost = sorted(acked - notes)
        self.saved = len({u.note for u in reports} & notes)
        self.refused = Counter(
            u.reply[:60] for u in reports if u.replied_at and not u.reply.startswith(SAVED)
        )
        self.sorry = sum(u.reply.startswith(APOLOGIES) for u in updates)
        statuses = Counter((call["method"], call["status"]) for call in fake.calls)
        self.too_many = sum(n for (_, status), n in statuses.items() if status == 429)
        self.http_errors = {
            f"{method} {status}": n
            for (method, status), n in statuses.items()
            if status not in (200, 429, None)
        }
        self.breaches = len(fake.breaches)
        lines = log.splitlines()
        self.log_errors = [ln for ln in lines if " ERROR " in ln or " CRITICAL " in ln]
        self.tracebacks = sum("Traceback" in ln for ln in lines)
        self.log_warnings = Counter(ln.split(": ", 1)[-1][:70] for ln in lines if " WARNING " in ln)

    def growth_of(self, column: int = 0) -> tuple[int, int, float]:
        """Return (minute-1 kB, end kB, growth %) of VmRSS (column 1: RssAnon)."""
        base, end = self.tally.base[column], self.tally.end[column]
        return base, end, (end - base) / base * 100 if base else float("nan")

    @property
    def growth(self) -> tuple[int, int, float]:
        """Return (minute-1 kB, end kB, growth %) of VmRSS."""
        return self.growth_of(0)

    def show(self) -> None:
        """Print the header, the per-minute table, the totals and the verdict."""
        o = self.options
        print(
            f"soak: {o.minutes:g} min at {o.rate:g} updates/s on {self.backend}, {UNITS:,} units "
            f"with leaders, broadcasts of {UNITS + PLAIN_MEMBERS:,} every {o.broadcast_every:g} s"
            f"{', under tracemalloc (latencies not representative)' if o.trace else ''}"
        )
        self.show_minutes()
        self.show_totals()
        print(self.verdict())

    def show_minutes(self) -> None:
        """Print one row per minute: updates, latency spread, RSS, broadcast messages."""
        tally = self.tally
        print(f"{'min':>3} {'sent':>6} {'replied':>7} {HEADINGS}")
        by_minute: dict[int, list[Update]] = {}
        for update in tally.updates:
            by_minute.setdefault(tally.minute(update.at), []).append(update)
        bcast = Counter(tally.minute(at) for _, at in tally.broadcast_at)
        for minute, updates in sorted(by_minute.items()):
            latencies = [u.latency_ms for u in updates if u.latency_ms is not None]
            rss = [(kb, anon) for at, kb, anon in tally.rss if minute - 1 <= at / 60 < minute]
            kb, anon = max(rss, default=(0, 0))
            print(
                f"{minute:>3} {len(updates):>6} {len(latencies):>7} {spread(latencies)} "
                f"{kb / 1024:8.1f} {anon / 1024:7.1f} {bcast[minute]:>6}"
            )
        latencies = [u.latency_ms for u in tally.updates if u.latency_ms is not None]
        print(f"{'all':>3} {len(tally.updates):>6} {len(latencies):>7} {spread(latencies)}")
        for kind in MIX:
            some = [u.latency_ms for u in tally.updates if u.kind == kind and u.latency_ms]
            print(f"    {kind + 's':<10} {len(some):>7} {spread(some)}")
        windows = self.broadcast_windows()
        during = [u for u in tally.updates if any(a <= u.at <= b for a, b in windows)]
        calm = [u for u in tally.updates if not any(a <= u.at <= b for a, b in windows)]
        for label, some_updates in (("broadcasting", during), ("no broadcast", calm)):
            some = [u.latency_ms for u in some_updates if u.latency_ms is not None]
            print(f"    {label:<12} {len(some):>5} {spread(some)}")

    def show_totals(self) -> None:
        """Print throughput, memory, reports, broadcasts and errors."""
        tally = self.tally
        replied = [u.replied_at for u in tally.updates if u.replied_at is not None]
        span = max(replied, default=tally.began) - tally.began
        print(
            f"throughput: sent {len(tally.updates) / max(tally.load_s, 1e-9):.1f}/s, "
            f"replied {len(replied) / max(span, 1e-9):.1f}/s ({len(replied):,} replies, "
            f"{tally.extra:,} further parts)"
        )
        base, end, growth = self.growth
        anon_base, anon_end, anon_growth = self.growth_of(1)
        print(
            f"RSS: {base / 1024:.1f} MB at {baseline_at(self.options.minutes):.0f} s → "
            f"{end / 1024:.1f} MB at the end: {growth:+.1f}% (target ≤ {GROWTH_TARGET:g}%); "
            f"anonymous {anon_base / 1024:.1f} → {anon_end / 1024:.1f} MB ({anon_growth:+.1f}%)"
        )
        print(
            f"reports: {self.reports:,} sent, {self.acked:,} acknowledged, {self.saved:,} in "
            f"progress_update, lost {len(self.lost)} (target 0)"
            + (f"; not acknowledged: {dict(self.refused)}" if self.refused else "")
        )
        queued = sum(total for _, total in tally.queued)
        print(
            f"broadcasts: {len(tally.queued)} queued, {queued:,} messages; "
            f"{len(tally.broadcast_at):,} delivered; outbox {dict(self.outbox)}; "
            f"{self.broadcast_rate()}"
        )
        print(
            f"errors: {len(self.unanswered)} unanswered, {self.sorry} apologies, "
            f"{self.too_many} × 429 from the fake, {self.breaches} flood breaches, other HTTP "
            f"errors {self.http_errors or 0}, bot log: {len(self.log_errors)} errors, "
            f"{self.tracebacks} tracebacks, {sum(self.log_warnings.values())} warnings"
        )
        for line in self.log_errors[:5]:
            print(f"    {line[:200]}")
        for line, count in self.log_warnings.most_common(5):
            print(f"    {count} × WARNING {line}")
        if self.unanswered:
            print(f"    unanswered, e.g.: {[u.text for u in self.unanswered[:5]]}")
        if self.lost:
            print(f"    lost, e.g.: {self.lost[:5]}")

    def bursts(self) -> dict[int, list[float]]:
        """Return the delivery times of each broadcast's messages, by broadcast number."""
        bursts: dict[int, list[float]] = {}
        for number, moment in self.tally.broadcast_at:
            bursts.setdefault(int(number), []).append(moment)
        return bursts

    def broadcast_windows(self) -> list[tuple[float, float]]:
        """Return (queued, last message delivered) of every broadcast."""
        queued = dict(enumerate((at for at, _ in self.tally.queued), start=1))
        return [(queued.get(k, min(b)), max(b)) for k, b in self.bursts().items()]

    def broadcast_rate(self) -> str:
        """Describe how long each broadcast took, queued to last message, and its rate."""
        windows = self.broadcast_windows()
        if not windows:
            return "none delivered"
        seconds = [last - first for first, last in windows]
        counts = [len(b) for b in self.bursts().values()]
        rates = [n / s for n, s in zip(counts, seconds, strict=True) if s > 0]
        return (
            f"each took {min(seconds):.1f}–{max(seconds):.1f} s from queued to the last "
            f"message ({min(rates, default=0):.0f}–{max(rates, default=0):.0f} msg/s)"
        )

    def hard_failures(self) -> list[str]:
        """Return what must never happen: lost or unconfirmed reports, silence, a dead bot."""
        failures = []
        if self.lost:
            failures.append(f"{len(self.lost)} reports acknowledged but not stored")
        if self.acked < self.reports:
            failures.append(f"{self.reports - self.acked} reports not confirmed as saved")
        if self.unanswered:
            failures.append(f"{len(self.unanswered)} updates never answered")
        if not self.alive:
            failures.append("the bot exited during the run")
        return failures

    def verdict(self) -> str:
        """Return the verdict line against the targets."""
        _, _, growth = self.growth
        failures = self.hard_failures()
        misses = [] if growth <= GROWTH_TARGET else [f"RSS grew {growth:.1f}% > {GROWTH_TARGET:g}%"]
        ordered = sorted(u.latency_ms for u in self.tally.updates if u.latency_ms is not None)
        p99 = percentile(ordered, 99)
        head = "FAIL" if failures else ("MISS" if misses else "PASS")
        detail = "; ".join(failures + misses) or (
            f"RSS growth {growth:+.1f}% ≤ {GROWTH_TARGET:g}%, lost 0, every update answered"
        )
        return (
            f"verdict: {head}: {detail} (p99 {p99:.0f} ms; bench_telegram's "
            f"≤ {P99_REFERENCE:g} ms is for questions alone)"
        )

    def exit_code(self) -> int:
        """Return 1 for hard failures, else 0."""
        return 1 if self.hard_failures() else 0


def show_growth(first: Path, last: Path, top: int = 15) -> None:
    """Print the allocation sites that grew most between two tracemalloc snapshots."""
    ignore = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
        tracemalloc.Filter(False, "<unknown>"),
    ]
    before = tracemalloc.Snapshot.load(str(first)).filter_traces(ignore)
    after = tracemalloc.Snapshot.load(str(last)).filter_traces(ignore)
    sizes = [sum(s.size for s in snap.statistics("filename")) / 2**20 for snap in (before, after)]
    print(f"tracemalloc: {sizes[0]:.1f} MB traced at minute 1, {sizes[1]:.1f} MB at the end")
    heaps = [json.loads(path.with_suffix(".json").read_text()) for path in (first, last)]
    if all(heaps):
        print(
            "glibc heap: in use {:.1f} → {:.1f} MB, free but kept {:.1f} → {:.1f} MB".format(
                *(heap[key] / 2**20 for key in ("in_use", "free") for heap in heaps)
            )
        )
    print("grew most:")
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        where = f"{frame.filename}:{frame.lineno}"
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+8d} blocks  {where}")
    grown = [s for s in after.compare_to(before, "traceback")[:3] if len(s.traceback) > 1]
    for stat in grown:  # with SOAK_TRACE_FRAMES > 1
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+8d} blocks, from:")
        for line in stat.traceback.format(limit=8):
            print(f"      {line}")


def options_from(argv: list[str]) -> Options:
    """Parse the command line (defaults from BENCH_SOAK_* environment variables)."""
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=float(env.get("BENCH_SOAK_MINUTES", "10")))
    parser.add_argument("--rate", type=float, help=f"updates/s ({RATE:g}, traced {TRACE_RATE:g})")
    parser.add_argument("--broadcast-every", type=float, default=BROADCAST_EVERY, help="seconds")
    parser.add_argument(
        "--pg",
        action="store_true",
        default=env.get("BENCH_SOAK_PG", "") not in ("", "0"),
        help="PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL) instead of SQLite",
    )
    parser.add_argument("--trace-malloc", dest="trace", action="store_true", help="debug a leak")
    args = parser.parse_args(argv)
    rate = args.rate or (TRACE_RATE if args.trace else RATE)
    return Options(args.minutes, rate, args.broadcast_every, args.pg, args.trace)


def run(argv: list[str] | None = None) -> int:
    """Entry point for make bench (BENCH_SOAK_MINUTES=0 skips it); return the exit code."""
    options = options_from(argv or [])
    if options.minutes <= 0:
        print("soak skipped (BENCH_SOAK_MINUTES=0)")
        return 0
    return asyncio.run(soak(options))


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
