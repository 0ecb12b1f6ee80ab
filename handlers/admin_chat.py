"""Administration in chat: /moi (an invite for a unit), /donvi (the units; admins add one),
/thanhvien (who leads which unit, with revoke buttons `tv:r:<member id>`).

Admins may do all of it everywhere; a leader invites to and lists its own subtree, and
revokes the leaders of units below its own. A revoke button is user input: the target and
the sender's right to it are checked again when it is pressed.
"""

from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import payloads, texts
from handlers.payloads import Payload
from handlers.registration import deep_link
from handlers.render import button_rows, replies, shorten
from handlers.turn import Turn
from handlers.types import Button, Reply
from storage.models import Member, Role, Unit
from storage.queries.dashboard import in_subtree
from storage.queries.invites import create_invite
from storage.queries.members import get_member_by_id, list_members, revoke_leader
from storage.queries.units import (
    CODE_MAX,
    get_unit,
    list_subtree,
    list_units,
    unit_problem,
    upsert_unit,
)

LINES_SHOWN = 50  # lines of a unit or member list in one reply
REVOKE_BUTTONS = 10
NAME_CHARS = 30


async def may_manage(session: AsyncSession, *, root_id: int | None, target: Member) -> bool:
    """Tell whether someone whose scope is `root_id` (None: an admin) may revoke `target`'s
    leadership: admins any unit's leader; a leader those of the units below its own."""
    if target.unit_id is None or target.role == Role.MEMBER.value:
        return False
    if root_id is None:
        return True
    if target.unit_id == root_id:
        return False
    return await in_subtree(session, root_id=root_id, unit_id=target.unit_id)


class AdminChat:
    """The chat's administration commands (see the module's docstring)."""

    def __init__(self, timezone: tzinfo, bot_username: str = "") -> None:
        self.timezone = timezone
        self.bot_username = bot_username

    async def scoped_unit(self, turn: Turn, raw: str) -> Unit | Reply:
        """Return the unit a typed code names if the sender may see it, else what to say."""
        code = raw.strip()
        unit = await get_unit(turn.session, code=code) if 0 < len(code) <= CODE_MAX else None
        if unit is None or unit.id is None:
            return Reply(texts.UNIT_UNKNOWN.format(code=shorten(code, 30)))
        root = turn.scope.root_id
        if root is not None and not await in_subtree(turn.session, root_id=root, unit_id=unit.id):
            return Reply(texts.OUTSIDE_SCOPE.format(code=unit.code))
        return unit

    async def invite(self, turn: Turn, arg: str) -> list[Reply]:
        """/moi ĐƠN_VỊ: create an invite for a unit in scope; reply with its code and link."""
        if not arg.strip():
            return [Reply(texts.INVITE_HOW)]
        unit = await self.scoped_unit(turn, arg)
        if isinstance(unit, Reply):
            return [unit]
        assert unit.id is not None
        invite, code = await create_invite(
            turn.session, unit_id=unit.id, created_by=turn.actor, now=turn.now
        )
        link = deep_link(self.bot_username, code)
        text = texts.INVITE_MADE.format(
            unit=f"{unit.code} — {unit.name}",
            code=code,
            expires=f"{invite.expires_at.astimezone(self.timezone):%d/%m/%Y %H:%M}",
            link=texts.INVITE_LINK.format(link=link) if link else "",
        )
        return [Reply(text)]

    async def units(self, turn: Turn, arg: str) -> list[Reply]:
        """/donvi: the units in scope as a tree; /donvi them MÃ TÊN [CHA] adds one (admins)."""
        word, _, rest = arg.strip().partition(" ")
        if word.lower() in ("them", "thêm"):
            if not turn.scope.all_units:
                return [Reply(texts.ADMIN_ONLY)]
            return await self.add_unit(turn, rest)
        root = turn.scope.root
        if root is not None and root.id is not None:
            units = await list_subtree(turn.session, unit_id=root.id)
        else:
            units = await list_units(turn.session)
        if not units:
            return [Reply(f"{texts.UNITS_EMPTY}\n{texts.UNITS_ADD_HINT}")]
        lines = [texts.UNITS_HEADER.format(count=len(units))]
        shown = tree_lines(units)
        lines += shown[:LINES_SHOWN]
        if len(shown) > LINES_SHOWN:
            lines.append(texts.UNITS_MORE.format(more=len(shown) - LINES_SHOWN))
        if turn.scope.all_units:
            lines.append(texts.UNITS_ADD_HINT)
        return replies("\n".join(lines))

    async def add_unit(self, turn: Turn, arg: str) -> list[Reply]:
        """Add a unit: MÃ TÊN [CHA], the last word the parent when it is a unit's code."""
        words = arg.split()
        if len(words) < 2:
            return [Reply(texts.UNIT_ADD_HOW)]
        code, name_words = words[0], words[1:]
        parent = await get_unit(turn.session, code=name_words[-1]) if len(words) > 2 else None
        if parent is not None:
            name_words = name_words[:-1]
        name = " ".join(name_words)
        problem = unit_problem(code, name)
        if problem is not None:
            return [Reply(texts.UNIT_PROBLEMS[problem].format(code=shorten(code, 30)))]
        existing = await get_unit(turn.session, code=code)
        if existing is not None:
            return [Reply(texts.UNIT_EXISTS.format(code=existing.code, name=existing.name))]
        unit = await upsert_unit(
            turn.session,
            code=code,
            name=name,
            actor=turn.actor,
            parent_code=parent.code if parent else None,
        )
        under = texts.UNIT_ADDED_PARENT.format(parent=parent.code) if parent else ""
        return [Reply(texts.UNIT_ADDED.format(code=unit.code, name=unit.name, parent=under))]

    async def members(self, turn: Turn, arg: str) -> list[Reply]:
        """/thanhvien [ĐƠN_VỊ]: who leads which unit in scope, with revoke buttons."""
        root_id = turn.scope.root_id
        own = turn.scope.unit
        scope = texts.MEMBERS_SCOPE_ALL if root_id is None or own is None else own.code
        if arg.strip():
            unit = await self.scoped_unit(turn, arg)
            if isinstance(unit, Reply):
                return [unit]
            root_id, scope = unit.id, unit.code
        people = await list_members(
            turn.session, root_id=root_id, leaders_only=True, limit=LINES_SHOWN + 1
        )
        if not people:
            return [Reply(texts.MEMBERS_EMPTY.format(scope=scope))]
        lines = [texts.MEMBERS_HEADER.format(scope=scope, count=min(len(people), LINES_SHOWN))]
        buttons: list[Button] = []
        for person in people[:LINES_SHOWN]:
            name, unit_code = person_name(person), person.unit.code if person.unit else ""
            role = texts.ROLE_NAMES.get(person.role, person.role)
            lines.append(texts.MEMBER_LINE.format(unit=unit_code, name=name, role=role))
            if person.id is not None and len(buttons) < REVOKE_BUTTONS:
                if await may_manage(turn.session, root_id=turn.scope.root_id, target=person):
                    label = texts.BUTTON_REVOKE.format(name=name, unit=unit_code)
                    buttons.append(Button(shorten(label, 60), payloads.revoke(person.id)))
        if len(people) > LINES_SHOWN:
            lines.append(texts.MEMBERS_MORE)
        return replies("\n".join(lines), button_rows(buttons, per_row=1))

    async def revoke(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Revoke a leader (tv:r:<id>) if the sender may; audited either way."""
        target = await get_member_by_id(turn.session, member_id=int(payload.value))
        allowed = target is not None and await may_manage(
            turn.session, root_id=turn.scope.root_id, target=target
        )
        if target is None or target.id is None or not allowed:
            await turn.audit("payload.refused", payload.pack(), reason="not allowed")
            return [Reply(texts.REVOKE_REFUSED)]
        unit = target.unit.code if target.unit else ""
        name = person_name(target)
        done = await revoke_leader(turn.session, member_id=target.id, actor=turn.actor)
        if done is None:
            return [Reply(texts.REVOKE_REFUSED)]
        return [Reply(texts.REVOKED.format(unit=unit, name=name))]


def person_name(member: Member) -> str:
    """Return how a member is named in lists: their display name, else CHANNEL:ID."""
    return shorten(member.display_name or f"{member.channel}:{member.external_id}", NAME_CHARS)


def tree_lines(units: list[Unit]) -> list[str]:
    """Return one line per unit, children indented under their parent (roots by code)."""
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    lines: list[str] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        lines.append(texts.UNIT_LINE.format(indent="  " * depth, code=unit.code, name=unit.name))
        stack.extend((c, depth + 1) for c in reversed(children.get(unit.id, [])))
    return lines
