"""Who is looking at the dashboard, and what they may see: exactly the chat's scope
(an admin every unit; a leader their unit and the units under it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Role, Unit
from storage.queries.dashboard import in_subtree


@dataclass(frozen=True)
class Viewer:
    """A signed-in member with their scope and their session's CSRF token."""

    member: Member
    is_admin: bool
    unit: Unit | None  # the unit a leader leads (None: an admin, who sees every unit)
    csrf: str = ""

    @property
    def root_id(self) -> int | None:
        """Return the root of the subtree in scope (None: every unit)."""
        return None if self.is_admin or self.unit is None else self.unit.id

    @property
    def actor(self) -> str:
        """Return the viewer as CHANNEL:USER_ID, the form audit rows use."""
        return f"{self.member.channel}:{self.member.external_id}"

    @property
    def name(self) -> str:
        """Return the name shown in the page header."""
        return self.member.display_name or self.actor

    async def may_see(self, session: AsyncSession, unit: Unit) -> bool:
        """Tell whether the viewer may see this unit."""
        if self.is_admin:
            return True
        if self.unit is None or self.unit.id is None or unit.id is None:
            return False
        return await in_subtree(session, root_id=self.unit.id, unit_id=unit.id)


def viewer_of(member: Member, admins: frozenset[str], csrf: str = "") -> Viewer | None:
    """Return the member as a viewer, or None when they may not use the dashboard."""
    named = f"{member.channel}:{member.external_id}" in admins
    if named or member.role == Role.ADMIN.value:
        return Viewer(member, True, None, csrf)
    if member.role == Role.LEADER.value and member.unit is not None:
        return Viewer(member, False, member.unit, csrf)
    return None
