"""`python -m bot members forget CHANNEL:USER_ID`: the person is gone, their unit's reports stay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from handlers import Handlers, Incoming
from handlers import texts as chat_texts
from handlers.ports import Sessions
from storage.models import AuditLog, Member, Outbox, ProgressUpdate
from storage.queries.invites import create_invite
from storage.queries.members import get_member
from storage.queries.outbox import OutboxRow, enqueue, mark_sent
from storage.queries.state import get_state
from storage.queries.units import upsert_unit
from tests.clitools import ok, refused
from tests.conftest import FakeLibrary

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_HIDDEN = ("DATABASE_URL", "DOCUMENTS_DIR", "LOG_LEVEL", "ADMINS", "TIMEZONE", "DATA_DIR")


def now() -> datetime:
    return datetime.now(VN)


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` on the handlers' SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in _HIDDEN}
    env |= {"PYTHONIOENCODING": "utf-8", "DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=db.parent,
        env=env,
        timeout=120,
    )


@pytest.fixture
def bot(sessions: Sessions) -> Handlers:
    return Handlers(
        library=FakeLibrary(), clock=now, sessions=sessions, admins=frozenset({"telegram:999"})
    )


async def say(bot: Handlers, user: str, text: str, name: str = "") -> str:
    """Send `text` from Telegram user `user` in their private chat; return the reply text."""
    incoming = Incoming(
        channel="telegram", chat_id=user, user_id=user, text=text, at=now(), display_name=name
    )
    return "\n".join(reply.text for reply in await bot.handle(incoming))


async def two_leaders(bot: Handlers, sessions: Sessions) -> None:
    """Nguyễn Văn A leads HU-TP, Trần Thị B leads HU-AN; both report, A is mid-report."""
    async with sessions() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t")
        for code, name in (("HU-TP", "Huyện ủy Tuy Phước"), ("HU-AN", "Huyện ủy An Nhơn")):
            unit = await upsert_unit(s, code=code, name=name, actor="t", parent_code="TU-BD")
            _, invite = await create_invite(s, unit_id=unit.id or 0, created_by="cli")
            user, person = ("111", "Nguyễn Văn A") if code == "HU-TP" else ("222", "Trần Thị B")
            assert "Đăng ký thành công" in await say(bot, user, f"/dangky {invite}", person)
    assert "Đã lưu" in await say(bot, "111", "/baocao 3.3 dang lam 60% Dang xin y kien")
    assert "Đã lưu" in await say(bot, "222", "/baocao 3.3 xong")
    await say(bot, "111", "/baocao")  # a report flow left open: conversation state
    async with sessions() as s:
        rows = [
            OutboxRow(
                key=f"deadline:1:{offset}:member:{member}",
                occasion=f"deadline:1:{offset}",
                kind="reminder",
                channel="telegram",
                chat_id=chat,
                text="Nhắc hạn",
                member_id=member,
            )
            for offset in ("7d", "1d")
            for member, chat in ((1, "111"), (2, "222"))
        ]
        await enqueue(s, rows=rows, now=now())
        await mark_sent(s, outbox_id=1, now=now())  # A's 7d reminder went out


async def rows_of(sessions: Sessions, model: type[SQLModel]) -> list[dict[str, Any]]:
    async with sessions() as s:
        found = (await s.scalars(select(model))).all()
        return [row.model_dump() for row in found]


async def test_forget_erases_the_person_and_keeps_the_reports(
    bot: Handlers, sessions: Sessions, tmp_path: Path
) -> None:
    await two_leaders(bot, sessions)
    reports = await rows_of(sessions, ProgressUpdate)
    other = [m for m in await rows_of(sessions, Member) if m["external_id"] == "222"]
    others_mail = [o for o in await rows_of(sessions, Outbox) if o["chat_id"] == "222"]
    db = tmp_path / "handlers.db"
    assert "(người báo cáo: Nguyễn Văn A)" in await say(bot, "999", "/lichsu 3.3 HU-TP")
    audit_before = json.dumps(await rows_of(sessions, AuditLog), default=str)
    assert "telegram:111" in audit_before  # registration and report were audited by account

    said = ok(cli(db, "members", "forget", "telegram:111"))
    assert "Đã xoá dữ liệu cá nhân của telegram:111" in said and "Giữ 1 báo cáo" in said

    # The unit's report stays, attributed to "đã xoá" in the history and the export.
    assert await rows_of(sessions, ProgressUpdate) == reports
    history = await say(bot, "999", "/lichsu 3.3 HU-TP")
    assert f"(người báo cáo: {chat_texts.FORGOTTEN_NAME})" in history
    assert "Nguyễn Văn A" not in history and "60%" in history
    export = tmp_path / "tien-do.csv"
    ok(cli(db, "export", "progress", str(export)))
    lines = export.read_text(encoding="utf-8-sig").splitlines()
    assert any("HU-TP" in line and ",đã xoá," in line for line in lines)
    assert any("HU-AN" in line and ",Trần Thị B," in line for line in lines)

    # No trace of the name or the account ids is left anywhere.
    async with sessions() as s:
        assert await get_member(s, channel="telegram", external_id="111") is None
        assert await get_state(s, channel="telegram", chat_id="111") is None
    everything = json.dumps(
        [await rows_of(sessions, model) for model in (Member, Outbox, AuditLog)],
        default=str,
        ensure_ascii=False,
    )
    assert "Nguyễn Văn A" not in everything and "telegram:111" not in everything
    mail = await rows_of(sessions, Outbox)
    assert [o["status"] for o in mail if o["member_id"] == 1] == ["sent"]  # pending ones gone
    assert all(o["chat_id"] != "111" for o in mail)
    audit = await rows_of(sessions, AuditLog)
    forgets = [a for a in audit if a["action"] == "member.forget"]
    assert [(a["actor"], a["target"]) for a in forgets] == [("cli", "member:1")]
    assert any(a["actor"] == "member:1" and a["action"] == "progress.add" for a in audit)

    # Everyone else is as they were.
    assert [m for m in await rows_of(sessions, Member) if m["external_id"] == "222"] == other
    assert [o for o in mail if o["chat_id"] == "222"] == others_mail

    # The same Telegram account writing again is a stranger: no unit, nothing to see.
    assert await say(bot, "111", "/tiendo") == chat_texts.NO_UNIT_SCOPE
    assert "Chỉ lãnh đạo" in await say(bot, "111", "/baocao 3.3 xong")
    async with sessions() as s:
        again = await get_member(s, channel="telegram", external_id="111")
        assert again is not None and again.id != 1 and again.unit_id is None


async def test_forgetting_an_unknown_member_changes_nothing(
    bot: Handlers, sessions: Sessions, tmp_path: Path
) -> None:
    await two_leaders(bot, sessions)
    before = [await rows_of(sessions, model) for model in (Member, Outbox, AuditLog)]
    said = refused(cli(tmp_path / "handlers.db", "members", "forget", "telegram:333"), code=2)
    assert "Không có thành viên telegram:333" in said and "Chưa có gì thay đổi" in said
    assert [await rows_of(sessions, model) for model in (Member, Outbox, AuditLog)] == before
    refused(cli(tmp_path / "handlers.db", "members", "forget", "telegram"), code=2)
