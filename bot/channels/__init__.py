"""Channel adapters: translate between a chat platform and `Incoming`/`Reply`."""

from bot.channels.base import Channel, Dispatch

__all__ = ["Channel", "Dispatch"]
