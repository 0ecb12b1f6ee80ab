"""`python -m bot tokens`: an admin replaces the Zalo OA refresh token without touching SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from tests.clitools import ok, refused

Run = Callable[..., CompletedProcess[str]]


def test_replace_stores_the_token_from_stdin_and_status_never_shows_it(
    run_bot: Run, tmp_path: Path
) -> None:
    assert "Chưa lưu" in ok(run_bot("tokens", "status"))
    out = ok(run_bot("tokens", "replace", "zalo_oa", stdin="rt-from-console-123\n"))
    assert "Đã lưu refresh token mới cho zalo_oa" in out
    status = ok(run_bot("tokens", "status"))
    assert "zalo_oa" in status and "lần gọi tới" in status
    assert "rt-from-console-123" not in status
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        rows = db.execute("SELECT refresh_token, access_token FROM platform_token").fetchall()
    assert rows == [("rt-from-console-123", "")]


def test_a_bad_token_or_channel_changes_nothing(run_bot: Run, tmp_path: Path) -> None:
    assert "không hợp lệ" in refused(run_bot("tokens", "replace", "zalo_oa", stdin="\n"))
    refused(run_bot("tokens", "replace", "zalo_oa", stdin="two words\n"))
    refused(run_bot("tokens", "replace", "telegram", stdin="x\n"))
    assert "Chưa lưu" in ok(run_bot("tokens", "status"))
