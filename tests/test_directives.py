"""Issue 16, a library of directives (checks 1 and 4): a 2025 directive added beside the
bundled Kết luận 09-KL/BTCTW, answered and named, its tasks listed once it is current, and
earlier progress kept under Kết luận 09.

The command line runs as `python -m bot`; the chat runs in-process on a migrated SQLite
file, its library reloaded from the database by the same watcher a running bot uses.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.library_source import LibraryWatcher, build_library
from bot.settings import Settings
from handlers import Handlers, Incoming
from handlers.intents import Reader
from handlers.ports import Sessions
from handlers.types import Reply
from knowledge.ingest import read_document
from knowledge.library import Library, read_bundled, text_digest
from knowledge.parser import parse_document
from storage.queries.directives import NewDirective, add_directive, set_current
from storage.queries.invites import create_invite
from storage.queries.units import upsert_unit
from tests.clitools import ok, refused

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 5, 13, 9, 0, tzinfo=VN)
FILE = Path(__file__).parent / "data" / "ket-luan-12-KL-BTCTW-2025.txt"
NUMBER = "12-KL/BTCTW"
LEAVES_2025 = ["1.1", "1.2", "2.1", "2.2", "3.1"]

Run = Callable[..., subprocess.CompletedProcess[str]]


def listed(run_bot: Run) -> dict[str, dict[str, object]]:
    """Return `documents list --json` by number."""
    return {d["number"]: d for d in json.loads(ok(run_bot("documents", "list", "--json")))}


def test_check1_added_directive_is_listed_answered_and_named(run_bot: Run) -> None:
    refused(run_bot("documents", "add", str(FILE)))  # no terminal to confirm on, no --yes
    assert list(listed(run_bot)) == ["09-KL/BTCTW"]
    out = ok(run_bot("documents", "add", str(FILE), "--yes"))
    assert "Kết luận 12-KL/BTCTW (8 nhiệm vụ)" in out
    assert "1.1: 30/06/2025 «" in out  # the preview (its dated deadlines) came first
    again = refused(run_bot("documents", "add", str(FILE), "--yes"))
    assert "12-KL/BTCTW đã có" in again
    docs = listed(run_bot)
    assert docs[NUMBER]["tasks"] == 8 and docs[NUMBER]["current"] is False
    assert docs["09-KL/BTCTW"]["current"] is True

    answer = json.loads(
        ok(run_bot("ask", "--json", "Hạn hoàn thành đại hội chi bộ là khi nào?")).strip()
    )
    assert answer["found"] is True
    assert "Kết luận 12-KL/BTCTW" in answer["answer"]
    assert answer["sources"][0]["document"] == NUMBER
    assert "trước ngày 30/6/2025" in answer["sources"][0]["quote"]
    human = ok(run_bot("ask", "Kết luận số 12 hạn sắp xếp đơn vị hành chính cấp xã?"))
    assert "30/9/2025" in human and "· Kết luận 12-KL/BTCTW" in human

    # Its deadlines are proposed, not reminded, until accepted.
    assert json.loads(ok(run_bot("deadlines", "list", "--json"))) == []
    proposed = json.loads(ok(run_bot("deadlines", "proposed", "--json")))
    assert [(p["task"], p["due"]) for p in proposed] == [
        ("1.1", "2025-06-30"),
        ("2.1", "2025-09-30"),
    ]
    ok(run_bot("deadlines", "accept", str(proposed[0]["id"])))
    kept = json.loads(ok(run_bot("deadlines", "list", "--json")))
    assert [(d["document"], d["task"]) for d in kept] == [(NUMBER, "1.1")]

    ok(run_bot("documents", "set-current", "12-KL"))
    assert listed(run_bot)[NUMBER]["current"] is True
    assert "Không lưu trữ được" in refused(run_bot("documents", "archive", "09-KL"))
    ok(run_bot("documents", "archive", "12-KL"))
    docs = listed(run_bot)
    assert docs[NUMBER]["archived"] is True and docs["09-KL/BTCTW"]["current"] is True
    assert json.loads(ok(run_bot("deadlines", "list", "--json"))) == []  # reminders stopped


def test_unreadable_file_is_refused_with_its_reason(run_bot: Run, tmp_path: Path) -> None:
    scan = tmp_path / "ban-scan.png"
    scan.write_bytes(b"\x89PNG\r\n")
    assert "chỉ nhận tệp .txt" in refused(run_bot("documents", "add", str(scan), "--yes"))
    assert "không có tệp này" in refused(run_bot("documents", "add", "khong-co.txt", "--yes"))
    assert "Không có văn bản «99»" in refused(run_bot("documents", "show", "99"))


# --- the chat -----------------------------------------------------------------------


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


async def test_check4_earlier_progress_stays_with_ket_luan_09(
    sessions: Sessions, settings: Settings
) -> None:
    library = build_library(settings, [])
    watcher = LibraryWatcher(settings, library, sessions)
    bot = Handlers(
        library=library, clock=lambda: NOW, sessions=sessions, admins=frozenset({"test:boss"})
    )

    async def say(text: str, user: str = "boss") -> str:
        incoming = Incoming(channel="test", chat_id=user, user_id=user, text=text, at=NOW)
        return text_of(await bot.handle(incoming))

    async with sessions() as s:
        unit = await upsert_unit(s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t")
        _, secret = await create_invite(s, unit_id=unit.id or 0, created_by="t", now=NOW)
    await say(f"/dangky {secret}", user="tp")
    assert "3.3" in await say("/baocao 3.3 hoan thanh", user="tp")

    ingested = read_document(FILE.read_bytes(), FILE.name)
    new = NewDirective(
        number=NUMBER,
        kind="Kết luận",
        title=ingested.document.metadata.title,
        issued=ingested.document.metadata.issued,
        filename=FILE.name,
        sha256=text_digest(ingested.text),
        text=ingested.text,
    )
    async with sessions() as s:
        row = await add_directive(s, new=new, actor="test")
    assert await watcher.refresh()  # the running bot's poll: added, not current yet
    assert not await watcher.refresh()  # nothing changed since
    assert "Chuyển đổi số" not in await say("/nhiemvu", user="tp")

    async with sessions() as s:
        await set_current(s, directive_id=row.id, actor="test")
    assert await watcher.refresh()
    tasks = await say("/nhiemvu", user="tp")
    assert "Chuyển đổi số trong công tác tổ chức xây dựng Đảng" in tasks
    assert "vị trí việc làm" not in tasks  # Kết luận 09's tasks left the menu

    # The 2025 directive starts empty-handed for the unit: every task missing.
    missing = await say("/chuabaocao", user="tp")
    assert f"{len(LEAVES_2025)} nhiệm vụ" in missing or all(c in missing for c in LEAVES_2025)
    for code in LEAVES_2025:
        assert code in missing
    assert "Huyện ủy Tuy Phước" in await say("/tiendo", user="tp")

    # The report made on Kết luận 09's task 3.3 still shows under Kết luận 09.
    across = await say("/tiendo 09-KL:3.3")
    assert "09-KL:3.3" in across and "Huyện ủy Tuy Phước" in across
    assert "hoàn thành" in across.lower()
    history = await say("/lichsu 09-KL:3.3", user="tp")
    assert "09-KL:3.3" in history and "hoàn thành" in history.lower()
    assert "hoàn thành" not in (await say("/lichsu 1.1", user="tp")).lower()

    # Kết luận 09's tasks stay readable by their qualified code, named under their directive,
    # and the card's buttons stay in that directive.
    card = await bot.handle(
        Incoming(channel="test", chat_id="tp", user_id="tp", text="/nhiemvu 09-KL:3", at=NOW)
    )
    assert "Kết luận 09-KL/BTCTW" in card[0].text and "vị trí việc làm" in text_of(card)
    payloads = [b.payload for row in card[-1].buttons for b in row]
    assert "nv:09-KL:3.3" in payloads
    pressed = Incoming(channel="test", chat_id="tp", user_id="tp", payload="nv:09-KL:3.3", at=NOW)
    assert "vị trí việc làm" in text_of(await bot.handle(pressed))


def test_a_reload_makes_the_intent_readings_and_answers_fresh() -> None:
    """A running bot adopts a new library: what typed words meant before is not reused."""
    bundled = parse_document(read_bundled(), source="bundled")
    newer = read_document(FILE.read_bytes(), FILE.name).document
    library = Library([bundled, newer])
    reader = Reader(library)
    assert reader.classify("nhiem vu vi tri viec lam").code == "3.3"
    before = library.answer("Kết luận 12 yêu cầu gì về chuyển đổi số")
    library.adopt(Library([bundled, newer], current=NUMBER))
    assert reader.classify("nhiem vu vi tri viec lam").code != "3.3"  # 3.3 of 12-KL now
    after = library.answer("Kết luận 12 yêu cầu gì về chuyển đổi số")
    assert after is not before  # answered again from the adopted library
