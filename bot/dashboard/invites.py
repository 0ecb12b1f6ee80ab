"""Invites from a unit's page: create one (its code shown once, with the Telegram link and a
QR code) and revoke one. Admins for every unit, leaders for the units of their subtree."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.errors import UsageError
from bot.commands.invites import deep_link
from bot.commands.parse import parse_ttl
from bot.dashboard import texts
from bot.dashboard.app import Base, unit_page
from bot.dashboard.viewer import Viewer
from storage.models import Unit
from storage.queries.invites import create_invite, revoke_invite

TTL_CHOICES = ("1d", "7d", "30d")


class InvitePages(Base):
    """POST /don-vi/{code}/moi and /don-vi/{code}/moi/{id}/huy."""

    def add_routes(self, app: web.Application) -> None:
        """Route the create and revoke buttons of a unit's page."""
        app.router.add_post("/don-vi/{code}/moi", self.create)
        app.router.add_post("/don-vi/{code}/moi/{id}/huy", self.revoke)

    @unit_page
    async def create(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        unit: Unit,
        unit_id: int,
    ) -> web.Response:
        """Create an invite and show its code once, its link and QR code."""
        chosen = str((await request.post()).get("ttl", "7d"))
        try:
            ttl = parse_ttl(chosen if chosen in TTL_CHOICES else "")
        except UsageError as exc:
            return self.message(request, str(exc), status=400, viewer=viewer)
        invite, code = await create_invite(
            session, unit_id=unit_id, created_by=viewer.actor, ttl=ttl, now=self.clock()
        )
        link = deep_link(self.settings.telegram_bot_username, code)
        context = {
            "unit": unit,
            "code": code,
            "link": link,
            "expires": f"{invite.expires_at.astimezone(self.settings.zone):%d/%m/%Y %H:%M}",
            "qr": qr_data_uri(link or code),
        }
        return self.render(request, "invite.html", context, viewer=viewer)

    @unit_page
    async def revoke(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        unit: Unit,
        unit_id: int,
    ) -> web.StreamResponse:
        """Revoke an unused invite of the unit, then show the unit again."""
        raw = request.match_info["id"]
        revoked = raw.isascii() and raw.isdigit() and len(raw) < 19
        if revoked:
            revoked = await revoke_invite(
                session, invite_id=int(raw), unit_id=unit_id, actor=viewer.actor, now=self.clock()
            )
        if not revoked:
            return self.message(request, texts.INVITE_GONE, status=400, viewer=viewer)
        return web.Response(status=303, headers={"Location": f"/don-vi/{unit.code}"})


def qr_data_uri(text: str) -> str:
    """Return a PNG QR code of `text` as a data: URI (the page's CSP allows data: images)."""
    import segno  # only when an invite is made

    return str(segno.make(text, error="m").png_data_uri(scale=6, border=2))
