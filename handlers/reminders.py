"""Deadlines (/hanchot, admins add and remove them) and reminder opt-in (/nhacnho).
Delivery is the reminder service's job: these only write deadlines. Broadcasts
(/phatthanh) are a flow: handlers/flows/broadcast.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from handlers import texts
from handlers.deadlines import format_deadlines
from handlers.inputs import fold, parse_code, parse_day
from handlers.ports import KnowledgeBase
from handlers.render import replies, shorten
from handlers.turn import Turn
from handlers.types import Reply
from knowledge import Deadline as DocumentDeadline
from storage.models import Deadline
from storage.queries.deadlines import add_deadline, list_deadlines, remove_deadline
from storage.queries.members import set_subscribed
from storage.queries.progress import latest_for_unit
from storage.status import Status

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class ReminderDefaults:
    """What an admin's new deadline gets unless they say otherwise."""

    offsets: str = "30d,7d,1d,0d"
    at: time = time(8, 0)


class Reminders:
    """The chat side of deadlines, reminders and broadcasts."""

    def __init__(
        self, library: KnowledgeBase, timezone: tzinfo, defaults: ReminderDefaults
    ) -> None:
        self.library = library
        self.timezone = timezone
        self.defaults = defaults

    async def deadlines(self, turn: Turn, arg: str) -> list[Reply]:
        """Show every deadline; admins may add (`them`) or remove (`xoa`) one."""
        words = arg.split()
        action = fold(words[0]) if words else ""
        if action in ("them", "xoa"):
            if not turn.is_admin:
                return [Reply(texts.ADMIN_ONLY)]
            if action == "them":
                return await self.add(turn, words[1:])
            return await self.remove(turn, words[1:])
        return await self.show(turn)

    async def show(self, turn: Turn) -> list[Reply]:
        """List the directive's and the committee's deadlines with days left or overdue."""
        rows = await list_deadlines(turn.session)
        added = [self.as_document(row, turn.is_admin) for row in rows if row.source == "admin"]
        meta = self.library.default.metadata
        text = format_deadlines(
            [*self.library.deadlines(), *added],
            today=turn.now.astimezone(self.timezone).date(),
            document=texts.document_label(meta.kind, meta.number, meta.issued),
            title_of=self.title_of,
            done=await self.done_by_unit(turn),
        )
        hint = texts.DEADLINE_ADMIN_HINT if turn.is_admin else ""
        return replies(f"{text}\n\n{texts.SUBSCRIBE_HINT}{hint}")

    def as_document(self, row: Deadline, show_id: bool) -> DocumentDeadline:
        """Return a committee deadline in the directive's shape, for the same list."""
        due = row.due_at.astimezone(self.timezone)
        phrase = row.title or texts.DEADLINE_SET_BY_COMMITTEE.format(at=f"{due:%H:%M}")
        if show_id:
            phrase = f"{phrase} (#{row.id})"
        return DocumentDeadline(row.document, row.task_code, "date", due.date(), phrase)

    async def done_by_unit(self, turn: Turn) -> dict[str, date]:
        """Return the tasks the sender's unit reported done, with the day (in the users' zone)."""
        unit = turn.scope.unit
        if unit is None or unit.id is None or turn.incoming.is_group:
            return {}
        rows = await latest_for_unit(
            turn.session, unit_id=unit.id, document=self.library.default.number
        )
        return {
            row.task_code: row.reported_at.astimezone(self.timezone).date()
            for row in rows
            if row.status == Status.DONE.value
        }

    def title_of(self, code: str) -> str:
        """Return a task's title without its own due date (the list gives the date), or ""."""
        task = self.library.find_task(code)
        return task.label if task else ""

    async def add(self, turn: Turn, words: list[str]) -> list[Reply]:
        """Add a deadline: /hanchot them 3.3 15/12/2026 [08:00] [tiêu đề]."""
        if len(words) < 2:
            return [Reply(texts.DEADLINE_ADD_USAGE)]
        code, day = parse_code(words[0]), parse_day(words[1])
        if code is None or self.library.find_task(code) is None:
            return [Reply(texts.REPORT_UNKNOWN_TASK.format(code=shorten(words[0], 20)))]
        if day is None:
            return [Reply(texts.DEADLINE_ADD_USAGE)]
        rest, at = words[2:], self.defaults.at
        if rest and (m := _TIME.fullmatch(rest[0])):
            at, rest = time(int(m[1]), int(m[2])), rest[1:]
        due = datetime.combine(day, at, tzinfo=self.timezone)
        title = shorten(" ".join(rest), 200)
        row = await add_deadline(
            turn.session,
            task_code=code,
            due_at=due,
            offsets=self.defaults.offsets,
            actor=turn.actor,
            title=title,
            document=self.library.default.number,
        )
        shown = f"{due:%d/%m/%Y %H:%M}"
        return [
            Reply(texts.DEADLINE_ADDED.format(id=row.id, code=code, due=shown, offsets=row.offsets))
        ]

    async def remove(self, turn: Turn, words: list[str]) -> list[Reply]:
        """Remove a deadline by its number: /hanchot xoa 12."""
        number = words[0].lstrip("#") if words else ""
        if not number.isdigit() or len(number) > 9:
            return [Reply(texts.DEADLINE_REMOVE_USAGE)]
        if not await remove_deadline(turn.session, deadline_id=int(number), actor=turn.actor):
            return [Reply(texts.DEADLINE_UNKNOWN.format(id=number))]
        return [Reply(texts.DEADLINE_REMOVED.format(id=number))]

    async def subscribe(self, turn: Turn, arg: str) -> list[Reply]:
        """Turn general reminders on (/nhacnho bat) or off (/nhacnho tat)."""
        choice = fold(arg.strip())
        if choice not in ("bat", "tat"):
            state = texts.SUBSCRIBED_ON if turn.member.subscribed else texts.SUBSCRIBED_OFF
            return [Reply(texts.SUBSCRIBE_USAGE.format(state=state))]
        if turn.member.id is None:  # a newcomer the database refused to store
            return [Reply(texts.NOT_SAVED)]
        wanted = choice == "bat"
        await set_subscribed(
            turn.session, member_id=turn.member.id, subscribed=wanted, actor=turn.actor
        )
        return [Reply(texts.SUBSCRIBED if wanted else texts.UNSUBSCRIBED)]
