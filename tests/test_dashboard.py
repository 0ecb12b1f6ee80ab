"""The dashboard's pages in-process (aiohttp test server, real SQLite, the real directive):
sign-in limits, the deadline form's checks (the CLI's), htmx partials, logout."""

from __future__ import annotations

import asyncio
import re
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.dashboard import add_dashboard
from bot.dashboard.auth import LOGIN_TRIES
from bot.database import Database
from bot.settings import Settings
from bot.web import WebServer
from knowledge import load_library
from storage.models import Role
from storage.queries.applicability import add_exemption
from storage.queries.deadlines import list_deadlines
from storage.queries.invites import RedeemOutcome, redeem_invite
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import add_update
from storage.queries.units import get_unit, upsert_unit
from storage.queries.web_auth import create_login_link
from tests.botprocess import admin_env, free_port

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 5, 13, 9, 0, tzinfo=VN)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SignIn = Callable[[str], Awaitable[str]]


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[TestClient, Database]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        admins="telegram:900",
        clock_start=NOW,
    )
    database = Database.open(settings)
    await database.upgrade()
    server = WebServer("127.0.0.1", 0)
    library = load_library(None)
    add_dashboard(server, settings=settings, database=database, clock=lambda: NOW, library=library)
    async with TestClient(TestServer(server.app)) as client:
        yield client, database
    await database.close()


async def link_for(database: Database, user: str) -> str:
    """Return a fresh login token for telegram:USER."""
    async with database.sessions() as s:
        member = await get_or_create_member(s, channel="telegram", external_id=user)
        return await create_login_link(s, member_id=member.id or 0, actor="t", now=NOW)


async def signed_in(client: TestClient, database: Database) -> str:
    """Sign the admin in; return the CSRF token of its pages."""
    token = await link_for(database, "900")
    response = await client.post("/dang-nhap", data={"token": token}, allow_redirects=False)
    assert response.status == 303
    page = await (await client.get("/")).text()
    match = CSRF.search(page)
    assert match is not None
    return match[1]


async def test_sign_in_attempts_are_limited_per_address(site) -> None:
    client, database = site
    for _ in range(LOGIN_TRIES):
        response = await client.post("/dang-nhap", data={"token": "doan-bua"})
        assert response.status == 400
    token = await link_for(database, "900")
    response = await client.post("/dang-nhap", data={"token": token}, allow_redirects=False)
    assert response.status == 429  # even a good link waits out the window
    assert "quá nhiều lần" in await response.text()
    # behind the local proxy each client counts apart, by the address the proxy appended
    proxied = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    response = await client.post(
        "/dang-nhap", data={"token": token}, headers=proxied, allow_redirects=False
    )
    assert response.status == 303


async def test_the_deadline_form_checks_like_the_cli_and_warns_of_a_past_date(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    bad = await client.post("/han-chot", data={"csrf": csrf, "task": "9.9", "due": "15/12/2026"})
    assert bad.status == 400
    page = await bad.text()
    assert "Không có nhiệm vụ mã 9.9" in page and 'value="9.9"' in page  # the form as typed
    bad = await client.post("/han-chot", data={"csrf": csrf, "task": "3.3", "due": "31/02/2026"})
    assert bad.status == 400
    async with database.sessions() as s:
        assert await list_deadlines(s) == []
    added = await client.post("/han-chot", data={"csrf": csrf, "task": "3.3", "due": "2025-05-01"})
    assert added.status == 200
    page = await added.text()
    assert "Đã thêm hạn #1" in page and "hạn này đã qua" in page
    again = await client.post("/han-chot", data={"csrf": csrf, "task": "3.3", "due": "01/05/2025"})
    assert "đã có; đã cập nhật mốc nhắc" in await again.text()  # the same deadline: no duplicate
    async with database.sessions() as s:
        [deadline] = await list_deadlines(s)
    assert deadline.created_by == "telegram:900"
    form = await (await client.get("/han-chot?sua=1")).text()  # edit: the form filled in
    assert 'name="replace" value="1"' in form and 'value="01/05/2025"' in form
    edited = await client.post(
        "/han-chot",
        data={"csrf": csrf, "task": "3.3", "due": "15/05/2025", "at": "08:00", "replace": "1"},
    )
    assert "Hạn #1 đã được thay bằng hạn #2" in await edited.text()
    async with database.sessions() as s:
        [deadline] = await list_deadlines(s)
    assert (deadline.id, f"{deadline.due_at.astimezone(VN):%d/%m/%Y}") == (2, "15/05/2025")
    assert (await client.get("/han-chot?sua=1")).status == 404  # the old one is gone
    removed = await client.post("/han-chot/2/xoa", data={"csrf": csrf})
    assert "Đã xóa hạn #2" in await removed.text()
    async with database.sessions() as s:
        assert await list_deadlines(s) == []
    audit = await (await client.get("/nhat-ky?action=deadline.remove")).text()
    assert "telegram:900" in audit


async def test_the_unit_search_answers_htmx_with_the_matrix_only(site) -> None:
    client, database = site
    await signed_in(client, database)
    full = await (await client.get("/?q=zz")).text()
    assert full.startswith("<!doctype html>") and "Không có đơn vị nào khớp «zz»" in full
    part = await (await client.get("/?q=zz", headers={"HX-Request": "true"})).text()
    assert part.lstrip().startswith('<section id="matrix">') and "<html" not in part


async def test_logout_needs_the_token_and_ends_the_session(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    assert (await client.post("/dang-xuat", data={"csrf": "sai"})).status == 403
    assert (await client.get("/")).status == 200
    assert (await client.post("/dang-xuat", headers={"X-CSRF-Token": csrf})).status == 200
    assert (await client.get("/")).status == 401


async def test_bot_web_serves_only_the_pages_on_the_same_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    port = free_port()
    env = admin_env(url) | {"HTTP_PORT": str(port), "ADMINS": "telegram:900"}
    env |= {"WEB_BASE_URL": f"http://127.0.0.1:{port}/"}
    printed = await run_cli(env, tmp_path, "web", "link", "telegram:900", "--ttl", "5m")
    assert f"hết hạn lúc 13/05/2025 09:05):\nhttp://127.0.0.1:{port}/dang-nhap/" in printed
    refused = await run_cli(env, tmp_path, "web", "link", "telegram:12345", code=2)
    assert "Không có thành viên telegram:12345" in refused
    log = (tmp_path / "web.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", cwd=tmp_path, env=env, stdout=log, stderr=log
    )
    try:
        jar = aiohttp.CookieJar(unsafe=True)  # keeps cookies of an IP address
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    async with http.get(f"{base}/healthz") as response:
                        assert response.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            token = printed.rsplit("/", 1)[1].strip()
            async with http.post(f"{base}/dang-nhap", data={"token": token}) as response:
                assert "Tổng quan — quý II/2025" in await response.text()
            async with http.post(f"{base}/telegram/webhook", json={}) as response:
                assert response.status == 404  # no chat platform in this process
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 20) == 0
    assert "Traceback" not in (tmp_path / "web.log").read_text()


async def run_cli(env: dict[str, str], cwd: Path, *args: str, code: int = 0) -> str:
    """Run `python -m bot ARGS`; return its output (stdout, or stderr when it fails)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == code, err.decode()
    return (out if code == 0 else err).decode()


async def test_invites_from_a_unit_page_in_scope_only(site) -> None:
    client, database = site
    async with database.sessions() as s:
        await upsert_unit(s, code="TU", name="Tỉnh ủy", actor="t")
        for code in ("HU-A", "HU-B"):
            await upsert_unit(s, code=code, name=code, actor="t", parent_code="TU")
        leader = await get_or_create_member(s, channel="telegram", external_id="201")
        unit = await get_unit(s, code="HU-A")
        assert unit is not None and unit.id is not None
        await bind_member(s, member_id=leader.id or 0, unit_id=unit.id, actor="t", role=Role.LEADER)
    token = await link_for(database, "201")
    await client.post("/dang-nhap", data={"token": token})
    csrf = CSRF.search(await (await client.get("/don-vi/HU-A")).text())
    assert csrf is not None
    refused = await client.post("/don-vi/HU-B/moi", data={"csrf": csrf[1]})  # a sibling
    assert refused.status == 403
    made = await client.post("/don-vi/HU-A/moi", data={"csrf": csrf[1], "ttl": "1d"})
    page = await made.text()
    code = re.search(r'id="invite-code" class="code">([A-Z0-9]{10})<', page)
    assert code is not None and 'src="data:image/png;base64,' in page
    assert "hết hạn lúc 14/05/2025 09:00" in page
    unit_page = await (await client.get("/don-vi/HU-A")).text()
    [invite_id] = re.findall(r"/don-vi/HU-A/moi/(\d+)/huy", unit_page)
    revoke = f"/don-vi/HU-A/moi/{invite_id}/huy"
    assert (await client.post(revoke, data={})).status == 403  # no CSRF token
    gone = await client.post(revoke, data={"csrf": csrf[1]}, allow_redirects=False)
    assert gone.status == 303
    assert "Không có mã mời nào đang hiệu lực" in await (await client.get("/don-vi/HU-A")).text()
    async with database.sessions() as s:
        newcomer = await get_or_create_member(s, channel="telegram", external_id="301")
        result = await redeem_invite(s, member=newcomer, code=code[1], now=NOW)
    assert result.outcome is RedeemOutcome.EXPIRED


async def test_the_overview_says_who_reported_enough_this_quarter(site) -> None:
    """The same truth as /chuabaocao: one report is not "reported"; an exempt unit isn't counted."""
    client, database = site
    async with database.sessions() as s:
        await upsert_unit(s, code="TU", name="Tỉnh ủy", actor="t", level="tinh")
        for code in ("HU-A", "HU-B"):
            await upsert_unit(s, code=code, name=code, actor="t", parent_code="TU", level="huyen")
        unit = await get_unit(s, code="HU-A")
        assert unit is not None and unit.id is not None
        await add_update(s, unit_id=unit.id, task_code="3.3", status="hoan_thanh", reported_at=NOW)
        other = await get_unit(s, code="HU-B")
        assert other is not None and other.id is not None
        await add_exemption(
            s, unit_id=other.id, starts_on=NOW.date(), ends_on=NOW.date(), reason="x", actor="t"
        )
    await signed_in(client, database)
    page = await (await client.get("/")).text()
    standing = re.sub(r"\s+", " ", page.split('id="standing">')[1].split("</p>")[0])
    assert "<strong>0/2</strong> đơn vị đã báo cáo đủ quý II/2025" in standing
    assert "1 đơn vị được miễn" in standing
