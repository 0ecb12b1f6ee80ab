"""Button payloads: one codec for every button the bot shows.

A payload is user input (a forged callback, an old message's button, text typed after
Zalo OA's "#"): `parse` accepts only the exact shapes below, ≤ 64 bytes (Telegram's
callback_data limit), and returns a typed `Payload`; `Payload.pack` makes them.

    nv:<code>?            open a task (the tree without a code)
    cmd:<help|nhiemvu|hanchot>
    bc:g:<code> bc:t:<code> bc:s:<status> bc:p:<0..100|-> bc:n:- bc:ok bc:huy   the report flow
                          (a group or task of a directive that is not current: bc:t:09-KL:3.3;
                          bc:d:09-KL shows that directive's groups)
    pt:a:<all|leaders|incomplete|unit> pt:ok pt:huy   the broadcast flow (audience, confirm)
    cd:ok cd:huy          move to another unit by an invite: confirm or keep the old unit
    tv:r:<member id>      /thanhvien: revoke a leader (scope checked by the handler)
    vb:ok vb:huy          a directive file sent by an admin: store it, or not
    fl:keep fl:new        keep the open flow, or start the one asked for instead
    cbu:<unit id>         /chuabaocao: a unit's missing tasks (scope checked by the view)
    cbt:<code>            /chuabaocao: the units missing a task (cbt:09-KL:3.3 of another)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.status import Status

MAX_PAYLOAD = 64  # bytes, Telegram's callback_data limit

TASK = "nv"
MENU = "cmd"
REPORT = "bc"
BROADCAST = "pt"
UPLOAD = "vb"
SWITCH = "fl"
MISSING_UNIT = "cbu"
MISSING_TASK = "cbt"
MOVE = "cd"
MEMBERS = "tv"
_VALUED = (TASK, MENU, MISSING_UNIT, MISSING_TASK)  # kind:value, no step
#: What every payload starts with; channels that get payloads back as text use it.
PREFIXES = tuple(
    f"{kind}:"
    for kind in (
        REPORT,
        TASK,
        MENU,
        BROADCAST,
        UPLOAD,
        SWITCH,
        MISSING_UNIT,
        MISSING_TASK,
        MOVE,
        MEMBERS,
    )
)

MENU_COMMANDS = frozenset({"help", "nhiemvu", "hanchot", "baocao"})
_CODE = r"[0-9]{1,2}(?:\.[0-9]{1,2}){0,3}"
_DOC = r"[0-9A-Za-zĐđ][0-9A-Za-zĐđ-]{0,19}"  # another directive's short number: nv:09-KL:3.3
_STATUS = "|".join(s.value for s in Status)
_PERCENT = r"100|[1-9]?[0-9]|-"
_GRAMMAR = {
    TASK: re.compile(rf"(?P<value>(?:{_DOC}:)?(?:{_CODE})?)"),
    MENU: re.compile(r"(?P<value>[a-z]{1,16})"),
    REPORT: re.compile(
        rf"(?P<step>[gt]):(?P<value>(?:{_DOC}:)?{_CODE})|(?P<d>d):(?P<dv>{_DOC})"
        rf"|(?P<s>s):(?P<sv>{_STATUS})|(?P<p>p):(?P<pv>{_PERCENT})|(?P<n>n):(?P<nv>-)"
        r"|(?P<bare>ok|huy)"
    ),
    BROADCAST: re.compile(r"(?P<step>a):(?P<value>all|leaders|incomplete|unit)|(?P<bare>ok|huy)"),
    MOVE: re.compile(r"(?P<bare>ok|huy)"),
    MEMBERS: re.compile(r"(?P<step>r):(?P<value>[1-9][0-9]{0,17})"),
    UPLOAD: re.compile(r"(?P<bare>ok|huy)"),
    SWITCH: re.compile(r"(?P<bare>keep|new)"),
    MISSING_UNIT: re.compile(r"(?P<value>[1-9][0-9]{0,8})"),
    MISSING_TASK: re.compile(rf"(?P<value>(?:{_DOC}:)?{_CODE})"),
}


@dataclass(frozen=True)
class Payload:
    """A checked button payload: its kind (which flow or view), step and value."""

    kind: str  # TASK, MENU, REPORT, BROADCAST, SWITCH, MISSING_UNIT, MISSING_TASK, MOVE, MEMBERS
    step: str = ""  # REPORT: d g t s p n ok huy; BROADCAST: a ok huy; SWITCH, MOVE; MEMBERS: r
    value: str = ""

    def pack(self) -> str:
        """Return the payload as a button carries it (≤ 64 bytes)."""
        if self.kind in _VALUED:
            text = f"{self.kind}:{self.value}"
        else:
            text = ":".join(part for part in (self.kind, self.step, self.value) if part)
        if parse(text) != self:
            raise ValueError(f"not a valid payload: {text!r}")
        return text


def parse(raw: str) -> Payload | None:
    """Return the payload a button sent, or None for anything not exactly of our shapes."""
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD:
        return None
    kind, colon, rest = raw.partition(":")
    grammar = _GRAMMAR.get(kind)
    match = grammar.fullmatch(rest) if grammar is not None and colon else None
    if match is None:
        return None
    if kind in _VALUED:
        value = match["value"]
        return Payload(kind, "", value) if kind != MENU or value in MENU_COMMANDS else None
    groups = match.groupdict()
    if groups.get("bare"):
        return Payload(kind, groups["bare"])
    for step, value in (("step", "value"), ("d", "dv"), ("s", "sv"), ("p", "pv"), ("n", "nv")):
        if groups.get(step):
            return Payload(kind, groups[step], groups[value])
    return None  # pragma: no cover - every alternative sets one group


def report(step: str, value: str = "") -> str:
    """Return a report-flow payload, e.g. report("t", "3.3") → "bc:t:3.3"."""
    return Payload(REPORT, step, value).pack()


def broadcast(step: str, value: str = "") -> str:
    """Return a broadcast-flow payload: "pt:ok", "pt:huy" or an audience "pt:a:leaders"."""
    return Payload(BROADCAST, step, value).pack()


def move(step: str) -> str:
    """Return the payload confirming ("ok") or refusing ("huy") a move to another unit."""
    return Payload(MOVE, step).pack()


def revoke(member_id: int) -> str:
    """Return the payload revoking a leader (/thanhvien)."""
    return Payload(MEMBERS, "r", str(member_id)).pack()


def upload(step: str) -> str:
    """Return a directive-upload payload: "vb:ok" or "vb:huy"."""
    return Payload(UPLOAD, step).pack()


def switch(step: str) -> str:
    """Return the payload keeping the open flow ("keep") or starting the new one ("new")."""
    return Payload(SWITCH, step).pack()


def task(code: str = "") -> str:
    """Return the payload opening a task (or the tree)."""
    return Payload(TASK, "", code).pack()


def menu(command: str) -> str:
    """Return the payload running a menu command."""
    return Payload(MENU, "", command).pack()


def missing_unit(unit_id: int) -> str:
    """Return the payload listing a unit's missing tasks."""
    return Payload(MISSING_UNIT, "", str(unit_id)).pack()


def missing_task(code: str) -> str:
    """Return the payload listing the units missing a task."""
    return Payload(MISSING_TASK, "", code).pack()
