"""The conversation with a fixed clock and a small fake library."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers import texts
from knowledge import Answer

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def payloads(replies) -> list[str]:
    return [b.payload for r in replies for b in r.flat_buttons()]


def joined(replies) -> str:
    return "\n".join(r.text for r in replies)


async def test_start_greets_with_menu(handlers, incoming):
    replies = await handlers.handle(incoming("/start", display_name="Lan"))
    assert "Xin chào, Lan" in replies[0].text
    assert "Kết luận 09-KL/BTCTW (11/01/2024)" in replies[0].text
    assert {"cmd:nhiemvu", "cmd:hanchot", "cmd:help"} <= set(payloads(replies))


async def test_a_message_with_nothing_to_read_is_said_in_private_and_ignored_in_groups(
    handlers, incoming
):
    said = await handlers.handle(incoming("", unreadable=True))
    assert [r.text for r in said] == [texts.UNREADABLE_MESSAGE]
    assert await handlers.handle(incoming("", unreadable=True, is_group=True)) == []


@pytest.mark.parametrize("text", ["/help", "/help@DirectiveBot", "/HELP", "/help thêm chữ"])
async def test_help_lists_commands(handlers, text, incoming):
    text_out = joined(await handlers.handle(incoming(text)))
    for command in ("/hoi", "/nhiemvu", "/hanchot"):
        assert command in text_out


async def test_free_text_and_hoi_ask_the_library(handlers, library, incoming):
    await handlers.handle(incoming("vị trí việc làm"))
    replies = await handlers.handle(incoming("/hoi  vị trí   việc làm"))
    assert library.questions == ["vị trí việc làm", "vị trí việc làm"]
    assert "31/3/2024" in replies[0].text


async def test_hoi_without_question_asks_for_one(handlers, library, incoming):
    replies = await handlers.handle(incoming("/hoi"))
    assert replies[0].text == texts.ASK_WHAT
    assert library.questions == []


async def test_not_found_shows_the_library_text_and_next_steps(handlers, incoming):
    replies = await handlers.handle(incoming("thời tiết hôm nay"))
    assert [r.text for r in replies] == [f"Chưa tìm thấy.\n{texts.NOT_FOUND_NEXT}"]
    assert [b.label for b in replies[0].flat_buttons()] == [
        texts.BUTTON_TASKS,
        texts.BUTTON_DEADLINES,
        texts.BUTTON_HELP,
    ]


async def test_empty_answer_gets_our_not_found_text(library, now, incoming, make_handlers):
    library.answer = lambda q: Answer(False, "")
    handlers = make_handlers(now, library)
    replies = await handlers.handle(incoming("thời tiết hôm nay"))
    assert replies[0].text == f"{texts.NOT_FOUND}\n{texts.NOT_FOUND_NEXT}"


async def test_task_tree_is_indented_with_group_buttons(handlers, incoming):
    replies = await handlers.handle(incoming("/nhiemvu"))
    text = joined(replies)
    assert "\n3. Về tổ chức bộ máy" in text
    assert "\n   3.3. Kế hoạch vị trí việc làm" in text
    assert payloads(replies) == ["nv:1", "nv:3"]


async def test_one_task_in_full(handlers, incoming):
    replies = await handlers.handle(incoming("/nhiemvu 3.3"))
    text = joined(replies)
    assert "Nhiệm vụ 3.3: Kế hoạch vị trí việc làm" in text
    assert "Mục II.3, ý 3" in text
    assert "trước ngày 31/3/2024 (31/03/2024, còn 30 ngày)" in text
    assert "vị trí việc làm trước ngày 31/3/2024" in text
    assert "nv:3" in payloads(replies)


async def test_group_lists_its_children_as_buttons(handlers, incoming):
    replies = await handlers.handle(incoming("", payload="nv:3"))
    assert "Gồm các nhiệm vụ: 3.2, 3.3" in joined(replies)
    assert payloads(replies)[:2] == ["nv:3.2", "nv:3.3"]


async def test_unknown_code_offers_close_codes(handlers, incoming):
    replies = await handlers.handle(incoming("/nhiemvu 3.9"))
    text = joined(replies)
    assert "Không có nhiệm vụ mã 3.9" in text
    assert "3.2" in text and "3.3" in text
    assert payloads(replies) == ["nv:3", "nv:3.2", "nv:3.3"]


@pytest.mark.parametrize("arg", ["abc", "3..3", "-1", "3.3.3.3.3", "١٢"])
async def test_bad_code_explains_the_format(handlers, arg, incoming):
    replies = await handlers.handle(incoming(f"/nhiemvu {arg}"))
    assert replies[0].text == texts.BAD_CODE


async def test_deadlines_count_days_left(handlers, incoming):
    text = joined(await handlers.handle(incoming("/hanchot")))
    assert "hôm nay 01/03/2024" in text
    assert "• 3.3 — Kế hoạch vị trí việc làm" in text
    assert "«trước ngày 31/3/2024» — hạn 31/03/2024, còn 30 ngày" in text
    assert "Chỉ tiêu: tinh giản ít nhất 5% biên chế" in text
    assert "Báo cáo định kỳ (hằng quý, 6 tháng, cả năm)" in text


@pytest.mark.parametrize(
    ("when", "status"),
    [
        (datetime(2024, 3, 31, 23, 59, tzinfo=VN), "hết hạn hôm nay"),
        (datetime(2024, 4, 1, 0, 1, tzinfo=VN), "đã quá hạn 1 ngày"),
        (datetime(2026, 1, 1, 12, tzinfo=VN), "đã quá hạn 641 ngày"),
        # 31/3 17:30 UTC is already 1/4 in Hà Nội: dates are counted there.
        (datetime.fromisoformat("2024-03-31T17:30:00+00:00"), "đã quá hạn 1 ngày"),
        (datetime.fromisoformat("2024-03-30T16:59:00+00:00"), "còn 1 ngày"),
    ],
)
async def test_deadline_status_in_vietnam_dates(library, when, status, incoming, make_handlers):
    handlers = make_handlers(when, library)
    text = joined(await handlers.handle(incoming("/hanchot")))
    line = next(ln for ln in text.splitlines() if "31/3/2024" in ln)
    assert line.endswith(status), line


async def test_menu_buttons_run_their_commands(handlers, incoming):
    assert "/nhiemvu" in joined(await handlers.handle(incoming(payload="cmd:help")))
    assert "còn 30 ngày" in joined(await handlers.handle(incoming(payload="cmd:hanchot")))
    assert "3.3." in joined(await handlers.handle(incoming(payload="cmd:nhiemvu")))


async def test_a_failing_library_gets_an_apology_not_an_exception(
    library, now, caplog, incoming, make_handlers
):
    def broken(question: str):
        raise RuntimeError("index exploded")

    library.answer = broken
    handlers = make_handlers(now, library)
    replies = await handlers.handle(incoming("câu hỏi"))
    assert [r.text for r in replies] == [texts.SORRY]
    assert "failed to handle" in caplog.text


async def test_long_answers_are_split_within_the_limit(library, now, incoming, make_handlers):
    long_text = "\n".join(f"Dòng {i}: " + "chữ " * 30 for i in range(200))
    library.answer = lambda q: Answer(True, long_text)
    handlers = make_handlers(now, library)
    replies = await handlers.handle(incoming("hỏi dài"))
    assert len(replies) > 1
    assert all(len(r.text) <= 2000 for r in replies)
    assert "\n".join(r.text for r in replies) == long_text
