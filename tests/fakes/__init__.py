"""Test doubles that speak real protocols over loopback sockets."""

from .telegram import ApiError, FakeTelegram

__all__ = ["ApiError", "FakeTelegram"]

from .proxy import RoundRobinProxy
from .zalo_bot import BotApiError, FakeZaloBot
from .zalo_oa import FakeZaloOA, OAError, OAuthError

__all__ += ["BotApiError", "FakeZaloBot", "FakeZaloOA", "OAError", "OAuthError", "RoundRobinProxy"]
