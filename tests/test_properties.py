"""Properties over arbitrary input: handle never fails, replies fit every channel."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import texts
from handlers.render import REPLY_LIMIT, split_text

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COMMANDS = ["/start", "/help", "/hoi", "/nhiemvu", "/hanchot", "/nhiemvu 3.3", "/x@bot"]
texts_st = st.one_of(
    st.text(max_size=300),
    st.sampled_from(COMMANDS).flatmap(lambda c: st.text(max_size=40).map(lambda t: f"{c} {t}")),
    st.text(alphabet="/@0123456789.:nvcmd ", max_size=30),
    st.text(min_size=1900, max_size=2100),
)
payload_st = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.sampled_from(["nv:", "nv:3", "nv:3.3", "nv:9.9", "cmd:help", "cmd:hanchot"]),
)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(VN)
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=texts_st, payload=payload_st, when=moments, group=st.booleans())
def test_handle_never_fails_and_replies_fit(text, payload, when, group, incoming, make_handlers):
    handlers = make_handlers(when)
    replies = asyncio.run(handlers.handle(incoming(text, payload, is_group=group)))
    assert replies
    for reply in replies:
        assert reply.text.strip()
        assert len(reply.text) <= REPLY_LIMIT
        assert reply.text != texts.SORRY
        for button in reply.flat_buttons():
            assert len(button.payload.encode()) <= 64


@given(text=st.text(max_size=3000), limit=st.integers(min_value=1, max_value=500))
def test_split_text_respects_the_limit_and_keeps_the_words(text, limit):
    chunks = split_text(text, limit)
    assert chunks
    assert all(len(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


@given(
    count=st.integers(min_value=0, max_value=12),
    typed=st.text(max_size=8),
    kind=st.sampled_from(["choice", "value"]),
)
def test_typed_text_picks_only_a_shown_choice(count, typed, kind):
    from handlers.conversation import Ask
    from handlers.flows.base import resolve
    from handlers.types import Button, Reply

    shown = [Button(f"Lựa chọn {i}", f"cmd:{i}") for i in range(count)]
    ask = Ask(Reply("?", [shown], numbered=kind == "choice"), kind)
    picked = resolve(ask, typed)
    assert picked is None or picked in {b.payload for b in shown}
    if kind == "value":
        assert picked is None or not typed.strip().rstrip(".").isdigit()
