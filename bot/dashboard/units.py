"""Units (`/don-vi`): the tree in the viewer's scope; for admins, add a unit (the checks of
`units add`), import a CSV with a preview of what will change then a confirmation (the
parser and import of `units import`), and exemptions (the rules of `units exempt`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_texts
from bot.commands.errors import UsageError
from bot.commands.parse import check_unit, parse_level, parse_since
from bot.commands.scope import REASON_MAX
from bot.dashboard import texts
from bot.dashboard.app import admin_page, page
from bot.dashboard.filters import Filters, matching
from bot.dashboard.reporting import Reporting
from bot.dashboard.viewer import Viewer
from storage.errors import UnitCycleError, UnitImportError, UnitNotFoundError
from storage.models import Unit
from storage.queries.applicability import add_exemption, list_exemptions, remove_exemption
from storage.queries.matrix import units_in_tree_order
from storage.queries.unit_import import UnitRow, import_units_csv, parse_units_csv
from storage.queries.units import get_unit, list_units, upsert_unit

TREE_ROWS = 200  # units per page of the tree
CSV_MAX = 512 * 1024  # characters of an imported CSV
FIELD_MAX = 256
LEVEL_NAMES = {"tinh": "tỉnh", "huyen": "huyện", "coso": "cơ sở", "": ""}


class UnitPages(Reporting):
    """/don-vi: tree, add, import, exemptions."""

    def add_routes(self, app: web.Application) -> None:
        """Route the tree and the admins' forms."""
        app.router.add_get("/don-vi", self.listing)
        app.router.add_post("/don-vi", self.add)
        app.router.add_post("/don-vi/nhap", self.preview)
        app.router.add_post("/don-vi/nhap/xac-nhan", self.confirm)
        app.router.add_post("/don-vi/mien", self.exempt)
        app.router.add_post("/don-vi/mien/{id}/xoa", self.unexempt)

    async def show(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
        **extra: Any,
    ) -> web.Response:
        """Render the tree (searchable, a page at a time), the exemptions and the forms."""
        filters = Filters.of(request.query)
        units = matching(await units_in_tree_order(session, root_id=viewer.root_id), filters.search)
        pages = max(1, -(-len(units) // TREE_ROWS))
        number = min(filters.page, pages)
        seen = {unit.id for unit in units} if viewer.root_id is not None else None
        if seen is not None and filters.search:  # exemptions of the whole scope, not the search
            seen = {u.id for u in await units_in_tree_order(session, root_id=viewer.root_id)}
        exemptions = [
            {
                "id": row.id,
                "code": code,
                "start": f"{row.starts_on:%d/%m/%Y}",
                "end": f"{row.ends_on:%d/%m/%Y}",
                "reason": row.reason,
                "current": row.ends_on >= self.today(),
            }
            for row, code in await list_exemptions(session)
            if seen is None or row.unit_id in seen
        ]
        context: dict[str, Any] = {
            "units": units[(number - 1) * TREE_ROWS : number * TREE_ROWS],
            "total": len(units),
            "search": filters.search,
            "page": number,
            "pages": pages,
            "levels": LEVEL_NAMES,
            "exemptions": exemptions,
            "notice": notice,
            "error": error,
            "form": {},
            "exempt_form": {},
            "preview": None,
        } | extra
        return self.render(request, "units.html", context, viewer=viewer, status=status)

    def today(self) -> date:
        """Return today in the users' zone."""
        return self.clock().astimezone(self.settings.zone).date()

    @page
    async def listing(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """The tree of units in scope."""
        return await self.show(request, session, viewer)

    @admin_page
    async def add(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Add a unit, or update the one with this code (admins)."""
        form = await fields(request, "code", "name", "parent", "level")
        try:
            code, name = check_unit(form["code"], form["name"])
            level = parse_level(form["level"])
        except UsageError as exc:
            return await self.show(request, session, viewer, error=str(exc), form=form, status=400)
        parent = form["parent"].strip() or None
        existed = await get_unit(session, code=code) is not None
        try:
            unit = await upsert_unit(
                session, code=code, name=name, actor=viewer.actor, parent_code=parent, level=level
            )
        except UnitNotFoundError:
            error = texts.UNIT_PARENT_UNKNOWN.format(code=parent)
            return await self.show(request, session, viewer, error=error, form=form, status=400)
        except UnitCycleError:
            await session.rollback()
            error = cli_texts.UNIT_CYCLE.format(parent=parent, code=code)
            return await self.show(request, session, viewer, error=error, form=form, status=400)
        notice = (cli_texts.UNIT_UPDATED if existed else cli_texts.UNIT_ADDED).format(
            code=unit.code, name=unit.name
        )
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def preview(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Show what a CSV import would add and change; nothing is saved yet (admins)."""
        text = await csv_text(request)
        if text is None:
            return await self.show(request, session, viewer, error=texts.CSV_UNREADABLE, status=400)
        try:
            rows = parse_units_csv(text)
            changes = await what_changes(session, rows)
        except UnitImportError as exc:
            error = texts.CSV_BAD.format(error=exc)
            return await self.show(request, session, viewer, error=error, status=400)
        if not rows:
            return await self.show(request, session, viewer, error=texts.CSV_EMPTY, status=400)
        return await self.show(request, session, viewer, preview=changes | {"text": text})

    @admin_page
    async def confirm(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Import the previewed CSV in one transaction (admins); a bad line changes nothing."""
        text = await csv_text(request)
        if text is None:
            return await self.show(request, session, viewer, error=texts.CSV_UNREADABLE, status=400)
        try:
            result = await import_units_csv(session, text=text, actor=viewer.actor)
        except UnitImportError as exc:
            error = texts.CSV_BAD.format(error=exc)
            return await self.show(request, session, viewer, error=error, status=400)
        notice = texts.CSV_IMPORTED.format(
            added=result.added, updated=result.updated, unchanged=result.unchanged
        )
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def exempt(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Exempt a unit from reporting for some days (admins)."""
        form = await fields(request, "unit", "start", "end", "reason")

        async def failed(error: str) -> web.Response:
            return await self.show(
                request, session, viewer, error=error, exempt_form=form, status=400
            )

        if not form["start"].strip() or not form["end"].strip():
            return await failed(texts.EXEMPT_DAYS_NEEDED)
        try:
            start = parse_since(form["start"], self.settings.zone).date()
            end = parse_since(form["end"], self.settings.zone).date()
        except UsageError as exc:
            return await failed(str(exc))
        if end < start:
            return await failed(cli_texts.EXEMPT_SPAN_BAD)
        reason = " ".join(form["reason"].split())
        if not reason or len(reason) > REASON_MAX:
            return await failed(texts.EXEMPT_REASON_BAD.format(limit=REASON_MAX))
        unit = await get_unit(session, code=form["unit"][:64])
        if unit is None or unit.id is None:
            return await failed(texts.UNIT_UNKNOWN.format(code=form["unit"].strip()))
        row = await add_exemption(
            session,
            unit_id=unit.id,
            starts_on=start,
            ends_on=end,
            reason=reason,
            actor=viewer.actor,
        )
        notice = cli_texts.EXEMPT_ADDED.format(
            id=row.id, code=unit.code, start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}"
        )
        if end < self.today():
            notice += " " + cli_texts.EXEMPT_PAST
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def unexempt(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Remove an exemption (admins)."""
        text = request.match_info["id"]
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            return await self.show(
                request,
                session,
                viewer,
                error=cli_texts.EXEMPT_NOT_FOUND.format(id=text[:12]),
                status=404,
            )
        if not await remove_exemption(session, exemption_id=int(text), actor=viewer.actor):
            error = cli_texts.EXEMPT_NOT_FOUND.format(id=text)
            return await self.show(request, session, viewer, error=error, status=404)
        return await self.show(
            request, session, viewer, notice=cli_texts.EXEMPT_REMOVED.format(id=text)
        )


async def fields(request: web.Request, *names: str) -> dict[str, str]:
    """Return the posted text fields (missing ones empty, each cut to FIELD_MAX)."""
    posted = await request.post()
    return {name: str(posted.get(name, ""))[:FIELD_MAX] for name in names}


async def csv_text(request: web.Request) -> str | None:
    """Return the CSV posted as a file (`tep`) or as text (`csv`); None when unreadable."""
    posted = await request.post()
    upload = posted.get("tep")
    if isinstance(upload, web.FileField) and upload.filename:
        try:
            text = upload.file.read(CSV_MAX + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    else:
        text = str(posted.get("csv", ""))
    return text[:CSV_MAX] if len(text) <= CSV_MAX else None


async def what_changes(session: AsyncSession, rows: list[UnitRow]) -> dict[str, Any]:
    """Return what importing these rows would do: units added, units changed (what, from and
    to), how many stay as they are; a parent neither stored nor in the file is an error."""
    units = await list_units(session)
    by_code = {unit.code: unit for unit in units}
    codes = {unit.id: unit.code for unit in units}
    added, changed = [], []
    for row in rows:
        if row.parent and row.parent not in by_code and row.parent not in {r.code for r in rows}:
            raise UnitImportError(row.line, f"không tìm thấy cấp trên {row.parent}")
        unit = by_code.get(row.code)
        if unit is None:
            added.append(row)
            continue
        diff = differences(unit, row, codes)
        if diff:
            changed.append((row, diff))
    return {"added": added, "changed": changed, "same": len(rows) - len(added) - len(changed)}


def differences(unit: Unit, row: UnitRow, codes: dict[int | None, str]) -> list[str]:
    """Return what a row changes on a stored unit, in words ("tên: A → B")."""
    out = []
    if unit.name != row.name:
        out.append(f"tên: {unit.name} → {row.name}")
    if unit.level != row.level:
        out.append(
            f"cấp: {LEVEL_NAMES.get(unit.level, unit.level) or '—'} → "
            f"{LEVEL_NAMES.get(row.level, row.level) or '—'}"
        )
    parent = codes.get(unit.parent_id, "") if unit.parent_id else ""
    if parent != row.parent:
        out.append(f"cấp trên: {parent or '—'} → {row.parent or '—'}")
    return out
