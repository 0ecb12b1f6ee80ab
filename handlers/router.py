"""The dispatcher: route an `Incoming` to a small verb-named handler, return replies."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from handlers import payloads, texts
from handlers.admin_chat import AdminChat
from handlers.conversation import MENU, Ask, ChatState, store_state
from handlers.flows import Flow, Registry
from handlers.flows.base import again, end, is_cancel, looks_like_question, resolve
from handlers.flows.report import is_web_form
from handlers.inputs import (
    MAX_MESSAGE,
    clean_text,
    parse_command,
    parse_task_ref,
    question_problem,
    storable_incoming,
)
from handlers.intents import Intent, Kind, Reader, Suggestion
from handlers.payloads import Payload
from handlers.payloads import parse as parse_payload
from handlers.ports import Clock, KnowledgeBase, Meter, NoMeter, Sessions
from handlers.registration import register
from handlers.reminders import ReminderDefaults, Reminders
from handlers.render import button_rows, replies, shorten
from handlers.report_form import ReportForm
from handlers.scope import ANYONE, PRIVATE, Access, Need, refusal
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
from handlers.types import Button, Incoming, IncomingFile, LinkButton, Reply
from handlers.views import Views
from handlers.web_login import WebLogin, mini_app_url
from handlers.who_reports import WhoReports
from storage.engine import is_unavailable
from storage.models import Role
from storage.queries.members import get_member, set_blocked

log = logging.getLogger(__name__)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNTHROTTLED = frozenset({"console"})  # the operator's own terminal is not flood-limited

Run = Callable[[Turn, str], Awaitable[list[Reply]]]

#: Typed intents that do what a command does: the command's name (its arg is the intent's).
AS_COMMAND = {
    Kind.TASK: "nhiemvu",
    Kind.TASKS: "nhiemvu",
    Kind.DEADLINES: "hanchot",
    Kind.PROGRESS: "tiendo",
    Kind.MISSING: "chuabaocao",
    Kind.HISTORY: "lichsu",
    Kind.EXPORT: "xuat",
    Kind.CHART: "bieudo",
    Kind.UNITS: "donvi",
    Kind.MEMBERS: "thanhvien",
    Kind.REMINDERS_ON: "nhacnho",
    Kind.REMINDERS_OFF: "nhacnho",
    Kind.REGISTER: "dangky",
}
#: Short friendly replies (shown with the menu).
SOCIAL = {
    Kind.GREETING: texts.GREETING_REPLY,
    Kind.THANKS: texts.THANKS_REPLY,
    Kind.ACK: texts.ACK_REPLY,
}


@dataclass(frozen=True)
class Command:
    """A slash command: what runs it, who may use it where, and the flow it starts (if any)."""

    run: Run
    access: Access = ANYONE
    flow: Flow | None = None


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
        bot_username: str = "",
    ) -> None:
        self.library = library
        self.reader = Reader(library)  # typed texts' intents, kept: they repeat across users
        self.clock = clock
        self.sessions = sessions
        self.admins = admins
        self.timezone = timezone
        self.meter = meter or NoMeter()
        self.throttle = Throttle(flood_per_minute) if flood_per_minute > 0 else None
        self.flows = Registry(library, self.meter, timezone)
        self.views = Views(library, timezone)
        self.reminders = Reminders(library, timezone, reminder_defaults or ReminderDefaults())
        self.web_login = WebLogin(web_base_url)
        self.mini_app = mini_app_url(web_base_url)
        self.admin = AdminChat(timezone, bot_username)
        self.who_reports = WhoReports(library, timezone)
        report, broadcast = self.flows.report, self.flows.broadcast
        viewer = Access(Need.VIEWER, private=True)
        admin = Access(Need.ADMIN, private=True)
        self.commands: dict[str, Command] = {
            "start": Command(self.start),
            "help": Command(self.show_help),
            "hoi": Command(self.ask),
            "nhiemvu": Command(self.show_tasks),
            "hanchot": Command(self.reminders.deadlines),
            "nhacnho": Command(self.reminders.subscribe),
            "phatthanh": Command(broadcast.start, broadcast.access, broadcast),
            "dangky": Command(register, PRIVATE, self.flows.move),
            "baocao": Command(self.report, report.access, report),
            "huy": Command(self.cancel_command),
            "tiendo": Command(self.views.progress, viewer),
            "lichsu": Command(self.views.history, viewer),
            "chuabaocao": Command(self.views.not_reported, viewer),
            "xuat": Command(self.views.export, Access(Need.VIEWER, private=True)),
            "bieudo": Command(self.views.chart, viewer),
            "web": Command(self.web_login.send_link, viewer),
            "quantri": Command(self.web_login.send_link, viewer),
            "moi": Command(self.admin.invite, viewer),
            "donvi": Command(self.admin.units, viewer),
            "thanhvien": Command(self.admin.members, viewer),
            "phamvi": Command(self.who_reports.scope, admin),
            "mien": Command(self.who_reports.exempt, admin),
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

    async def may_upload(self, channel: str, user_id: str) -> bool:
        """Tell whether a sender may add a directive by sending a file (an admin), so a
        channel that must fetch a file from a link fetches only admins' files."""
        if f"{channel}:{user_id}" in self.admins:
            return True
        async with self.sessions() as session:
            member = await get_member(session, channel=channel, external_id=user_id)
        return member is not None and member.role == Role.ADMIN.value

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
        if incoming.unreadable:  # said, not silently dropped; groups are not answered
            return [] if incoming.is_group else [Reply(texts.UNREADABLE_MESSAGE)]
        async with self.sessions() as session:
            turn = await begin_turn(session, incoming, self.admins, self.clock())
            if incoming.file is not None:
                return await self.remember(turn, await self.receive_file(turn, incoming.file))
            if incoming.payload is not None:
                return await self.remember(turn, await self.press(turn, incoming.payload))
            text = clean_text(incoming.text)
            command = parse_command(text)
            if command is None:
                return await self.type(turn, text)
            if len(text) > MAX_MESSAGE:
                return [Reply(texts.TOO_LONG.format(length=len(text), limit=MAX_MESSAGE))]
            return await self.remember(turn, await self.run(turn, command.name, command.arg))

    async def receive_file(self, turn: Turn, file: IncomingFile) -> list[Reply]:
        """A document sent: an admin's directive to preview and store; others are thanked."""
        upload = self.flows.upload
        if refusal(upload.access, turn.scope, is_group=turn.incoming.is_group):
            return [] if turn.incoming.is_group else [Reply(texts.UPLOAD_NOT_ADMIN)]
        if self.other_flow_open(turn, upload):
            await end(turn)  # a file sent mid-flow: the file is what the admin wants now
        return await upload.receive(turn, file)

    async def run(self, turn: Turn, name: str, arg: str) -> list[Reply]:
        """Run a command if the sender may, here; a flow asked for while another is open
        asks which one to keep."""
        command = self.commands.get(name)
        if command is None:
            return [Reply(texts.UNKNOWN_COMMAND)]
        refused = refusal(command.access, turn.scope, is_group=turn.incoming.is_group)
        if refused:
            return [Reply(refused)]
        flow = command.flow
        if flow is not None and flow.opens(arg) and self.other_flow_open(turn, flow):
            return await self.ask_switch(turn, flow, {"arg": arg})
        return await command.run(turn, arg)

    async def type(self, turn: Turn, text: str) -> list[Reply]:
        """Handle typed text: the open flow's answer, a shown choice, else a question."""
        state = turn.state
        if state is not None and state.flow in self.flows.by_name:
            return await self.type_in_flow(turn, self.flows.by_name[state.flow], state, text)
        if state is not None and state.ask is not None:  # the choices of the last reply
            picked = resolve(state.ask, text)
            if picked is not None:
                return await self.remember(turn, await self.press(turn, picked))
            await end(turn)
        if question_problem(text) is None:
            intent = self.reader.classify(text)
            if intent.kind is not Kind.QUESTION:
                return await self.remember(turn, await self.follow(turn, intent))
        await turn.session.close()  # a question needs no database: free the connection
        out = await self.answer(text, suggest=True)
        return await self.remember(turn, out) if out[-1].buttons else out

    async def follow(self, turn: Turn, intent: Intent) -> list[Reply]:
        """Do what typed words (not a question) ask for, with the same checks as the command."""
        kind = intent.kind
        if kind in SOCIAL:
            return replies(SOCIAL[kind], self.menu())
        if kind is Kind.HELP:
            return await self.show_help(turn, "")
        if kind is Kind.FOREIGN:
            return [Reply(texts.FOREIGN_REPLY), *await self.show_help(turn, "")]
        if kind is Kind.CANCEL:
            return await self.cancel(turn)
        if kind is Kind.WHOAMI:
            return [Reply(self.whoami(turn))]
        if kind is Kind.REPORT:
            return await self.report_typed(turn, intent)
        if kind is Kind.REPORT_START:
            return await self.start_report(turn, intent)
        arg = {Kind.REMINDERS_ON: "bat", Kind.REMINDERS_OFF: "tat", Kind.REGISTER: intent.arg}
        return await self.run(turn, AS_COMMAND[kind], arg.get(kind, intent.code))

    async def report_typed(self, turn: Turn, intent: Intent) -> list[Reply]:
        """Read a report typed as words (as the one-line /baocao) and ask to confirm it."""
        report = self.flows.report
        refused = refusal(report.access, turn.scope, is_group=turn.incoming.is_group)
        if refused:
            return [Reply(refused)]
        form = await report.read(turn, f"{intent.code} {intent.rest}")
        if not isinstance(form, ReportForm):
            return form
        return await self.propose(turn, form)

    async def start_report(self, turn: Turn, intent: Intent) -> list[Reply]:
        """Start /baocao, keeping a status typed alone ("xong rồi"); when the words fit a few
        tasks, offer those to pick from."""
        report = self.flows.report
        refused = refusal(report.access, turn.scope, is_group=turn.incoming.is_group)
        if refused:
            return [Reply(refused)]
        tasks = [t for t in map(self.library.find_task, intent.choices) if t is not None]
        if tasks:
            return await report.offer(turn, tasks, intent.rest)
        return await report.ask_group(turn, intent.rest)

    def whoami(self, turn: Turn) -> str:
        """Say the sender's role, unit and what they can do."""
        unit = turn.scope.unit
        if turn.is_admin:
            led = texts.WHOAMI_ADMIN_UNIT.format(unit=unit.name) if unit is not None else ""
            return texts.WHOAMI_ADMIN.format(unit=led)
        if unit is not None:
            return texts.WHOAMI_LEADER.format(unit=unit.name)
        bound = turn.member.unit  # in a unit, not its leader (e.g. the role was taken back)
        if bound is not None:
            return texts.WHOAMI_MEMBER.format(unit=bound.name)
        return texts.WHOAMI_GUEST

    async def type_in_flow(
        self, turn: Turn, flow: Flow, state: ChatState, text: str
    ) -> list[Reply]:
        """Answer the open flow's step with typed text, the same way on every channel."""
        if is_cancel(text) or self.reader.classify(text).kind is Kind.CANCEL:
            return await self.cancel(turn)
        refused = refusal(flow.access, turn.scope, is_group=turn.incoming.is_group)
        if refused:  # no longer a leader (or an admin) since the flow began
            await end(turn)
            return [Reply(refused)]
        ask = state.ask
        picked = resolve(ask, text) if ask is not None else None
        if picked is None and state.switch is None:
            picked = flow.match(state, text)
        if picked is not None:
            return await self.press(turn, picked)
        if state.switch is None and (ask is None or ask.kind == "value"):
            taken = await flow.type(turn, state, text)
            if taken is not None:
                return taken
        if ask is not None and looks_like_question(text):
            return [*await self.answer(text), ask.reply]
        return again(turn, ask.hint if ask is not None and ask.hint else texts.STEP_PICK)

    async def press(self, turn: Turn, raw: str) -> list[Reply]:
        """Handle a button press; the payload is user input and checked strictly."""
        payload = parse_payload(raw)
        if payload is None:
            log.info("refused payload of %d chars in chat %s", len(raw), turn.incoming.chat_id)
            await turn.audit("payload.refused", raw[:64], reason="malformed")
            return [Reply(texts.FORGED_PAYLOAD)]
        if payload.kind == payloads.TASK:
            return await self.show_tasks(turn, payload.value)
        if payload.kind == payloads.MENU:
            return await self.run(turn, payload.value, "")
        if payload.kind == payloads.SWITCH:
            return await self.switch(turn, payload)
        if payload.kind == payloads.MISSING_TASK:
            return await self.run(turn, "chuabaocao", payload.value)
        if payload.kind == payloads.MISSING_UNIT:
            refused = refusal(
                self.commands["chuabaocao"].access, turn.scope, is_group=turn.incoming.is_group
            )
            if refused:
                return [Reply(refused)]
            return await self.views.missing_of(turn, int(payload.value))
        if payload.kind == payloads.MEMBERS:
            return await self.run_press(turn, "thanhvien", self.admin.revoke, payload)
        flow = self.flows.by_kind[payload.kind]
        refused = refusal(flow.access, turn.scope, is_group=turn.incoming.is_group)
        if refused:
            await turn.audit("payload.refused", raw, reason="not allowed")
            return [Reply(refused)]
        is_open = turn.state is not None and turn.state.flow == flow.name
        if is_open and payload.step == "huy":
            return await self.cancel(turn)
        if not is_open and not flow.enters(payload):
            await turn.audit("payload.refused", raw, reason="flow not open")
            return [Reply(texts.STALE_BUTTON)]
        if self.other_flow_open(turn, flow):
            return await self.ask_switch(turn, flow, {"payload": raw})
        return await flow.press(turn, payload)

    async def run_press(
        self,
        turn: Turn,
        command: str,
        run: Callable[[Turn, Payload], Awaitable[list[Reply]]],
        payload: Payload,
    ) -> list[Reply]:
        """Run a command's button if the sender may use the command here."""
        access = self.commands[command].access
        refused = refusal(access, turn.scope, is_group=turn.incoming.is_group)
        if refused:
            await turn.audit("payload.refused", payload.pack(), reason="not allowed")
            return [Reply(refused)]
        return await run(turn, payload)

    def other_flow_open(self, turn: Turn, flow: Flow) -> bool:
        """Tell whether another flow than `flow` is open in the chat."""
        state = turn.state
        return state is not None and state.flow in self.flows.by_name and state.flow != flow.name

    async def ask_switch(self, turn: Turn, new: Flow, start: dict[str, Any]) -> list[Reply]:
        """Ask whether to keep the open flow or start `new` (with `start`: arg, payload or form)."""
        state = turn.state
        assert state is not None
        current = self.flows.by_name[state.flow]
        reply = Reply(
            texts.FLOW_SWITCH.format(current=current.title, new=new.title),
            [
                [Button(texts.BUTTON_KEEP.format(flow=current.title), payloads.switch("keep"))],
                [Button(texts.BUTTON_SWITCH.format(flow=new.title), payloads.switch("new"))],
            ],
        )
        kept = state.ask.to_json() if state.ask is not None else None
        switch = {"flow": new.name, **start, "ask": kept}
        asked = ChatState(state.flow, state.data, Ask(reply, hint=texts.STEP_PICK), switch)
        await store_state(turn.session, turn.chat, asked)
        turn.state = asked
        return [reply]

    async def switch(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Keep the open flow (show its step again) or end it and start the one asked for."""
        state = turn.state
        if state is None or state.switch is None:
            await turn.audit("payload.refused", payload.pack(), reason="flow not open")
            return [Reply(texts.STALE_BUTTON)]
        wanted = state.switch
        if payload.step == "keep":
            kept = Ask.from_json(wanted["ask"]) if isinstance(wanted.get("ask"), dict) else None
            restored = ChatState(state.flow, state.data, kept)
            await store_state(turn.session, turn.chat, restored)
            turn.state = restored
            return [kept.reply] if kept else [Reply(texts.FLOW_KEPT)]
        await end(turn)
        flow = self.flows.by_name[str(wanted["flow"])]
        if isinstance(wanted.get("payload"), str):
            return await self.press(turn, wanted["payload"])
        if isinstance(wanted.get("form"), dict):
            return await self.propose(turn, ReportForm.from_json(wanted["form"]))
        return await self.run(turn, self.command_of(flow), str(wanted.get("arg", "")))

    def command_of(self, flow: Flow) -> str:
        """Return the command that starts a flow."""
        return next(name for name, c in self.commands.items() if c.flow is flow)

    async def propose(self, turn: Turn, form: ReportForm) -> list[Reply]:
        """Show the confirm step of a report read elsewhere (free text); saved only on a yes."""
        report = self.flows.report
        refused = refusal(report.access, turn.scope, is_group=turn.incoming.is_group)
        if refused:
            return [Reply(refused)]
        if self.other_flow_open(turn, report):
            return await self.ask_switch(turn, report, {"form": form.to_json()})
        return await report.propose(turn, form)

    async def cancel_command(self, turn: Turn, arg: str) -> list[Reply]:
        """Cancel what is open (/huy)."""
        return await self.cancel(turn)

    async def cancel(self, turn: Turn) -> list[Reply]:
        """End the open flow, whichever it is (/huy, its cancel button, a typed "hủy")."""
        state = turn.state
        flow = self.flows.by_name.get(state.flow) if state is not None else None
        await end(turn)
        return [Reply(flow.cancelled if flow is not None else texts.NOTHING_TO_CANCEL)]

    async def remember(self, turn: Turn, out: list[Reply]) -> list[Reply]:
        """Keep the choices of a reply shown outside any flow (a menu, suggested tasks), so a
        typed number or label picks one on every channel and in every process."""
        state = turn.state
        if state is not None and state.flow in self.flows.by_name:
            return out  # the flow stored its own step
        last = out[-1] if out else None
        try:
            if last is not None and last.buttons and last.numbered:
                shown = ChatState(MENU, {}, Ask(last))
                await store_state(turn.session, turn.chat, shown)
                turn.state = shown
            elif state is not None:
                await end(turn)
        except SQLAlchemyError as exc:  # the menu is still shown; only its numbers are lost
            if not is_unavailable(exc):
                raise
            log.warning("choices in chat %s not kept: %s", turn.incoming.chat_id, exc)
            await turn.session.rollback()
        return out

    async def report(self, turn: Turn, arg: str) -> list[Reply]:
        """/baocao: the report flow; `/baocao web` a one-time link to the report form."""
        if is_web_form(arg):
            return await self.web_login.send_report_link(turn, arg)
        return await self.flows.report.start(turn, arg)

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Greet the user and offer the main choices; a deep-link payload registers."""
        if arg.strip():
            return await self.run(turn, "dangky", arg)
        incoming = turn.incoming
        name = f", {shorten(incoming.display_name, 40)}" if incoming.display_name.strip() else ""
        text = texts.WELCOME.format(name=name, document=self.document_name())
        out = replies(text, self.menu())
        if turn.scope.unit is None:
            return out
        last = out[-1]
        if incoming.channel == "telegram" and self.mini_app:  # the one-tap form
            form = LinkButton(texts.BUTTON_REPORT_FORM, self.mini_app, web_app=True)
            out[-1] = Reply(last.text, last.buttons, links=[form])
        else:  # the chat's own report flow
            flow = Button(texts.BUTTON_REPORT_FORM, payloads.menu("baocao"))
            out[-1] = Reply(last.text, [[flow], *last.buttons])
        return out

    async def show_help(self, turn: Turn, arg: str) -> list[Reply]:
        """List what the bot can do."""
        return replies(texts.HELP.format(document=self.document_name()), self.menu())

    async def ask(self, turn: Turn, arg: str) -> list[Reply]:
        """Answer the question written after /hoi."""
        if not arg:
            return [Reply(texts.ASK_WHAT)]
        return await self.answer(arg, suggest=True)

    async def answer(self, question: str, *, suggest: bool = False) -> list[Reply]:
        """Answer a free-text question from the directive; when nothing is found, `suggest`
        offers the closest tasks and commands as buttons."""
        problem = question_problem(question)
        if problem:
            return [Reply(problem)]
        answer = self.library.answer(question)
        self.meter.question(answer.found)
        if suggest and not answer.found:
            offered = self.reader.suggestions(question)
            buttons = [Button(s.label, suggestion_payload(s)) for s in offered]
            text = answer.text.strip() or texts.NOT_FOUND
            return [Reply(f"{text}\n{texts.NOT_FOUND_NEXT}", button_rows(buttons, per_row=1))]
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
        code = parse_task_ref(arg)
        if code is None:
            return [Reply(texts.BAD_CODE)]
        return self.show_task(code)

    def show_task(self, code: str) -> list[Reply]:
        """Show one task (of the current directive, or "09-KL:3.3" of another), or the
        nearest codes when it doesn't exist."""
        task = self.library.find_task(code)
        if task is None:
            close = self.library.close_codes(code)
            found = [t for t in map(self.library.find_task, close) if t is not None]
            buttons = button_rows([task_button(t) for t in found], per_row=1)
            return replies(format_unknown(code, close), buttons)
        number = task.document

        def ref(bare: str) -> str:
            return self.library.qualified(bare, number)

        children = [t for t in map(self.library.find_task, map(ref, task.children)) if t]
        text = format_task(task, self.document_name(number), self.today())
        return replies(text, task_buttons(task, children, ref))

    def menu(self) -> list[list[Button]]:
        """Return the main-menu buttons."""
        return [
            [
                Button(texts.BUTTON_TASKS, payloads.menu("nhiemvu")),
                Button(texts.BUTTON_DEADLINES, payloads.menu("hanchot")),
            ],
            [Button(texts.BUTTON_HELP, payloads.menu("help"))],
        ]

    def today(self) -> date:
        """Return today's date in the users' time zone."""
        return self.clock().astimezone(self.timezone).date()

    def document_name(self, number: str = "") -> str:
        """Return a directive's name (the current one's by default), e.g. "Kết luận
        09-KL/BTCTW (11/01/2024)"."""
        doc = next((d for d in self.library.documents if d.number == number), None)
        meta = (doc or self.library.default).metadata
        return texts.document_label(meta.kind, meta.number, meta.issued)


def suggestion_payload(suggestion: Suggestion) -> str:
    """Return the button payload of a suggested next step."""
    if suggestion.kind is Kind.TASK:
        return payloads.task(suggestion.code)
    command = {Kind.TASKS: "nhiemvu", Kind.DEADLINES: "hanchot"}.get(suggestion.kind, "help")
    return payloads.menu(command)


def unavailable_text(incoming: Incoming) -> str:
    """Say the database is down: for a report, that it was NOT saved; else, send it again."""
    if incoming.payload is not None:
        payload = parse_payload(incoming.payload)
        is_report = payload is not None and payload.kind == payloads.REPORT
    else:
        command = parse_command(clean_text(incoming.text))
        is_report = command is not None and command.name == "baocao"
    return texts.REPORT_FAILED if is_report else texts.DB_UNAVAILABLE
