"""The one-tap report form in-process (aiohttp test server, real SQLite, the real directive):
the Mini App checks Telegram's initData before anything else, the signed-in form its CSRF
token; both save through the chat flow's rules and storage."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.dashboard import add_dashboard
from bot.database import Database
from bot.settings import Settings
from bot.web import WebServer
from knowledge import load_library
from storage.models import ProgressUpdate, Role
from storage.queries.audit import list_audit
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import add_update
from storage.queries.units import upsert_unit
from storage.queries.web_auth import create_login_link
from tests.telegram_signing import init_data, login_widget

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 5, 13, 9, 0, tzinfo=VN)
TOKEN = "123456:TEST-TOKEN"
LEADER, CHILD_LEADER, GUEST, ADMIN = 201, 202, 301, 900
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
REFUSED = "Không xác thực được phiên Telegram"


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[TestClient, Database]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        admins=f"telegram:{ADMIN}",
        clock_start=NOW,
        telegram_bot_token=TOKEN,
    )
    database = Database.open(settings)
    await database.upgrade()
    async with database.sessions() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        for code, chat, channel in (("HU-PM", LEADER, "telegram"), ("HU-TP", 0, "")):
            unit = await upsert_unit(
                s, code=code, name=code, actor="t", parent_code="TU-BD", level="huyen"
            )
            if chat:
                member = await get_or_create_member(s, channel=channel, external_id=str(chat))
                await bind_member(
                    s, member_id=member.id or 0, unit_id=unit.id, actor="t", role=Role.LEADER
                )
        zalo = await get_or_create_member(s, channel="zalo_bot", external_id="z-7")
        await bind_member(s, member_id=zalo.id or 0, unit_id=unit.id, actor="t", role=Role.LEADER)
        await get_or_create_member(s, channel="telegram", external_id=str(GUEST))
    server = WebServer("127.0.0.1", 0)
    add_dashboard(
        server, settings=settings, database=database, clock=lambda: NOW, library=load_library(None)
    )
    async with TestClient(TestServer(server.app)) as client:
        yield client, database
    await database.close()


async def reports(database: Database) -> list[ProgressUpdate]:
    """Return every stored report."""
    from sqlmodel import select

    async with database.sessions() as s:
        return list((await s.scalars(select(ProgressUpdate))).all())


def signed(user: int = LEADER, *, at: datetime = NOW, token: str = TOKEN) -> str:
    return init_data(token, user, at - timedelta(minutes=2))


def report(raw: str, **fields: str) -> dict[str, str]:
    return {"init_data": raw, "action": "luu", **fields}


async def test_the_mini_app_shell_only_carries_our_script_and_may_be_framed_by_telegram(
    site,
) -> None:
    client, _ = site
    response = await client.get("/bao-cao?nv=3.3")
    page = await response.text()
    assert response.status == 200
    assert '<script src="/static/report_form.js"' in page and 'value="3.3"' in page
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self';" in policy
        and "frame-ancestors 'self' https://web.telegram.org" in policy
    )
    assert "X-Frame-Options" not in response.headers
    other = await client.get("/dang-nhap/abc")  # the rest of the dashboard is never framed
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
    script = await client.get("/static/report_form.js")
    assert "tgWebAppData" in await script.text()


async def test_a_leader_opens_the_form_sees_the_previous_report_and_saves(site) -> None:
    client, database = site
    async with database.sessions() as s:
        await add_update(
            s,
            unit_id=2,
            task_code="3.3",
            status="dang_thuc_hien",
            percent=40,
            reported_at=NOW - timedelta(days=3),
        )
    raw = signed()
    opened = await client.post("/bao-cao", data={"init_data": raw, "action": "mo", "task": "3.3"})
    page = await opened.text()
    assert opened.status == 200, page
    assert "HU-PM — HU-PM" in page
    assert "Báo cáo trước: đang thực hiện, 40%, ngày 10/05/2025" in page  # for the chosen 3.3
    assert '<option value="3.3" data-previous="• Báo cáo trước: đang thực hiện' in page
    saved = await client.post(
        "/bao-cao", data=report(raw, task="3.3", status="hoan_thanh", percent="", note="Xong")
    )
    text = await saved.text()
    assert saved.status == 200, text
    assert "Đã lưu báo cáo của HU-PM — HU-PM về nhiệm vụ 3.3: hoàn thành (100%)" in text
    assert "Báo cáo trước đó: đang thực hiện, 40%, ngày 10/05/2025." in text
    rows = await reports(database)
    assert [(r.task_code, r.status, r.percent, r.note) for r in rows][-1] == (
        "3.3",
        "hoan_thanh",
        100,
        "Xong",
    )
    async with database.sessions() as s:
        audit = await list_audit(s, action="progress.add")
    assert audit[0].actor == f"telegram:{LEADER}" and audit[0].target == "3.3"


async def test_the_chat_rules_apply_and_a_repeat_within_ten_minutes_replaces(site) -> None:
    client, database = site
    raw = signed()
    bad = await client.post(
        "/bao-cao", data=report(raw, task="3.3", status="hoan_thanh", percent="40")
    )
    assert bad.status == 400
    page = await bad.text()
    assert "«Hoàn thành» nghĩa là đạt 100%" in page and 'value="40"' in page
    for fields in (
        {"task": "9.9", "status": "hoan_thanh"},  # no such task
        {"task": "3", "status": "hoan_thanh"},  # a group, not a reportable task
        {"task": "3.3", "status": "xong"},
        {"task": "3.3", "status": "dang_thuc_hien", "percent": "140"},
        {"task": "3.3", "status": "dang_thuc_hien", "note": "x" * 2001},
    ):
        response = await client.post("/bao-cao", data=report(raw, **fields))
        assert response.status == 400, fields
    assert await reports(database) == []
    for percent in ("30", "35"):
        response = await client.post(
            "/bao-cao", data=report(raw, task="3.3", status="dang_thuc_hien", percent=percent)
        )
        assert response.status == 200
    rows = await reports(database)
    assert [(r.percent, r.replaced_by is None) for r in rows] == [(30, False), (35, True)]


async def test_taking_back_hoan_thanh_asks_for_confirmation(site) -> None:
    client, database = site
    async with database.sessions() as s:
        await add_update(
            s,
            unit_id=2,
            task_code="3.3",
            status="hoan_thanh",
            percent=100,
            reported_at=NOW - timedelta(days=3),
        )
    raw = signed()
    back = report(raw, task="3.3", status="dang_thuc_hien", percent="80")
    asked = await client.post("/bao-cao", data=back)
    assert "đã báo cáo «hoàn thành» ngày 10/05/2025" in await asked.text()
    assert len(await reports(database)) == 1
    done = await client.post("/bao-cao", data={**back, "xac_nhan": "1"})
    assert "Đã lưu báo cáo" in await done.text()
    assert [r.status for r in await reports(database)] == ["hoan_thanh", "dang_thuc_hien"]


@pytest.mark.parametrize(
    "raw",
    [
        signed(token="654321:OTHER-TOKEN"),  # another bot's token
        signed(at=NOW - timedelta(days=1, minutes=1)),  # stale
        signed().replace("201", "202"),  # forged user
        "",
        "query_id=1&hash=" + "0" * 64,
    ],
    ids=["other-token", "stale", "forged", "empty", "no-signature"],
)
async def test_bad_init_data_is_refused_before_anything_is_read_or_written(site, raw) -> None:
    client, database = site
    for action in ("mo", "luu"):
        response = await client.post(
            "/bao-cao",
            data={"init_data": raw, "action": action, "task": "3.3", "status": "hoan_thanh"},
        )
        page = await response.text()
        assert response.status == 403 and REFUSED in page
        assert "HU-PM" not in page
    assert await reports(database) == []


async def test_only_leaders_report_in_the_mini_app(site) -> None:
    client, database = site
    for user in (GUEST, 555):  # a member who leads nothing; someone the bot never met
        response = await client.post(
            "/bao-cao", data=report(signed(user), task="3.3", status="hoan_thanh")
        )
        assert response.status == 403
        assert "Chỉ lãnh đạo đơn vị mới báo cáo được" in await response.text()
    assert await reports(database) == []


async def test_a_zalo_leader_reports_through_a_one_time_link_with_csrf(site) -> None:
    client, database = site
    async with database.sessions() as s:
        member = await get_or_create_member(s, channel="zalo_bot", external_id="z-7")
        token = await create_login_link(s, member_id=member.id or 0, actor="t", now=NOW)
    shown = await client.get(f"/bao-cao/lien-ket/{token}")
    assert "Mở biểu mẫu báo cáo" in await shown.text()  # opening uses nothing up
    taken = await client.post(
        "/dang-nhap", data={"token": token, "next": "/bao-cao/web"}, allow_redirects=False
    )
    assert taken.status == 303 and taken.headers["Location"] == "/bao-cao/web"
    page = await (await client.get("/bao-cao/web")).text()
    assert "HU-TP — HU-TP" in page
    csrf = CSRF.search(page)
    assert csrf is not None
    fields = {"action": "luu", "task": "1.1", "status": "chua_trien_khai"}
    forged = await client.post("/bao-cao/web", data={**fields, "csrf": "x" * 43})
    assert forged.status == 403 and await reports(database) == []
    saved = await client.post("/bao-cao/web", data={**fields, "csrf": csrf[1]})
    assert "Đã lưu báo cáo của HU-TP — HU-TP về nhiệm vụ 1.1: chưa triển khai (0%)" in (
        await saved.text()
    )
    rows = await reports(database)
    assert [(r.unit_id, r.task_code, r.percent) for r in rows] == [(3, "1.1", 0)]
    again = await client.post(
        "/dang-nhap", data={"token": token, "next": "/bao-cao/web"}, allow_redirects=False
    )
    assert again.status == 400  # single use


async def test_a_link_leads_nowhere_but_our_pages(site) -> None:
    client, database = site
    async with database.sessions() as s:
        member = await get_or_create_member(s, channel="zalo_bot", external_id="z-7")
        token = await create_login_link(s, member_id=member.id or 0, actor="t", now=NOW)
    taken = await client.post(
        "/dang-nhap", data={"token": token, "next": "https://evil.example/"}, allow_redirects=False
    )
    assert taken.headers["Location"] == "/"


async def widget_site(tmp_path: Path, **extra: Any) -> tuple[TestClient, Database]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        admins=f"telegram:{ADMIN}",
        clock_start=NOW,
        **({"telegram_bot_token": TOKEN} | extra),
    )
    database = Database.open(settings)
    await database.upgrade()
    async with database.sessions() as s:
        await get_or_create_member(s, channel="telegram", external_id=str(ADMIN))
        await get_or_create_member(s, channel="telegram", external_id=str(GUEST))
    server = WebServer("127.0.0.1", 0)
    add_dashboard(
        server, settings=settings, database=database, clock=lambda: NOW, library=load_library(None)
    )
    client = TestClient(TestServer(server.app))
    await client.start_server()
    return client, database


async def test_the_login_widget_shows_only_with_a_username_and_https(tmp_path: Path) -> None:
    for extra, shown in (
        ({"telegram_bot_username": "bdbot", "web_base_url": "https://bao-cao.example"}, True),
        ({"telegram_bot_username": "bdbot"}, False),  # http: Telegram would refuse the widget
        ({"web_base_url": "https://bao-cao.example"}, False),
    ):
        client, database = await widget_site(tmp_path / str(len(extra)) / str(shown), **extra)
        try:
            response = await client.get("/")
            page = await response.text()
            policy = response.headers["Content-Security-Policy"]
            assert response.status == 401
            assert ('data-telegram-login="bdbot"' in page) is shown
            assert ("script-src 'self' https://telegram.org;" in policy) is shown
            if shown:
                assert 'data-auth-url="https://bao-cao.example/dang-nhap-telegram"' in page
            other = await client.get("/bao-cao/lien-ket/x")  # every other page: ours only
            assert "telegram.org" not in other.headers["Content-Security-Policy"]
            widget = login_widget(TOKEN, ADMIN, NOW)
            landed = await client.get("/dang-nhap-telegram", params=widget, allow_redirects=False)
            assert landed.status == (303 if shown else 404)
        finally:
            await client.close()
            await database.close()


async def test_the_login_widget_signs_in_only_with_a_valid_fresh_hash(tmp_path: Path) -> None:
    client, database = await widget_site(
        tmp_path, telegram_bot_username="bdbot", web_base_url="https://bao-cao.example"
    )
    try:
        get = partial(client.get, "/dang-nhap-telegram", allow_redirects=False)
        for bad in (
            {**login_widget(TOKEN, ADMIN, NOW), "id": str(GUEST)},  # forged
            login_widget(TOKEN, ADMIN, NOW - timedelta(days=1, minutes=1)),  # stale
            login_widget("654321:OTHER-TOKEN", ADMIN, NOW),
            {k: v for k, v in login_widget(TOKEN, ADMIN, NOW).items() if k != "hash"},
        ):
            response = await get(params=bad)
            assert response.status == 403 and "bot_session" not in response.cookies
        response = await get(params=login_widget(TOKEN, GUEST, NOW))
        assert response.status == 403  # signed, but neither an admin nor a leader
        assert "chưa gắn với đơn vị nào" in await response.text()
        response = await get(params=login_widget(TOKEN, ADMIN, NOW - timedelta(minutes=1)))
        assert response.status == 303 and response.headers["Location"] == "/"
        cookie = response.headers["Set-Cookie"]
        assert "bot_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    finally:
        await client.close()
        await database.close()


async def test_without_a_bot_token_the_mini_app_is_off(tmp_path: Path) -> None:
    client, database = await widget_site(tmp_path, telegram_bot_token="")
    try:
        response = await client.post("/bao-cao", data=report(signed(), task="3.3"))
        assert response.status == 404
        assert "chưa được bật" in await response.text()
    finally:
        await client.close()
        await database.close()
