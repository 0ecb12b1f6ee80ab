"""Fixtures for the bot tests: network guard, fake library, fixed clock, CLI runner."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers import Handlers, Incoming
from handlers.ports import Sessions
from knowledge import Answer, Deadline, Document, Source, Task
from knowledge.model import Metadata
from knowledge.taskmatch import TaskMatcher
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade_sync

ROOT = Path(__file__).resolve().parents[1]
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NUMBER = "09-KL/BTCTW"

# --- no network --------------------------------------------------------------


def _is_local(address: Any) -> bool:
    """Return True for Unix sockets and loopback addresses."""
    if not isinstance(address, tuple):
        return True
    try:
        return ipaddress.ip_address(address[0]).is_loopback
    except ValueError:
        return address[0] == "localhost"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that connects anywhere but this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise RuntimeError(f"tests must not use the network (tried {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


# --- a fixed clock and a small library ---------------------------------------


def fixed_clock(when: datetime) -> Callable[[], datetime]:
    """Return a clock that always says `when`."""
    return lambda: when


class FakeLibrary:
    """A tiny directive with the shape of Kết luận 09: groups, bullets, deadlines."""

    def __init__(self) -> None:
        meta = Metadata(
            NUMBER, "Kết luận", "", "Ban Tổ chức Trung ương", "Hà Nội", date(2024, 1, 11), "", ""
        )
        due = Deadline(NUMBER, "3.3", "date", date(2024, 3, 31), "trước ngày 31/3/2024")
        cut = Deadline(
            NUMBER,
            "3.2",
            "year",
            date(2026, 12, 31),
            "đến năm 2026",
            target="tinh giản ít nhất 5% biên chế",
        )
        periods = [
            Deadline(NUMBER, "", "period", None, "định kỳ (hàng quý, 6 tháng và cả năm)", period=p)
            for p in ("quarter", "half_year", "year")
        ]
        self._tasks = [
            Task(NUMBER, "1", "Chương trình công tác năm 2024", "1. Chương trình…", "Mục II.1"),
            Task(
                NUMBER,
                "3",
                "Về tổ chức bộ máy, biên chế và vị trí việc làm",
                "3. Về tổ chức bộ máy, biên chế và vị trí việc làm",
                "Mục II.3",
                children=["3.2", "3.3"],
            ),
            Task(
                NUMBER,
                "3.2",
                "Giao, quản lý biên chế",
                "- Giao biên chế… đến năm 2026",
                "Mục II.3, ý 2",
                parent="3",
                deadlines=[cut],
            ),
            Task(
                NUMBER,
                "3.3",
                "Kế hoạch vị trí việc làm",
                "- Tham mưu Kế hoạch … vị trí việc làm trước ngày 31/3/2024",
                "Mục II.3, ý 3",
                parent="3",
                deadlines=[due],
            ),
        ]
        self._deadlines = [due, cut, *periods]
        self.default = Document(meta, [], self._tasks, {}, self._deadlines, [], "fake.txt")
        self.documents = [self.default]
        self.archived: frozenset[str] = frozenset()
        self.questions: list[str] = []

    def answer(self, question: str) -> Answer:
        self.questions.append(question)
        if "vị trí" in question:
            quote = "trước ngày 31/3/2024"
            return Answer(True, f"«{quote}» (Mục II.3)", [Source(NUMBER, "Mục II.3", quote)])
        return Answer(False, "Chưa tìm thấy.")

    def tasks(self) -> list[Task]:
        return list(self._tasks)

    def find_task(self, code: str) -> Task | None:
        return next((t for t in self._tasks if t.code == code), None)

    def qualified(self, code: str, number: str) -> str:
        return code if number == NUMBER else f"{number.split('/')[0]}:{code}"

    def close_codes(self, code: str, number: str | None = None) -> list[str]:
        return [t.code for t in self._tasks if t.code.split(".")[0] == code.split(".")[0]][:3]

    def match_tasks(self, text: str) -> list[tuple[str, float]]:
        return TaskMatcher(self._tasks).match(text)

    def deadlines(self) -> list[Deadline]:
        return list(self._deadlines)


def _incoming(text: str = "", payload: str | None = None, **extra: Any) -> Incoming:
    """Return an Incoming from the console user."""
    at = extra.pop("at", datetime(2024, 3, 1, 9, 0, tzinfo=VN))
    return Incoming(
        channel="test", chat_id="c1", user_id="u1", text=text, payload=payload, at=at, **extra
    )


@pytest.fixture
def library() -> FakeLibrary:
    return FakeLibrary()


@pytest.fixture
def now() -> datetime:
    """Mid-morning 1 March 2024 in Hà Nội: 30 days before the 31/3/2024 deadline."""
    return datetime(2024, 3, 1, 9, 0, tzinfo=VN)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file with the real migrations applied, made once per run."""
    path = tmp_path_factory.mktemp("template") / "bot.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def sessions(migrated_db: Path, tmp_path: Path) -> AsyncIterator[Sessions]:
    """Return a session maker on a fresh copy of the migrated database."""
    path = tmp_path / "handlers.db"
    shutil.copy(migrated_db, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def handlers(library: FakeLibrary, now: datetime, sessions: Sessions) -> Handlers:
    return Handlers(library=library, clock=fixed_clock(now), sessions=sessions)


@pytest.fixture
def incoming() -> Callable[..., Incoming]:
    """Return a function making an Incoming from the test user."""
    return _incoming


@pytest.fixture
def make_handlers(sessions: Sessions) -> Callable[..., Handlers]:
    """Return a function making Handlers at a fixed time (with a fresh FakeLibrary by default)."""

    def make(when: datetime, library: FakeLibrary | None = None, **extra: Any) -> Handlers:
        lib = library or FakeLibrary()
        return Handlers(library=lib, clock=fixed_clock(when), sessions=sessions, **extra)

    return make


# --- running the command line ------------------------------------------------


@pytest.fixture
def run_bot(tmp_path: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Return a function running `python -m bot ARGS` with stdin text.

    It runs in an empty directory so a developer's .env can't change the result.
    """
    own = ("DOCUMENTS_DIR", "LOG_LEVEL", "DATABASE_URL", "DATA_DIR", "ADMINS")
    env = {k: v for k, v in os.environ.items() if k not in own}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONPATH"] = str(ROOT)  # this tree's code, not whichever checkout is installed

    def run(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env=env,
            timeout=timeout,
        )

    yield run
