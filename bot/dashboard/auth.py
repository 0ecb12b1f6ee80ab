"""Signing in with a one-time link, and signing out.

Opening a link (GET) changes nothing: chat apps fetch links to show a preview, which must
not use the link up. The page's button POSTs the token; only then is the link taken (once)
and a session cookie set. Every sign-in attempt counts against its client address:
LOGIN_TRIES in LOGIN_WINDOW, then 429 until the window ends (behind the local proxy, the
address it forwards).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import COOKIE, Base, Viewer, page
from bot.dashboard.viewer import viewer_of
from handlers.throttle import Throttle, Verdict
from storage.queries.members import get_member_by_id
from storage.queries.web_auth import end_session, start_session, take_login_link

LOGIN_TRIES = 10
LOGIN_WINDOW = timedelta(minutes=10)
TOKEN_MAX = 128
LOOPBACK = frozenset({"127.0.0.1", "::1"})  # the local TLS proxy
NEXT_PAGES = frozenset({"/", "/bao-cao/web"})  # where a link may lead (never elsewhere)


class Auth(Base):
    """The sign-in and sign-out routes."""

    def __init__(self, **deps: Any) -> None:
        super().__init__(**deps)
        self.tries = Throttle(LOGIN_TRIES, window=LOGIN_WINDOW)

    def add_routes(self, app: web.Application) -> None:
        """Route /dang-nhap/{token}, /dang-nhap and /dang-xuat."""
        app.router.add_get("/dang-nhap/{token}", self.confirm)
        app.router.add_post("/dang-nhap", self.sign_in)
        app.router.add_post("/dang-xuat", self.sign_out)

    async def confirm(self, request: web.Request) -> web.Response:
        """Show the sign-in button for a link (the link is not used yet)."""
        token = request.match_info["token"][:TOKEN_MAX]
        return self.render(request, "login.html", {"token": token})

    async def sign_in(self, request: web.Request) -> web.Response:
        """Take the link, open a session, set its cookie and go to the overview."""
        now = self.clock()
        admission = self.tries.admit(client_address(request), now)
        if admission.verdict is not Verdict.PASS and admission.reopens_at is not None:
            minutes = max(1, math.ceil((admission.reopens_at - now).total_seconds() / 60))
            return self.message(request, texts.LOGIN_TOO_MANY.format(minutes=minutes), status=429)
        form = await request.post()
        token = form.get("token", "")
        if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
            return self.message(request, texts.LOGIN_BAD_LINK, status=400)
        async with self.database.sessions() as session:
            member_id = await take_login_link(session, token=token, now=now)
            member = await get_member_by_id(session, member_id=member_id) if member_id else None
            if member is None or member.id is None:
                return self.message(request, texts.LOGIN_BAD_LINK, status=400)
            viewer = viewer_of(member, self.settings.admin_ids)
            if viewer is None:
                return self.message(request, texts.NO_SCOPE, status=403)
            cookie = await start_session(
                session, member_id=member.id, actor=viewer.actor, now=now, idle=self.idle
            )
        target = form.get("next", "/")
        location = target if isinstance(target, str) and target in NEXT_PAGES else "/"
        response = web.Response(status=303, headers={"Location": location})
        response.set_cookie(
            COOKIE, cookie, httponly=True, secure=self.secure, samesite="Lax", path="/"
        )
        return response

    @page
    async def sign_out(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """End the session and forget its cookie."""
        await end_session(
            session, token=request.cookies.get(COOKIE, ""), actor=viewer.actor, now=self.clock()
        )
        response = self.message(request, texts.LOGGED_OUT, status=200)
        response.del_cookie(COOKIE, path="/")
        return response


def client_address(request: web.Request) -> str:
    """Return the client's address: behind the local TLS proxy, the one it appended last to
    X-Forwarded-For (a client can forge earlier entries, not that one)."""
    remote = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if remote in LOOPBACK and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:64]
    return remote
