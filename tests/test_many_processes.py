"""Two `python -m bot run` processes on one PostgreSQL behave as one bot (issue 13 §4).

A round-robin proxy stands where the load balancer would: every webhook request goes to the
next process, so the Zalo OA's and the Zalo Bot's events of one conversation alternate
between the two. The platforms are the loopback fakes of tests/test_zalo_e2e.py, set up
the same way (its `seed`, leaders of HU-TP on each platform, and its helpers).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import pairwise

import pytest
import pytest_asyncio
from sqlalchemy import select

from handlers import texts
from storage.engine import create_engine, session_factory
from storage.models import ProgressUpdate
from storage.status import STATUS_LABELS, Status
from tests.botprocess import (
    BotProcess,
    Launcher,
    bot_env,
    free_port,
    log_count,
    throwaway_database,
    wait_for_log,
    zalo_env,
)
from tests.fakes import FakeTelegram, FakeZaloBot, FakeZaloOA, RoundRobinProxy
from tests.test_zalo_e2e import Fakes, oa_say, seed, zb_say

pytestmark = pytest.mark.asyncio(loop_scope="module")

OA_HOOK = "/zalo/oa/webhook"
ZB_HOOK = "/zalo/bot/webhook"
SAVED = texts.REPORT_SAVED.split("{")[0]  # "Đã lưu báo cáo của "
QUIET = 1.5  # seconds without a further reply: nothing more is coming
RACES = 4  # rounds of two presses at once


@dataclass
class Two:
    """Two bot processes behind one proxy, and what the Zalo helpers need."""

    fakes: Fakes  # `bot` is the first process; `hook` is the OA webhook through the proxy
    bots: list[BotProcess]
    proxy: RoundRobinProxy


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def two(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Two]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set: several processes need PostgreSQL")
    tmp = tmp_path_factory.mktemp("processes")
    ports = [free_port(), free_port()]
    async with (
        throwaway_database(base, "processes") as url,
        FakeTelegram() as telegram,
        FakeZaloOA() as oa,
        FakeZaloBot() as zbot,
        RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy,
    ):
        invites = await seed(url)
        env = bot_env(
            telegram,
            url,
            TELEGRAM_WEBHOOK_URL=f"{proxy.url}/telegram/webhook",
            ZALO_BOT_WEBHOOK_URL=f"{proxy.url}{ZB_HOOK}",
            **zalo_env(oa, zbot),
        )
        launcher = Launcher(tmp)
        bots = []
        try:
            for port in ports:  # one after the other: the second uses the first's OA token
                bot = await launcher.start(env, port=port)
                for ready in ("zalo_oa: ready", "zalo_bot: webhook registered"):
                    await wait_for_log(bot, ready)
                bots.append(bot)
            fakes = Fakes(telegram, oa, zbot, bots[0], url, f"{proxy.url}{OA_HOOK}", invites)
            yield Two(fakes, bots, proxy)
        finally:
            await launcher.stop_all()
        for bot in bots:
            assert "Traceback" not in bot.text(), bot.text()[-3000:]


def upstreams(proxy: RoundRobinProxy, path: str, since: int) -> list[int]:
    """Return which process each request to `path` went to, from the `since`-th on."""
    return [r["upstream"] for r in proxy.forwarded[since:] if r["path"] == path]


def alternated(went: list[int]) -> bool:
    """Tell whether consecutive requests went to different processes (and there were some)."""
    return len(went) > 1 and all(a != b for a, b in pairwise(went))


async def reports(url: str) -> list[ProgressUpdate]:
    """Return every stored report, oldest first."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            rows = await s.scalars(select(ProgressUpdate).order_by(ProgressUpdate.id))
            return list(rows)
    finally:
        await engine.dispose()


def button(oa: FakeZaloOA, user: str, title: str) -> str:
    """Return the payload of the newest button titled `title` the OA sent `user`."""
    for record in reversed(oa.sent_to(user)):
        for shown, payload in record["buttons"]:
            if shown == title:
                return str(payload)
    raise AssertionError(f"no button {title!r} was sent to {user}\n{oa.dump()}")


async def press_at_once(two: Two, user: str, titles: tuple[str, str]) -> list[str]:
    """Press two buttons at the same moment, one in each process; return both replies."""
    oa, hook = two.fakes.oa, two.fakes.hook
    events = [oa.button_event(user, button(oa, user, title)) for title in titles]
    before, since = len(oa.sent_to(user)), len(two.proxy.forwarded)
    statuses = await asyncio.gather(*(oa.deliver(e, url=hook) for e in events))
    assert statuses == [200, 200]
    assert sorted(upstreams(two.proxy, OA_HOOK, since)) == [0, 1]
    await oa.wait_for(lambda o: len(o.sent_to(user)) >= before + 2, timeout=20)
    await asyncio.sleep(QUIET)
    return [record["text"] for record in oa.sent_to(user)[before:]]


async def test_an_oa_event_repeated_to_the_other_process_is_answered_once(two: Two) -> None:
    oa, hook, user = two.fakes.oa, two.fakes.hook, "oa-twice"
    event = oa.text_event(user, "Quyết định 244-QĐ/TW ban hành ngày nào?", msg_id="twice-1")
    since = len(two.proxy.forwarded)
    assert await oa.deliver(event, url=hook) == 200
    assert await oa.deliver(event, url=hook) == 200  # Zalo's retry, to the other process
    assert sorted(upstreams(two.proxy, OA_HOOK, since)) == [0, 1]
    await oa.wait_for(lambda o: o.sent_to(user), timeout=20)
    await asyncio.sleep(QUIET)
    assert len(oa.sent_to(user)) == 1, oa.dump()
    assert sum(log_count(bot, "twice-1 repeated: dropped") for bot in two.bots) == 1


async def test_a_zalo_bot_report_by_numbers_alternating_between_processes_is_stored_once(
    two: Two,
) -> None:
    f, chat = two.fakes, "zb-user-1"  # a leader of HU-TP on the Zalo Bot (no buttons)
    before, since = len(await reports(f.url)), len(two.proxy.forwarded)
    transcript: list[tuple[str, str]] = []

    async def say(text: str) -> str:
        reply = str((await zb_say(f, chat, text))["text"])
        transcript.append((text, reply))
        return reply

    def shown() -> str:
        return "\n".join(f"> {typed}\n{reply}" for typed, reply in transcript)

    await say("/baocao")  # the groups, numbered
    assert "3.3" in await say("3"), shown()  # group 3 picked: its tasks, 3.3 among them
    in_progress = STATUS_LABELS[Status.IN_PROGRESS]
    assert in_progress in await say("3.3"), shown()  # task 3.3: its statuses
    await say("dang thuc hien")  # the status typed in words; now the percent
    await say("5")  # a value step: 5 means 5%, not choice 5
    assert "5%" in await say("bo qua"), shown()  # the note skipped: the summary to confirm
    assert (await say("ok")).startswith(SAVED), shown()
    assert alternated(upstreams(two.proxy, ZB_HOOK, since)), two.proxy.dump()
    stored = (await reports(f.url))[before:]
    assert [(r.task_code, r.status, r.percent, r.note) for r in stored] == [
        ("3.3", Status.IN_PROGRESS.value, 5, "")
    ], shown()


async def test_two_presses_of_one_chat_in_two_processes_at_once_are_taken_in_turn(
    two: Two,
) -> None:
    f, user = two.fakes, "oa-user-1"  # a leader of HU-TP on the Zalo OA
    before = len(await reports(f.url))
    in_progress = STATUS_LABELS[Status.IN_PROGRESS]
    for _ in range(RACES):  # unserialised, about one race in three answers both
        await oa_say(f, user, "/baocao 3.3")  # the task given: its statuses
        await oa_say(f, user, button(f.oa, user, in_progress))  # now the percent
        # Two percents pressed at once: one moves the flow on, the other finds its step past.
        said = await press_at_once(two, user, ("50%", "75%"))
        assert sorted(said) == sorted([texts.REPORT_ASK_NOTE, texts.STALE_BUTTON]), said

    summary = await oa_say(f, user, button(f.oa, user, texts.BUTTON_SKIP))
    percent = 50 if "50%" in summary["text"] else 75
    assert f"{percent}%" in summary["text"]

    # The same confirm pressed twice at once: saved once, the other told it is past.
    said = await press_at_once(two, user, (texts.BUTTON_SEND, texts.BUTTON_SEND))
    assert sum(text.startswith(SAVED) for text in said) == 1, said
    assert texts.STALE_BUTTON in said, said
    stored = (await reports(f.url))[before:]
    assert [(r.task_code, r.status, r.percent) for r in stored] == [
        ("3.3", Status.IN_PROGRESS.value, percent)
    ]
