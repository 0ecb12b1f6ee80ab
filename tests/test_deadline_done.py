"""/hanchot: a task the unit reported done says so (with the day); soonest first, past after."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.ports import Sessions
from tests.chatworld import VN, World

NOW = datetime(2026, 11, 12, 9, 0, tzinfo=VN)


def due_days(text: str) -> list[str]:
    """Return the due dates of the listed deadlines, in the order shown."""
    return [line.split("— hạn ")[1][:10] for line in text.splitlines() if "— hạn " in line]


def line_of(text: str, phrase: str) -> str:
    """Return the deadline line quoting `phrase`."""
    return next(line for line in text.splitlines() if f"«{phrase}»" in line)


async def test_a_done_task_is_not_overdue_for_the_unit_that_did_it(sessions: Sessions) -> None:
    world = await World(sessions, NOW - timedelta(days=2)).build()
    await world.say("/baocao 3.3 xong Da ban hanh", user="tp")
    world.now = NOW
    mine = await world.say("/hanchot", user="tp")
    assert line_of(mine, "trước ngày 31/3/2024").endswith(
        "hạn 31/03/2024, đã hoàn thành (10/11/2026)"
    )
    assert "quá hạn" not in mine
    assert line_of(mine, "đến năm 2026").endswith("còn 49 ngày")
    others = await world.say("/hanchot", user="an")
    assert line_of(others, "trước ngày 31/3/2024").endswith("đã quá hạn 956 ngày")
    admin = await world.say("/hanchot", user="boss")
    assert "đã hoàn thành" not in admin


async def test_a_task_reported_in_progress_is_still_overdue(sessions: Sessions) -> None:
    world = await World(sessions, NOW).build()
    await world.say("/baocao 3.3 dang lam 90%", user="tp")
    mine = await world.say("/hanchot", user="tp")
    assert line_of(mine, "trước ngày 31/3/2024").endswith("đã quá hạn 956 ngày")


async def test_deadlines_are_sorted_upcoming_first_then_past(sessions: Sessions) -> None:
    world = await World(sessions, NOW).build()
    assert "Đã thêm" in await world.say("/hanchot them 1 15/12/2026 Sơ kết", user="boss")
    assert "Đã thêm" in await world.say("/hanchot them 1 01/06/2025 Rà soát", user="boss")
    assert "Đã thêm" in await world.say("/hanchot them 3.2 12/11/2026 Hôm nay", user="boss")
    text = await world.say("/hanchot", user="tp")
    assert due_days(text) == ["12/11/2026", "15/12/2026", "31/12/2026", "01/06/2025", "31/03/2024"]
    assert line_of(text, "Hôm nay").endswith("hết hạn hôm nay")
    assert text.index("Báo cáo định kỳ") > text.index("31/03/2024")
