"""Progress reports (/baocao): a guided five-step flow, or one line for people in a hurry.

The flow's state lives in the database keyed by (channel, chat id), so a restart in
the middle loses nothing and several webhook workers can share a conversation.
Every step re-reads the sender's unit, and every button payload is re-checked.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from handlers import texts
from handlers.inputs import parse_code
from handlers.ports import KnowledgeBase, Meter
from handlers.render import button_rows, replies, shorten
from handlers.turn import Turn
from handlers.types import Button, Reply
from knowledge import Task
from storage.engine import is_unavailable
from storage.models import NOTE_MAX_CHARS, Role, Unit
from storage.queries.progress import add_update
from storage.queries.state import clear_state, get_state, put_state, take_state
from storage.queries.units import get_unit_by_id
from storage.status import STATUS_LABELS, Status, parse_status

log = logging.getLogger(__name__)

FLOW = "report"
STEPS = ("group", "task", "status", "percent", "note", "confirm")
_PAYLOAD = re.compile(r"bc:(?P<step>[gtspn]|ok|huy)(?::(?P<value>[0-9a-z_.\-]{1,16}))?")
_STEP_OF = {"g": "group", "t": "task", "s": "status", "p": "percent", "n": "note", "ok": "confirm"}
_PERCENT = re.compile(r"(\d{1,3})\s*%?")
_LABEL = 30  # characters of a task title on a button


class Reporting:
    """The /baocao flow for one process; stateless apart from the database."""

    def __init__(self, library: KnowledgeBase, meter: Meter) -> None:
        self.library = library
        self.meter = meter

    def leaves(self, group: str = "") -> list[Task]:
        """Return the reportable tasks (those without sub-tasks), optionally of one group."""
        tasks = [t for t in self.library.tasks() if not t.children]
        return [t for t in tasks if not group or t.code == group or t.code.startswith(group + ".")]

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Begin the guided flow, or save a one-line report."""
        unit = await self.unit_of(turn)
        if unit is None:
            return [Reply(texts.PRIVATE_ONLY if turn.incoming.is_group else texts.NOT_A_LEADER)]
        if arg.strip():
            return await self.quick(turn, unit, arg)
        await self.save_state(turn, {"step": "group"})
        groups = [t for t in self.library.tasks() if not t.parent]
        buttons = [Button(_group_label(t), f"bc:g:{t.code}") for t in groups]
        text = texts.REPORT_PICK_GROUP.format(unit=_name(unit))
        return replies(text, [*button_rows(buttons, per_row=1), [_cancel()]])

    async def press(self, turn: Turn, raw: str) -> list[Reply]:
        """Handle a flow button; stale or forged payloads are refused and audited."""
        match = _PAYLOAD.fullmatch(raw)
        unit = await self.unit_of(turn)
        if match is None or unit is None:
            await turn.audit("payload.refused", raw[:64], reason="malformed or not a leader")
            return [Reply(texts.FORGED_PAYLOAD if unit else texts.NOT_A_LEADER)]
        step, value = match["step"], match["value"] or ""
        if step == "huy":
            return await self.cancel(turn)
        data = await self.load_state(turn)
        expected = data.get("step") if data else None
        if _STEP_OF[step] != expected and not (step in ("g", "t") and data is None):
            await turn.audit("payload.refused", raw[:64], reason="stale step")
            return [Reply(texts.REPORT_STALE)]
        return await self.advance(turn, unit, data or {}, _STEP_OF[step], value)

    async def type(self, turn: Turn, text: str) -> list[Reply] | None:
        """Take typed text as the percent or note the flow waits for; None if it waits for none."""
        data = await self.load_state(turn)
        if not data or data.get("step") not in ("percent", "note"):
            return None
        unit = await self.unit_of(turn)
        if unit is None:
            await clear_state(turn.session, channel=turn.chat[0], chat_id=turn.chat[1])
            return [Reply(texts.NOT_A_LEADER)]
        return await self.advance(turn, unit, data, data["step"], text)

    async def cancel_command(self, turn: Turn, arg: str) -> list[Reply]:
        """Cancel the flow in progress (/huy)."""
        return await self.cancel(turn)

    async def cancel(self, turn: Turn) -> list[Reply]:
        """Forget the flow in progress (/huy)."""
        if await self.load_state(turn) is None:
            return [Reply(texts.NOTHING_TO_CANCEL)]
        await clear_state(turn.session, channel=turn.chat[0], chat_id=turn.chat[1])
        return [Reply(texts.REPORT_CANCELLED)]

    async def advance(
        self, turn: Turn, unit: Unit, data: dict[str, Any], step: str, value: str
    ) -> list[Reply]:
        """Apply one step's answer and show the next step."""
        if step == "group":
            return await self.pick_group(turn, value)
        if step == "task":
            return await self.pick_task(turn, data, value)
        if step == "status":
            return await self.pick_status(turn, data, value)
        if step == "percent":
            return await self.pick_percent(turn, data, value)
        if step == "note":
            return await self.take_note(turn, unit, data, value)
        return await self.confirm(turn, unit)

    async def pick_group(self, turn: Turn, group: str) -> list[Reply]:
        """Show the tasks of the chosen group."""
        tasks = self.leaves(group) if parse_code(group) == group else []
        if not tasks:
            await turn.audit("payload.refused", f"bc:g:{group}", reason="unknown group")
            return [Reply(texts.FORGED_PAYLOAD)]
        await self.save_state(turn, {"step": "task", "group": group})
        buttons = [Button(f"{t.code}: {shorten(t.title, _LABEL)}", f"bc:t:{t.code}") for t in tasks]
        text = texts.REPORT_PICK_TASK.format(group=group)
        return replies(text, [*button_rows(buttons, per_row=1), [_cancel()]])

    async def pick_task(self, turn: Turn, data: dict[str, Any], code: str) -> list[Reply]:
        """Ask the status of the chosen task (which must be reportable, in the group)."""
        task = next((t for t in self.leaves(data.get("group", "")) if t.code == code), None)
        if task is None:
            await turn.audit("payload.refused", f"bc:t:{code}", reason="unknown task")
            return [Reply(texts.FORGED_PAYLOAD)]
        await self.save_state(turn, {"step": "status", "code": code})
        return _ask_status(task)

    async def pick_status(self, turn: Turn, data: dict[str, Any], value: str) -> list[Reply]:
        """Ask the percent after a valid status."""
        status = parse_status(value)
        if status is None:
            await turn.audit("payload.refused", f"bc:s:{value}", reason="unknown status")
            return [Reply(texts.FORGED_PAYLOAD)]
        await self.save_state(turn, {**data, "step": "percent", "status": status.value})
        buttons = [Button(f"{p}%", f"bc:p:{p}") for p in (0, 25, 50, 75, 100)]
        return replies(texts.REPORT_ASK_PERCENT, [buttons, [Button(texts.BUTTON_SKIP, "bc:p:-")]])

    async def pick_percent(self, turn: Turn, data: dict[str, Any], value: str) -> list[Reply]:
        """Ask the note after a valid percent (or none)."""
        percent = None if value == "-" else _percent(value)
        if value != "-" and percent is None:
            return [Reply(texts.REPORT_BAD_PERCENT)]
        await self.save_state(turn, {**data, "step": "note", "percent": percent})
        return replies(texts.REPORT_ASK_NOTE, [[Button(texts.BUTTON_SKIP, "bc:n:-")]])

    async def take_note(
        self, turn: Turn, unit: Unit, data: dict[str, Any], value: str
    ) -> list[Reply]:
        """Show the summary to confirm after a note of acceptable length."""
        note = "" if value == "-" else value.strip()
        if len(note) > NOTE_MAX_CHARS:
            return [
                Reply(texts.REPORT_NOTE_TOO_LONG.format(length=len(note), limit=NOTE_MAX_CHARS))
            ]
        data = {**data, "step": "confirm", "note": note}
        await self.save_state(turn, data)
        task = self.library.find_task(data["code"])
        text = texts.REPORT_CONFIRM.format(
            unit=_name(unit),
            code=data["code"],
            title=task.title if task else "",
            status=STATUS_LABELS[Status(data["status"])],
            percent=f"{data['percent']}%" if data.get("percent") is not None else texts.NO_PERCENT,
            note=note or texts.NO_NOTE,
        )
        buttons = [[Button(texts.BUTTON_SEND, "bc:ok"), _cancel()]]
        return replies(text, buttons)

    async def confirm(self, turn: Turn, unit: Unit) -> list[Reply]:
        """Take the flow's state (deleted and read in one statement) and save its report in
        the same transaction: of two presses racing in two processes, one saves it."""
        channel, chat_id = turn.chat
        taken = await take_state(turn.session, channel=channel, chat_id=chat_id)
        data = dict(taken.data) if taken is not None and taken.state == FLOW else {}
        if data.get("step") != "confirm":  # confirmed or cancelled meanwhile
            await turn.session.rollback()
            await turn.audit("payload.refused", "bc:ok", reason="stale step")
            return [Reply(texts.REPORT_STALE)]
        code, status = data["code"], data["status"]
        percent, note = data.get("percent"), data.get("note", "")
        return await self.save(turn, unit, code, status, percent, note)

    async def quick(self, turn: Turn, unit: Unit, arg: str) -> list[Reply]:
        """Save '/baocao 3.3 hoàn thành [60%] ghi chú', or ask for what is missing."""
        words = list(re.finditer(r"\S+", arg))
        code = parse_code(words[0].group(0))
        task = self.library.find_task(code) if code else None
        if code is None:
            return [Reply(texts.REPORT_USAGE)]
        if task is None:
            return self.unknown_task(code)
        if task.children:
            return [Reply(texts.REPORT_NOT_LEAF.format(code=code, codes=", ".join(task.children)))]
        status, used = _status_words(words[1:])
        if status is None:
            await self.save_state(turn, {"step": "status", "code": code})
            prefix = [Reply(texts.REPORT_USAGE)] if len(words) > 1 else []
            return prefix + _ask_status(task)
        rest = words[1 + used :]
        percent = None
        if rest and (m := _PERCENT.fullmatch(rest[0].group(0))) and rest[0].group(0).endswith("%"):
            percent = _percent(m.group(0))
            if percent is None:
                return [Reply(texts.REPORT_BAD_PERCENT)]
            rest = rest[1:]
        note = arg[rest[0].start() :].strip() if rest else ""
        if len(note) > NOTE_MAX_CHARS:
            return [
                Reply(texts.REPORT_NOTE_TOO_LONG.format(length=len(note), limit=NOTE_MAX_CHARS))
            ]
        return await self.save(turn, unit, code, status.value, percent, note)

    async def save(
        self,
        turn: Turn,
        unit: Unit,
        code: str,
        status: str,
        percent: int | None,
        note: str,
    ) -> list[Reply]:
        """Append the report (audited; with the flow's end if taken before) and thank them."""
        assert unit.id is not None
        try:
            await add_update(
                turn.session,
                unit_id=unit.id,
                task_code=code,
                status=status,
                percent=percent,
                note=note,
                reporter_member_id=turn.member.id,
                document=self.library.default.number,
                reported_at=turn.now,
            )
        except SQLAlchemyError as exc:
            if is_unavailable(exc):  # disk full, server restarting: no traceback needed
                log.warning("report of unit %s on task %s not saved: %s", unit.code, code, exc)
            else:
                log.exception("could not save a report of unit %s on task %s", unit.code, code)
            await turn.session.rollback()
            return [Reply(texts.REPORT_FAILED)]
        self.meter.report_stored()
        shown = f" ({percent}%)" if percent is not None else ""
        label = STATUS_LABELS[Status(status)]
        return [
            Reply(
                texts.REPORT_SAVED.format(unit=_name(unit), code=code, status=label, percent=shown)
            )
        ]

    def unknown_task(self, code: str) -> list[Reply]:
        """Say the code is unknown and offer the nearest reportable codes."""
        leaves = {t.code for t in self.leaves()}
        close = [c for c in self.library.close_codes(code) if c in leaves] or sorted(leaves)[:3]
        buttons = [Button(f"Nhiệm vụ {c}", f"bc:t:{c}") for c in close]
        unknown = texts.REPORT_UNKNOWN_TASK.format(code=code)
        text = f"{unknown} {texts.REPORT_CLOSE.format(codes=', '.join(close))}"
        return replies(text, button_rows(buttons, per_row=3))

    async def unit_of(self, turn: Turn) -> Unit | None:
        """Return the unit the sender leads (re-read from the database), outside groups."""
        member = turn.member
        if turn.incoming.is_group or member.unit_id is None:
            return None
        if member.role not in (Role.LEADER.value, Role.ADMIN.value):
            return None
        return await get_unit_by_id(turn.session, unit_id=member.unit_id)

    async def load_state(self, turn: Turn) -> dict[str, Any] | None:
        """Return the chat's flow data, or None when no report is in progress."""
        row = await get_state(turn.session, channel=turn.chat[0], chat_id=turn.chat[1])
        return dict(row.data) if row is not None and row.state == FLOW else None

    async def save_state(self, turn: Turn, data: dict[str, Any]) -> None:
        """Store the flow's data for this chat."""
        await put_state(
            turn.session, channel=turn.chat[0], chat_id=turn.chat[1], state=FLOW, data=data
        )


def _ask_status(task: Task) -> list[Reply]:
    """Return the status question with one button per status."""
    buttons = [Button(label, f"bc:s:{status.value}") for status, label in STATUS_LABELS.items()]
    text = texts.REPORT_PICK_STATUS.format(code=task.code, title=shorten(task.title, 160))
    return replies(text, [*button_rows(buttons, per_row=2), [_cancel()]])


def _status_words(words: list[re.Match[str]]) -> tuple[Status | None, int]:
    """Return the status named by the first one to three words, and how many it took."""
    for n in (3, 2, 1):
        if len(words) >= n:
            status = parse_status(" ".join(w.group(0) for w in words[:n]))
            if status is not None:
                return status, n
    return None, 0


def _percent(text: str) -> int | None:
    """Return a percent 0..100 from '60' or '60%', else None."""
    match = _PERCENT.fullmatch(text.strip())
    if match is None or int(match.group(1)) > 100:
        return None
    return int(match.group(1))


def _group_label(task: Task) -> str:
    return texts.REPORT_GROUP_BUTTON.format(code=task.code, title=shorten(task.title, _LABEL))


def _cancel() -> Button:
    return Button(texts.BUTTON_CANCEL, "bc:huy")


def _name(unit: Unit) -> str:
    return f"{unit.code} — {unit.name}"
