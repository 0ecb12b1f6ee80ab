"""A province with two districts and a second province, leaders bound, a movable clock.

For chat tests of the committee's views: `World.say` sends a message (or a button
payload) as a user through the real handlers and SQLite, on the world's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers import Handlers, Incoming
from handlers.ports import Sessions
from handlers.types import Reply
from storage.models import AuditLog, ProgressUpdate
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.units import upsert_unit
from tests.conftest import FakeLibrary

VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: TU-BD ─┬─ HU-AN        TU-X ─── HU-X
#:        └─ HU-TP
UNITS = [
    ("TU-BD", "Tỉnh ủy Bình Định", None),
    ("HU-TP", "Huyện ủy Tuy Phước", "TU-BD"),
    ("HU-AN", "Huyện ủy An Nhơn", "TU-BD"),
    ("TU-X", "Tỉnh ủy X", None),
    ("HU-X", "Huyện ủy X", "TU-X"),
]
#: user → the unit they lead; "boss" is an admin (ADMINS), "plain" a member of no unit.
LEADERS = {"chief": "TU-BD", "tp": "HU-TP", "an": "HU-AN", "xchief": "TU-X"}


@dataclass
class World:
    """The handlers, their database and clock, and the last replies."""

    sessions: Sessions
    now: datetime
    library: FakeLibrary = field(default_factory=FakeLibrary)
    last: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.handlers = Handlers(
            library=self.library,
            clock=lambda: self.now,
            sessions=self.sessions,
            admins=frozenset({"test:boss"}),
        )

    async def build(self) -> World:
        """Store the units and bind each leader to theirs."""
        async with self.sessions() as s:
            ids = {}
            for code, name, parent in UNITS:
                unit = await upsert_unit(s, code=code, name=name, actor="t", parent_code=parent)
                ids[code] = unit.id
            for user, code in LEADERS.items():
                member = await get_or_create_member(s, channel="test", external_id=user)
                assert member.id is not None
                await bind_member(
                    s, member_id=member.id, unit_id=ids[code], actor="t", role="leader"
                )
        return self

    async def say(self, text: str = "", *, user: str, payload: str | None = None) -> str:
        """Send text (or a payload) as `user`; return the replies' text joined."""
        incoming = Incoming(
            channel="test", chat_id=user, user_id=user, text=text, payload=payload, at=self.now
        )
        self.last = await self.handlers.handle(incoming)
        return "\n".join(r.text for r in self.last)

    async def rows(self, model: Any) -> list[Any]:
        """Return every stored row of a table, by id."""
        async with self.sessions() as s:
            return list((await s.scalars(select(model).order_by(model.id))).all())

    async def reports(self) -> list[ProgressUpdate]:
        """Return the progress log, oldest first."""
        return await self.rows(ProgressUpdate)

    async def audit(self, action: str) -> list[AuditLog]:
        """Return the audit rows of one action, oldest first."""
        return [row for row in await self.rows(AuditLog) if row.action == action]
