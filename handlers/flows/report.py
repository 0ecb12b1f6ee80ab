"""The report flow (/baocao): group → task → status → percent → note → confirm, or one line.

Its state lives in the chat's state row, so a restart in the middle loses nothing and
any process can take the next step. Every step re-reads the sender's unit (the turn's
scope) and re-checks every payload. Nothing is saved without the confirm step, except a
complete one-line report that takes nothing back from "hoàn thành".
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import payloads, texts
from handlers.conversation import Ask, ChatState
from handlers.flows.base import again, cancel_button, end, show
from handlers.inputs import parse_any_code
from handlers.payloads import Payload
from handlers.ports import KnowledgeBase, Meter
from handlers.render import button_rows, shorten
from handlers.report_form import (
    IMPLIED_PERCENT,
    FormProblem,
    ReportForm,
    is_downgrade,
    make_form,
    parse_percent,
    read_line,
)
from handlers.scope import Access, Need
from handlers.tasks import document_name, find_directive, tasks_of
from handlers.turn import Turn
from handlers.types import Button, Reply
from knowledge import Document, Task
from knowledge.library import short_number
from storage.engine import is_unavailable
from storage.models import ProgressUpdate, Unit
from storage.queries.progress import add_update, last_report
from storage.queries.state import take_state
from storage.status import STATUS_LABELS, Status, parse_status

log = logging.getLogger(__name__)

FLOW = "report"
_STEP_OF = {
    "d": "group",
    "g": "group",
    "t": "task",
    "s": "status",
    "p": "percent",
    "n": "note",
    "ok": "confirm",
}
_LABEL = 30  # characters of a task title on a button
SUGGESTED_PERCENTS = (0, 25, 50, 75, 100)
WEB_FORM_ARG = "web"  # `/baocao web`: a one-time link to the report form in a browser


def report_button(task: Task, code: str) -> Button:
    """Return the button that starts a report on one task (usable from any message);
    `code` is the task's code as shown ("3.3", or "09-KL:3.3" of another directive)."""
    label = texts.REPORT_TASK_BUTTON.format(code=code, title=shorten(task.title, _LABEL))
    return Button(label, payloads.report("t", code))


class ReportFlow:
    """The /baocao flow; stateless apart from the database."""

    name = FLOW
    kind = payloads.REPORT
    access = Access(Need.LEADER, private=True)
    title = texts.FLOW_REPORT
    cancelled = texts.REPORT_CANCELLED

    def __init__(self, library: KnowledgeBase, meter: Meter, timezone: tzinfo) -> None:
        self.library = library
        self.meter = meter
        self.timezone = timezone

    def leaves(self, group: str = "", document: str = "") -> list[Task]:
        """Return the reportable tasks (those without sub-tasks) of a directive (by number,
        the current one by default), optionally of one group (its own code, "3")."""
        tasks = [t for t in tasks_of(self.library, document) if not t.children]
        return [t for t in tasks if not group or t.code == group or t.code.startswith(group + ".")]

    def directive(self, name: str) -> Document | None:
        """Return the loaded directive with this number, full or short ("09-KL"), or None."""
        return find_directive(self.library, name)

    def shown(self, task: Task) -> str:
        """Return a task's code as users see it: bare for the current directive, else
        qualified with its own ("09-KL:3.3")."""
        return self.library.qualified(task.code, task.document)

    def document_of(self, form: ReportForm) -> str:
        """Return the number of the directive a report is on (its task's)."""
        return form.document or self.library.default.number

    def code_of(self, form: ReportForm) -> str:
        """Return a report's task code as users see it ("3.3" or "09-KL:3.3")."""
        return self.library.qualified(form.code, self.document_of(form))

    def archived(self, number: str) -> bool:
        """Tell whether a directive is archived: its history is kept, no report is taken."""
        return number in self.library.archived

    def archived_reply(self, code: str, number: str) -> list[Reply]:
        """Say politely that a task of an archived directive takes no new report."""
        doc = self.directive(number)
        name = document_name(doc) if doc is not None else number
        return [Reply(texts.REPORT_ARCHIVED.format(document=name, code=code))]

    def opens(self, arg: str) -> bool:
        """Every /baocao opens (or replaces) a report, except `/baocao web` (a link)."""
        return not is_web_form(arg)

    def enters(self, payload: Payload) -> bool:
        """A group or task button starts a report from any message (e.g. a reminder)."""
        return payload.step in ("d", "g", "t")

    # --- entry points ---

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Begin the guided flow, or take a one-line report."""
        if arg.strip():
            return await self.quick(turn, arg)
        return await self.ask_group(turn)

    async def press(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Take one of the flow's buttons; one of another step is refused as stale."""
        state = turn.state if turn.state is not None and turn.state.flow == FLOW else None
        step = _STEP_OF[payload.step]
        if not self.enters(payload) and (state is None or state.step != step):
            await turn.audit("payload.refused", payload.pack(), reason="stale step")
            return [Reply(texts.STALE_BUTTON)]
        data = state.data if state is not None else {}
        if payload.step == "d":
            return await self.pick_directive(turn, payload.value, data.get("said", ""))
        if step == "group":
            return await self.pick_group(turn, payload.value, data.get("said", ""))
        if step == "task":
            return await self.pick_task(turn, data, payload.value)
        if step == "status":
            return await self.pick_status(turn, data, Status(payload.value))
        if step == "percent":
            percent = None if payload.value == "-" else int(payload.value)
            return await self.pick_percent(turn, data, percent)
        if step == "note":
            return await self.take_note(turn, data, "")
        return await self.confirm(turn)

    async def type(self, turn: Turn, state: ChatState, text: str) -> list[Reply] | None:
        """Take typed text as the percent or the note; None if it is no percent."""
        if state.step == "percent":
            percent = parse_percent(text)
            return None if percent is None else await self.pick_percent(turn, state.data, percent)
        if state.step == "note":
            return await self.take_note(turn, state.data, text)
        return None

    def match(self, state: ChatState, text: str) -> str | None:
        """Return the button typed words name: a status ("xong"), a group or task code."""
        if state.step == "status":
            status = parse_status(text)
            return payloads.report("s", status.value) if status else None
        code = parse_any_code(text)
        if code is None:
            return None
        shown = [b.payload for b in state.ask.choices] if state.ask else []
        for step in ("g", "t"):  # "3.3" typed at a step showing 09-KL:3.3 picks that one
            prefix = f"{payloads.REPORT}:{step}:"
            found = {p for p in shown if p.startswith(prefix) and p.split(":", 2)[2] == code}
            found |= {p for p in shown if p.startswith(prefix) and p.endswith(f":{code}")}
            if len(found) == 1:
                return found.pop()
        return None

    async def propose(self, turn: Turn, form: ReportForm) -> list[Reply]:
        """Show the confirm step for a report made elsewhere (free text): saved only on yes."""
        return await self.ask_confirm(turn, form, await self.previous(turn, form))

    # --- the steps ---

    async def ask_group(
        self, turn: Turn, said: str = "", document: Document | None = None
    ) -> list[Reply]:
        """Show step 1: the task groups of a directive (the current one by default) and a
        button for each other directive not archived; `said` is a status typed before any
        task ("hoàn thành"), kept until the task is chosen."""
        unit = self.unit(turn)
        doc = document or self.library.default
        groups = [t for t in tasks_of(self.library, doc.number) if not t.parent]
        buttons = [
            Button(_group_label(t, self.shown(t)), payloads.report("g", self.shown(t)))
            for t in groups
        ]
        buttons += [
            Button(
                texts.REPORT_OTHER_DIRECTIVE.format(document=document_name(other)),
                payloads.report("d", short_number(other.number)),
            )
            for other in self.library.documents
            if other.number != doc.number and not self.archived(other.number)
        ]
        text = texts.REPORT_PICK_GROUP.format(unit=_name(unit))
        if doc.number != self.library.default.number:
            text += "\n" + texts.DIRECTIVE_LINE.format(document=document_name(doc))
        reply = Reply(text, [*button_rows(buttons, per_row=1), [cancel_button(self.kind)]])
        data = {"step": "group", **_said(said)}
        return await show(turn, FLOW, data, Ask(reply, hint=texts.STEP_PICK))

    async def pick_directive(self, turn: Turn, name: str, said: str = "") -> list[Reply]:
        """Show step 1 for another directive (its groups), unless archived or unknown."""
        doc = self.directive(name)
        if doc is None:
            return await self.refuse_unknown(turn, f"bc:d:{name}", name)
        if self.archived(doc.number):
            await turn.audit("payload.refused", f"bc:d:{name}", reason="archived directive")
            return [Reply(texts.REPORT_ARCHIVED_DIRECTIVE.format(document=document_name(doc)))]
        return await self.ask_group(turn, said, doc)

    async def refuse_unknown(self, turn: Turn, raw: str, name: str) -> list[Reply]:
        """Say a button names a directive the bot does not have; nothing changes."""
        await turn.audit("payload.refused", raw, reason="unknown directive")
        return [Reply(texts.REPORT_UNKNOWN_DIRECTIVE.format(document=name))]

    def names_unknown(self, code: str) -> str:
        """Return the directive a qualified code names when none is loaded by it, else ""."""
        prefix, colon, _ = code.partition(":")
        return prefix if colon and self.directive(prefix) is None else ""

    async def offer(self, turn: Turn, tasks: list[Task], said: str = "") -> list[Reply]:
        """Show the task step with the few tasks typed words fit, keeping a typed status."""
        buttons = button_rows([report_button(t, self.shown(t)) for t in tasks], per_row=1)
        reply = Reply(texts.REPORT_WHICH_TASK, [*buttons, [cancel_button(self.kind)]])
        data = {"step": "task", **_said(said)}
        return await show(turn, FLOW, data, Ask(reply, hint=texts.STEP_PICK))

    async def pick_group(self, turn: Turn, group: str, said: str = "") -> list[Reply]:
        """Show step 2: the tasks of the chosen group ("3", or "09-KL:3" of another
        directive)."""
        if unknown := self.names_unknown(group):
            return await self.refuse_unknown(turn, f"bc:g:{group}", unknown)
        head = self.library.find_task(group)
        tasks = self.leaves(head.code, head.document) if head and not head.parent else []
        if head is None or not tasks:
            await turn.audit("payload.refused", f"bc:g:{group}", reason="unknown group")
            return [Reply(texts.FORGED_PAYLOAD)]
        if self.archived(head.document):
            await turn.audit("payload.refused", f"bc:g:{group}", reason="archived directive")
            return self.archived_reply(self.shown(head), head.document)
        buttons = [
            Button(
                f"{self.shown(t)}: {shorten(t.title, _LABEL)}", payloads.report("t", self.shown(t))
            )
            for t in tasks
        ]
        reply = Reply(
            texts.REPORT_PICK_TASK.format(group=self.shown(head)),
            [*button_rows(buttons, per_row=1), [cancel_button(self.kind)]],
        )
        data = {"step": "task", "group": self.shown(head), **_said(said)}
        return await show(turn, FLOW, data, Ask(reply, hint=texts.STEP_PICK))

    async def pick_task(self, turn: Turn, data: dict[str, Any], code: str) -> list[Reply]:
        """Show step 3: the status of the chosen task (a reportable one, in the group if any,
        of a directive not archived)."""
        if unknown := self.names_unknown(code):
            return await self.refuse_unknown(turn, f"bc:t:{code}", unknown)
        group = data.get("group", "") if data.get("step") == "task" else ""
        task = self.library.find_task(code)
        head = self.library.find_task(group) if group else None
        if task is not None and (task.children or (group and not _within(task, head))):
            task = None
        if task is None:
            await turn.audit("payload.refused", f"bc:t:{code}", reason="unknown task")
            return [Reply(texts.FORGED_PAYLOAD)]
        if self.archived(task.document):
            await turn.audit("payload.refused", f"bc:t:{code}", reason="archived directive")
            return self.archived_reply(self.shown(task), task.document)
        said = data.get("said", "") if data.get("step") == "task" else ""
        if said:  # "hoàn thành" typed first: the task completes the one-line form
            form = await self.read(turn, f"{self.shown(task)} {said}")
            return await self.propose(turn, form) if isinstance(form, ReportForm) else form
        return await self.ask_status(turn, task)

    async def ask_status(
        self, turn: Turn, task: Task, before: list[Reply] | None = None
    ) -> list[Reply]:
        """Show the status question with one button per status."""
        buttons = [
            Button(label, payloads.report("s", status.value))
            for status, label in STATUS_LABELS.items()
        ]
        text = texts.REPORT_PICK_STATUS.format(
            code=self.shown(task), title=shorten(task.title, 160)
        )
        reply = Reply(text, [*button_rows(buttons, per_row=2), [cancel_button(self.kind)]])
        data = {"step": "status", "code": task.code, "document": task.document}
        return await show(turn, FLOW, data, Ask(reply, hint=texts.STEP_PICK), before)

    async def pick_status(self, turn: Turn, data: dict[str, Any], status: Status) -> list[Reply]:
        """Show step 4 (the percent); "hoàn thành" and "chưa triển khai" imply it: step 5."""
        data = {**data, "status": status.value}
        if status in IMPLIED_PERCENT:
            return await self.pick_percent(turn, data, None)
        buttons = [Button(f"{p}%", payloads.report("p", str(p))) for p in SUGGESTED_PERCENTS]
        skip = payloads.report("p", "-")
        reply = Reply(
            texts.REPORT_ASK_PERCENT,
            [buttons, [Button(texts.BUTTON_SKIP, skip)], [cancel_button(self.kind)]],
            numbered=False,
        )
        ask = Ask(reply, kind="value", skip=skip, hint=texts.REPORT_BAD_PERCENT)
        return await show(turn, FLOW, {**data, "step": "percent"}, ask)

    async def pick_percent(
        self, turn: Turn, data: dict[str, Any], percent: int | None
    ) -> list[Reply]:
        """Show step 5 (the note) after a percent, or after none."""
        try:  # "hoàn thành" then 40%: said now, not after the note
            make_form(data["code"], Status(data["status"]), percent, document=_doc(data))
        except FormProblem as problem:
            return again(turn, problem.message)
        skip = payloads.report("n", "-")
        reply = Reply(
            texts.REPORT_ASK_NOTE,
            [[Button(texts.BUTTON_SKIP, skip)], [cancel_button(self.kind)]],
            numbered=False,
        )
        ask = Ask(reply, kind="value", skip=skip)
        return await show(turn, FLOW, {**data, "step": "note", "percent": percent}, ask)

    async def take_note(self, turn: Turn, data: dict[str, Any], note: str) -> list[Reply]:
        """Show the confirm step with the note (or none)."""
        try:
            form = make_form(
                data["code"], Status(data["status"]), data.get("percent"), note, document=_doc(data)
            )
        except FormProblem as problem:
            return again(turn, problem.message)
        return await self.ask_confirm(turn, form, await self.previous(turn, form))

    async def ask_confirm(
        self, turn: Turn, form: ReportForm, previous: ProgressUpdate | None
    ) -> list[Reply]:
        """Show exactly what will be saved, the previous report, and ask to send it."""
        unit = self.unit(turn)
        number = self.document_of(form)
        doc = self.directive(number)
        task = self.library.find_task(self.code_of(form))
        lines = [
            texts.REPORT_CONFIRM.format(
                unit=_name(unit),
                code=self.code_of(form),
                title=task.title if task else "",
                status=form.status_label,
                percent=f"{form.percent}%" if form.percent is not None else texts.NO_PERCENT,
                note=form.note or texts.NO_NOTE,
            ),
        ]
        if doc is not None and number != self.library.default.number:
            lines.append(texts.REPORT_CONFIRM_DIRECTIVE.format(document=document_name(doc)))
        lines.append(self.previous_line(previous))
        if previous is not None and is_downgrade(previous.status, form):
            lines.append(
                texts.REPORT_DOWNGRADE.format(date=self.day(previous), status=form.status_label)
            )
        ok, no = payloads.report("ok"), payloads.report("huy")
        reply = Reply("\n".join(lines), [[Button(texts.BUTTON_SEND, ok), cancel_button(self.kind)]])
        data = {"step": "confirm", **form.to_json()}
        return await show(turn, FLOW, data, Ask(reply, yes=ok, no=no, hint=texts.STEP_CONFIRM))

    async def confirm(self, turn: Turn) -> list[Reply]:
        """Take the flow's state (deleted and read in one statement) and save its report in
        the same transaction: of two presses racing in two processes, one saves it."""
        channel, chat_id = turn.chat
        taken = await take_state(turn.session, channel=channel, chat_id=chat_id)
        data = dict(taken.data) if taken is not None and taken.state == FLOW else {}
        turn.state = None
        if data.get("step") != "confirm":  # confirmed or cancelled meanwhile
            await turn.session.rollback()
            await turn.audit("payload.refused", "bc:ok", reason="stale step")
            return [Reply(texts.STALE_BUTTON)]
        form = ReportForm.from_json(data)
        return await self.save(turn, form, await self.previous(turn, form))

    async def quick(self, turn: Turn, arg: str) -> list[Reply]:
        """Save '/baocao 3.3 hoàn thành [60%] ghi chú', or ask for what is missing."""
        form = await self.read(turn, arg)
        if not isinstance(form, ReportForm):
            return form
        previous = await self.previous(turn, form)
        if previous is not None and is_downgrade(previous.status, form):
            return await self.ask_confirm(turn, form, previous)
        if turn.state is not None and turn.state.flow == FLOW:
            await end(turn)  # this report replaces the one left half-way
        return await self.save(turn, form, previous)

    async def read(self, turn: Turn, arg: str) -> ReportForm | list[Reply]:
        """Return the report a one-line form ('3.3 hoàn thành [60%] ghi chú', or a task of
        another directive: '09-KL:3.3 …') states, or the replies saying what is wrong (or
        asking for the status when none was understood)."""
        try:
            line = read_line(arg)
        except FormProblem as problem:
            return [Reply(problem.message)]
        task = self.library.find_task(line.code) if line.code else None
        if line.code is None:
            return [Reply(texts.REPORT_USAGE)]
        if task is None:
            return self.unknown_task(line.code)
        if self.archived(task.document):
            return self.archived_reply(self.shown(task), task.document)
        if task.children:
            codes = ", ".join(self.library.qualified(c, task.document) for c in task.children)
            return [Reply(texts.REPORT_NOT_LEAF.format(code=self.shown(task), codes=codes))]
        if line.status is None:
            return await self.ask_status(
                turn, task, [Reply(texts.REPORT_USAGE)] if line.extra else []
            )
        try:
            return make_form(
                task.code, line.status, line.percent, line.note, document=task.document
            )
        except FormProblem as problem:
            return [Reply(problem.message)]

    async def save(
        self, turn: Turn, form: ReportForm, previous: ProgressUpdate | None
    ) -> list[Reply]:
        """Append the report (audited; with the flow's end if taken before) and thank them;
        a directive archived meanwhile takes none."""
        unit = self.unit(turn)
        if self.archived(self.document_of(form)):
            return self.archived_reply(self.code_of(form), self.document_of(form))
        stored = await self.store(
            turn.session, unit=unit, member_id=turn.member.id, form=form, now=turn.now
        )
        if not stored:
            return [Reply(texts.REPORT_FAILED)]
        return [Reply(self.saved_text(unit, form, previous))]

    async def store(
        self,
        session: AsyncSession,
        *,
        unit: Unit,
        member_id: int | None,
        form: ReportForm,
        now: datetime,
    ) -> bool:
        """Append a unit's report (audited by the database, a repeat within REPLACE_WINDOW
        replacing the one before); False, rolled back, when the database refused it.

        The one way a report is stored: the chat flow and the web form both come here.
        """
        assert unit.id is not None
        try:
            await add_update(
                session,
                unit_id=unit.id,
                task_code=form.code,
                status=form.status.value,
                percent=form.percent,
                note=form.note,
                reporter_member_id=member_id,
                document=self.document_of(form),  # the task's directive, current or not
                reported_at=now,
            )
        except SQLAlchemyError as exc:
            if is_unavailable(exc):  # disk full, server restarting: no traceback needed
                log.warning("report of unit %s on task %s not saved: %s", unit.code, form.code, exc)
            else:
                log.exception("could not save a report of unit %s on task %s", unit.code, form.code)
            await session.rollback()
            return False
        self.meter.report_stored()
        return True

    def saved_text(self, unit: Unit, form: ReportForm, previous: ProgressUpdate | None) -> str:
        """Return the thanks for a stored report, with the report it follows."""
        shown = f" ({form.percent}%)" if form.percent is not None else ""
        saved = texts.REPORT_SAVED.format(
            unit=_name(unit), code=self.code_of(form), status=form.status_label, percent=shown
        )
        return f"{saved}\n{self.previous_line(previous, saved=True)}"

    # --- helpers ---

    def unit(self, turn: Turn) -> Unit:
        """Return the unit the sender reports for (the router checked they lead one)."""
        unit = turn.scope.unit
        assert unit is not None
        return unit

    async def previous(self, turn: Turn, form: ReportForm) -> ProgressUpdate | None:
        """Return the unit's latest report on the form's task, if any."""
        return await self.previous_of(turn.session, self.unit(turn), form)

    async def previous_of(
        self, session: AsyncSession, unit: Unit, form: ReportForm
    ) -> ProgressUpdate | None:
        """Return a unit's latest standing report on a form's task (of its directive)."""
        return await last_report(
            session, unit_id=unit.id or 0, task_code=form.code, document=self.document_of(form)
        )

    def previous_line(self, previous: ProgressUpdate | None, *, saved: bool = False) -> str:
        """Return the line naming the unit's previous report on the task (status, date)."""
        if previous is None:
            return texts.REPORT_SAVED_FIRST if saved else texts.REPORT_NO_PREVIOUS
        percent = f", {previous.percent}%" if previous.percent is not None else ""
        template = texts.REPORT_SAVED_PREVIOUS if saved else texts.REPORT_PREVIOUS
        status = STATUS_LABELS[Status(previous.status)]
        return template.format(status=status, percent=percent, date=self.day(previous))

    def day(self, row: ProgressUpdate) -> str:
        """Return the day of a report, in the users' zone."""
        return texts.format_date(row.reported_at.astimezone(self.timezone).date())

    def unknown_task(self, code: str) -> list[Reply]:
        """Say the code is unknown and offer the nearest reportable codes of the directive it
        names (the current one for a bare code)."""
        if unknown := self.names_unknown(code):
            return [Reply(texts.REPORT_UNKNOWN_DIRECTIVE.format(document=unknown))]
        prefix, colon, bare = code.rpartition(":")
        doc = self.directive(prefix) if colon else self.library.default
        assert doc is not None  # names_unknown said it is loaded
        if self.archived(doc.number):
            return self.archived_reply(code, doc.number)
        number = None if doc.number == self.library.default.number else doc.number
        leaves = {t.code for t in self.leaves(document=doc.number)}
        near = self.library.close_codes(bare, number)
        close = [c for c in near if c in leaves] or sorted(leaves)[:3]
        shown = [self.library.qualified(c, doc.number) for c in close]
        buttons = [Button(f"Nhiệm vụ {c}", payloads.report("t", c)) for c in shown]
        unknown = texts.REPORT_UNKNOWN_TASK.format(code=code)
        text = f"{unknown} {texts.REPORT_CLOSE.format(codes=', '.join(shown))}"
        return [Reply(text, button_rows(buttons, per_row=3))]


def _said(said: str) -> dict[str, str]:
    """Return the flow data keeping a status typed before the task, if any."""
    return {"said": said} if said.strip() else {}


def is_web_form(arg: str) -> bool:
    """Tell whether /baocao's argument asks for the web form's link (`/baocao web`)."""
    return arg.strip().lower() == WEB_FORM_ARG


def _doc(data: dict[str, Any]) -> str:
    """Return the directive number the flow's data names ("" in a flow begun before)."""
    return str(data.get("document", ""))


def _within(task: Task, group: Task | None) -> bool:
    """Tell whether a task is the group or one of its tasks, in the same directive."""
    if group is None or group.document != task.document:
        return False
    return task.code == group.code or task.code.startswith(group.code + ".")


def _group_label(task: Task, code: str) -> str:
    return texts.REPORT_GROUP_BUTTON.format(code=code, title=shorten(task.title, _LABEL))


def _name(unit: Unit) -> str:
    return f"{unit.code} — {unit.name}"
