"""A directive uploaded on the dashboard in a real browser (chromium headless, as in
tests/test_dashboard_browser.py) against the real `python -m bot run` on the fake Bot API:
the admin picks a generated DOCX, reads the preview, ticks «đặt làm văn bản hiện hành»,
presses «Lưu»; the running bot then lists the new directive's tasks in chat."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.botprocess import Launcher
from tests.fakes import FakeTelegram
from tests.ingestfiles import directive_docx
from tests.test_dashboard_browser import (
    ADMIN,
    LINK,
    Browser,
    bot_url,
    browser,
    launcher,
    running_bot,
    say,
)

__all__ = ["browser", "launcher"]  # the fixtures


async def test_an_admin_uploads_a_docx_previews_it_and_stores_it_as_current(
    tmp_path: Path, launcher: Launcher, browser: Browser
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    docx = tmp_path / "ke-hoach-45-KH-TU.docx"
    docx.write_bytes(directive_docx())
    async with FakeTelegram() as fake:
        bot = await running_bot(fake, launcher, url)
        sent = await say(fake, ADMIN, "/web")
        match = LINK.search(sent)
        assert match is not None, sent
        await browser.open(match[0])
        await browser.click("#sign-in")
        page = await browser.click("a[href='/van-ban']")
        assert "Văn bản chỉ đạo" in page and "09-KL/BTCTW" in page
        field = await browser.run(browser.driver.find_element, "id", "tep")
        await browser.run(field.send_keys, str(docx))
        page = await browser.click("#upload")
        assert "Xem trước: Kế hoạch 45-KH/TU" in page, page
        assert "Lê Kim Toàn" in page and "30/06/2025" in page and "2.1.1" in page
        await browser.run(lambda: browser.driver.find_element("id", "hien-hanh").click())
        page = await browser.click("#save")
        assert "Đã lưu văn bản #1: Kế hoạch 45-KH/TU" in page, page
        assert "là văn bản hiện hành" in page and "2 thời hạn" in page
        for _ in range(100):  # the running bot's library reloads within seconds
            tasks = await say(fake, ADMIN, "/nhiemvu")
            if "Công tác tổ chức bộ máy" in tasks:
                break
            await asyncio.sleep(0.2)
        assert "Công tác tổ chức bộ máy" in tasks, tasks
        page = await browser.open(f"{bot_url(bot)}/van-ban")
        assert "45-KH/TU" in page and "Duyệt (nhắc hạn)" in page
        await bot.stop()
    assert "Traceback" not in bot.text()
