"""Who may do what: the sender's scope, computed once per turn, and what each command needs.

Scope: an admin sees every unit; a leader sees their own unit and the units under it;
anyone else sees no unit's data (and `refusal` says why, in Vietnamese). Every command
and flow declares an `Access` (the role it needs, and whether it is for private chats
only); `refusal` checks it, in one place, for typed commands and button presses alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import texts
from storage.models import Member, Role, Unit
from storage.queries.units import get_unit_by_id


@dataclass(frozen=True)
class Scope:
    """The units the sender may see, and the unit they report for."""

    unit: Unit | None  # the unit the sender leads (their reports go to it)
    all_units: bool  # an admin: every unit
    refusal: str | None  # why the sender sees no unit's data (None when they see some)

    @property
    def root(self) -> Unit | None:
        """Return the top of the subtree the sender sees; None for an admin (everything)."""
        return None if self.all_units else self.unit

    @property
    def root_id(self) -> int | None:
        """Return the root unit's id for scoped queries; None for an admin."""
        root = self.root
        return root.id if root is not None else None


async def compute_scope(session: AsyncSession, member: Member, is_admin: bool) -> Scope:
    """Return the sender's scope (re-reading their unit: it may have moved or gone)."""
    unit = None
    if member.unit_id is not None and member.role in (Role.LEADER.value, Role.ADMIN.value):
        unit = await get_unit_by_id(session, unit_id=member.unit_id)
    if is_admin:
        return Scope(unit, all_units=True, refusal=None)
    return Scope(unit, all_units=False, refusal=None if unit else texts.NO_UNIT_SCOPE)


class Need(Enum):
    """The role a command or flow needs."""

    ANYONE = "anyone"
    LEADER = "leader"  # leads a unit: reports for it
    VIEWER = "viewer"  # sees some unit's data: an admin or a leader
    ADMIN = "admin"


@dataclass(frozen=True)
class Access:
    """What a command or flow needs: a role, and maybe a private chat."""

    need: Need = Need.ANYONE
    private: bool = False


ANYONE = Access()
PRIVATE = Access(private=True)


def refusal(access: Access, scope: Scope, *, is_group: bool) -> str | None:
    """Return why the sender may not use a command or flow here, or None if they may."""
    if access.private and is_group:
        return texts.PRIVATE_ONLY
    if access.need is Need.ADMIN and not scope.all_units:
        return texts.ADMIN_ONLY
    if access.need is Need.LEADER and scope.unit is None:
        return texts.NOT_A_LEADER
    if access.need is Need.VIEWER and scope.refusal:
        return scope.refusal
    return None
