"""The one-tap report form (issue 15): a Telegram Mini App, and the same form for a browser.

* `/bao-cao` is the Mini App. Telegram opens it with its signed `initData` in the URL
  fragment; our script (static/report_form.js) posts it, and every POST is refused (403,
  nothing read or written) unless `check_init_data` accepts it for this bot's token. The
  member is the Telegram user it names.
* `/bao-cao/web` is the same form for a signed-in browser (its session's CSRF token on the
  POST): Zalo and console members get there by a one-time link (`/baocao web` in chat,
  `/bao-cao/lien-ket/{token}`, taken once by `POST /dang-nhap`).

Either way only a unit's leader may report, for their unit (the chat's `refusal`), with the
chat's rules (`make_form`, the "hoàn thành" take-back confirmation) and stored by the chat
flow's own `ReportFlow.store` (audited, a repeat within REPLACE_WINDOW replacing the last).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import CODE_MAX, Base, page
from bot.dashboard.init_data import SignatureProblem, check_init_data
from bot.dashboard.viewer import Viewer
from handlers import texts as chat_texts
from handlers.flows.report import ReportFlow
from handlers.ports import Meter, NoMeter
from handlers.render import shorten
from handlers.report_form import FormProblem, ReportForm, is_downgrade, make_form, parse_percent
from handlers.scope import compute_scope, refusal
from handlers.views import group_label
from handlers.web_login import MINI_APP_PATH as MINI_APP
from storage.models import NOTE_MAX_CHARS, Member, Role, Unit
from storage.queries.members import get_member
from storage.queries.progress import latest_for_unit
from storage.status import STATUS_LABELS, Status

log = logging.getLogger(__name__)

WEB_FORM = f"{MINI_APP}/web"
INIT_FIELD = "init_data"
TOKEN_MAX = 128
#: The Mini App may be framed by Telegram Web (web.telegram.org); every other page may not.
MINI_APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'self' https://web.telegram.org; form-action 'self'; base-uri 'none'"
)

Form = MultiDictProxy[Any]


@dataclass(frozen=True)
class Draft:
    """What the form holds, as typed (shown again when something is wrong)."""

    task: str = ""
    status: str = ""
    percent: str = ""
    note: str = ""

    @classmethod
    def of(cls, form: Form | None) -> Draft:
        """Return the form's fields (text only, cut to sane lengths)."""
        if form is None:
            return cls()
        return cls(
            text(form, "task", CODE_MAX),
            text(form, "status", 32),
            text(form, "percent", 8),
            text(form, "note", NOTE_MAX_CHARS * 4),
        )


class ReportPages(Base):
    """The report form's routes: the Mini App, the signed-in form, the one-time link."""

    def __init__(self, *, meter: Meter | None = None, **deps: Any) -> None:
        super().__init__(**deps)
        self.flow = ReportFlow(self.library, meter or NoMeter(), self.settings.zone)
        token = self.settings.telegram_bot_token
        self.token = token.get_secret_value() if token is not None else ""

    def add_routes(self, app: web.Application) -> None:
        """Route /bao-cao (Mini App), /bao-cao/web and /bao-cao/lien-ket/{token}."""
        app.router.add_get(MINI_APP, self.open_mini_app)
        app.router.add_post(MINI_APP, self.mini_app)
        app.router.add_get(WEB_FORM, self.web_form)
        app.router.add_post(WEB_FORM, self.web_form)
        app.router.add_get(f"{MINI_APP}/lien-ket/{{token}}", self.confirm_link)

    async def open_mini_app(self, request: web.Request) -> web.Response:
        """Show the page Telegram opens: its script posts the initData from the fragment."""
        task = request.query.get("nv", "")[:CODE_MAX]
        return self.framed(self.render(request, "report_app.html", {"task": task}))

    async def mini_app(self, request: web.Request) -> web.Response:
        """Check the initData, then show the form or save the report (POST only)."""
        form = await request.post()  # read before a database connection is held
        if not self.token:
            return self.framed(self.message(request, texts.REPORT_FORM_OFF, status=404))
        raw = text(form, INIT_FIELD, 16384)
        try:
            user = check_init_data(raw, token=self.token, now=self.clock())
        except SignatureProblem as problem:
            log.info("report form: initData refused (%s)", problem)
            return self.framed(self.message(request, texts.REPORT_FORM_REFUSED, status=403))
        try:
            answer = await self.answer_telegram(request, user.id, form, raw)
        except Exception:  # as `page` does: a Vietnamese 500, never a traceback page
            log.exception("report form (Mini App) failed")
            answer = self.message(request, texts.FAILED, status=500)
        return self.framed(answer)

    async def answer_telegram(
        self, request: web.Request, user_id: int, form: Form, raw: str
    ) -> web.Response:
        """Answer the Mini App's POST as the Telegram user its initData names."""
        async with self.database.sessions() as session:
            member = await get_member(session, channel="telegram", external_id=str(user_id))
            if member is None:
                return self.message(request, chat_texts.NOT_A_LEADER, status=403)
            named = f"telegram:{user_id}" in self.settings.admin_ids
            is_admin = named or member.role == Role.ADMIN.value
            hidden = {INIT_FIELD: raw}
            return await self.answer(request, session, member, is_admin, form, hidden)

    @page
    async def web_form(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Show the form to a signed-in leader, or save it (POST, CSRF checked by `page`)."""
        form = await request.post() if request.method == "POST" else None
        hidden = {"csrf": viewer.csrf}
        return await self.answer(request, session, viewer.member, viewer.is_admin, form, hidden)

    async def confirm_link(self, request: web.Request) -> web.Response:
        """Show the button that takes a one-time report link (opening it uses nothing up)."""
        token = request.match_info["token"][:TOKEN_MAX]
        return self.render(request, "report_link.html", {"token": token, "next": WEB_FORM})

    async def answer(
        self,
        request: web.Request,
        session: AsyncSession,
        member: Member,
        is_admin: bool,
        form: Form | None,
        hidden: dict[str, str],
    ) -> web.Response:
        """Refuse anyone but a leader; else save a submitted report or show the form."""
        scope = await compute_scope(session, member, is_admin)
        refused = refusal(self.flow.access, scope, is_group=False)
        if refused is not None or scope.unit is None:
            return self.message(request, refused or chat_texts.NOT_A_LEADER, status=403)
        action = MINI_APP if INIT_FIELD in hidden else WEB_FORM
        context = {"hidden": hidden, "action": action, "unit": scope.unit}
        if form is not None and form.get("action") == "luu":
            return await self.save(request, session, member, form, context)
        draft = Draft.of(form) if form is not None else Draft(request.query.get("nv", "")[:32])
        return await self.show(request, session, context, draft)

    async def save(
        self,
        request: web.Request,
        session: AsyncSession,
        member: Member,
        form: Form,
        context: dict[str, Any],
    ) -> web.Response:
        """Check the form as the chat does, then store it with the chat flow's `store`."""
        unit: Unit = context["unit"]
        draft = Draft.of(form)
        report = self.read(draft)
        if isinstance(report, str):
            return await self.show(request, session, context, draft, error=report)
        previous = await self.flow.previous_of(session, unit, report)
        confirmed = form.get("xac_nhan") == "1"
        if previous is not None and is_downgrade(previous.status, report) and not confirmed:
            warning = texts.REPORT_DOWNGRADE.format(
                date=self.flow.day(previous), status=report.status_label
            )
            return await self.show(request, session, context, draft, confirm=warning)
        stored = await self.flow.store(
            session, unit=unit, member_id=member.id, form=report, now=self.clock()
        )
        if not stored:
            failed = chat_texts.REPORT_FAILED
            return await self.show(request, session, context, draft, error=failed, status=503)
        saved = self.flow.saved_text(unit, report, previous)
        return self.render(request, "report_saved.html", {**context, "saved": saved})

    def read(self, draft: Draft) -> ReportForm | str:
        """Return the report the form states, or what is wrong with it (Vietnamese)."""
        task = next((t for t in self.flow.leaves() if t.code == draft.task), None)
        if task is None:  # the form offers the current directive's tasks
            return texts.REPORT_PICK_TASK
        try:
            status = Status(draft.status)
        except ValueError:
            return texts.REPORT_PICK_STATUS
        percent = parse_percent(draft.percent) if draft.percent.strip() else None
        if draft.percent.strip() and percent is None:
            return chat_texts.REPORT_BAD_PERCENT
        try:
            return make_form(task.code, status, percent, draft.note, document=task.document)
        except FormProblem as problem:
            return problem.message

    async def show(
        self,
        request: web.Request,
        session: AsyncSession,
        context: dict[str, Any],
        draft: Draft,
        *,
        error: str = "",
        confirm: str = "",
        status: int | None = None,
    ) -> web.Response:
        """Render the form: the tasks by group, each with the unit's current report on it."""
        unit: Unit = context["unit"]
        latest = await latest_for_unit(
            session, unit_id=unit.id or 0, document=self.library.default.number
        )
        previous = {row.task_code: self.flow.previous_line(row) for row in latest}
        groups: dict[str, list[dict[str, str]]] = {}
        for task in self.flow.leaves():
            line = previous.get(task.code, chat_texts.REPORT_NO_PREVIOUS)
            title = shorten(task.title, 70)
            groups.setdefault(task.code.split(".")[0], []).append(
                {"code": task.code, "title": title, "previous": line}
            )
        shown = {
            **context,
            "groups": [(group_label(self.library, code), tasks) for code, tasks in groups.items()],
            "statuses": list(STATUS_LABELS.items()),
            "draft": draft,
            "previous": previous.get(draft.task, chat_texts.REPORT_NO_PREVIOUS)
            if draft.task
            else "",
            "error": error,
            "confirm": confirm,
            "note_max": NOTE_MAX_CHARS,
        }
        code = status if status is not None else 400 if error else 200
        return self.render(request, "report_form.html", shown, status=code)

    @staticmethod
    def framed(response: web.Response) -> web.Response:
        """Let Telegram Web frame a Mini App response (the rest of the CSP unchanged)."""
        response.headers["Content-Security-Policy"] = MINI_APP_CSP
        response.headers.pop("X-Frame-Options", None)
        return response


def text(form: Form, name: str, limit: int) -> str:
    """Return a form field as text, cut to `limit` (a file or nothing: "")."""
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""
