"""A repeat of the same task by the same unit within 10 minutes replaces the report before."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.ports import Sessions
from tests.chatworld import VN, World

NINE = datetime(2026, 11, 12, 9, 0, tzinfo=VN)


async def test_a_corrected_one_line_report_replaces_the_first(sessions: Sessions) -> None:
    world = await World(sessions, NINE).build()
    assert "Đã lưu" in await world.say("/baocao 3.3 dang lam 40% nham don vi", user="tp")
    world.now += timedelta(minutes=6)
    assert "Đã lưu" in await world.say("/baocao 3.3 xong Da ban hanh", user="tp")
    history = await world.say("/lichsu 3.3", user="tp")
    assert "Da ban hanh" in history and "nham don vi" not in history
    assert "đang thực hiện" not in history
    assert "3.3 — hoàn thành" in await world.say("/tiendo", user="tp")
    across = await world.say("/tiendo 3.3", user="boss")
    assert across.count("HU-TP") == 1
    first, second = await world.reports()
    assert (first.note, first.replaced_by) == ("nham don vi", second.id)
    assert second.replaced_by is None
    [replaced] = await world.audit("progress.replace")
    assert (replaced.actor, replaced.target) == ("test:tp", "3.3")
    assert (replaced.detail["note"], replaced.detail["percent"]) == ("nham don vi", 40)
    assert replaced.detail["status"] == "dang_thuc_hien"


async def test_reports_eleven_minutes_apart_both_stand(sessions: Sessions) -> None:
    world = await World(sessions, NINE).build()
    await world.say("/baocao 3.3 vuong mac Thieu bien che", user="tp")
    world.now += timedelta(minutes=11)
    await world.say("/baocao 3.3 xong", user="tp")
    history = await world.say("/lichsu 3.3", user="tp")
    assert history.index("hoàn thành") < history.index("vướng mắc")
    assert await world.audit("progress.replace") == []


async def test_another_units_report_is_no_repeat(sessions: Sessions) -> None:
    world = await World(sessions, NINE).build()
    await world.say("/baocao 3.3 vuong mac", user="tp")
    world.now += timedelta(minutes=1)
    await world.say("/baocao 3.3 xong", user="an")
    await world.say("/baocao 3.2 xong", user="tp")
    assert [r.replaced_by for r in await world.reports()] == [None, None, None]
    assert "vướng mắc" in await world.say("/lichsu 3.3 HU-TP", user="chief")
