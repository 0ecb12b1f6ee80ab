"""The committee's web dashboard on the bot's own aiohttp server (issue 15).

Server-rendered pages (aiohttp-jinja2), htmx for partial updates (shipped in static/),
sign-in by one-time links; every page limited to the viewer's scope as in chat.
"""

from __future__ import annotations

from bot.dashboard.app import setup_templates
from bot.dashboard.auth import Auth
from bot.dashboard.broadcasts import BroadcastPages
from bot.dashboard.deadlines import DeadlinePages
from bot.dashboard.directive_upload import DirectiveUpload
from bot.dashboard.invites import InvitePages
from bot.dashboard.members import MemberPages
from bot.dashboard.missing import MissingPages
from bot.dashboard.overview import OverviewPages
from bot.dashboard.pages import Pages
from bot.dashboard.report_form import ReportPages
from bot.dashboard.telegram_login import TelegramLogin
from bot.dashboard.units import UnitPages
from bot.database import Database
from bot.settings import Settings
from bot.web import WebServer
from handlers.ports import Clock, Meter
from knowledge import Library


def add_dashboard(
    server: WebServer,
    *,
    settings: Settings,
    database: Database,
    clock: Clock,
    library: Library,
    meter: Meter | None = None,
) -> None:
    """Add the dashboard's routes and templates to the web server (before it starts)."""
    setup_templates(server.app)
    for part in (
        Auth,
        Pages,
        DeadlinePages,
        InvitePages,
        TelegramLogin,
        MemberPages,
        BroadcastPages,
        OverviewPages,
        MissingPages,
        UnitPages,
        DirectiveUpload,
    ):
        part(settings=settings, database=database, clock=clock, library=library).add_routes(
            server.app
        )
    ReportPages(
        settings=settings, database=database, clock=clock, library=library, meter=meter
    ).add_routes(server.app)
