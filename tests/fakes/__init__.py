"""Test doubles that speak real protocols over loopback sockets."""

from .telegram import ApiError, FakeTelegram

__all__ = ["ApiError", "FakeTelegram"]
