"""The Zalo fakes: the Official Account API (zalo_oa) and the Zalo Bot platform (zalo_bot)."""

from .zalo_bot import BotApiError, FakeZaloBot
from .zalo_oa import FakeZaloOA, OAError, OAuthError, signature

__all__ = ["BotApiError", "FakeZaloBot", "FakeZaloOA", "OAError", "OAuthError", "signature"]
