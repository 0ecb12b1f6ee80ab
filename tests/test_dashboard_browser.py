"""The web dashboard in a real browser (Debian's chromium + chromedriver, driven by selenium)
against the real `python -m bot run` on the fake Telegram Bot API.

Nothing is downloaded: chromedriver's path is given (selenium-manager never runs), and the
browser starts with background networking, component updates and sync off.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio

from storage.engine import create_engine, session_factory
from storage.models import Role
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.units import upsert_unit
from tests.botprocess import (
    BotProcess,
    Launcher,
    admin,
    bot_env,
    seed_districts,
    wait_for_log,
)
from tests.fakes import FakeTelegram
from tests.telegram_signing import init_data

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ADMIN, LEADER_PM, LEADER_TP, NEWCOMER, COMMUNE_PM = 900, 201, 202, 301, 203
LINK = re.compile(r"http://127\.0\.0\.1:\d+/dang-nhap/[A-Za-z0-9_-]+")
FORBIDDEN = "Bạn không có quyền xem trang này."
BAD_LINK = "Liên kết đăng nhập không đúng, đã được dùng hoặc đã hết hạn."


class Browser:
    """A headless chromium; every call runs in a thread so the fake keeps answering the bot."""

    def __init__(self, profile: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1280,900",
            f"--user-data-dir={profile}",
        ):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    async def run(self, function: Any, *args: Any) -> Any:
        """Call a blocking selenium function off the event loop."""
        return await asyncio.to_thread(function, *args)

    async def open(self, url: str) -> str:
        """Load a page; return its visible text."""
        await self.run(self.driver.get, url)
        return await self.text()

    async def text(self) -> str:
        """Return the visible text of the page."""
        return str(await self.run(lambda: self.driver.find_element("tag name", "body").text))

    async def click(self, css: str) -> str:
        """Click an element and wait for the page it leads to; return that page's text."""
        old = await self.run(self.driver.find_element, "tag name", "html")
        await self.run(lambda: self.driver.find_element("css selector", css).click())
        for _ in range(100):  # the old page goes stale once the next one has loaded
            try:
                await self.run(lambda: old.is_enabled())
            except Exception:
                break
            await asyncio.sleep(0.05)
        return await self.text()

    async def wait_for_text(self, needle: str, seconds: float = 10) -> str:
        """Wait until the page shows `needle` (a script may be loading the next page)."""
        text = ""
        for _ in range(int(seconds / 0.1)):
            try:
                text = await self.text()
            except Exception:  # the page is being replaced
                text = ""
            if needle in text:
                return text
            await asyncio.sleep(0.1)
        raise AssertionError(f"{needle!r} not shown; the page says: {text!r}")

    def cookies(self) -> dict[str, str]:
        """Return the browser's cookies as name → value."""
        return {c["name"]: c["value"] for c in self.driver.get_cookies()}

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    if not (os.access(CHROMIUM, os.X_OK) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are not installed (.ci/run installs them)")
        pytest.skip("apt-get install chromium chromium-driver")
    made = Browser(tmp_path / "profile")
    yield made
    made.quit()


@pytest_asyncio.fixture
async def launcher(tmp_path: Path) -> AsyncIterator[Launcher]:
    runner = Launcher(tmp_path)
    yield runner
    await runner.stop_all()


async def running_bot(fake: FakeTelegram, launcher: Launcher, url: str) -> BotProcess:
    """Start `python -m bot run` (admin: telegram:900) and wait until it polls."""
    await seed_districts(url, {"HU-PM": LEADER_PM, "HU-TP": LEADER_TP}, done="")
    bot = await launcher.start(bot_env(fake, url, ADMINS=f"telegram:{ADMIN}"))
    await wait_for_log(bot, "HTTP server listening")
    await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
    return bot


async def say(fake: FakeTelegram, chat: int, text: str) -> str:
    """Send a chat message; return the bot's next message to that chat."""
    before = len(fake.sent_to(chat))
    fake.message(chat, text)
    await fake.wait_for(lambda f: len(f.sent_to(chat)) > before, timeout=20)
    return str(fake.sent_to(chat)[before]["plain"] or "")


async def test_an_admin_signs_in_with_a_chat_link_once_and_sees_a_chat_report(
    tmp_path: Path, launcher: Launcher, browser: Browser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with FakeTelegram() as fake:
        bot = await running_bot(fake, launcher, url)
        saved = await say(fake, LEADER_PM, "/baocao 3.3 hoan thanh xong ke hoach")
        assert saved.startswith("Đã lưu báo cáo"), saved
        sent = await say(fake, ADMIN, "/web")
        match = LINK.search(sent)
        assert match is not None and f":{bot.port}/" in match[0], sent

        page = await browser.open(match[0])
        assert "Đăng nhập trang quản trị" in page  # opening the link alone uses nothing up
        page = await browser.click("#sign-in")
        assert "Tổng quan — quý II/2025" in page  # PINNED is 13/05/2025
        assert "Phạm vi: tất cả đơn vị · 3 đơn vị" in page
        row = await browser.run(
            lambda: browser.driver.find_element("xpath", "//tr[th/span[text()='3.3']]").text
        )
        assert row.split()[-5:] == ["1", "0", "0", "0", "2"]  # HU-PM done; TU-BD, HU-TP silent
        unit = await browser.click("a[href='/don-vi/HU-PM']")
        assert "xong ke hoach" in unit and "hoàn thành" in unit
        made = await browser.click("#new-invite")
        assert "Mã mời cho HU-PM" in made
        code = await browser.run(lambda: browser.driver.find_element("id", "invite-code").text)
        qr = await browser.run(
            lambda: browser.driver.find_element("css selector", "img[alt^='Mã QR']")
        )
        assert (await browser.run(qr.get_attribute, "src")).startswith("data:image/png;base64,")
        joined = await say(fake, NEWCOMER, f"/dangky {code}")
        assert joined.startswith("Đăng ký thành công"), joined  # the code works in chat
        again = await say(fake, NEWCOMER + 1, f"/dangky {code}")
        assert "đã được dùng" in again or "đã dùng" in again, again

        await browser.open(f"{bot_url(bot)}/han-chot")
        for name, value in (("task", "3.2"), ("due", "20/05/2025"), ("remind", "1d")):
            field = await browser.run(browser.driver.find_element, "name", name)
            await browser.run(field.send_keys, value)
        added = await browser.click("form.stack button")
        made_id = re.search(r"Đã thêm hạn #(\d+): nhiệm vụ 3\.2", added)
        assert made_id is not None and "19/05/2025 08:00" in added, added
        plan = await admin("remind", "plan", "--limit", "50", url=url, cwd=tmp_path)
        entry = next(e for e in plan["entries"] if e["deadline_id"] == int(made_id[1]))
        assert entry["task"] == "3.2" and entry["at"].startswith("2025-05-19T08:00")  # 1d before

        await browser.run(browser.driver.delete_all_cookies)
        assert "Bạn chưa đăng nhập" in await browser.open(f"{bot_url(bot)}/")
        await browser.open(match[0])
        assert BAD_LINK in await browser.click("#sign-in")  # the link worked once
        assert "Bạn chưa đăng nhập" in await browser.open(f"{bot_url(bot)}/")
        await bot.stop()
    assert "Traceback" not in bot.text()


async def test_a_leader_sees_only_its_subtree_and_forms_need_the_csrf_token(
    tmp_path: Path, launcher: Launcher, browser: Browser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with FakeTelegram() as fake:
        bot = await running_bot(fake, launcher, url)
        link = await admin("web", "link", f"telegram:{LEADER_PM}", url=url, cwd=tmp_path)
        base = bot_url(bot)
        # the command's own HTTP_PORT is the default 8080: WEB_BASE_URL is what operators set
        assert link["url"].startswith("http://127.0.0.1:8080/dang-nhap/"), link
        await browser.open(base + link["url"].removeprefix("http://127.0.0.1:8080"))
        page = await browser.click("#sign-in")
        assert "Phạm vi: HU-PM — HU-PM · 1 đơn vị" in page
        assert "HU-TP" not in page and "Nhật ký" not in page
        assert "Chưa báo cáo (" in await browser.open(f"{base}/don-vi/HU-PM")
        assert FORBIDDEN in await browser.open(f"{base}/don-vi/HU-TP")  # a sibling
        assert FORBIDDEN in await browser.open(f"{base}/don-vi/TU-BD")  # its parent

        cookies = browser.cookies()
        async with aiohttp.ClientSession(cookies=cookies) as http:
            get = partial(http.get, allow_redirects=False)
            async with get(f"{base}/don-vi/HU-TP") as response:
                assert response.status == 403
            async with get(f"{base}/don-vi/NO-SUCH") as response:
                assert response.status == 403  # a leader learns nothing of other codes
            async with get(f"{base}/nhat-ky") as response:
                assert response.status == 403
            async with http.post(f"{base}/dang-xuat", data={}) as response:
                assert response.status == 403  # no CSRF token: not logged out
            async with http.post(f"{base}/dang-xuat", data={"csrf": "x" * 43}) as response:
                assert response.status == 403
            async with get(f"{base}/don-vi/HU-PM") as response:
                assert response.status == 200  # still signed in
        page = await browser.open(f"{base}/")
        assert "Bạn đã đăng xuất." in await browser.click("form.who button")  # with the token
        assert "Bạn chưa đăng nhập" in await browser.open(f"{base}/don-vi/HU-PM")
        await bot.stop()
    assert "Traceback" not in bot.text()


MINI_APP_HOST = "https://bao-cao.example"  # the public address; the browser uses the port
REFUSED = "Không xác thực được phiên Telegram"


def stored_reports(url: str) -> list[tuple[Any, ...]]:
    """Return every stored report as (unit code, task, status, percent, note, reporter)."""
    with sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///")) as db:
        return db.execute(
            "SELECT u.code, p.task_code, p.status, p.percent, p.note, m.external_id"
            " FROM progress_update p JOIN unit u ON u.id = p.unit_id"
            " LEFT JOIN member m ON m.id = p.reporter_member_id ORDER BY p.id"
        ).fetchall()


async def test_the_mini_app_form_saves_with_valid_init_data_and_refuses_any_other(
    tmp_path: Path, launcher: Launcher, browser: Browser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with FakeTelegram() as fake:
        await seed_districts(url, {"HU-PM": LEADER_PM, "HU-TP": LEADER_TP}, done="")
        env = bot_env(fake, url, ADMINS=f"telegram:{ADMIN}", WEB_BASE_URL=MINI_APP_HOST)
        bot = await launcher.start(env)
        await wait_for_log(bot, "HTTP server listening")
        await fake.wait_for(lambda f: f.menu_button is not None, timeout=30)
        app = {"url": f"{MINI_APP_HOST}/bao-cao"}
        assert fake.menu_button == {"type": "web_app", "text": "📝 Báo cáo", "web_app": app}
        await say(fake, LEADER_PM, "/start")
        keyboard = fake.sent_to(LEADER_PM)[-1]["reply_markup"]["inline_keyboard"]
        assert {"text": "📝 Báo cáo", "web_app": app} in [b for row in keyboard for b in row]

        base = f"{bot_url(bot)}/bao-cao"
        now = bot.now()
        forged = init_data(fake.token, LEADER_PM, now).replace(str(LEADER_PM), str(LEADER_TP))
        for bad in (
            forged,
            init_data(fake.token, LEADER_PM, now - timedelta(days=1, minutes=5)),  # stale
            init_data("654321:OTHER-TOKEN", LEADER_PM, now),  # another bot's
        ):
            await browser.open(f"{base}#tgWebAppData={quote(bad)}&tgWebAppVersion=8.0")
            page = await browser.wait_for_text(REFUSED)
            assert "HU-PM" not in page and "HU-TP" not in page
        await browser.open(base)  # no initData at all: nothing is posted
        assert "chỉ mở được từ nút «Báo cáo» trong Telegram" in await browser.wait_for_text(
            "chỉ mở được"
        )
        assert stored_reports(url) == []

        good = init_data(fake.token, LEADER_PM, bot.now())
        await browser.open(f"{base}?nv=3.3#tgWebAppData={quote(good)}&tgWebAppPlatform=android")
        page = await browser.wait_for_text("Đơn vị: HU-PM — HU-PM")
        assert "Báo cáo trước: chưa có" in page
        driver = browser.driver
        await browser.run(
            lambda: driver.find_element("css selector", "input[value='dang_thuc_hien']").click()
        )
        for name, value in (("percent", "60"), ("note", "Đã rà soát 7/12 phòng")):
            field = await browser.run(driver.find_element, "name", name)
            await browser.run(field.send_keys, value)
        saved = await browser.click("#send")
        assert "Đã lưu báo cáo của HU-PM — HU-PM về nhiệm vụ 3.3: đang thực hiện (60%)" in saved
        assert stored_reports(url) == [
            ("HU-PM", "3.3", "dang_thuc_hien", 60, "Đã rà soát 7/12 phòng", str(LEADER_PM))
        ]
        page = await browser.click("#again")  # the form again, the report just made shown
        option = await browser.run(
            lambda: driver.find_element("css selector", "option[value='3.3']").get_attribute(
                "data-previous"
            )
        )
        assert option.startswith("• Báo cáo trước: đang thực hiện, 60%, ngày 13/05/2025"), option
        shown = await browser.run(lambda: driver.find_element("id", "previous").text)
        assert shown == "", shown
        await browser.run(
            lambda: driver.find_element("css selector", "select#task option[value='3.3']").click()
        )
        shown = await browser.run(lambda: driver.find_element("id", "previous").text)
        assert shown.startswith("• Báo cáo trước: đang thực hiện, 60%"), shown  # our script
        chat = await say(fake, LEADER_PM, "/lichsu 3.3")
        assert "60%" in chat, chat  # the chat sees the form's report
        await bot.stop()
    assert "Traceback" not in bot.text()


async def test_a_one_time_link_opens_the_same_form_once(
    tmp_path: Path, launcher: Launcher, browser: Browser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with FakeTelegram() as fake:
        bot = await running_bot(fake, launcher, url)
        await say(fake, LEADER_TP, "/start")  # http: no Mini App, the chat's own flow
        keyboard = fake.sent_to(LEADER_TP)[-1]["reply_markup"]["inline_keyboard"]
        assert keyboard[0] == [{"text": "📝 Báo cáo", "callback_data": "cmd:baocao"}]
        assert fake.menu_button is None
        sent = await say(fake, LEADER_TP, "/baocao web")
        match = re.search(r"http://127\.0\.0\.1:\d+/bao-cao/lien-ket/[A-Za-z0-9_-]+", sent)
        assert match is not None, sent
        assert "Mở biểu mẫu báo cáo" in await browser.open(match[0])
        page = await browser.click("#sign-in")
        assert "Đơn vị: HU-TP — HU-TP" in page
        driver = browser.driver
        await browser.run(
            lambda: driver.find_element("css selector", "select#task option[value='1.1']").click()
        )
        await browser.run(
            lambda: driver.find_element("css selector", "input[value='hoan_thanh']").click()
        )
        field = await browser.run(driver.find_element, "name", "percent")
        await browser.run(field.send_keys, "40")
        refused = await browser.click("#send")
        assert "«Hoàn thành» nghĩa là đạt 100%" in refused and stored_reports(url) == []
        field = await browser.run(driver.find_element, "name", "percent")
        await browser.run(field.clear)
        saved = await browser.click("#send")
        assert "Đã lưu báo cáo của HU-TP — HU-TP về nhiệm vụ 1.1: hoàn thành (100%)" in saved
        assert stored_reports(url) == [("HU-TP", "1.1", "hoan_thanh", 100, "", str(LEADER_TP))]
        await browser.run(driver.delete_all_cookies)
        await browser.open(match[0])
        assert BAD_LINK in await browser.click("#sign-in")  # once only
        await bot.stop()
    assert "Traceback" not in bot.text()


async def test_a_broadcast_from_the_web_reaches_exactly_one_subtrees_leaders(
    tmp_path: Path, launcher: Launcher, browser: Browser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed_districts(url, {"HU-PM": LEADER_PM, "HU-TP": LEADER_TP}, done="")
    await seed_commune(url, "XA-PM", parent="HU-PM", leader=COMMUNE_PM)
    async with FakeTelegram() as fake:
        bot = await running_bot(fake, launcher, url)
        sent = await say(fake, ADMIN, "/web")
        match = LINK.search(sent)
        assert match is not None, sent
        await browser.open(match[0])
        await browser.click("#sign-in")
        base = bot_url(bot)
        page = await browser.open(f"{base}/phat-thanh")
        assert "Gửi thông báo" in page and "Một đơn vị và cấp dưới" in page
        find = partial(browser.run, browser.driver.find_element)
        await browser.run((await find("name", "text")).send_keys, "Họp trực tuyến lúc 14:00")
        await browser.run((await find("css selector", "input[value='unit']")).click)
        await browser.run((await find("id", "unit")).send_keys, "HU-PM")
        for _ in range(100):  # htmx asks the server how many will receive it
            if "2 người sẽ nhận (lãnh đạo HU-PM" in await browser.text():
                break
            await asyncio.sleep(0.1)
        assert "2 người sẽ nhận (lãnh đạo HU-PM và các đơn vị cấp dưới)" in await browser.text()
        progress = await browser.click("#send")
        assert "Thông báo #1" in progress and "tới lãnh đạo HU-PM" in progress
        reached = (LEADER_PM, COMMUNE_PM)
        await fake.wait_for(
            lambda f: all(
                any("Họp trực tuyến" in str(m["plain"]) for m in f.sent_to(c)) for c in reached
            ),
            timeout=30,
        )
        for _ in range(100):  # the page follows the broadcast until every message is sent
            if "Đã xong." in await browser.text():
                break
            await asyncio.sleep(0.2)
        assert "Đã gửi 2/2 · lỗi 0 · đang chờ 0" in await browser.text()
        for chat in (LEADER_TP, ADMIN, NEWCOMER):
            assert not any("Họp trực tuyến" in str(m["plain"]) for m in fake.sent_to(chat))
        for chat in reached:
            assert sum("Họp trực tuyến" in str(m["plain"]) for m in fake.sent_to(chat)) == 1
        await bot.stop()
    assert "Traceback" not in bot.text()


async def seed_commune(url: str, code: str, *, parent: str, leader: int) -> None:
    """Add a unit under `parent` whose leader is telegram:`leader`."""
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        unit = await upsert_unit(s, code=code, name=code, actor="t", parent_code=parent)
        member = await get_or_create_member(
            s, channel="telegram", external_id=str(leader), chat_id=str(leader)
        )
        await bind_member(
            s, member_id=member.id or 0, unit_id=unit.id or 0, actor="t", role=Role.LEADER
        )
    await engine.dispose()


def bot_url(bot: BotProcess) -> str:
    """Return the bot's web address."""
    return f"http://127.0.0.1:{bot.port}"


async def until(browser: Browser, check: Any) -> Any:
    """Wait (up to 10 s) until `check(driver)` returns something truthy (an htmx swap)."""
    for _ in range(100):
        try:
            found = await browser.run(check, browser.driver)
        except Exception:  # the element was swapped out under us: look again
            found = None
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("the page never showed what was expected")


async def test_the_matrix_filters_in_place_and_nhac_ngay_reaches_the_leader(
    tmp_path: Path, launcher: Launcher, browser: Browser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with FakeTelegram() as fake:
        bot = await running_bot(fake, launcher, url)
        saved = await say(fake, LEADER_PM, "/baocao 3.3 hoan thanh xong ke hoach")
        assert saved.startswith("Đã lưu báo cáo"), saved
        link = LINK.search(await say(fake, ADMIN, "/web"))
        assert link is not None
        base = bot_url(bot)
        await browser.open(link[0])
        page = await browser.click("#sign-in")
        assert "Đơn vị × nhóm nhiệm vụ" in page and "Nhóm 3" in page

        def row(code: str) -> Any:
            return lambda d: d.find_element("xpath", f"//tr[th/a[@href='/don-vi/{code}']]").text

        assert "1·0·" in await browser.run(row("HU-PM"), browser.driver)  # 3.3 done
        group = await browser.run(browser.driver.find_element, "name", "nhom")
        await browser.run(group.send_keys, "3.")  # picks "3. Về tổ chức bộ máy…": htmx swaps
        await until(
            browser,
            lambda d: "/nhiem-vu/3.3" in d.find_element("id", "matrix").get_attribute("innerHTML"),
        )
        assert "nhom=3" in browser.driver.current_url  # the filtered view has its address
        search = await browser.run(browser.driver.find_element, "id", "q")
        await browser.run(search.send_keys, "tp")
        await until(browser, lambda d: "HU-PM" not in d.find_element("id", "matrix").text)
        assert "HU-TP" in await browser.run(
            lambda: browser.driver.find_element("id", "matrix").text
        )

        missing = await browser.open(f"{base}/chua-bao-cao")
        assert "HU-TP" in missing
        before = len(fake.sent_to(LEADER_TP))
        done = await browser.click("form[action='/chua-bao-cao/HU-TP/nhac'] button")
        assert "Đã xếp hàng tin nhắc HU-TP gửi 1 người phụ trách" in done, done
        await fake.wait_for(lambda f: len(f.sent_to(LEADER_TP)) > before, timeout=20)
        sent = str(fake.sent_to(LEADER_TP)[before]["plain"] or "")
        assert sent.startswith("📋 Sắp hết kỳ báo cáo quý (quý II/2025"), sent
        again = await browser.click("form[action='/chua-bao-cao/HU-TP/nhac'] button")
        assert "chỉ nhắc ngay được một lần mỗi giờ" in again
        await bot.stop()
    assert "Traceback" not in bot.text()
