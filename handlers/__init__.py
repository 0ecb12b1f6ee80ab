"""The conversation, platform-neutral: `Incoming` in, a list of `Reply` out.

Never imports a chat platform, a web server or `bot.*`; dependencies (the
knowledge library, a clock, the database sessions) are passed to `Handlers`.
`Handlers` is imported on first use, so `python -m bot ask` needs no database code.
"""

from typing import TYPE_CHECKING, Any

from handlers.types import Button, Incoming, LinkButton, Reply, ReplyFile

if TYPE_CHECKING:
    from handlers.router import Handlers

__all__ = ["Button", "Handlers", "Incoming", "LinkButton", "Reply", "ReplyFile"]


def __getattr__(name: str) -> Any:
    """Load the dispatcher (and with it storage) only when someone asks for it."""
    if name == "Handlers":
        from handlers.router import Handlers

        return Handlers
    raise AttributeError(name)
