"""Free text as a cadre types it on a phone: the reply each message gets, and what is stored.

Through the real handlers, the real directive and SQLite (the fixtures of test_flows.py):
typed words do what the command or button does, a typed report is saved only after a yes,
and a question nothing is found for offers next steps.
"""

# ruff: noqa: F811 (test_flows' fixtures, imported, are parameters here)
from __future__ import annotations

import pytest

from handlers import texts
from handlers.ports import Sessions
from handlers.report_form import read_line
from storage.models import Role
from storage.queries.members import bind_member, get_member
from storage.status import Status
from tests.test_flows import (  # noqa: F401 (fixtures)
    Say,
    bot,
    open_flow,
    say,
    stored,
    unit_id,
)

NOT_FOUND = "Xin lỗi, tôi chưa tìm thấy"
#: Typed words and the command whose reply they must get.
AS_COMMAND = [
    ("menu", "/help"),
    ("giúp", "/help"),
    ("help", "/help"),
    ("xem tiến độ", "/tiendo"),
    ("3.3", "/nhiemvu 3.3"),
    ("nhiệm vụ 3.3 là gì", "/nhiemvu 3.3"),
    ("nv 3,3", "/nhiemvu 3.3"),
    ("hạn chót", "/hanchot"),
    ("danh sách nhiệm vụ", "/nhiemvu"),
    ("đơn vị nào chưa báo cáo", "/chuabaocao"),
    ("lịch sử 3.3", "/lichsu 3.3"),
]
#: The issue's messages; each must get some reply other than "not found".
ISSUE = [
    "chào bạn",
    "cảm ơn",
    "menu",
    "giúp",
    "help",
    "xem tiến độ",
    "xuất excel",
    "nhắc tôi hạn chót",
    "tôi muốn báo cáo nhiệm vụ 3.3 đã xong",
    "bao cao nhiem vu vi tri viec lam hoan thanh 100%",
    "3.3",
    "nhiệm vụ 3.3 là gì",
    "hủy",
    "hạn chót",
]
MENU = [texts.BUTTON_TASKS, texts.BUTTON_DEADLINES, texts.BUTTON_HELP]


def labels(say: Say) -> list[str]:
    """Return the labels of the buttons of the last replies."""
    return [b.label for r in say.last for b in r.flat_buttons()]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("typed", "command"), AS_COMMAND)
async def test_typed_words_get_the_commands_reply(
    say: Say, unit_id: int, typed: str, command: str
) -> None:
    expected = await say(command)
    assert await say(typed) == expected
    assert NOT_FOUND not in expected


@pytest.mark.parametrize(
    ("typed", "reply"),
    [("chào bạn", texts.GREETING_REPLY), ("cảm ơn", texts.THANKS_REPLY), ("ok", texts.ACK_REPLY)],
)
async def test_greetings_get_a_short_reply_with_the_menu(
    say: Say, unit_id: int, typed: str, reply: str
) -> None:
    assert await say(typed) == reply
    assert labels(say) == MENU
    assert await say("1") == await say("/nhiemvu")  # the menu's choices are kept


async def test_another_language_is_told_vietnamese_then_help(say: Say, unit_id: int) -> None:
    said = await say("what is the deadline for this?")
    assert said.startswith(texts.FOREIGN_REPLY)
    assert "/baocao" in said and NOT_FOUND not in said


async def test_export_and_reminders_as_words_do_what_the_command_does(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    assert await say("xuất excel") == await say("/xuat")  # a leader: its own subtree
    assert "(HU-TP" in await say("xuất excel")
    assert texts.NO_UNIT_SCOPE in await say("xuất excel", user="stranger")
    await say("xuất excel", user="boss")
    files = [r.file.name for r in say.last if r.file is not None]  # type: ignore[attr-defined]
    assert len(files) == 1 and files[0].endswith(".xlsx")
    assert await say("nhắc tôi hạn chót") == await say("/nhacnho bat")
    async with sessions() as s:
        member = await get_member(s, channel="console", external_id="u1")
        assert member is not None and member.subscribed
    await say("tắt nhắc nhở")
    async with sessions() as s:
        member = await get_member(s, channel="console", external_id="u1")
        assert member is not None and not member.subscribed


@pytest.mark.parametrize(
    ("typed", "status", "percent"),
    [
        ("tôi muốn báo cáo nhiệm vụ 3.3 đã xong", "hoan_thanh", 100),
        ("bao cao nhiem vu vi tri viec lam hoan thanh 100%", "hoan_thanh", 100),
        ("3.3 đã hoàn thành rồi", "hoan_thanh", 100),
        ("báo cáo 3.3 đang thực hiện 60%", "dang_thuc_hien", 60),
    ],
)
async def test_a_typed_report_is_saved_only_after_a_yes(
    say: Say, sessions: Sessions, unit_id: int, typed: str, status: str, percent: int
) -> None:
    confirm = await say(typed)
    assert confirm.startswith("Xin xác nhận") and "Nhiệm vụ 3.3" in confirm
    assert f"Tỷ lệ: {percent}%" in confirm and "Ghi chú: (không có)" in confirm
    assert await stored(sessions, unit_id) == []
    assert "Đã lưu" in await say("ok")
    assert await stored(sessions, unit_id) == [("3.3", status, percent, "")]


async def test_a_typed_report_cancelled_saves_nothing(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("3.3 xong rồi")
    assert await say("hủy") == texts.REPORT_CANCELLED
    assert await say("hủy") == texts.NOTHING_TO_CANCEL
    assert await stored(sessions, unit_id) == []
    assert await open_flow(sessions) is None


async def test_a_contradictory_typed_report_says_why(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    said = await say("báo cáo 3.3 hoàn thành 40%")
    assert said == texts.REPORT_DONE_PERCENT.format(percent=40)
    assert await open_flow(sessions) is None


async def test_an_unregistered_user_typing_a_report_is_told_how_to_register(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    said = await say("báo cáo 3.3 xong rồi", user="stranger")
    assert said == texts.NOT_A_LEADER and "/dangky" in said
    assert await say("tôi là ai", user="stranger") == texts.WHOAMI_GUEST
    assert await stored(sessions, unit_id) == []


async def test_whoami_says_role_unit_and_what_one_can_do(say: Say, unit_id: int) -> None:
    leader = await say("tôi là ai")
    assert "lãnh đạo Huyện ủy Tuy Phước" in leader and "/baocao" in leader
    admin = await say("đơn vị của tôi", user="boss")
    assert "quản trị viên" in admin and "Huyện ủy Tuy Phước" in admin and "/xuat" in admin


async def test_whoami_of_a_member_in_a_unit_who_no_longer_leads_it(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    """A leader whose role was taken back is still in the unit: not told "not registered"."""
    await say("xin chào", user="former")
    async with sessions() as s:
        member = await get_member(s, channel="console", external_id="former")
        assert member is not None
        await bind_member(s, member_id=member.id or 0, unit_id=unit_id, actor="t", role=Role.MEMBER)
    said = await say("tôi là ai", user="former")
    assert said == texts.WHOAMI_MEMBER.format(unit="Huyện ủy Tuy Phước")
    assert "chưa đăng ký" not in said


async def test_report_as_a_word_starts_the_guided_report(say: Say, unit_id: int) -> None:
    assert await say("báo cáo") == await say("/baocao")


async def test_the_issues_messages_never_get_not_found_and_mean_the_same_on_every_channel(
    say: Say, unit_id: int
) -> None:
    said: dict[str, list[str]] = {}
    for channel in ("console", "telegram", "zalo_bot"):
        said[channel] = []
        for typed in ISSUE:
            said[channel].append(await say(typed, channel=channel))
            await say("/huy", channel=channel)  # each message on its own
    assert said["console"] == said["telegram"] == said["zalo_bot"]
    for typed, reply in zip(ISSUE, said["console"], strict=True):
        assert reply and NOT_FOUND not in reply and texts.NOT_FOUND not in reply, typed
        assert "Mục II.4" not in reply and "Mặt trận" not in reply, typed  # no wrong quote


async def test_a_question_nothing_is_found_for_offers_next_steps(say: Say, unit_id: int) -> None:
    said = await say("con mèo bay lên trời")
    assert NOT_FOUND in said and said.endswith(texts.NOT_FOUND_NEXT)
    assert labels(say) == MENU
    assert await say("2") == await say("/hanchot")  # a typed number picks a suggestion


async def test_a_not_found_question_near_a_task_offers_that_task(say: Say, unit_id: int) -> None:
    said = await say("ai đi họp về kế hoạch vị trí việc làm hôm thứ ba")
    assert NOT_FOUND in said
    offered = labels(say)
    assert offered[0].startswith("Nhiệm vụ 3.3:") and offered[1:] == MENU[:2]
    assert await say("1") == await say("/nhiemvu 3.3")


def test_the_one_line_form_reads_a_status_of_several_words() -> None:
    line = read_line("3.3 đã hoàn thành rồi")
    assert (line.code, line.status, line.percent, line.note) == ("3.3", Status.DONE, None, "")
    line = read_line("3.3 da hoan thanh roi 100% đã ban hành")
    assert (line.status, line.percent, line.note) == (Status.DONE, 100, "đã ban hành")
    assert read_line("3.3 chưa").status is Status.NOT_STARTED  # a whole-answer word


async def test_words_fitting_several_tasks_offer_those_to_report_on(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    assert await say("bc khao sat dang lam 50%") == texts.REPORT_WHICH_TASK
    offered = labels(say)
    assert any(label.startswith("Báo cáo 7.2") for label in offered)
    assert any(label.startswith("Báo cáo 8.2") for label in offered)
    picked = offered[0].split(":")[0].removeprefix("Báo cáo ")
    step = await say("1")  # a typed number picks the first offered task
    # what was typed with the words is kept: straight to the confirm step
    assert f"Nhiệm vụ {picked}" in step and "đang thực hiện" in step and "50%" in step
    assert await stored(sessions, unit_id) == []  # nothing saved before the yes


async def test_a_status_typed_alone_is_kept_until_the_task_is_chosen(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    assert "Bước 1/5" in await say("xong rồi")
    await say("3")
    step = await say("3.3")
    assert "Nhiệm vụ 3.3" in step and "hoàn thành" in step and "100%" in step
    assert await stored(sessions, unit_id) == []
    await say("ok")
    assert await stored(sessions, unit_id) == [("3.3", "hoan_thanh", 100, "")]


async def test_cancel_in_words_ends_an_open_report(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("/baocao")
    await say("3")
    assert await say("không báo cáo nữa") == texts.REPORT_CANCELLED
    assert await open_flow(sessions) is None
