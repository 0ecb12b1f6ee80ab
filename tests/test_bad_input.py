"""Odd and hostile input: always a clear Vietnamese reply, never an exception."""

from __future__ import annotations

import unicodedata

import pytest

from handlers import texts
from handlers.inputs import clean_text
from handlers.payloads import parse as parse_payload

BAD_TEXT = {
    "empty": ("", texts.EMPTY),
    "spaces": ("   \t  ", texts.EMPTY),
    "newlines": ("\n\n\r\n", texts.EMPTY),
    "control chars": ("\x00\x01\x1b\x7f", texts.EMPTY),
    "zero-width": ("\u200b\u200d\ufeff", texts.EMPTY),
    "lone punctuation": ("?", texts.NO_WORDS),
    "punctuation": ("...!!!???", texts.NO_WORDS),
    "emoji": ("😀🎉👍🏽", texts.NO_WORDS),
}


@pytest.mark.parametrize("name", list(BAD_TEXT))
async def test_bad_text_gets_a_clear_reply(handlers, library, name, incoming):
    text, expected = BAD_TEXT[name]
    replies = await handlers.handle(incoming(text))
    assert [r.text for r in replies] == [expected]
    assert library.questions == []


async def test_100_kb_is_refused_with_its_length(handlers, library, incoming):
    replies = await handlers.handle(incoming("vị trí " * 15_000))
    assert len(replies) == 1
    assert "quá dài" in replies[0].text
    assert "2000" in replies[0].text
    assert library.questions == []


async def test_100_kb_command_is_refused(handlers, incoming):
    replies = await handlers.handle(incoming("/nhiemvu " + "3" * 100_000))
    assert "quá dài" in replies[0].text


async def test_nfd_text_reaches_the_library_as_nfc(handlers, library, incoming):
    nfd = unicodedata.normalize("NFD", "vị trí việc làm")
    assert nfd != "vị trí việc làm"
    replies = await handlers.handle(incoming(nfd))
    assert library.questions == ["vị trí việc làm"]
    assert "31/3/2024" in replies[0].text


@pytest.mark.parametrize("text", ["你好，截止日期是什么时候？", "Привет", "مرحبا", "こんにちは"])
async def test_other_scripts_get_an_answer_or_not_found(handlers, text, incoming):
    replies = await handlers.handle(incoming(text))
    assert replies and replies[0].text
    assert replies[0].text != texts.SORRY


async def test_control_chars_inside_a_question_are_dropped(handlers, library, incoming):
    await handlers.handle(incoming("vị\x00 trí\u200b việc\tlàm\x1b"))
    assert library.questions == ["vị trí việc làm"]


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "nv",
        "nv:abc",
        "nv:3.3; DROP TABLE",
        "nv:" + "1." * 40,
        "cmd:admin",
        "cmd:",
        "CMD:help",
        "nv:3.3\n",
        "x" * 10_000,
        "nv:\u0663",
        "\x00",
        "nv:3.3.3.3.3",
    ],
)
async def test_forged_payloads_are_refused_politely(handlers, payload, incoming):
    replies = await handlers.handle(incoming(payload=payload))
    assert [r.text for r in replies] == [texts.FORGED_PAYLOAD]


async def test_well_formed_payload_for_a_missing_task_is_not_an_error(handlers, incoming):
    replies = await handlers.handle(incoming(payload="nv:99.99"))
    assert "Không có nhiệm vụ mã 99.99" in replies[0].text


@pytest.mark.parametrize("payload", ["nv:", "nv:3", "nv:3.3", "cmd:help", "cmd:nhiemvu"])
def test_valid_payloads_parse(payload):
    assert parse_payload(payload) is not None


def test_clean_text_normalises():
    assert clean_text(" a\u0301\r\nb\x00 ") == "á b"


@pytest.mark.parametrize("text", ["/", "/@", "/@bot", "/ help", "//help", "/xóa"])
async def test_odd_commands_get_the_unknown_command_reply(handlers, text, incoming):
    replies = await handlers.handle(incoming(text))
    assert replies[0].text in (texts.UNKNOWN_COMMAND, texts.NO_WORDS)
