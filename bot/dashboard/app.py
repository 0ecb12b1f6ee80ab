"""The dashboard's plumbing: templates, the signed-in viewer of each request, CSRF, headers.

Every page handler is wrapped by `page`: it opens one database session, finds the viewer
from the session cookie (no viewer: the "please sign in" page, 401), refuses a POST whose
CSRF token is not the session's (403), then calls the handler. Responses are never cached
and carry a strict Content-Security-Policy (scripts and styles only from /static/).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.viewer import Viewer, viewer_of
from bot.database import Database
from bot.settings import Settings
from handlers.ports import Clock
from handlers.tasks import document_name
from knowledge import Document, Library
from knowledge.library import short_number
from scheduler.plan import parse_span
from storage.models import Unit
from storage.queries.members import get_member_by_id
from storage.queries.units import get_unit
from storage.queries.web_auth import resume_session

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "bot_session"
CODE_MAX = 64  # a unit code's length
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
ROW_ID = "{id:[0-9]{1,18}}"  # a row id in a route: anything else is 404 before a handler
DIRECTIVE_FIELD = "vb"  # ?vb=09-KL: the pages of another directive than the current one
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a login link's token never leaves in a Referer
    "Cache-Control": "no-store",
}

#: The sign-in help page with Telegram's Login Widget: its script, and the frame it opens.
WIDGET_CSP = HEADERS["Content-Security-Policy"].replace(
    "script-src 'self';",
    "script-src 'self' https://telegram.org; frame-src https://oauth.telegram.org;",
)
WIDGET_PATH = "/dang-nhap-telegram"  # where the widget sends the signed-in user

PageHandler = Callable[[Any, web.Request, AsyncSession, Viewer], Awaitable[web.StreamResponse]]
UnitHandler = Callable[
    [Any, web.Request, AsyncSession, Viewer, Unit, int], Awaitable[web.StreamResponse]
]


class Base:
    """What every dashboard part shares: settings, database, clock, library, templates."""

    def __init__(
        self, *, settings: Settings, database: Database, clock: Clock, library: Library
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.library = library
        self.idle: timedelta = parse_span(settings.web_session_idle)
        self.secure = settings.web_base.lower().startswith("https://")

    @property
    def document(self) -> str:
        """Return the current directive's number (what a new report is about)."""
        return self.library.default.number

    def directive(self, request: web.Request) -> Document:
        """Return the directive a page reports on: `?vb=` (number, full or short, archived
        ones too, for history), else the current one."""
        asked = request.query.get(DIRECTIVE_FIELD, "").strip()[:CODE_MAX]
        return (self.library.document(asked) if asked else None) or self.library.default

    def directive_context(self, doc: Document) -> dict[str, Any]:
        """Return what templates need to name the directive and keep it in their links."""
        value = "" if doc.number == self.library.default.number else short_number(doc.number)
        return {
            "doc": doc,
            "doc_label": document_name(doc),
            "vb_value": value,  # for a form's hidden field
            "vb": urlencode({DIRECTIVE_FIELD: value}) if value else "",  # for a link's query
            "directives": [
                {
                    "value": short_number(d.number),
                    "label": document_name(d),
                    "current": d.number == self.library.default.number,
                    "archived": d.number in self.library.archived,
                    "selected": d.number == doc.number,
                }
                for d in self.library.documents
            ],
        }

    def render(
        self,
        request: web.Request,
        template: str,
        context: dict[str, Any],
        *,
        viewer: Viewer | None = None,
        status: int = 200,
    ) -> web.Response:
        """Render a template with the viewer, the CSRF token and the security headers."""
        shown = {"viewer": viewer, "csrf": viewer.csrf if viewer else "", "title": texts.TITLE}
        response = aiohttp_jinja2.render_template(template, request, shown | context, status=status)
        response.headers.update(HEADERS)
        return response

    def message(
        self, request: web.Request, text: str, *, status: int, viewer: Viewer | None = None
    ) -> web.Response:
        """Render a page that only says something (refusals, errors, logged out)."""
        return self.render(request, "message.html", {"text": text}, viewer=viewer, status=status)

    def sign_in_help(self, request: web.Request) -> web.Response:
        """Render "please sign in" (401), with Telegram's Login Widget when it can work: a bot
        username, its token and an https address (the widget's own script allowed only here)."""
        settings = self.settings
        widget = (
            bool(settings.telegram_bot_username and settings.telegram_bot_token) and self.secure
        )
        context = {
            "widget": settings.telegram_bot_username if widget else "",
            "widget_url": f"{settings.web_base}{WIDGET_PATH}",
        }
        response = self.render(request, "login_needed.html", context, status=401)
        if widget:
            response.headers["Content-Security-Policy"] = WIDGET_CSP
        return response

    async def scoped_unit(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> Unit | web.Response:
        """Return the unit of the path's {code} if the viewer may see it, else the refusal
        (403; an unknown code is 404 for an admin, 403 for a leader, who learns nothing)."""
        unit = await get_unit(session, code=request.match_info["code"][:CODE_MAX])
        if unit is None or unit.id is None:
            if viewer.is_admin:
                return self.message(request, texts.NOT_FOUND, status=404, viewer=viewer)
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        if not await viewer.may_see(session, unit):
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        return unit

    async def viewer(self, request: web.Request, session: AsyncSession) -> Viewer | None:
        """Return the signed-in viewer of this request, or None."""
        token = request.cookies.get(COOKIE, "")
        if not token or len(token) > 128:
            return None
        browser = await resume_session(session, token=token, now=self.clock(), idle=self.idle)
        if browser is None:
            return None
        member = await get_member_by_id(session, member_id=browser.member_id)
        if member is None:
            return None
        return viewer_of(member, self.settings.admin_ids, browser.csrf)


def page(handler: PageHandler) -> Callable[[Any, web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a page handler: database session, signed-in viewer, CSRF on POST."""

    @functools.wraps(handler)
    async def wrapped(self: Base, request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            await request.post()  # read (and cached) before a database connection is held
        async with self.database.sessions() as session:
            viewer = await self.viewer(request, session)
            await session.commit()  # the one SQLite connection is free for a handler's writes
            if viewer is None:
                return self.sign_in_help(request)
            if request.method == "POST" and not await csrf_ok(request, viewer):
                return self.message(request, texts.FORBIDDEN_FORM, status=403, viewer=viewer)
            try:
                return await handler(self, request, session, viewer)
            except web.HTTPException:
                raise
            except Exception:
                log.exception("dashboard page %s failed", request.path)
                return self.message(request, texts.FAILED, status=500, viewer=viewer)

    return wrapped


def admin_page(
    handler: PageHandler,
) -> Callable[[Any, web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a handler only admins may use: `page`, then 403 for anyone else."""

    @functools.wraps(handler)
    async def admins_only(
        self: Base, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.StreamResponse:
        if not viewer.is_admin:
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        return await handler(self, request, session, viewer)

    return page(admins_only)


def unit_page(
    handler: UnitHandler,
) -> Callable[[Any, web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a handler of /…/{code} pages: `page`, then the unit if the viewer may see it
    (passed with its id), else the refusal of `Base.scoped_unit`."""

    @functools.wraps(handler)
    async def scoped(
        self: Base, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.StreamResponse:
        unit = await self.scoped_unit(request, session, viewer)
        if isinstance(unit, web.Response):
            return unit
        assert unit.id is not None  # scoped_unit returns stored units only
        return await handler(self, request, session, viewer, unit, unit.id)

    return page(scoped)


async def csrf_ok(request: web.Request, viewer: Viewer) -> bool:
    """Tell whether a POST carries the session's CSRF token (form field or htmx header)."""
    given = request.headers.get(CSRF_HEADER, "")
    if not given:
        form = await request.post()
        field = form.get(CSRF_FIELD, "")
        given = field if isinstance(field, str) else ""
    return bool(viewer.csrf) and hmac.compare_digest(given.encode(), viewer.csrf.encode())


def setup_templates(app: web.Application) -> None:
    """Attach the Jinja2 environment (autoescaped) and the static files to the app."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_static("/static/", HERE / "static")
