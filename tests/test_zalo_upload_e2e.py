"""A directive sent as a file on the Zalo OA (issue 16), end to end: the real bot process
on the loopback fake OA, which signs `user_send_file` events and serves their files. An
admin's file is downloaded once, previewed with Lưu / Hủy (`#vb:ok` coming back as text)
and stored; anyone else's file is never fetched; oversize, scanned and malformed are
refused. The https-only rule for file links (production) is checked on the channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.channels.zalo_oa import (
    FileRefused,
    FileTooLarge,
    ZaloOAChannel,
    ZaloOAConfig,
)
from bot.web import WebServer
from handlers.flows.upload import MAX_UPLOAD
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.queries.directives import list_directives, list_proposals
from tests.botprocess import (
    PINNED,
    BotProcess,
    Launcher,
    bot_env,
    free_port,
    wait_for_log,
    zalo_env,
)
from tests.fakes import FakeTelegram, FakeZaloBot, FakeZaloOA
from tests.ingestfiles import directive_docx
from tests.pdfmake import make_image_pdf

pytestmark = pytest.mark.asyncio(loop_scope="module")
ADMIN, STRANGER = "oa-admin", "oa-stranger"


@dataclass
class World:
    oa: FakeZaloOA
    bot: BotProcess
    url: str  # the bot's database
    hook: str  # the bot's webhook


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("zalo-upload")
    url = f"sqlite+aiosqlite:///{tmp / 'bot.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    async with FakeTelegram() as telegram, FakeZaloOA() as oa, FakeZaloBot() as zbot:
        port = free_port()
        env = bot_env(
            telegram,
            url,
            CLOCK_START=PINNED.isoformat(),
            ADMINS=f"zalo_oa:{ADMIN}",
            **zalo_env(oa, zbot),
        )
        launcher = Launcher(tmp)
        bot = await launcher.start(env, port=port)
        try:
            await wait_for_log(bot, "zalo_oa: ready")
            yield World(oa, bot, url, f"http://127.0.0.1:{port}/zalo/oa/webhook")
        finally:
            await launcher.stop_all()
        assert "Traceback" not in bot.text(), bot.text()[-3000:]
        assert oa.breaches == []


async def send(w: World, user: str, event: dict[str, Any]) -> dict[str, Any]:
    """Deliver a signed event; return the next message the OA sends that user."""
    before = len(w.oa.sent_to(user))
    assert await w.oa.deliver(event, url=w.hook) == 200
    await w.oa.wait_for(lambda o: len(o.sent_to(user)) > before, timeout=20)
    await asyncio.sleep(0.3)  # later parts of a long preview
    return w.oa.sent_to(user)[before]


async def stored(url: str) -> list[Any]:
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        rows = await list_directives(s)
        proposals = await list_proposals(s)
    await engine.dispose()
    return [(r.number, r.filename, r.added_by, len(proposals)) for r in rows]


async def test_an_admins_docx_is_downloaded_once_previewed_and_stored_on_luu(world: World) -> None:
    oa = world.oa
    event = oa.file_event(ADMIN, "ke-hoach-45.docx", directive_docx(), msg_id="file-1")
    preview = await send(world, ADMIN, event)
    assert "Văn bản: Kế hoạch số 45-KH/TU" in preview["text"], preview
    previews = [m for m in oa.sent_to(ADMIN) if m["buttons"]]
    assert previews and ("Lưu", "#vb:ok") in previews[-1]["buttons"]
    assert any("30/06/2025" in m["text"] for m in oa.sent_to(ADMIN))
    assert oa.file_gets == ["/files/1/ke-hoach-45.docx"]
    assert await stored(world.url) == []  # nothing before Lưu
    assert await oa.deliver(event, url=world.hook) == 200  # Zalo delivers it again
    await asyncio.sleep(1)
    assert oa.file_gets == ["/files/1/ke-hoach-45.docx"]  # handled once, downloaded once
    saved = await send(world, ADMIN, oa.button_event(ADMIN, "#vb:ok"))
    assert "Đã lưu văn bản #1: Kế hoạch 45-KH/TU" in saved["text"], saved
    assert await stored(world.url) == [("45-KH/TU", "ke-hoach-45.docx", f"zalo_oa:{ADMIN}", 2)]
    again = await send(world, ADMIN, oa.file_event(ADMIN, "lan-2.docx", directive_docx()))
    assert "45-KH/TU đã có trong thư viện" in again["text"]


async def test_someone_elses_file_is_not_fetched(world: World) -> None:
    oa = world.oa
    gets = len(oa.file_gets)
    reply = await send(world, STRANGER, oa.file_event(STRANGER, "kh.docx", directive_docx()))
    assert "Chỉ quản trị viên mới thêm được văn bản" in reply["text"]
    assert len(oa.file_gets) == gets


async def test_too_large_scanned_and_malformed_files_are_refused(world: World) -> None:
    oa = world.oa
    gets = len(oa.file_gets)
    big = oa.file_event(ADMIN, "lon.pdf", b"%PDF", size=MAX_UPLOAD + 1)
    reply = await send(world, ADMIN, big)
    assert "lớn hơn 10 MB" in reply["text"] and len(oa.file_gets) == gets  # never fetched
    scan = await send(world, ADMIN, oa.file_event(ADMIN, "scan.pdf", make_image_pdf()))
    assert "không có lớp chữ" in scan["text"], scan
    # a redirect (a CDN) is followed to the file
    link = oa.redirect(oa.host_file("kh-cdn.pdf", make_image_pdf()))
    via = await send(world, ADMIN, oa.file_event(ADMIN, "kh-cdn.pdf", b"x", url=link))
    assert "không có lớp chữ" in via["text"]
    for broken in (
        {"attachments": []},
        {"attachments": [{"type": "file", "payload": {"name": "a.pdf"}}]},
        {"attachments": [{"type": "file", "payload": {"url": "", "name": "a.pdf"}}]},
        {"attachments": [{"payload": {"url": "https://x/a", "size": "12kB"}}]},
    ):
        event = oa.file_event(ADMIN, "a.pdf", b"")
        event["message"] = {"msg_id": "m", **broken}
        assert await oa.deliver(event, url=world.hook) == 400


async def test_file_links_must_be_https_in_production(tmp_path: Path) -> None:
    async def no_dispatch(incoming: Any) -> list[Any]:
        return []

    async def no_reach(channel: str, user: str, blocked: bool) -> None:
        return None

    async with FakeZaloOA() as oa:
        config = ZaloOAConfig("1", "s", "k", "rt", oa.url, oa.url)
        channel = ZaloOAChannel(
            no_dispatch,
            config,
            web_server=WebServer("127.0.0.1", 0),
            sessions=None,  # type: ignore[arg-type]  (no tokens needed to download)
            reachability=no_reach,
        )
        channel.http = aiohttp.ClientSession()
        try:
            with pytest.raises(FileRefused):  # production: the fake's http link not followed
                await channel.download(oa.host_file("a.pdf", b"%PDF"))
            assert oa.file_gets == []
            loopback = ZaloOAConfig("1", "s", "k", "rt", oa.url, oa.url, http_files=True)
            channel.config = loopback
            assert await channel.download(oa.host_file("b.pdf", b"%PDF-1")) == b"%PDF-1"
            to_ftp = oa.redirect("ftp://files.example/a.pdf")
            with pytest.raises(FileRefused):
                await channel.download(to_ftp)
            loop = oa.redirect(f"{oa.url}/redirect/{len(oa.redirects) + 1}")  # to itself
            with pytest.raises(FileRefused):  # 3 redirects at most
                await channel.download(loop)
            big = oa.host_file("big.pdf", b"0" * (MAX_UPLOAD + 1))
            with pytest.raises(FileTooLarge):
                await channel.download(big)
        finally:
            await channel.http.close()
