"""The real bot process (`python -m bot run`) on Telegram, against the loopback fake Bot API."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from handlers import texts
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Member
from storage.queries.invites import create_invite
from storage.queries.members import get_member
from storage.queries.progress import latest_for_unit
from storage.queries.units import upsert_unit
from tests.botprocess import PINNED, bot_env, free_port
from tests.fakes import FakeTelegram

pytestmark = pytest.mark.asyncio(loop_scope="module")
ADMIN = 900


@dataclass
class Bot:
    """A running bot process, its fake Telegram and its database."""

    fake: FakeTelegram
    process: asyncio.subprocess.Process
    url: str  # sqlite URL
    http: str  # http://127.0.0.1:PORT of the bot's web server
    log: Path

    async def say(self, chat: int, text: str, **extra: Any) -> dict[str, Any]:
        """Send a message as a user; return the next message the bot sends to that chat."""
        before = len(self.fake.sent_to(chat))
        self.fake.message(chat, text, **extra)  # polled, or POSTed to the webhook with its secret
        await self.fake.wait_for(lambda f: len(f.sent_to(chat)) > before, timeout=15)
        return self.fake.sent_to(chat)[before]

    async def press(self, chat: int, data: str, message_id: int) -> dict[str, Any]:
        """Press a button; return the next message sent or edited in that chat."""
        before = len(self.fake.sent_to(chat))
        self.fake.callback(chat, data, message_id=message_id)
        await self.fake.wait_for(lambda f: len(f.sent_to(chat)) > before, timeout=15)
        return self.fake.sent_to(chat)[before]

    async def member(self, user: int) -> Member | None:
        engine = create_engine(self.url)
        try:
            async with session_factory(engine)() as session:
                return await get_member(session, channel="telegram", external_id=str(user))
        finally:
            await engine.dispose()


async def seed(url: str) -> dict[str, str]:
    """Create the units of the scripted check and an invite for each district."""
    engine = create_engine(url)
    await upgrade(engine)
    codes = {}
    async with session_factory(engine)() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        for code, name in (("HU-TP", "Huyện ủy Tuy Phước"), ("HU-AN", "Huyện ủy An Nhơn")):
            unit = await upsert_unit(s, code=code, name=name, actor="t", parent_code="TU-BD")
            for n in range(3):
                _, codes[f"{code}/{n}"] = await create_invite(
                    s,
                    unit_id=unit.id or 0,
                    created_by="t",
                    now=PINNED,  # the bot's clock
                )
    await engine.dispose()
    return codes


async def start_bot(tmp: Path, *, webhook: bool) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    await fake.start()
    url = f"sqlite+aiosqlite:///{tmp / 'bot.db'}"
    port = free_port()
    env = bot_env(fake, url, HTTP_PORT=str(port), ADMINS=f"telegram:{ADMIN}")  # pinned clock
    if webhook:
        env["TELEGRAM_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/telegram/webhook"
    log = tmp / "bot.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp, env=env, stdout=out, stderr=out
        )
    bot = Bot(fake, process, url, f"http://127.0.0.1:{port}", log)
    try:
        ready = (lambda f: f.webhook) if webhook else (lambda f: f.calls_to("getUpdates"))
        await fake.wait_for(ready, timeout=30)
        yield bot
    finally:
        process.terminate()  # SIGTERM: the bot stops gracefully, still talking to the fake
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()
        await fake.stop()
        text = log.read_text(errors="replace")
        assert "Traceback" not in text or "CancelledError" in text, text[-3000:]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def invites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {"dir": tmp_path_factory.mktemp("tg")}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def polling(invites: dict[str, Any]) -> AsyncIterator[Bot]:
    tmp = invites["dir"] / "polling"
    tmp.mkdir()
    invites["polling"] = await seed(f"sqlite+aiosqlite:///{tmp / 'bot.db'}")
    async for bot in start_bot(tmp, webhook=False):
        yield bot
        assert bot.fake.breaches == [], bot.fake.breaches


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def webhook(invites: dict[str, Any]) -> AsyncIterator[Bot]:
    tmp = invites["dir"] / "webhook"
    tmp.mkdir()
    invites["webhook"] = await seed(f"sqlite+aiosqlite:///{tmp / 'bot.db'}")
    async for bot in start_bot(tmp, webhook=True):
        yield bot
        assert bot.fake.breaches == [], bot.fake.breaches


def buttons(sent: dict[str, Any]) -> list[str]:
    markup = sent.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_a_question_is_answered_with_the_quote(polling: Bot) -> None:
    reply = await polling.say(101, "han chot vi tri viec lam")
    assert "31/3/2024" in reply["plain"] and "Mục II.3" in reply["plain"]
    assert reply["parse_mode"] == "HTML"


async def test_the_command_menu_is_in_vietnamese(polling: Bot) -> None:
    names = {c["command"]: c["description"] for c in polling.fake.commands}
    assert {"baocao", "hanchot", "nhiemvu"} <= set(names)
    assert names["baocao"].startswith("Báo cáo")


async def test_deep_link_then_the_button_flow_stores_a_report(
    polling: Bot, invites: dict[str, Any]
) -> None:
    chat = 102
    welcome = await polling.say(chat, f"/start {invites['polling']['HU-TP/0']}")
    assert "Đăng ký thành công" in welcome["plain"]
    groups = await polling.say(chat, "/baocao")
    assert "bc:g:3" in buttons(groups)
    step = await polling.press(chat, "bc:g:3", groups["message_id"])
    assert step["method"] == "editMessageText" and "bc:t:3.3" in buttons(step)
    step = await polling.press(chat, "bc:t:3.3", step["message_id"])
    step = await polling.press(chat, "bc:s:hoan_thanh", step["message_id"])  # 100%: no step 4
    step = await polling.say(chat, "Đã ban hành kế hoạch <VTVL> & phân công")
    assert "Xin xác nhận" in step["plain"] and "<VTVL> & phân công" in step["plain"]
    done = await polling.press(chat, "bc:ok", step["message_id"])
    assert "Đã lưu" in done["plain"]
    assert len(polling.fake.answers) >= 4  # every button press answered
    engine = create_engine(polling.url)
    async with session_factory(engine)() as session:
        member = await get_member(session, channel="telegram", external_id=str(chat))
        assert member is not None and member.unit_id is not None
        [row] = await latest_for_unit(session, unit_id=member.unit_id)
    await engine.dispose()
    assert (row.task_code, row.status, row.note) == (
        "3.3",
        "hoan_thanh",
        "Đã ban hành kế hoạch <VTVL> & phân công",
    )


async def test_a_forged_button_is_refused(polling: Bot, invites: dict[str, Any]) -> None:
    chat = 103
    await polling.say(chat, f"/dangky {invites['polling']['HU-AN/0']}")
    groups = await polling.say(chat, "/baocao")
    refused = await polling.press(chat, "bc:t:9.9", groups["message_id"])
    assert "không còn dùng được" in refused["plain"]  # no task 9.9 to start a report on
    step = await polling.press(chat, "bc:g:3", groups["message_id"])
    refused = await polling.press(chat, "bc:t:9.9", step["message_id"])
    assert "không còn dùng được" in refused["plain"]
    refused = await polling.press(chat, "xx:" + "9" * 40, step["message_id"])
    assert "không còn dùng được" in refused["plain"]


async def test_a_429_delays_the_reply_but_loses_nothing(polling: Bot) -> None:
    chat = 104
    polling.fake.fail("sendMessage", status=429, retry_after=2)
    started = time.monotonic()
    reply = await polling.say(chat, "Quyết định 244-QĐ/TW ban hành ngày nào?")
    assert time.monotonic() - started >= 2
    assert "9/6/2014" in reply["plain"]


async def test_a_5xx_is_retried(polling: Bot) -> None:
    polling.fake.fail("sendMessage", status=502, times=2)
    reply = await polling.say(105, "vtvl han cuoi")
    assert "31/3/2024" in reply["plain"]


async def test_a_user_who_blocked_the_bot_is_marked(polling: Bot) -> None:
    chat = 106
    await polling.say(chat, "/help")
    polling.fake.block(chat)
    polling.fake.message(chat, "han chot vtvl")
    await polling.fake.wait_for(
        lambda f: (
            f.calls_to("sendMessage")
            and any(
                c["params"].get("chat_id") in (chat, str(chat)) and c["status"] == 403
                for c in f.calls_to("sendMessage")
            )
        )
    )
    await asyncio.sleep(0.3)
    member = await polling.member(chat)
    assert member is not None and member.blocked
    polling.fake.unblock(chat)
    reply = await polling.say(chat, "/help")  # writing again makes them reachable
    assert reply["plain"]
    member = await polling.member(chat)
    assert member is not None and not member.blocked


async def test_kicked_by_my_chat_member_marks_blocked(polling: Bot) -> None:
    chat = 107
    await polling.say(chat, "/start")
    polling.fake.my_chat_member(chat, status="kicked")
    for _ in range(50):
        member = await polling.member(chat)
        if member is not None and member.blocked:
            break
        await asyncio.sleep(0.1)
    assert member is not None and member.blocked


async def test_groups_only_hear_what_is_meant_for_the_bot(polling: Bot) -> None:
    group = -1001
    polling.fake.message(group, "hôm nay họp chi bộ", chat_type="supergroup", title="Chi bộ")
    reply = await polling.say(
        group, "@kl09_bot hạn chót vị trí việc làm", chat_type="supergroup", title="Chi bộ"
    )
    assert "31/3/2024" in reply["plain"]
    private = await polling.say(group, "/tiendo", chat_type="supergroup", title="Chi bộ")
    assert "tin nhắn riêng" in private["plain"]
    assert len(polling.fake.sent_to(group)) == 2  # the chatter got no answer


async def test_admin_gets_excel_and_chart(polling: Bot) -> None:
    excel = await polling.say(ADMIN, "/xuat")
    assert excel["method"] == "sendDocument" and excel["file"]["name"].endswith(".xlsx")
    chart = await polling.say(ADMIN, "/bieudo")
    assert chart["method"] == "sendPhoto" and chart["file"]["content"].startswith(b"\x89PNG")


async def test_webhook_answers_with_the_secret_only(webhook: Bot) -> None:
    assert webhook.fake.webhook["secret_token"]
    reply = await webhook.say(201, "Kế hoạch vị trí việc làm phải hoàn thiện trước ngày nào?")
    assert "31/3/2024" in reply["plain"]
    sent = len(webhook.fake.sent)
    for n, secret in enumerate((None, "wrong-secret")):
        update = hand_made_update(202, "han chot vtvl", update_id=10_000 + n)
        assert await webhook.fake.deliver(update, secret=secret) == 403
    await asyncio.sleep(1)
    assert len(webhook.fake.sent) == sent


async def test_webhook_refuses_malformed_json_and_serves_health(webhook: Bot) -> None:
    secret = webhook.fake.webhook["secret_token"]
    async with aiohttp.ClientSession() as http:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        async with http.post(
            f"{webhook.http}/telegram/webhook", data="{not json", headers=headers
        ) as r:
            assert r.status == 400
        async with http.get(f"{webhook.http}/healthz") as r:
            assert r.status == 200
    reply = await webhook.say(203, "/help")  # still serving
    assert "/baocao" in reply["plain"]


async def test_webhook_button_flow(webhook: Bot, invites: dict[str, Any]) -> None:
    chat = 204
    await webhook.say(chat, f"/dangky {invites['webhook']['HU-TP/0']}")
    groups = await webhook.say(chat, "/baocao")
    step = await webhook.press(chat, "bc:g:2", groups["message_id"])
    assert "bc:t:2.2.4" in buttons(step)
    assert all(d["status"] == 200 for d in webhook.fake.deliveries if d["update_id"] < 10_000)


def hand_made_update(chat: int, text: str, *, update_id: int) -> dict[str, Any]:
    """Return an update the fake has not pushed anywhere (for requests we forge)."""
    user = {"id": chat, "is_bot": False, "first_name": "Giả mạo"}
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private", "first_name": "Giả mạo"},
        "from": user,
        "text": text,
    }
    return {"update_id": update_id, "message": message}


async def test_the_token_never_reaches_the_log(polling: Bot) -> None:
    await polling.say(108, "/help")
    assert polling.fake.token not in polling.log.read_text(errors="replace")


async def repeated_update_answers(bot: Bot, chat: int) -> int:
    """Hand the bot one update three times (same update_id); return how many replies came."""
    update = bot.fake.message(chat, "/help")
    bot.fake.repeat(update)  # in the same poll, or POSTed again to the webhook
    bot.fake.repeat(update)
    await bot.fake.wait_for(lambda f: f.sent_to(chat), timeout=15)
    await asyncio.sleep(1.5)
    return len(bot.fake.sent_to(chat))


async def test_a_repeated_update_is_answered_once_when_polling(polling: Bot) -> None:
    assert await repeated_update_answers(polling, 109) == 1


async def test_a_repeated_update_is_answered_once_by_webhook(webhook: Bot) -> None:
    assert await repeated_update_answers(webhook, 205) == 1


# --- polling beside a webhook -------------------------------------------------------------

PRODUCTION = "https://bot.example.org/telegram/webhook"


async def run_polling(fake: FakeTelegram, tmp: Path, *args: str) -> asyncio.subprocess.Process:
    """Start `python -m bot run ARGS` polling the fake (no TELEGRAM_WEBHOOK_URL)."""
    env = bot_env(fake, f"sqlite+aiosqlite:///{tmp / 'bot.db'}", HTTP_PORT=str(free_port()))
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        cwd=tmp,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_polling_refuses_to_remove_a_webhook_unless_told(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        fake.webhook = {"url": PRODUCTION, "secret_token": None}  # production receives there
        process = await run_polling(fake, tmp_path)
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
        message = err.decode()
        assert process.returncode == 2, message
        assert "bot.example.org" in message and "--drop-webhook" in message
        assert "Traceback" not in message
        assert fake.webhook == {"url": PRODUCTION, "secret_token": None}  # left alone
        assert not fake.calls_to("deleteWebhook") and not fake.calls_to("getUpdates")
        assert not fake.sent

        process = await run_polling(fake, tmp_path, "--drop-webhook")
        try:
            await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
            assert fake.webhook is None
        finally:
            process.terminate()
            _, err = await asyncio.wait_for(process.communicate(), timeout=20)
        assert "removing the webhook" in err.decode()


async def test_a_photo_is_answered_text_only(polling: Bot) -> None:
    """A photo without a caption is said to be unreadable, not silently dropped."""
    before = len(polling.fake.sent_to(141))
    polling.fake.photo(141)
    await polling.fake.wait_for(lambda f: len(f.sent_to(141)) > before, timeout=15)
    assert polling.fake.sent_to(141)[before]["plain"] == texts.UNREADABLE_MESSAGE


DIRECTIVE_2025 = Path(__file__).parent / "data" / "ket-luan-12-KL-BTCTW-2025.txt"


async def send_file(bot: Bot, chat: int, name: str, content: bytes) -> dict[str, Any]:
    """Send a document message; return the next message the bot sends to that chat."""
    before = len(bot.fake.sent_to(chat))
    bot.fake.document(chat, name, content)
    await bot.fake.wait_for(lambda f: len(f.sent_to(chat)) > before, timeout=15)
    return bot.fake.sent_to(chat)[before]


async def test_an_admin_adds_a_directive_by_sending_the_file(polling: Bot) -> None:
    """Issue 16: the file is downloaded (getFile), previewed with Lưu / Hủy, stored on Lưu,
    and the running bot answers from it without a restart; others are told politely."""
    content = DIRECTIVE_2025.read_bytes()
    stranger = await send_file(polling, 131, "kl12.txt", content)
    assert "Chỉ quản trị viên" in stranger["plain"]
    image = await send_file(polling, ADMIN, "anh-chup.png", b"\x89PNG\r\n")
    assert "chỉ nhận tệp .txt" in image["plain"]
    preview = await send_file(polling, ADMIN, "kl12.txt", content)
    assert "Kết luận số 12-KL/BTCTW" in preview["plain"] and "hạn 30/06/2025" in preview["plain"]
    assert buttons(preview) == ["vb:ok", "vb:huy"]
    assert polling.fake.calls_to("getFile")
    saved = await polling.press(ADMIN, "vb:ok", preview["message_id"])
    assert "Đã lưu văn bản #1: Kết luận 12-KL/BTCTW (8 nhiệm vụ)" in saved["plain"]
    again = await polling.press(ADMIN, "vb:ok", preview["message_id"])
    assert "không còn dùng được" in again["plain"]  # stored once
    deadline = time.monotonic() + 20  # the bot's library watcher polls every 5 s
    while True:
        answer = await polling.say(ADMIN, "Kết luận số 12 hạn hoàn thành đại hội chi bộ?")
        if "12-KL/BTCTW" in answer["plain"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert "30/6/2025" in answer["plain"] and "Kết luận 12-KL/BTCTW" in answer["plain"]
