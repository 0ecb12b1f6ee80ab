"""Remake the dashboard screenshots in this folder (desktop and phone width).

    PYTHONPATH=. .venv/bin/python docs/screenshots/make.py

Seeds a throw-away SQLite database (a province, its districts, reports with notes, a
deadline), runs `python -m bot web` on it with the pinned clock, signs in with a
`web link`, opens the report form as a Telegram Mini App (initData signed for a made-up
token), and drives Debian's chromium (as tests/test_dashboard_browser.py does: nothing
downloaded).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Role
from storage.queries.deadlines import add_deadline
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import add_update
from storage.queries.units import upsert_unit
from tests.botprocess import PINNED, admin_env, free_port
from tests.telegram_signing import init_data

TOKEN = "123456:SCREENSHOT-TOKEN"  # only signs the Mini App's initData below

HERE = Path(__file__).parent
DISTRICTS = {
    "HU-AN": "Huyện ủy An Nhơn",
    "HU-HA": "Huyện ủy Hoài Ân",
    "HU-PC": "Huyện ủy Phù Cát",
    "HU-PM": "Huyện ủy Phù Mỹ",
    "HU-TP": "Huyện ủy Tuy Phước",
    "TXU-AN": "Thị xã ủy An Nhơn",
}
REPORTS = [
    ("HU-PM", "3.3", "hoan_thanh", 100, "Đã ban hành kế hoạch vị trí việc làm"),
    ("HU-PM", "3.2", "dang_thuc_hien", 60, "Đang rà soát biên chế các phòng"),
    ("HU-PM", "2.2.4", "vuong_mac", 30, "Thiếu hướng dẫn về hồ sơ đảng viên"),
    ("HU-AN", "3.3", "dang_thuc_hien", 50, ""),
    ("HU-TP", "3.3", "hoan_thanh", 100, "Xong trước hạn"),
    ("HU-PC", "1.1", "chua_trien_khai", None, ""),
]


async def seed(url: str) -> None:
    """Create the units, one leader, the reports and a deadline."""
    engine = create_engine(url)
    await upgrade(engine)
    async with session_factory(engine)() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        units = {}
        for code, name in DISTRICTS.items():
            units[code] = await upsert_unit(
                s, code=code, name=name, actor="t", parent_code="TU-BD", level="huyen"
            )
        leader = await get_or_create_member(
            s, channel="telegram", external_id="201", display_name="Nguyễn Thị Lan"
        )
        await bind_member(
            s, member_id=leader.id or 0, unit_id=units["HU-PM"].id or 0, actor="t", role=Role.LEADER
        )
        for days, (code, task, status, percent, note) in enumerate(REPORTS):
            await add_update(
                s,
                unit_id=units[code].id or 0,
                task_code=task,
                status=status,
                percent=percent,
                note=note,
                reporter_member_id=leader.id if code == "HU-PM" else None,
                reported_at=PINNED - timedelta(days=len(REPORTS) - days, hours=days),
            )
        await add_deadline(
            s, task_code="3.2", due_at=PINNED.replace(month=6, day=30), offsets="7d,1d", actor="t"
        )
    await engine.dispose()


def main() -> None:
    """Seed, serve, sign in and take the screenshots."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bot.db"
        asyncio.run(seed(url))
        port = free_port()
        env = admin_env(url) | {
            "HTTP_PORT": str(port),
            "ADMINS": "telegram:900",
            "TELEGRAM_BOT_TOKEN": TOKEN,
        }
        link = subprocess.run(
            [sys.executable, "-m", "bot", "web", "link", "telegram:900", "--json"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
        )
        path = json.loads(link.stdout)["url"].split(f":{port}", 1)[1]
        server = subprocess.Popen([sys.executable, "-m", "bot", "web"], env=env, cwd=tmp)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            options = webdriver.ChromeOptions()
            options.binary_location = "/usr/bin/chromium"
            for flag in (
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={tmp}/profile",
            ):
                options.add_argument(flag)
            driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            try:
                driver.get(base + path)
                driver.find_element("css selector", "#sign-in").click()
                time.sleep(1)
                for width, height, kind in ((1280, 900, "desktop"), (390, 844, "phone")):
                    driver.set_window_size(width, height)
                    for page, name in (
                        ("/", "overview"),
                        ("/?nhom=3#ma-tran", "matrix"),
                        ("/don-vi/HU-PM", "unit"),
                        ("/nhiem-vu/3.3", "task"),
                        ("/chua-bao-cao", "missing"),
                        ("/don-vi", "units"),
                        ("/han-chot", "deadlines"),
                        ("/thanh-vien", "members"),
                        ("/phat-thanh", "broadcast"),
                    ):
                        driver.get(base + page)
                        time.sleep(0.5)
                        driver.save_screenshot(str(HERE / f"{name}-{kind}.png"))
                    # the Mini App as Telegram opens it for the leader of HU-PM (telegram:201)
                    signed = urllib.parse.quote(init_data(TOKEN, 201, PINNED))
                    driver.get(f"{base}/bao-cao?nv=3.2#tgWebAppData={signed}")
                    time.sleep(1.5)
                    driver.save_screenshot(str(HERE / f"report-form-{kind}.png"))
            finally:
                driver.quit()
        finally:
            server.terminate()
            server.wait(20)


if __name__ == "__main__":
    main()
