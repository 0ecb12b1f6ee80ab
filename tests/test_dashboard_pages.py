"""The dashboard's period and administration pages (issue 15): the overview's matrix and
filters, a task's page, missing reports with "nhắc ngay", units (add, CSV import, exemptions),
the audit filters, the exports — each limited to the viewer's scope (aiohttp test server,
real SQLite, the real directive)."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.dashboard import add_dashboard
from bot.database import Database
from bot.settings import Settings
from bot.web import WebServer
from knowledge import Library, load_library
from knowledge.parser import parse_document
from knowledge.periods import period_of
from storage.models import AuditLog, Outbox, Role, Unit, UnitExemption
from storage.queries.applicability import add_exemption
from storage.queries.completion import Window, missing_tasks
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import add_update
from storage.queries.units import get_unit, upsert_unit
from tests.test_dashboard import CSRF, NOW, VN, link_for, signed_in

LIBRARY = load_library(None)
CODES = [task.code for task in LIBRARY.tasks() if not task.children]


@contextlib.asynccontextmanager
async def open_site(
    tmp_path: Path, library: Library = LIBRARY
) -> AsyncIterator[tuple[TestClient, Database]]:
    """The dashboard on a fresh SQLite database, the clock at NOW, telegram:900 an admin."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        admins="telegram:900",
        clock_start=NOW,
    )
    database = Database.open(settings)
    await database.upgrade()
    server = WebServer("127.0.0.1", 0)
    add_dashboard(server, settings=settings, database=database, clock=lambda: NOW, library=library)
    async with TestClient(TestServer(server.app)) as client:
        yield client, database
    await database.close()


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[TestClient, Database]]:
    """The dashboard with the bundled directive (`open_site`)."""
    async with open_site(tmp_path) as opened:
        yield opened


async def make_tree(database: Database) -> dict[str, int]:
    """TU (province) over HU-A and HU-B (districts), HU-A over CS-A1; HU-A reported 3.3 done
    and 3.2 in progress this quarter (3.1 applies to the centre only); HU-B exempt today;
    telegram:201 leads HU-A."""
    async with database.sessions() as s:
        await upsert_unit(s, code="TU", name="Tỉnh ủy", actor="t", level="tinh")
        for code in ("HU-A", "HU-B"):
            await upsert_unit(
                s,
                code=code,
                name=f"Huyện ủy {code[-1]}",
                actor="t",
                parent_code="TU",
                level="huyen",
            )
        await upsert_unit(
            s, code="CS-A1", name="Đảng ủy xã Phước", actor="t", parent_code="HU-A", level="coso"
        )
        ids = {u.code: u.id or 0 for u in (await s.scalars(select(Unit))).all()}
        await add_update(
            s,
            unit_id=ids["HU-A"],
            task_code="3.3",
            status="hoan_thanh",
            note="Xong đợt 1",
            reported_at=NOW,
        )
        await add_update(
            s,
            unit_id=ids["HU-A"],
            task_code="3.2",
            status="dang_thuc_hien",
            percent=40,
            reported_at=NOW - timedelta(days=1),
        )
        await add_exemption(
            s, unit_id=ids["HU-B"], starts_on=NOW.date(), ends_on=NOW.date(), reason="x", actor="t"
        )
        leader = await get_or_create_member(s, channel="telegram", external_id="201", chat_id="201")
        await bind_member(
            s, member_id=leader.id or 0, unit_id=ids["HU-A"], actor="t", role=Role.LEADER
        )
    return ids


async def as_leader(client: TestClient, database: Database) -> str:
    """Sign in HU-A's leader; return its CSRF token."""
    token = await link_for(database, "201")
    await client.post("/dang-nhap", data={"token": token})
    match = CSRF.search(await (await client.get("/chua-bao-cao")).text())
    assert match is not None
    return match[1]


def row_of(page: str, code: str) -> str:
    """Return the matrix row (<tr>…</tr>) of a unit."""
    found = re.search(rf'<tr><th scope="row"[^>]*><a href="/don-vi/{code}">.*?</tr>', page, re.S)
    assert found is not None, code
    return found[0]


def window() -> Window:
    return Window.of(period_of(NOW.date()), VN, now=NOW)


async def test_the_matrix_counts_like_the_chat_and_filters(site) -> None:
    client, database = site
    ids = await make_tree(database)
    async with database.sessions() as s:
        missing = await missing_tasks(s, unit_id=ids["HU-A"], window=window(), task_codes=CODES)
    assert missing is not None
    await signed_in(client, database)
    page = await (await client.get("/")).text()
    hu_a = row_of(page, "HU-A")
    assert f'<td class="m-partial">1·1·{len(missing)}</td>' in hu_a  # the row's sum, as /chuabaocao
    assert "được miễn báo cáo kỳ này" in row_of(page, "HU-B")
    group = await (await client.get("/?nhom=3")).text()  # the group's tasks as columns
    cells = re.findall(r'<td class="m-(\w+)">([^<]*)</td>', row_of(group, "HU-A"))
    assert cells[:4] == [
        ("na", "–"),
        ("reported", "0·1·0"),
        ("done", "1·0·0"),
        ("missing", "0·0·1"),
    ]
    nothing = await (await client.get("/?tt=chua")).text()
    assert 'href="/don-vi/TU"' in nothing and 'href="/don-vi/HU-A"' not in nothing
    assert 'href="/don-vi/HU-B"' not in nothing  # exempt: in no status
    subtree = await (await client.get("/?goc=HU-A")).text()
    assert 'href="/don-vi/CS-A1"' in subtree and 'href="/don-vi/TU"' not in subtree
    found = await (await client.get("/?q=phuoc", headers={"HX-Request": "true"})).text()
    assert found.startswith('<section id="matrix">') and 'href="/don-vi/CS-A1"' in found
    assert 'href="/don-vi/HU-A"' not in found
    unknown = await client.get("/?goc=KHONG-CO")
    assert unknown.status == 404 and "Không có đơn vị mã KHONG-CO" in await unknown.text()


async def test_a_leader_sees_only_its_subtree_everywhere(site) -> None:
    client, database = site
    await make_tree(database)
    csrf = await as_leader(client, database)
    page = await (await client.get("/")).text()
    assert 'href="/don-vi/CS-A1"' in page and 'href="/don-vi/HU-B"' not in page
    for path in ("/?goc=HU-B", "/?goc=TU", "/xuat.xlsx?goc=HU-B", "/?goc=KHONG-CO", "/nhat-ky"):
        assert (await client.get(path)).status == 403, path
    task = await (await client.get("/nhiem-vu/3.3")).text()
    assert "Xong đợt 1" in task and 'href="/don-vi/HU-B"' not in task
    for path, data in (
        ("/chua-bao-cao/HU-B/nhac", {}),
        ("/don-vi", {"code": "X1", "name": "X"}),
        ("/don-vi/nhap", {"csv": "X1,X"}),
        ("/don-vi/nhap/xac-nhan", {"csv": "X1,X"}),
        ("/don-vi/mien", {"unit": "CS-A1", "start": "13/05/2025", "end": "14/05/2025"}),
        ("/don-vi/mien/1/xoa", {}),
    ):
        assert (await client.post(path, data={"csrf": csrf, **data})).status == 403, path
    async with database.sessions() as s:
        assert await get_unit(s, code="X1") is None
    units = await (await client.get("/don-vi")).text()
    assert 'href="/don-vi/CS-A1"' in units and 'href="/don-vi/HU-B"' not in units
    assert 'action="/don-vi/nhap"' not in units  # no admin forms


async def test_a_task_page_lists_every_unit_in_scope(site) -> None:
    client, database = site
    await make_tree(database)
    await signed_in(client, database)
    page = await (await client.get("/nhiem-vu/3.3")).text()
    hu_a = page.split('href="/don-vi/HU-A"')[1].split("</tr>")[0]
    assert "hoàn thành" in hu_a and "Xong đợt 1" in hu_a and "13/05/2025 09:00" in hu_a
    assert "được miễn" in page.split('href="/don-vi/HU-B"')[1].split("</tr>")[0]
    late = await (await client.get("/nhiem-vu/3.3?tt=chua")).text()
    assert 'href="/don-vi/HU-A"' not in late and 'href="/don-vi/CS-A1"' in late
    assert (await client.get("/nhiem-vu/99.9")).status == 404


async def test_nhac_ngay_queues_the_period_reminder_once_an_hour(site) -> None:
    client, database = site
    ids = await make_tree(database)
    csrf = await signed_in(client, database)
    page = await (await client.get("/chua-bao-cao")).text()
    assert 'action="/chua-bao-cao/HU-A/nhac"' in page
    assert 'action="/chua-bao-cao/HU-B/nhac"' not in page  # exempt
    assert (await client.post("/chua-bao-cao/HU-A/nhac", data={})).status == 403  # no CSRF
    done = await client.post("/chua-bao-cao/HU-A/nhac", data={"csrf": csrf})
    assert done.status == 200 and "gửi 1 người phụ trách" in await done.text()
    async with database.sessions() as s:
        [row] = (await s.scalars(select(Outbox))).all()
        missing = await missing_tasks(s, unit_id=ids["HU-A"], window=window(), task_codes=CODES)
        [audit] = (await s.scalars(select(AuditLog).where(AuditLog.action == "unit.remind"))).all()
    assert row.chat_id == "201" and row.kind == "period"
    assert f"Đơn vị còn {len(missing or [])} nhiệm vụ" in row.text and "quý II/2025" in row.text
    assert audit.actor == "telegram:900" and audit.target == "HU-A"
    again = await client.post("/chua-bao-cao/HU-A/nhac", data={"csrf": csrf})
    assert again.status == 429 and "thử lại sau 10:00" in await again.text()
    nobody = await client.post("/chua-bao-cao/CS-A1/nhac", data={"csrf": csrf})
    assert nobody.status == 400 and "chưa có người phụ trách" in await nobody.text()
    async with database.sessions() as s:
        assert len((await s.scalars(select(Outbox))).all()) == 1


async def test_units_add_and_csv_import_with_preview(site) -> None:
    client, database = site
    await make_tree(database)
    csrf = await signed_in(client, database)
    spaced = await client.post("/don-vi", data={"csrf": csrf, "code": "HU C", "name": "C"})
    assert spaced.status == 400 and "không được chứa khoảng trắng" in await spaced.text()
    orphan = await client.post(
        "/don-vi", data={"csrf": csrf, "code": "HU-C", "name": "C", "parent": "ZZ"}
    )
    assert orphan.status == 400 and "Không có đơn vị cấp trên mã ZZ" in await orphan.text()
    added = await client.post(
        "/don-vi",
        data={
            "csrf": csrf,
            "code": "HU-C",
            "name": "Huyện ủy  C",
            "parent": "TU",
            "level": "huyen",
        },
    )
    assert "Đã thêm đơn vị HU-C — Huyện ủy C." in await added.text()
    text = (
        "code,name,parent,level\nHU-A,Huyện ủy A mới,TU,huyen\n"
        "CS-C1,Xã C1,HU-C,coso\nTU,Tỉnh ủy,,tinh\n"
    )
    preview = await (await client.post("/don-vi/nhap", data={"csrf": csrf, "csv": text})).text()
    assert "Sẽ thêm <strong>1</strong>, sửa <strong>1</strong>, giữ nguyên 1" in preview
    assert "tên: Huyện ủy A → Huyện ủy A mới" in preview
    async with database.sessions() as s:
        assert await get_unit(s, code="CS-C1") is None  # a preview changes nothing
    bad = await client.post("/don-vi/nhap", data={"csrf": csrf, "csv": "X9,Xã,KHONG-CO,coso"})
    assert bad.status == 400 and "không tìm thấy cấp trên KHONG-CO" in await bad.text()
    confirmed = await client.post("/don-vi/nhap/xac-nhan", data={"csrf": csrf, "csv": text})
    assert "Đã nhập: thêm 1, cập nhật 1, giữ nguyên 1 đơn vị." in await confirmed.text()
    async with database.sessions() as s:
        unit = await get_unit(s, code="HU-A")
        assert unit is not None and unit.name == "Huyện ủy A mới"
        audit = (await s.scalars(select(AuditLog).where(AuditLog.action == "unit.import"))).all()
    assert [row.actor for row in audit] == ["telegram:900"]


async def test_exemptions_from_the_units_page(site) -> None:
    client, database = site
    await make_tree(database)
    csrf = await signed_in(client, database)
    form = {
        "csrf": csrf,
        "unit": "CS-A1",
        "start": "20/05/2025",
        "end": "19/05/2025",
        "reason": "Sáp nhập",
    }
    backwards = await client.post("/don-vi/mien", data=form)
    assert backwards.status == 400 and "Ngày kết thúc phải sau" in await backwards.text()
    no_reason = await client.post("/don-vi/mien", data=form | {"end": "30/06/2025", "reason": " "})
    assert no_reason.status == 400 and "Cần ghi lý do" in await no_reason.text()
    made = await (await client.post("/don-vi/mien", data=form | {"end": "30/06/2025"})).text()
    number = re.search(r"Đã miễn báo cáo #(\d+): CS-A1 từ 20/05/2025 đến 30/06/2025", made)
    assert number is not None and "Sáp nhập" in made
    removed = await client.post(f"/don-vi/mien/{number[1]}/xoa", data={"csrf": csrf})
    assert f"Đã bỏ khoản miễn #{number[1]}." in await removed.text()
    async with database.sessions() as s:
        left = (await s.scalars(select(UnitExemption))).all()
    assert [row.reason for row in left] == ["x"]  # HU-B's only
    assert (await client.post("/don-vi/mien/999/xoa", data={"csrf": csrf})).status == 404


async def test_the_audit_log_filters_by_actor_unit_and_days(site) -> None:
    client, database = site
    await make_tree(database)
    csrf = await signed_in(client, database)
    await client.post("/chua-bao-cao/HU-A/nhac", data={"csrf": csrf})
    by_unit = await (await client.get("/nhat-ky?unit=HU-A")).text()
    assert "unit.remind" in by_unit and "unit.add" in by_unit and "unit.exempt" not in by_unit
    mine = await (await client.get("/nhat-ky?actor=telegram:900")).text()
    assert "unit.remind" in mine and "unit.add" not in mine
    today = await (await client.get("/nhat-ky?unit=HU-A&from=13/05/2025&to=13/05/2025")).text()
    assert "unit.remind" in today
    earlier = await (await client.get("/nhat-ky?actor=telegram:900&to=12/05/2025")).text()
    assert "unit.remind" not in earlier
    bad = await client.get("/nhat-ky?from=32/13/2025")
    assert bad.status == 400


async def test_exports_follow_the_filters(site) -> None:
    client, database = site
    await make_tree(database)
    await signed_in(client, database)
    response = await client.get("/xuat.xlsx?goc=HU-A")
    assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
    book = zipfile.ZipFile(io.BytesIO(await response.read()))
    cells = "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    assert "CS-A1" in cells and "Xong đợt 1" in cells and "HU-B" not in cells
    chart = await client.get("/bieu-do.png")
    assert chart.headers["Content-Type"] == "image/png"
    assert (await chart.read()).startswith(b"\x89PNG")


async def test_a_leader_of_a_unit_alone_sees_its_own_missing_tasks(site) -> None:
    """As /chuabaocao: a unit with none below it is counted itself."""
    client, database = site
    ids = await make_tree(database)
    async with database.sessions() as s:
        leader = await get_or_create_member(s, channel="telegram", external_id="202", chat_id="2")
        await bind_member(
            s, member_id=leader.id or 0, unit_id=ids["CS-A1"], actor="t", role=Role.LEADER
        )
    await client.post("/dang-nhap", data={"token": await link_for(database, "202")})
    page = await (await client.get("/chua-bao-cao")).text()
    assert 'action="/chua-bao-cao/CS-A1/nhac"' in page and "1/1 đơn vị còn thiếu" in page
    overview = re.sub(r"\s+", " ", await (await client.get("/")).text())
    assert "<strong>0/1</strong> đơn vị đã báo cáo đủ" in overview


async def test_pages_follow_the_current_directive_and_show_an_earlier_one_on_request(
    tmp_path: Path,
) -> None:
    """Issue 16: with a 2025 directive current, the overview, missing list, task and unit
    pages report on it (HU-A starts empty-handed); `?vb=09-KL` shows Kết luận 09 as before,
    its reports included, and the links on those pages stay in Kết luận 09."""
    text = (Path(__file__).parent / "data" / "ket-luan-12-KL-BTCTW-2025.txt").read_text()
    library = Library(
        [parse_document(text, source="12.txt"), LIBRARY.default], current="12-KL/BTCTW"
    )
    async with open_site(tmp_path, library) as (client, database):
        await make_tree(database)  # HU-A reported Kết luận 09's 3.3 (done) and 3.2
        await signed_in(client, database)
        now = await (await client.get("/")).text()
        assert 'value="12-KL" selected>Kết luận 12-KL/BTCTW (' in now and "(hiện hành)" in now
        assert "Chuyển đổi số" in now and "vị trí việc làm" not in now
        assert '<td class="m-done">' not in row_of(now, "HU-A")  # nothing done in 12-KL
        missing = await (await client.get("/chua-bao-cao")).text()
        assert 'href="/nhiem-vu/1.1"' in missing and 'class="nudge"' in missing
        assert (await client.get("/nhiem-vu/3.3")).status == 404  # 12-KL has no task 3.3

        before = await (await client.get("/?vb=09-KL")).text()
        assert 'value="09-KL" selected>Kết luận 09-KL/BTCTW (11/01/2024)' in before
        assert "vị trí việc làm" in before and 'name="vb" value="09-KL"' in before
        assert 'href="/don-vi/HU-A?vb=09-KL"' in before and "/bieu-do.png?vb=09-KL" in before
        task = await (await client.get("/nhiem-vu/3.3?vb=09-KL")).text()
        hu_a = task.split('href="/don-vi/HU-A?vb=09-KL"')[1].split("</tr>")[0]
        assert "hoàn thành" in hu_a and "Xong đợt 1" in hu_a
        unit = await (await client.get("/don-vi/HU-A?vb=09-KL")).text()
        assert "Xong đợt 1" in unit
        assert "Xong đợt 1" not in await (await client.get("/don-vi/HU-A")).text()
        late = await (await client.get("/chua-bao-cao?vb=09-KL")).text()
        assert 'href="/nhiem-vu/3.2?vb=09-KL"' in late
        assert 'class="nudge"' not in late  # reminders are the current directive's
        chart = await client.get("/bieu-do.png?vb=09-KL")
        assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")
