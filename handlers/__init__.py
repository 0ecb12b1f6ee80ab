"""The conversation, platform-neutral: `Incoming` in, a list of `Reply` out.

Never imports a chat platform, a web server or `bot.*`; dependencies (the
knowledge library, a clock) are passed to `Handlers` by the caller.
"""

from handlers.router import Handlers
from handlers.types import Button, Incoming, Reply, ReplyFile

__all__ = ["Button", "Handlers", "Incoming", "Reply", "ReplyFile"]
