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
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.botprocess import (
    BotProcess,
    Launcher,
    admin,
    bot_env,
    seed_districts,
    wait_for_log,
)
from tests.fakes import FakeTelegram

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ADMIN, LEADER_PM, LEADER_TP, NEWCOMER = 900, 201, 202, 301
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
