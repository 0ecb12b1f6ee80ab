"""Signing in with Telegram's Login Widget (shown on the sign-in help page when
TELEGRAM_BOT_USERNAME, the bot token and an https WEB_BASE_URL are set).

The widget sends the browser to `WIDGET_PATH` with the user's fields and a hash keyed by
SHA256(bot token); `check_login_widget` checks it (constant time, `auth_date` at most a day
old). A registered admin or leader then gets a session as with a one-time link; anyone else
is refused. Attempts count against the client address like link sign-ins.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from aiohttp import web

from bot.dashboard import texts
from bot.dashboard.app import COOKIE, WIDGET_PATH, Base
from bot.dashboard.auth import LOGIN_TRIES, LOGIN_WINDOW, client_address
from bot.dashboard.init_data import SignatureProblem, check_login_widget
from bot.dashboard.viewer import viewer_of
from handlers.throttle import Throttle, Verdict
from storage.queries.members import get_member
from storage.queries.web_auth import start_session

log = logging.getLogger(__name__)

FIELDS_MAX = 10  # the widget sends at most 7


class TelegramLogin(Base):
    """The Login Widget's landing route."""

    def __init__(self, **deps: Any) -> None:
        super().__init__(**deps)
        self.tries = Throttle(LOGIN_TRIES, window=LOGIN_WINDOW)
        token = self.settings.telegram_bot_token
        self.token = token.get_secret_value() if token is not None else ""
        self.enabled = bool(self.settings.telegram_bot_username and self.token and self.secure)

    def add_routes(self, app: web.Application) -> None:
        """Route the widget's redirect."""
        app.router.add_get(WIDGET_PATH, self.sign_in)

    async def sign_in(self, request: web.Request) -> web.Response:
        """Check the widget's signed fields, open a session, go to the overview."""
        if not self.enabled:
            return self.message(request, texts.NOT_FOUND, status=404)
        now = self.clock()
        admission = self.tries.admit(client_address(request), now)
        if admission.verdict is not Verdict.PASS and admission.reopens_at is not None:
            minutes = max(1, math.ceil((admission.reopens_at - now).total_seconds() / 60))
            return self.message(request, texts.LOGIN_TOO_MANY.format(minutes=minutes), status=429)
        query = request.query
        fields = {key: query[key] for key in query}
        try:
            if len(fields) != len(query) or len(fields) > FIELDS_MAX:
                raise SignatureProblem("repeated or too many fields")
            user = check_login_widget(fields, token=self.token, now=now)
        except SignatureProblem as problem:
            log.info("telegram login refused (%s)", problem)
            return self.message(request, texts.LOGIN_WIDGET_REFUSED, status=403)
        async with self.database.sessions() as session:
            member = await get_member(session, channel="telegram", external_id=str(user.id))
            viewer = viewer_of(member, self.settings.admin_ids) if member is not None else None
            if member is None or member.id is None or viewer is None:
                return self.message(request, texts.NO_SCOPE, status=403)
            cookie = await start_session(
                session, member_id=member.id, actor=viewer.actor, now=now, idle=self.idle
            )
        response = web.Response(status=303, headers={"Location": "/"})
        response.set_cookie(COOKIE, cookie, httponly=True, secure=True, samesite="Lax", path="/")
        return response
