"""Random sequences of commands, text and button presses, by every role, keep the rules.

A hypothesis state machine drives `Handlers.handle` (in process, real migrated SQLite)
as an admin, the leaders of a unit A, of A's child and of A's sibling B, a member of A
without the leader role, a stranger, and a leader writing in a group chat. After every
step it checks what a user or the committee would notice:

* nothing fails: no apology (texts.SORRY), every reply fits every channel;
* nobody sees another unit's data: each unit has a distinctive code, name, report note
  and reporter name, and a reply may only name the units its reader may see (admins:
  all; leaders: their subtree; everyone else, and every group chat: none), except what
  the reader typed themselves;
* nobody changes another unit's data: a new report is the sender's, for the unit they
  lead; deadlines and broadcasts change only by admins; only the sender's member row
  changes;
* every write has its audit row, naming the sender.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from handlers import Handlers, Incoming, texts
from handlers.render import REPLY_LIMIT
from handlers.types import Reply
from storage.engine import create_engine, session_factory
from storage.models import AuditLog, Broadcast, Deadline, Invite, Member, ProgressUpdate, Role
from storage.queries.invites import create_invite
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import add_update
from storage.queries.units import upsert_unit
from tests.conftest import FakeLibrary

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNEL = "test"
ADMIN_USER = "boss"
MAX_PAYLOAD = 64
MAX_BUTTONS, MAX_PER_ROW, MAX_LABEL = 100, 8, 100


@dataclass(frozen=True)
class UnitSeed:
    """A unit and everything that would betray its data in someone else's reply."""

    key: str
    code: str
    name: str
    parent: str | None
    note: str  # in its seeded report
    leader_name: str  # the seeded report's reporter

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.code, self.name, self.note, self.leader_name)


UNITS = {
    u.key: u
    for u in (
        UnitSeed("root", "TU-GOC", "Tỉnh ủy Gốc", None, "ghichu-GOC-4410", "Chánh văn phòng Gốc"),
        UnitSeed("a", "HU-ANPHA", "Huyện ủy Anpha", "root", "ghichu-ANPHA-7731", "Lãnh đạo Anpha"),
        UnitSeed("a1", "XA-CUC", "Đảng ủy xã Cúc", "a", "ghichu-CUC-5129", "Lãnh đạo Cúc"),
        UnitSeed("b", "HU-BETA", "Huyện ủy Bêta", "root", "ghichu-BETA-9062", "Lãnh đạo Bêta"),
    )
}


@dataclass(frozen=True)
class Actor:
    """Who writes, and where."""

    name: str
    user: str
    unit: str | None  # seeded unit key
    role: Role
    group: bool = False

    @property
    def chat(self) -> str:
        return "g-chibo" if self.group else self.user


ACTORS = [
    Actor("admin", ADMIN_USER, None, Role.MEMBER),  # an admin through the ADMINS setting
    Actor("leader of A", "lead-a", "a", Role.LEADER),
    Actor("leader of A's child", "lead-a1", "a1", Role.LEADER),
    Actor("leader of B", "lead-b", "b", Role.LEADER),
    Actor("member of A, not a leader", "member-a", "a", Role.MEMBER),
    Actor("stranger", "stranger", None, Role.MEMBER),
    Actor("leader of A in a group", "lead-a", "a", Role.LEADER, group=True),
]

# --- what people type ------------------------------------------------------------------

any_char = st.characters(exclude_categories=[])  # control, invisible, lone surrogates too
free_text = st.one_of(
    st.text(any_char, max_size=60),
    st.text(max_size=40),
    st.sampled_from(["50", "100%", "-", "0", "1", "hoàn thành", "vướng mắc", "ghi chú", " "]),
    st.text(min_size=1990, max_size=2100),
)
note = st.one_of(st.sampled_from(["", "đã xong", "đang làm <b>&amp;"]), st.text(max_size=30))
task_code = st.sampled_from(["1", "3", "3.2", "3.3", "9.9", "3.3.3", "abc", ""])
unit_code = st.sampled_from([u.code for u in UNITS.values()] + ["KHONG-CO", "hu-beta"])
status = st.sampled_from(["hoan thanh", "đang làm", "vuong mac", "chưa triển khai", "xong", ""])
percents = st.one_of(st.just(""), st.integers(-5, 120).map("{}%".format))
commands = st.one_of(
    st.sampled_from(
        [
            "/start",
            "/help",
            "/huy",
            "/baocao",
            "/tiendo",
            "/lichsu",
            "/chuabaocao",
            "/xuat",
            "/bieudo",
            "/hanchot",
            "/nhacnho",
            "/nhacnho bat",
            "/nhacnho tat",
            "/phatthanh",
            "/nhiemvu",
            "/khongco",
            "/",
        ]
    ),
    st.builds("/tiendo {}".format, task_code),
    st.builds("/lichsu {} {}".format, task_code, unit_code),
    st.builds("/lichsu {}".format, task_code),
    st.builds("/chuabaocao {}".format, task_code),
    st.builds("/hanchot them {} 31/12/2026 {}".format, task_code, note),
    st.builds("/hanchot them {} 15/01/2027 09:30".format, task_code),
    st.builds("/hanchot xoa {}".format, st.integers(0, 4)),
    st.builds("/hoi {}".format, st.text(max_size=30)),
)
forged_payloads = st.one_of(
    st.sampled_from(
        [
            "bc:g:3",
            "bc:g:9",
            "bc:g:3.3",
            "bc:t:3.3",
            "bc:t:1",
            "bc:t:3",
            "bc:s:hoan_thanh",
            "bc:s:xyz",
            "bc:p:50",
            "bc:p:101",
            "bc:p:-",
            "bc:n:-",
            "bc:ok",
            "bc:huy",
            "bc:u:2",
            "bc:g:3:u:4",
            "pt:ok",
            "pt:huy",
            "nv:3.3",
            "nv:99.99",
            "cmd:xuat",
            "cmd:help",
            "",
            "bc:t:" + "3" * 70,
            "nv:" + "1." * 40,
        ]
    ),
    st.text(any_char, max_size=80),
)


actors = st.sampled_from(ACTORS)

# --- the machine ---------------------------------------------------------------------


@dataclass
class Snapshot:
    """The rows a step may write, read after it."""

    progress: dict[int, tuple[int, int | None]]  # id -> (unit_id, reporter)
    members: dict[int, tuple[str, int | None, str, bool]]  # id -> (user, unit, role, subscribed)
    deadlines: dict[int, tuple[str, str, datetime | None]]  # id -> (offsets, title, removed)
    broadcasts: set[int]
    redeemed: dict[int, int | None]  # invite id -> member id
    audit: dict[int, tuple[str, str]]  # id -> (actor, action)


@dataclass
class World:
    """The database and the handlers of one example."""

    engine: Any
    handlers: Handlers
    unit_ids: dict[str, int]  # seed key -> id
    codes: list[str]  # invite codes, two per unit but the root
    shown: dict[str, list[str]] = field(default_factory=dict)  # chat -> last reply's payloads
    seen: list[str] = field(default_factory=list)  # every payload ever shown
    known: dict[str, set[str]] = field(default_factory=dict)  # chat -> units of codes it typed


async def seed(path: Path) -> tuple[dict[str, int], list[str]]:
    """Seed the units, their leaders, a report each and invites; return unit ids and codes."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    ids: dict[str, int] = {}
    codes: list[str] = []
    async with session_factory(engine)() as s:
        for unit in UNITS.values():
            parent = UNITS[unit.parent].code if unit.parent else None
            row = await upsert_unit(
                s, code=unit.code, name=unit.name, actor="seed", parent_code=parent
            )
            ids[unit.key] = row.id or 0
        for actor in ACTORS:
            if actor.unit is None or actor.group:
                continue  # the admin and the stranger are met on their first message
            member = await get_or_create_member(
                s, channel=CHANNEL, external_id=actor.user, chat_id=actor.user
            )
            await bind_member(
                s, member_id=member.id or 0, unit_id=ids[actor.unit], actor="seed", role=actor.role
            )
        for unit in UNITS.values():
            reporter = await get_or_create_member(
                s, channel=CHANNEL, external_id=f"seed-{unit.key}", display_name=unit.leader_name
            )
            await add_update(
                s, unit_id=ids[unit.key], task_code="3.3", status="dang_thuc_hien",
                note=unit.note, reporter_member_id=reporter.id,
            )  # fmt: skip
            for _ in range(2 if unit.parent else 0):
                _, code = await create_invite(s, unit_id=ids[unit.key], created_by="seed")
                codes.append(code)
    await engine.dispose()
    return ids, codes


def open_world(path: Path, unit_ids: dict[str, int], codes: list[str]) -> World:
    """Return the handlers on a copy of the seeded database."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    handlers = Handlers(
        library=FakeLibrary(),
        clock=lambda: datetime.now(VN),  # invites expire by the real clock
        sessions=session_factory(engine),
        admins=frozenset({f"{CHANNEL}:{ADMIN_USER}"}),
    )
    return World(engine, handlers, unit_ids, codes)


async def snapshot(world: World) -> Snapshot:
    """Read the rows the checks compare before and after a step."""
    async with world.handlers.sessions() as s:

        async def rows(*columns: Any) -> list[Any]:
            return list((await s.execute(select(*columns))).all())

        progress = await rows(
            ProgressUpdate.id, ProgressUpdate.unit_id, ProgressUpdate.reporter_member_id
        )
        members = await rows(
            Member.id, Member.external_id, Member.unit_id, Member.role, Member.subscribed
        )
        deadlines = await rows(Deadline.id, Deadline.offsets, Deadline.title, Deadline.removed_at)
        broadcasts = await rows(Broadcast.id)
        invites = await rows(Invite.id, Invite.used_at, Invite.used_by_member_id)
        audit = await rows(AuditLog.id, AuditLog.actor, AuditLog.action)
    return Snapshot(
        progress={r[0]: (r[1], r[2]) for r in progress},
        members={r[0]: tuple(r[1:]) for r in members},
        deadlines={r[0]: tuple(r[1:]) for r in deadlines},
        broadcasts={r[0] for r in broadcasts},
        redeemed={r[0]: r[2] for r in invites if r[1] is not None},
        audit={r[0]: (r[1], r[2]) for r in audit},
    )


def subtree(key: str) -> set[str]:
    """Return a unit's key and those of every unit under it."""
    keys = {key}
    while True:
        more = {u.key for u in UNITS.values() if u.parent in keys} - keys
        if not more:
            return keys
        keys |= more


def payloads_of(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for b in r.flat_buttons()]


class RoleMachine(RuleBasedStateMachine):
    """One fresh database per example; every rule is one message or button press."""

    seeded: ClassVar[Path]  # the seeded database, copied for each example
    unit_ids: ClassVar[dict[str, int]]
    codes: ClassVar[list[str]]
    examples: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        type(self).examples += 1
        path = self.seeded.with_name(f"roles-{self.examples}.db")
        shutil.copy(self.seeded, path)
        self.loop = asyncio.new_event_loop()
        self.world = open_world(path, self.unit_ids, self.codes)
        self.last = self.loop.run_until_complete(snapshot(self.world))

    def teardown(self) -> None:
        self.loop.run_until_complete(self.world.engine.dispose())
        self.loop.close()

    # --- rules ---

    @rule(actor=actors, command=commands)
    def send_command(self, actor: Actor, command: str) -> None:
        self.step(actor, text=command)

    @rule(actor=actors, text=free_text)
    def type_text(self, actor: Actor, text: str) -> None:
        self.step(actor, text=text)

    @rule(
        actor=actors,
        which=st.integers(0, 7),
        form=st.sampled_from(["/dangky {}", "/start {}", "/dangky {} ", "/dangky SAI{}"]),
        lower=st.booleans(),
    )
    def register(self, actor: Actor, which: int, form: str, lower: bool) -> None:
        codes = self.world.codes
        code = codes[which] if which < len(codes) else "KHONGCOMA99"
        self.step(actor, text=form.format(code.lower() if lower else code))

    @rule(actor=actors, code=task_code, state=status, percent=percents, words=note)
    def report_in_one_line(
        self, actor: Actor, code: str, state: str, percent: str, words: str
    ) -> None:
        self.step(actor, text=f"/baocao {code} {state} {percent} {words}")

    @rule(actor=actors, data=st.data())
    def walk_the_report_flow(self, actor: Actor, data: st.DataObject) -> None:
        """Start /baocao and press what each step offers (or type), up to the end."""
        self.step(actor, text="/baocao")
        for _ in range(6):
            shown = self.world.shown.get(actor.chat)
            if not shown:
                return
            typed = data.draw(st.one_of(st.none(), st.sampled_from(["50", "ghi chú", "-"])))
            if typed is not None:
                self.step(actor, text=typed)
            else:
                self.step(actor, payload=data.draw(st.sampled_from(shown)))

    @rule(
        actor=st.sampled_from([ACTORS[0], *ACTORS]),  # the admin twice as often
        code=task_code,
        day=st.sampled_from(["31/12/2026", "2027-01-15", "31/02/2026", "hôm nay"]),
        title=note,
        number=st.integers(0, 4),
    )
    def manage_deadlines(self, actor: Actor, code: str, day: str, title: str, number: int) -> None:
        self.step(actor, text=f"/hanchot them {code} {day} {title}")
        self.step(actor, text=f"/hanchot xoa {number}")

    @rule(actor=actors, words=st.text(min_size=1, max_size=30), confirm=st.booleans())
    def broadcast(self, actor: Actor, words: str, confirm: bool) -> None:
        self.step(actor, text=f"/phatthanh {words}")
        self.step(actor, payload="pt:a:leaders")
        self.step(actor, payload="pt:ok" if confirm else "pt:huy")

    @precondition(lambda self: any(self.world.shown.values()))
    @rule(data=st.data())
    def press_shown(self, data: st.DataObject) -> None:
        """Press a button of the last reply in a chat (a valid press)."""
        chats = [a for a in ACTORS if self.world.shown.get(a.chat)]
        actor = data.draw(st.sampled_from(chats))
        self.step(actor, payload=data.draw(st.sampled_from(self.world.shown[actor.chat])))

    @precondition(lambda self: bool(self.world.seen))
    @rule(actor=actors, data=st.data())
    def press_seen(self, actor: Actor, data: st.DataObject) -> None:
        """Press a button shown earlier, maybe in someone else's chat (stale or foreign)."""
        self.step(actor, payload=data.draw(st.sampled_from(self.world.seen)))

    @rule(actor=actors, payload=forged_payloads)
    def press_forged(self, actor: Actor, payload: str) -> None:
        self.step(actor, payload=payload)

    # --- one step and its checks ---

    def step(self, actor: Actor, *, text: str = "", payload: str | None = None) -> None:
        """Send one update as `actor`; check the replies and what was written."""
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=actor.chat,
            user_id=actor.user,
            text=text,
            payload=payload,
            at=datetime.now(VN),
            is_group=actor.group,
        )
        world, before = self.world, self.last
        replies = self.loop.run_until_complete(world.handlers.handle(incoming))
        after = self.last = self.loop.run_until_complete(snapshot(world))
        check_fits(replies)
        check_scope(actor, incoming, replies, after, world)
        check_writes(actor, before, after)
        shown = payloads_of(replies)
        world.shown[actor.chat] = shown
        world.seen.extend(p for p in shown if p not in world.seen)


def check_fits(replies: list[Reply]) -> None:
    """No apology, and every reply fits every channel."""
    assert replies, "no reply"
    for reply in replies:
        assert reply.text != texts.SORRY
        assert reply.text.strip() and len(reply.text) <= REPLY_LIMIT, len(reply.text)
        buttons = reply.flat_buttons()
        assert len(buttons) <= MAX_BUTTONS
        assert all(len(row) <= MAX_PER_ROW for row in reply.buttons)
        for button in buttons:
            assert 0 < len(button.payload.encode()) <= MAX_PAYLOAD, button
            assert button.label.strip() and len(button.label) <= MAX_LABEL, button


def visible_units(actor: Actor, after: Snapshot, world: World) -> set[str] | None:
    """Return the unit keys the reader may see (None: every unit)."""
    if actor.group:
        return set()
    if actor.user == ADMIN_USER:
        return None
    member = next(m for m in after.members.values() if m[0] == actor.user)
    _, unit_id, role, _ = member
    if role == Role.ADMIN.value:
        return None
    if unit_id is None or role != Role.LEADER.value:
        return set()
    key = next(k for k, v in world.unit_ids.items() if v == unit_id)
    return subtree(key)


def check_scope(
    actor: Actor, incoming: Incoming, replies: list[Reply], after: Snapshot, world: World
) -> None:
    """A reply names only the units its reader may see (or what they typed)."""
    visible = visible_units(actor, after, world)
    if visible is None:
        return
    typed = f"{incoming.text}\n{incoming.payload or ''}"
    shown = "\n".join(r.text + "".join(b.label for b in r.flat_buttons()) for r in replies)
    # an invite's code names its unit to whoever holds it (a leader is asked to move there,
    # and the question comes back when they keep it over another flow)
    holders = zip(world.codes, invited_units(), strict=True)
    invited = world.known.setdefault(actor.chat, set())
    invited |= {key for code, key in holders if code in typed.upper()}
    for key, unit in UNITS.items():
        if key in visible or key in invited:
            continue
        for token in unit.tokens:
            assert token not in shown or token in typed, (actor.name, token, shown[:500])


def invited_units() -> list[str]:
    """Return the unit key of each seeded invite code, in `seed`'s order (two per non-root)."""
    return [unit.key for unit in UNITS.values() if unit.parent for _ in range(2)]


def check_writes(actor: Actor, before: Snapshot, after: Snapshot) -> None:
    """Writes are the sender's own, allowed for their role, and each is audited."""
    me = f"{CHANNEL}:{actor.user}"
    new_audit = [after.audit[i] for i in after.audit.keys() - before.audit.keys()]
    assert all(who == me for who, _ in new_audit), (me, new_audit)
    actions = [action for _, action in new_audit]
    [member_id] = [i for i, m in after.members.items() if m[0] == actor.user]
    _, unit_id, role, _ = after.members[member_id]
    is_admin = actor.user == ADMIN_USER or role == Role.ADMIN.value

    assert before.progress.keys() <= after.progress.keys()  # append-only
    new_reports = [after.progress[i] for i in after.progress.keys() - before.progress.keys()]
    for report_unit, reporter in new_reports:
        assert not actor.group and role in (Role.LEADER.value, Role.ADMIN.value), actor
        assert (report_unit, reporter) == (unit_id, member_id), (actor.name, report_unit)
    assert actions.count("progress.add") == len(new_reports)

    changed_deadlines = {
        i for i in after.deadlines if before.deadlines.get(i) != after.deadlines[i]
    }
    assert not changed_deadlines or is_admin, (actor.name, changed_deadlines)
    # (re-adding an existing deadline is audited as an update even when nothing changes)
    assert sum(a.startswith("deadline.") for a in actions) >= len(changed_deadlines)

    new_broadcasts = after.broadcasts - before.broadcasts
    assert not new_broadcasts or is_admin, actor.name
    assert actions.count("broadcast.create") == len(new_broadcasts)

    redeemed = {i: m for i, m in after.redeemed.items() if i not in before.redeemed}
    assert all(m == member_id for m in redeemed.values()), (actor.name, redeemed)
    assert actions.count("invite.redeem") == len(redeemed)

    new_members = after.members.keys() - before.members.keys()
    assert new_members <= {member_id}
    assert actions.count("member.create") == len(new_members)
    changed = {i for i in before.members if before.members[i] != after.members[i]}
    assert changed <= {member_id}, (actor.name, changed)
    if member_id in changed:
        old, new = before.members[member_id], after.members[member_id]
        if old[1:3] != new[1:3]:
            assert "invite.redeem" in actions
        if old[3] != new[3]:
            assert "member.subscribed" in actions


def test_every_role_keeps_to_its_own_units(migrated_db: Path, tmp_path: Path) -> None:
    seeded = tmp_path / "seeded.db"
    shutil.copy(migrated_db, seeded)
    RoleMachine.unit_ids, RoleMachine.codes = asyncio.run(seed(seeded))
    RoleMachine.seeded = seeded
    run_state_machine_as_test(
        RoleMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
