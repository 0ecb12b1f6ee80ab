"""Members and roles (/thanh-vien): who leads which unit, filtered by a unit's subtree; revoke
a leader (admins any; a leader those of the units below its own, `may_manage` as in chat's
/thanhvien); give or take the admin role (admins only). Every change audited as the viewer."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import CODE_MAX, ROW_ID, Base, admin_page, page
from bot.dashboard.viewer import Viewer
from handlers.admin_chat import may_manage
from storage.models import Member, Role
from storage.queries.members import (
    MEMBERS_SHOWN,
    get_member_by_id,
    list_members,
    revoke_leader,
    set_admin,
)
from storage.queries.units import get_unit

ROLES = {"admin": "quản trị", "leader": "lãnh đạo", "member": "thành viên"}


class MemberPages(Base):
    """GET /thanh-vien[?don-vi=CODE]; POST /thanh-vien/{id}/thu-hoi and …/{id}/quan-tri."""

    def add_routes(self, app: web.Application) -> None:
        """Route the list and its two actions."""
        app.router.add_get("/thanh-vien", self.listing)
        app.router.add_post(f"/thanh-vien/{ROW_ID}/thu-hoi", self.revoke)
        app.router.add_post(f"/thanh-vien/{ROW_ID}/quan-tri", self.admin_role)

    async def show(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
    ) -> web.Response:
        """Render the members in scope (or in the filtered unit's subtree)."""
        wanted = request.query.get("don-vi", "").strip()[:CODE_MAX]
        root_id = viewer.root_id
        if wanted:
            unit = await get_unit(session, code=wanted)
            if (unit is None or unit.id is None) and viewer.is_admin:
                return self.message(request, texts.NOT_FOUND, status=404, viewer=viewer)
            if unit is None or unit.id is None or not await viewer.may_see(session, unit):
                return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
            root_id = unit.id
        people = await list_members(session, root_id=root_id, limit=MEMBERS_SHOWN + 1)
        rows = [await self.row(session, viewer, person) for person in people[:MEMBERS_SHOWN]]
        context: dict[str, Any] = {
            "rows": rows,
            "more": len(people) > MEMBERS_SHOWN,
            "unit": wanted,
            "notice": notice,
            "error": error,
        }
        return self.render(request, "members.html", context, viewer=viewer, status=status)

    async def row(self, session: AsyncSession, viewer: Viewer, person: Member) -> dict[str, Any]:
        """Return one member as the table shows them, with the actions the viewer may take."""
        by_setting = self.by_setting(person)
        return {
            "id": person.id,
            "name": person.display_name or "(chưa có tên)",
            "account": f"{person.channel}:{person.external_id}",
            "role": ROLES.get(person.role, person.role) + (" (ADMINS)" if by_setting else ""),
            "unit": person.unit,
            "revoke": await may_manage(session, root_id=viewer.root_id, target=person),
            "admin": person.role == Role.ADMIN.value,
            "roles": viewer.is_admin and not by_setting and person.id != viewer.member.id,
            "blocked": person.blocked,
        }

    def by_setting(self, person: Member) -> bool:
        """Tell whether a member is an admin through the ADMINS setting."""
        return f"{person.channel}:{person.external_id}" in self.settings.admin_ids

    async def target(self, request: web.Request, session: AsyncSession) -> Member | None:
        """Return the member of the path's {id}, or None."""
        return await get_member_by_id(session, member_id=int(request.match_info["id"]))

    @page
    async def listing(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """List members and who leads which unit."""
        return await self.show(request, session, viewer)

    @page
    async def revoke(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Revoke a leader in the viewer's scope."""
        person = await self.target(request, session)
        allowed = person is not None and await may_manage(
            session, root_id=viewer.root_id, target=person
        )
        if person is None or person.id is None or not allowed:
            return await self.show(
                request, session, viewer, error=texts.MEMBER_NOT_REVOKED, status=403
            )
        unit = person.unit.code if person.unit else ""
        name = person.display_name or f"{person.channel}:{person.external_id}"
        await revoke_leader(session, member_id=person.id, actor=viewer.actor)
        notice = texts.MEMBER_REVOKED.format(unit=unit, name=name)
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def admin_role(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Give (admin=1) or take (admin=0) the admin role; admins only, never their own."""
        person = await self.target(request, session)
        if person is None or person.id is None:
            return await self.show(request, session, viewer, error=texts.MEMBER_UNKNOWN, status=404)
        name = person.display_name or f"{person.channel}:{person.external_id}"
        give = str((await request.post()).get("admin", "")) == "1"
        if self.by_setting(person):
            error = texts.ADMIN_BY_SETTING.format(name=name)
            return await self.show(request, session, viewer, error=error, status=400)
        if person.id == viewer.member.id and not give:
            return await self.show(request, session, viewer, error=texts.ADMIN_SELF, status=400)
        await set_admin(session, member_id=person.id, admin=give, actor=viewer.actor)
        notice = (texts.ADMIN_GIVEN if give else texts.ADMIN_TAKEN).format(name=name)
        return await self.show(request, session, viewer, notice=notice)
