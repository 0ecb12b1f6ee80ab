"""Telegram-signed data: a Mini App's initData and the Login Widget (bot/dashboard/init_data.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.dashboard.init_data import SignatureProblem, check_init_data, check_login_widget
from tests.telegram_signing import init_data, login_widget

TOKEN = "123456:TEST-TOKEN"
NOW = datetime(2025, 5, 13, 2, 0, tzinfo=UTC)


def test_valid_init_data_names_its_user() -> None:
    raw = init_data(TOKEN, 201, NOW - timedelta(minutes=3))
    user = check_init_data(raw, token=TOKEN, now=NOW)
    assert (user.id, user.name) == (201, "Lê Văn Tâm")


def test_every_field_counts_including_ones_we_do_not_read() -> None:
    raw = init_data(TOKEN, 201, NOW, start_param="x", signature="abc")
    assert check_init_data(raw, token=TOKEN, now=NOW).id == 201
    fields = dict(parse_qsl(raw))
    fields["start_param"] = "y"
    with pytest.raises(SignatureProblem, match="hash"):
        check_init_data(urlencode(fields), token=TOKEN, now=NOW)


def test_a_forged_user_is_refused() -> None:
    fields = dict(parse_qsl(init_data(TOKEN, 201, NOW)))
    fields["user"] = fields["user"].replace("201", "202")
    with pytest.raises(SignatureProblem, match="hash"):
        check_init_data(urlencode(fields), token=TOKEN, now=NOW)


def test_a_forged_hash_is_refused() -> None:
    fields = dict(parse_qsl(init_data(TOKEN, 201, NOW)))
    fields["hash"] = ("0" if fields["hash"][0] != "0" else "1") + fields["hash"][1:]
    with pytest.raises(SignatureProblem, match="hash"):
        check_init_data(urlencode(fields), token=TOKEN, now=NOW)


def test_another_bots_token_is_refused() -> None:
    raw = init_data("654321:OTHER-TOKEN", 201, NOW)
    with pytest.raises(SignatureProblem, match="hash"):
        check_init_data(raw, token=TOKEN, now=NOW)


def test_stale_and_future_auth_dates_are_refused() -> None:
    day_old = init_data(TOKEN, 201, NOW - timedelta(days=1, seconds=1))
    with pytest.raises(SignatureProblem, match="old"):
        check_init_data(day_old, token=TOKEN, now=NOW)
    ahead = init_data(TOKEN, 201, NOW + timedelta(minutes=6))
    with pytest.raises(SignatureProblem, match="future"):
        check_init_data(ahead, token=TOKEN, now=NOW)
    just_in = init_data(TOKEN, 201, NOW - timedelta(hours=23, minutes=59))
    assert check_init_data(just_in, token=TOKEN, now=NOW).id == 201


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "user=%7B%22id%22%3A201%7D&auth_date=1",  # no hash
        "hash=" + "a" * 64,  # nothing signed of note, wrong anyway
        "a" * 9000,
        "%%%",
    ],
)
def test_malformed_init_data_is_refused(raw: str) -> None:
    with pytest.raises(SignatureProblem):
        check_init_data(raw, token=TOKEN, now=NOW)


def test_a_repeated_field_is_refused_even_when_one_copy_is_signed() -> None:
    raw = init_data(TOKEN, 201, NOW)
    with pytest.raises(SignatureProblem, match="repeated"):
        check_init_data(raw + "&user=%7B%22id%22%3A1%7D", token=TOKEN, now=NOW)
    with pytest.raises(SignatureProblem, match="repeated"):
        check_init_data("user=%7B%22id%22%3A1%7D&" + raw, token=TOKEN, now=NOW)


def test_signed_data_without_a_user_is_refused() -> None:
    raw = init_data(TOKEN, 201, NOW, user="not json")
    with pytest.raises(SignatureProblem, match="user"):
        check_init_data(raw, token=TOKEN, now=NOW)


def test_login_widget_fields() -> None:
    fields = login_widget(TOKEN, 900, NOW - timedelta(minutes=1))
    assert check_login_widget(fields, token=TOKEN, now=NOW).id == 900
    with pytest.raises(SignatureProblem, match="hash"):
        check_login_widget({**fields, "id": "901"}, token=TOKEN, now=NOW)
    with pytest.raises(SignatureProblem, match="hash"):  # initData's key is not the widget's
        check_login_widget(fields, token="654321:OTHER-TOKEN", now=NOW)
    stale = login_widget(TOKEN, 900, NOW - timedelta(days=2))
    with pytest.raises(SignatureProblem, match="old"):
        check_login_widget(stale, token=TOKEN, now=NOW)
    missing = {k: v for k, v in fields.items() if k != "hash"}
    with pytest.raises(SignatureProblem, match="hash"):
        check_login_widget(missing, token=TOKEN, now=NOW)


def test_a_widget_signature_is_not_a_mini_app_signature() -> None:
    widget = login_widget(TOKEN, 900, NOW)
    with pytest.raises(SignatureProblem, match="hash"):
        check_init_data(urlencode(widget), token=TOKEN, now=NOW)
