"""Issue 16, reporting per directive: once Kết luận 12-KL/BTCTW (2025) is current, a leader
still reports on Kết luận 09's tasks by their qualified code (`09-KL:3.3`) — typed in one
line, as words, through the guided flow and its buttons — and the report is stored under
Kết luận 09, shown with its qualified code; an archived directive takes no report and is not
offered; `/chuabaocao 09-KL:3.3` lists who is missing on that task of that directive.

Everything goes through the real `Handlers` on a migrated SQLite file, the library reloaded
from the database by the watcher a running bot uses (as tests/test_directives.py does).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.dashboard import add_dashboard
from bot.database import Database
from bot.library_source import LibraryWatcher, build_library
from bot.settings import Settings
from bot.web import WebServer
from handlers import Handlers, Incoming, payloads
from handlers.ports import Sessions
from handlers.types import Reply
from knowledge.ingest import read_document
from knowledge.library import Library, read_bundled, text_digest
from knowledge.parser import parse_document
from storage.export import PROGRESS_SHEET
from storage.models import ProgressLatest, ProgressUpdate, Role
from storage.queries.directives import NewDirective, add_directive, archive_directive, set_current
from storage.queries.invites import create_invite
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import add_update
from storage.queries.units import upsert_unit
from storage.status import Status
from tests.test_directives import FILE, NOW, NUMBER, settings, text_of
from tests.test_report_form import LEADER, TOKEN, report, reports, signed

__all__ = ["settings"]  # the fixture, shared with tests/test_directives.py

KL09 = "09-KL/BTCTW"


@dataclass
class World:
    """The bot with the bundled Kết luận 09, a province and two districts with leaders."""

    bot: Handlers
    watcher: LibraryWatcher
    sessions: Sessions

    async def handle(self, user: str, text: str = "", payload: str | None = None) -> list[Reply]:
        incoming = Incoming(
            channel="test", chat_id=user, user_id=user, text=text, payload=payload, at=NOW
        )
        return await self.bot.handle(incoming)

    async def say(self, text: str, user: str = "tp") -> str:
        return text_of(await self.handle(user, text))

    async def press(self, payload: str, user: str = "tp") -> list[Reply]:
        return await self.handle(user, payload=payload)

    async def add_2025(self, *, current: bool = True, archived: bool = False) -> None:
        """Store the 2025 directive (current, or archived) and let the bot reload."""
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
        async with self.sessions() as s:
            row = await add_directive(s, new=new, actor="test")
            if current:
                await set_current(s, directive_id=row.id, actor="test")
            if archived:
                await archive_directive(s, directive_id=row.id or 0, actor="test")
        assert await self.watcher.refresh()

    async def latest(self) -> list[tuple[str, str, str]]:
        """Return the standing reports as (unit id, document, task, status)."""
        async with self.sessions() as s:
            rows = (await s.scalars(select(ProgressLatest))).all()
            updates = {u.id: u for u in (await s.scalars(select(ProgressUpdate))).all()}
        return sorted((r.document, r.task_code, updates[r.update_id].status) for r in rows)


@pytest.fixture
async def world(sessions: Sessions, settings: Settings) -> World:
    library = build_library(settings, [])
    watcher = LibraryWatcher(settings, library, sessions)
    bot = Handlers(
        library=library, clock=lambda: NOW, sessions=sessions, admins=frozenset({"test:boss"})
    )
    world = World(bot, watcher, sessions)
    async with sessions() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        secrets = {}
        for code, name, user in (
            ("HU-TP", "Huyện ủy Tuy Phước", "tp"),
            ("HU-AN", "Huyện ủy An Nhơn", "an"),
        ):
            unit = await upsert_unit(
                s, code=code, name=name, actor="t", parent_code="TU-BD", level="huyen"
            )
            _, secrets[user] = await create_invite(s, unit_id=unit.id or 0, created_by="t", now=NOW)
    for user, secret in secrets.items():
        assert "Huyện ủy" in await world.say(f"/dangky {secret}", user=user)
    return world


def payloads_of(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for row in r.buttons for b in row]


async def test_one_line_report_on_a_kl09_task_is_stored_under_kl09(world: World) -> None:
    await world.add_2025()
    saved = await world.say("/baocao 09-KL:3.3 hoàn thành đã ban hành kế hoạch")
    assert "Đã lưu báo cáo của HU-TP — Huyện ủy Tuy Phước về nhiệm vụ 09-KL:3.3" in saved
    assert "hoàn thành (100%)" in saved
    # The same bare code is the current directive's: 1.1 of 2025, shown bare.
    bare = await world.say("/baocao 1.1 đang thực hiện 40%")
    assert "về nhiệm vụ 1.1: đang thực hiện (40%)" in bare and "09-KL" not in bare
    old = await world.say("/baocao 09-kl:1.1 vướng mắc thiếu biên chế")  # typed lower-case
    assert "về nhiệm vụ 09-KL:1.1: vướng mắc" in old
    assert "Không có nhiệm vụ mã 3.3" in await world.say("/baocao 3.3 hoàn thành")  # not in 2025
    assert await world.latest() == [
        (KL09, "1.1", Status.STUCK.value),
        (KL09, "3.3", Status.DONE.value),
        (NUMBER, "1.1", Status.IN_PROGRESS.value),
    ]
    # Taking 09-KL:3.3 back from "hoàn thành" asks first, naming that report, not 2025's.
    back = await world.say("/baocao 09-KL:3.3 đang thực hiện 80%")
    assert "Nhiệm vụ 09-KL:3.3" in back and "Văn bản: Kết luận 09-KL/BTCTW" in back
    assert "Báo cáo trước: hoàn thành" in back
    history = await world.say("/lichsu 09-KL:3.3")
    assert "09-KL:3.3" in history and "hoàn thành" in history
    assert "vướng mắc" not in await world.say("/lichsu 1.1")  # 2025's 1.1: only its own


async def test_the_guided_flow_reaches_kl09_by_its_own_buttons(world: World) -> None:
    await world.add_2025()
    first = await world.handle("tp", "/baocao")
    shown = payloads_of(first)
    assert ["bc:g:1", "bc:g:2", "bc:g:3"] == [p for p in shown if p.startswith("bc:g:")]
    assert "bc:d:09-KL" in shown  # the older directive, one button away
    assert "Báo cáo theo Kết luận 09-KL/BTCTW (11/01/2024)" in [
        b.label for r in first for row in r.buttons for b in row
    ]
    groups = await world.press("bc:d:09-KL")
    assert "Văn bản: Kết luận 09-KL/BTCTW" in text_of(groups)
    assert "bc:g:09-KL:3" in payloads_of(groups) and "bc:d:12-KL" in payloads_of(groups)
    tasks = await world.press("bc:g:09-KL:3")
    assert "nhóm 09-KL:3" in text_of(tasks)
    assert "bc:t:09-KL:3.3" in payloads_of(tasks)
    status = await world.say("3.3")  # typed: the 3.3 shown, Kết luận 09's
    assert "Nhiệm vụ 09-KL:3.3" in status and "vị trí việc làm" in status
    await world.press(f"bc:s:{Status.IN_PROGRESS.value}")
    await world.press("bc:p:60")
    confirm = await world.say("Đã trình Ban Thường vụ")
    assert "• Nhiệm vụ 09-KL:3.3:" in confirm and "• Tỷ lệ: 60%" in confirm
    assert "• Văn bản: Kết luận 09-KL/BTCTW (11/01/2024)" in confirm
    saved = text_of(await world.press("bc:ok"))
    assert "về nhiệm vụ 09-KL:3.3: đang thực hiện (60%)" in saved
    assert await world.latest() == [(KL09, "3.3", Status.IN_PROGRESS.value)]


async def test_a_report_button_of_kl09_starts_a_report_from_any_message(world: World) -> None:
    await world.add_2025()
    assert len(payloads.report("t", "09-KL:3.3")) <= payloads.MAX_PAYLOAD
    status = await world.press("bc:t:09-KL:3.3")  # no flow open: e.g. from /chuabaocao
    assert "Nhiệm vụ 09-KL:3.3" in text_of(status)
    await world.press(f"bc:s:{Status.DONE.value}")
    confirm = text_of(await world.press("bc:n:-"))
    assert "09-KL:3.3" in confirm
    assert "09-KL:3.3" in text_of(await world.press("bc:ok"))
    assert await world.latest() == [(KL09, "3.3", Status.DONE.value)]


async def test_a_typed_report_on_a_kl09_task_is_confirmed_then_stored_under_kl09(
    world: World,
) -> None:
    await world.add_2025()
    confirm = await world.say("báo cáo 09-KL:3.3 đang thực hiện 60% đã rà soát")
    assert "Xin xác nhận" in confirm and "• Nhiệm vụ 09-KL:3.3:" in confirm
    assert await world.latest() == []  # nothing saved before the yes
    assert "về nhiệm vụ 09-KL:3.3: đang thực hiện (60%)" in await world.say("có")
    assert await world.latest() == [(KL09, "3.3", Status.IN_PROGRESS.value)]


async def test_forged_report_buttons_say_so_and_change_nothing(world: World) -> None:
    await world.add_2025()
    for forged, said in (
        ("bc:t:99-XX:3.3", "Bot không có văn bản «99-XX»"),
        ("bc:g:99-XX:3", "Bot không có văn bản «99-XX»"),
        ("bc:d:99-XX", "Bot không có văn bản «99-XX»"),
        ("bc:t:09-KL:9.9", "Nút bấm này không còn dùng được"),
        ("bc:t:09-KL:3", "Nút bấm này không còn dùng được"),  # a group, not reportable
        ("bc:g:09-KL:3.3", "Nút bấm này không còn dùng được"),  # a task, not a group
        ("bc:t:09-KL:3.3:1", "Nút bấm này không còn dùng được"),  # not of our shapes
        ("bc:t:09 KL:3.3", "Nút bấm này không còn dùng được"),
        ("bc:t:" + "A" * 60 + ":3.3", "Nút bấm này không còn dùng được"),  # over 64 bytes
    ):
        assert said in text_of(await world.press(forged)), forged
    assert payloads.parse("bc:t:09-KL:3.3") == payloads.Payload("bc", "t", "09-KL:3.3")
    assert payloads.parse("bc:d:09-KL") == payloads.Payload("bc", "d", "09-KL")
    assert payloads.parse("bc:d:") is None and payloads.parse("bc:t:09-KL:") is None
    typo = await world.handle("tp", "/baocao 09-KL:9.9 hoàn thành")
    assert "Không có nhiệm vụ mã 09-KL:9.9" in text_of(typo) and "09-KL:9.1" in text_of(typo)
    assert "bc:t:09-KL:9.1" in payloads_of(typo)  # the nearest of Kết luận 09, not of 2025
    assert "Bot không có văn bản «99-XX»" in await world.say("/baocao 99-XX:3.3 hoàn thành")
    # A forged task button inside a group shown for another directive is refused too.
    await world.press("bc:g:3")
    assert "không còn dùng được" in text_of(await world.press("bc:t:09-KL:3.3"))
    assert await world.latest() == []


async def test_an_archived_directive_is_not_offered_and_takes_no_report(world: World) -> None:
    await world.add_2025(current=False, archived=True)  # Kết luận 09 stays current
    refused = "Kết luận 12-KL/BTCTW (15/01/2025) đã được lưu trữ nên nhiệm vụ 12-KL:1.1"
    assert refused in await world.say("báo cáo 12-KL:1.1 hoàn thành")
    assert refused in await world.say("/baocao 12-KL:1.1 hoàn thành")
    first = await world.handle("tp", "/baocao")
    assert not [p for p in payloads_of(first) if p.startswith("bc:d:")]
    assert refused in text_of(await world.press("bc:t:12-KL:1.1"))
    assert "đã được lưu trữ" in text_of(await world.press("bc:d:12-KL"))
    assert "đã được lưu trữ" in text_of(await world.press("bc:g:12-KL:1"))
    assert await world.latest() == []
    assert "về nhiệm vụ 1.1" in await world.say("/baocao 1.1 hoàn thành")  # Kết luận 09's
    assert await world.latest() == [(KL09, "1.1", Status.DONE.value)]


async def test_missing_on_a_kl09_task_lists_that_directives_units(world: World) -> None:
    await world.add_2025()
    await world.say("/baocao 09-KL:3.3 hoàn thành")
    await world.say("/baocao 3.1 hoàn thành", user="an")  # 2025's 3.1, not Kết luận 09's
    missing = await world.say("/chuabaocao 09-KL:3.3", user="boss")
    assert "Nhiệm vụ 09-KL:3.3 — Tham mưu Kế hoạch" in missing
    assert "2 đơn vị chưa báo cáo quý II/2025" in missing  # HU-AN and the province
    assert "HU-AN" in missing and "HU-TP" not in missing
    assert await world.say("/chuabaocao 09-KL:3.1", user="boss") != await world.say(
        "/chuabaocao 3.1", user="boss"
    )
    assert "HU-AN" not in await world.say("/chuabaocao 3.1", user="boss")
    pressed = text_of(await world.press("cbt:09-KL:3.3", user="boss"))
    assert pressed == missing
    # A district's leader: its own missing tasks of Kết luận 09, with report buttons there.
    own = await world.handle("tp", "/chuabaocao 09-KL:3.3")
    assert "Văn bản: Kết luận 09-KL/BTCTW" in text_of(own)
    assert "• 09-KL:3.4" in text_of(own) and "09-KL:3.3 " not in text_of(own)
    assert "bc:t:09-KL:3.4" in payloads_of(own) and "bc:t:09-KL:3.3" not in payloads_of(own)
    current = await world.say("/chuabaocao")  # 2025's, bare codes: all five missing
    assert "• 1.1" in current and "09-KL" not in current
    assert "Không có nhiệm vụ mã 99-XX:3.3" in await world.say("/chuabaocao 99-XX:3.3")
    # The whole of Kết luận 09 for the province: named, HU-TP missing all but 3.3, and only
    # task drill-downs (of Kết luận 09); the current directive's keeps both kinds.
    whole = await world.handle("boss", "/chuabaocao 09-KL")
    assert "Văn bản: Kết luận 09-KL/BTCTW" in text_of(whole)
    assert "0/3 đơn vị đã báo cáo đủ quý II/2025" in text_of(whole)
    assert "HU-TP — Huyện ủy Tuy Phước: thiếu 24/25" in text_of(whole)
    drills = payloads_of(whole)
    assert drills and all(p.startswith("cbt:09-KL:") for p in drills)
    assert any(p.startswith("cbu:") for p in payloads_of(await world.handle("boss", "/chuabaocao")))


def progress_cells(content: bytes) -> list[tuple[object, ...]]:
    """Return the progress sheet's rows below its header."""
    sheet = openpyxl.load_workbook(io.BytesIO(content))[PROGRESS_SHEET]
    return list(sheet.iter_rows(min_row=2, values_only=True))


async def test_export_is_of_the_current_directive_or_of_the_one_named(world: World) -> None:
    await world.add_2025()
    await world.say("/baocao 09-KL:3.3 hoàn thành đã ban hành")
    await world.say("/baocao 3.1 đang thực hiện 50%")
    current = await world.handle("boss", "/xuat")
    assert "Văn bản: Kết luận 12-KL/BTCTW" in current[0].text and "1 dòng" in current[0].text
    assert current[0].file is not None
    rows = progress_cells(current[0].file.content)
    assert (
        len(rows) == 1 and "3.1" in rows[0] and "dữ liệu đảng viên" in " ".join(map(str, rows[0]))
    )
    older = await world.handle("boss", "/xuat 09-KL")
    assert "Văn bản: Kết luận 09-KL/BTCTW" in older[0].text and "1 dòng" in older[0].text
    assert older[0].file is not None and older[0].file.name.startswith("tien-do-09-KL-")
    rows = progress_cells(older[0].file.content)
    assert len(rows) == 1 and "3.3" in rows[0] and "vị trí việc làm" in " ".join(map(str, rows[0]))
    assert "Bot không có văn bản «99-XX»" in await world.say("/xuat 99-XX", user="boss")


# --- the report form (Mini App) ------------------------------------------------------


@pytest_asyncio.fixture
async def site_2025(tmp_path: Path) -> AsyncIterator[tuple[TestClient, Database]]:
    """The report form's web server, Kết luận 12-KL current, HU-PM's leader on Telegram."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        clock_start=NOW,
        telegram_bot_token=TOKEN,
    )
    database = Database.open(settings)
    await database.upgrade()
    async with database.sessions() as s:
        unit = await upsert_unit(s, code="HU-PM", name="Huyện ủy Phù Mỹ", actor="t")
        member = await get_or_create_member(s, channel="telegram", external_id=str(LEADER))
        await bind_member(s, member_id=member.id or 0, unit_id=unit.id, actor="t", role=Role.LEADER)
        await add_update(  # reported on Kết luận 09's 1.1 while it was current
            s, unit_id=unit.id or 0, task_code="1.1", status="hoan_thanh", percent=100
        )
    bundled = parse_document(read_bundled(), source="bundled")
    newer = read_document(FILE.read_bytes(), FILE.name).document
    library = Library([bundled, newer], current=NUMBER)
    server = WebServer("127.0.0.1", 0)
    add_dashboard(server, settings=settings, database=database, clock=lambda: NOW, library=library)
    async with TestClient(TestServer(server.app)) as client:
        yield client, database
    await database.close()


async def test_the_report_form_offers_and_stores_the_current_directive(
    site_2025: tuple[TestClient, Database],  # type: ignore[type-arg]
) -> None:
    client, database = site_2025
    raw = signed()
    opened = await client.post("/bao-cao", data={"init_data": raw, "action": "mo"})
    page = await opened.text()
    assert opened.status == 200, page
    assert '<option value="3.1"' in page and '<option value="3.3"' not in page  # 2025's tasks
    assert "hoàn thành" not in page.split('<option value="1.1"')[1].split("</option>")[0]
    saved = await client.post(
        "/bao-cao", data=report(raw, task="1.1", status="dang_thuc_hien", percent="30")
    )
    assert "về nhiệm vụ 1.1: đang thực hiện (30%)" in await saved.text()
    assert "Đây là báo cáo đầu tiên" in await saved.text()  # Kết luận 09's 1.1 is another task
    forged = await client.post("/bao-cao", data=report(raw, task="09-KL:3.3", status="hoan_thanh"))
    assert forged.status == 400
    rows = await reports(database)
    assert [(r.document, r.task_code, r.status) for r in rows] == [
        (KL09, "1.1", "hoan_thanh"),
        (NUMBER, "1.1", "dang_thuc_hien"),
    ]
