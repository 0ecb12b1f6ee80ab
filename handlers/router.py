"""The dispatcher: route an `Incoming` to a small verb-named handler, return replies."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import date, tzinfo
from zoneinfo import ZoneInfo

from handlers import texts
from handlers.inputs import (
    MAX_MESSAGE,
    clean_text,
    parse_code,
    parse_command,
    parse_payload,
    question_problem,
    storable_incoming,
)
from handlers.ports import Clock, KnowledgeBase, Meter, NoMeter, Sessions
from handlers.registration import register
from handlers.reminders import ReminderDefaults, Reminders
from handlers.render import button_rows, replies, shorten
from handlers.reporting import Reporting
from handlers.tasks import (
    format_task,
    format_tree,
    format_unknown,
    task_button,
    task_buttons,
    tree_buttons,
)
from handlers.throttle import Throttle, Verdict
from handlers.turn import Turn, begin_turn
from handlers.types import Button, Incoming, Reply
from handlers.views import Views
from handlers.web_login import WebLogin
from storage.engine import is_unavailable
from storage.queries.members import get_member, set_blocked

log = logging.getLogger(__name__)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNTHROTTLED = frozenset({"console"})  # the operator's own terminal is not flood-limited

Command = Callable[[Turn, str], Awaitable[list[Reply]]]


class Handlers:
    """The whole conversation; one instance serves every channel."""

    def __init__(
        self,
        *,
        library: KnowledgeBase,
        clock: Clock,
        sessions: Sessions,
        admins: frozenset[str] = frozenset(),
        timezone: tzinfo = VN_TZ,
        reminder_defaults: ReminderDefaults | None = None,
        meter: Meter | None = None,
        flood_per_minute: int = 0,
        web_base_url: str = "",
    ) -> None:
        self.library = library
        self.clock = clock
        self.sessions = sessions
        self.admins = admins
        self.timezone = timezone
        self.meter = meter or NoMeter()
        self.throttle = Throttle(flood_per_minute) if flood_per_minute > 0 else None
        self.reporting = Reporting(library, self.meter)
        self.views = Views(library, timezone)
        self.reminders = Reminders(library, timezone, reminder_defaults or ReminderDefaults())
        self.web_login = WebLogin(web_base_url)
        self.commands: dict[str, Command] = {
            "start": self.start,
            "help": self.show_help,
            "hoi": self.ask,
            "nhiemvu": self.show_tasks,
            "hanchot": self.reminders.deadlines,
            "nhacnho": self.reminders.subscribe,
            "phatthanh": self.reminders.broadcast,
            "dangky": register,
            "baocao": self.reporting.start,
            "huy": self.reporting.cancel_command,
            "tiendo": self.views.progress,
            "lichsu": self.views.history,
            "chuabaocao": self.views.not_reported,
            "xuat": self.views.export,
            "bieudo": self.views.chart,
            "web": self.web_login.send_link,
            "quantri": self.web_login.send_link,
        }

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Return the replies to one message or button press; never raises."""
        held = self.admit(incoming)
        if held is not None:
            return held
        return await self.handle_admitted(incoming)

    async def handle_admitted(self, incoming: Incoming) -> list[Reply]:
        """Return the replies to an update `admit` already let through; never raises."""
        try:
            return await self.route(incoming)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_unavailable(exc):
                log.warning(
                    "database unavailable for %s update in chat %s: %s",
                    incoming.channel,
                    incoming.chat_id,
                    exc,
                )
                return [Reply(unavailable_text(incoming))]
            log.exception(
                "failed to handle %s update in chat %s", incoming.channel, incoming.chat_id
            )
            return [Reply(texts.SORRY)]

    def admit(self, incoming: Incoming) -> list[Reply] | None:
        """Count an update against the flood limit: None to handle it, else the notice or []."""
        # Channels call this as an update arrives, before it waits for its chat's turn.
        if self.throttle is None or incoming.channel in UNTHROTTLED:
            return None
        now = self.clock()
        admission = self.throttle.admit(f"{incoming.channel}:{incoming.user_id}", now)
        if admission.verdict is Verdict.PASS:
            return None
        if admission.verdict is Verdict.DROP or admission.reopens_at is None:
            return []
        log.info("%s chat %s over the flood limit: slowed down", incoming.channel, incoming.chat_id)
        reopens = admission.reopens_at
        text = texts.SLOW_DOWN.format(
            limit=self.throttle.limit,
            time=f"{reopens.astimezone(self.timezone):%H:%M:%S}",
            seconds=max(1, math.ceil((reopens - now).total_seconds())),
        )
        return [Reply(text)]

    async def note_reachability(self, channel: str, user_id: str, blocked: bool) -> None:
        """Record that a member blocked the bot (or came back); the blocked get nothing."""
        async with self.sessions() as session:
            member = await get_member(session, channel=channel, external_id=user_id)
            if member is not None and member.id is not None and member.blocked != blocked:
                await set_blocked(session, member_id=member.id, blocked=blocked)
                log.info("%s member %s %s", channel, member.id, "blocked" if blocked else "back")

    async def route(self, incoming: Incoming) -> list[Reply]:
        """Identify the sender, then send a button press, a command or text to its handler."""
        incoming = storable_incoming(incoming)
        async with self.sessions() as session:
            turn = await begin_turn(session, incoming, self.admins, self.clock())
            if incoming.payload is not None:
                return await self.press(turn, incoming.payload)
            text = clean_text(incoming.text)
            command = parse_command(text)
            if command is None:
                flow = await self.reporting.type(turn, text)
                if flow is not None:
                    return flow
                await session.close()  # a question needs no database: free the connection
                return await self.answer(text)
            if len(text) > MAX_MESSAGE:
                return [Reply(texts.TOO_LONG.format(length=len(text), limit=MAX_MESSAGE))]
            handler = self.commands.get(command.name)
            if handler is None:
                return [Reply(texts.UNKNOWN_COMMAND)]
            return await handler(turn, command.arg)

    async def press(self, turn: Turn, raw: str) -> list[Reply]:
        """Handle a button press; the payload is user input and checked strictly."""
        if raw.startswith("bc:"):
            return await self.reporting.press(turn, raw)
        if raw.startswith("pt:"):
            return await self.reminders.press(turn, raw)
        payload = parse_payload(raw)
        if payload is None:
            log.info("refused payload of %d chars in chat %s", len(raw), turn.incoming.chat_id)
            await turn.audit("payload.refused", raw[:64], reason="malformed")
            return [Reply(texts.FORGED_PAYLOAD)]
        if payload.kind == "nv":
            return await self.show_tasks(turn, payload.arg)
        return await self.commands[payload.arg](turn, "")

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Greet the user and offer the main choices; a deep-link payload registers."""
        if arg.strip():
            return await register(turn, arg)
        incoming = turn.incoming
        name = f", {shorten(incoming.display_name, 40)}" if incoming.display_name.strip() else ""
        text = texts.WELCOME.format(name=name, document=self.document_name())
        return replies(text, self.menu())

    async def show_help(self, turn: Turn, arg: str) -> list[Reply]:
        """List what the bot can do."""
        return replies(texts.HELP.format(document=self.document_name()), self.menu())

    async def ask(self, turn: Turn, arg: str) -> list[Reply]:
        """Answer the question written after /hoi."""
        if not arg:
            return [Reply(texts.ASK_WHAT)]
        return await self.answer(arg)

    async def answer(self, question: str) -> list[Reply]:
        """Answer a free-text question from the directive."""
        problem = question_problem(question)
        if problem:
            return [Reply(problem)]
        answer = self.library.answer(question)
        self.meter.question(answer.found)
        if answer.text.strip():
            return replies(answer.text)
        return [Reply(f"{texts.NOT_FOUND}\n{texts.NOT_FOUND_HINT}")]

    async def show_tasks(self, turn: Turn, arg: str) -> list[Reply]:
        """Show the task tree, or one task in full when a code is given."""
        if not arg:
            tasks = self.library.tasks()
            if not tasks:
                return [Reply(texts.NO_TASKS)]
            return replies(format_tree(tasks, self.document_name()), tree_buttons(tasks))
        code = parse_code(arg)
        if code is None:
            return [Reply(texts.BAD_CODE)]
        return self.show_task(code)

    def show_task(self, code: str) -> list[Reply]:
        """Show one task, or the nearest codes when it doesn't exist."""
        task = self.library.find_task(code)
        if task is None:
            close = self.library.close_codes(code)
            found = [t for t in map(self.library.find_task, close) if t is not None]
            buttons = button_rows([task_button(t) for t in found], per_row=1)
            return replies(format_unknown(code, close), buttons)
        children = [t for t in map(self.library.find_task, task.children) if t is not None]
        text = format_task(task, self.document_name(), self.today())
        return replies(text, task_buttons(task, children))

    def menu(self) -> list[list[Button]]:
        """Return the main-menu buttons."""
        return [
            [
                Button(texts.BUTTON_TASKS, "cmd:nhiemvu"),
                Button(texts.BUTTON_DEADLINES, "cmd:hanchot"),
            ],
            [Button(texts.BUTTON_HELP, "cmd:help")],
        ]

    def today(self) -> date:
        """Return today's date in the users' time zone."""
        return self.clock().astimezone(self.timezone).date()

    def document_name(self) -> str:
        """Return the default directive's name, e.g. "Kết luận 09-KL/BTCTW (11/01/2024)"."""
        meta = self.library.default.metadata
        return texts.document_label(meta.kind, meta.number, meta.issued)


def unavailable_text(incoming: Incoming) -> str:
    """Say the database is down: for a report, that it was NOT saved; else, send it again."""
    command = None if incoming.payload is not None else parse_command(clean_text(incoming.text))
    is_report = (incoming.payload or "").startswith("bc:") or (
        command is not None and command.name == "baocao"
    )
    return texts.REPORT_FAILED if is_report else texts.DB_UNAVAILABLE
