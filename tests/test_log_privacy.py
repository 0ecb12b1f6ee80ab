"""No secret and no full user text in the log, even at DEBUG and when writes fail.

The real bot runs at LOG_LEVEL=DEBUG against the fake Telegram and Zalo OA: a report with
a 300-character note, a Zalo OA token refresh, then the same with the database refusing
the writes (a trigger that raises); `tokens replace` with a refusing database. The tokens
the fake OA issues (never configured, so the redactor can't know them) and the notes must
not be in the log."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.logs import EXCERPT
from handlers import texts
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Role
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.units import upsert_unit
from tests.botprocess import ROOT, Launcher, bot_env, wait_for_log
from tests.fakes import FakeTelegram, FakeZaloOA

MARK = "Zq7xK2"  # every token the fake OA issues starts with it
CHAT = 501
# Refuses a write whose `column` is not empty: a report, a token pair (the OA's seeding of a
# pair without an access token, first thing of every refresh, still passes).
REFUSE = """
CREATE TRIGGER refuse_{table}_{op} BEFORE {op} ON {table} WHEN NEW.{column} != ''
BEGIN SELECT RAISE(ABORT, 'writes refused by the test'); END;
"""


def note(tag: str) -> str:
    """Return a 300-character note whose every 80-character window is unique to it."""
    words = " ".join(f"{tag}{n:03d}" for n in range(60))
    return words[:300]


def refuse_writes(db: Path, **columns: str) -> None:
    """Make the database refuse inserts and updates of these tables (table=column)."""
    with sqlite3.connect(db) as connection:
        for table, column in columns.items():
            for op in ("INSERT", "UPDATE"):
                connection.execute(REFUSE.format(table=table, op=op, column=column))


async def seed(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    async with session_factory(engine)() as s:
        unit = await upsert_unit(s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t")
        member = await get_or_create_member(
            s, channel="telegram", external_id=str(CHAT), chat_id=str(CHAT)
        )
        await bind_member(
            s, member_id=member.id or 0, unit_id=unit.id or 0, actor="t", role=Role.LEADER
        )
    await engine.dispose()


async def say(fake: FakeTelegram, text: str) -> str:
    before = len(fake.sent_to(CHAT))
    fake.message(CHAT, text)
    await fake.wait_for(lambda f: len(f.sent_to(CHAT)) > before, timeout=15)
    return str(fake.sent_to(CHAT)[before]["plain"])


async def test_debug_log_keeps_no_token_and_no_long_note(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{db}"
    await seed(url)
    saved_note, refused_note = note("luu"), note("tuchoi")
    async with FakeTelegram() as telegram, FakeZaloOA(f"{MARK}rt-0", token_prefix=MARK) as oa:
        env = bot_env(telegram, url, LOG_LEVEL="DEBUG")
        env |= {
            "ZALO_OA_APP_ID": oa.app_id,
            "ZALO_OA_APP_SECRET": oa.app_secret,
            "ZALO_OA_SECRET_KEY": oa.secret_key,
            "ZALO_OA_REFRESH_TOKEN": oa.refresh_token,
            "ZALO_OA_API_BASE_URL": oa.url,
            "ZALO_OAUTH_BASE_URL": oa.url,
        }
        launcher = Launcher(tmp_path)
        bot = await launcher.start(env)
        hook = f"http://127.0.0.1:{bot.port}/zalo/oa/webhook"
        try:
            await wait_for_log(bot, "zalo_oa: ready")  # the first refresh, stored
            await telegram.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
            assert "Đã lưu" in await say(telegram, f"/baocao 3.3 dang lam {saved_note}")

            refuse_writes(db, progress_update="task_code", platform_token="access_token")
            said = await say(telegram, f"/baocao 3.3 dang lam {refused_note}")
            assert said == texts.REPORT_FAILED
            oa.expire_access_token()
            assert await oa.deliver(oa.text_event("oa-1", "/help"), url=hook) == 200
            await oa.wait_for(lambda o: len(o.refreshes) == 2, timeout=15)
            await wait_for_log(bot, "zalo_oa update in chat oa-1 failed")  # the pair not stored
        finally:
            await launcher.stop_all()
    log = bot.text()
    assert "DEBUG" in log and "could not save a report" in log  # the failures were logged
    assert oa.refresh_token.startswith(MARK) and MARK not in log
    for text in (saved_note, refused_note):
        windows = {text[i : i + EXCERPT + 1] for i in range(len(text) - EXCERPT)}
        assert not any(window in log for window in windows), text


def test_tokens_replace_with_a_refusing_database_logs_no_token(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    asyncio.run(upgrade(create_engine(f"sqlite+aiosqlite:///{db}")))
    refuse_writes(db, platform_token="refresh_token")
    own = ("LOG_", "DATABASE_", "DATA_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env |= {"DATABASE_URL": f"sqlite:///{db}", "LOG_LEVEL": "DEBUG", "PYTHONPATH": str(ROOT)}
    token = f"{MARK}-from-the-console-0123456789"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "tokens", "replace", "zalo_oa"],
        input=token + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "writes refused by the test" in result.stderr  # the failure was logged
    assert MARK not in result.stdout + result.stderr
