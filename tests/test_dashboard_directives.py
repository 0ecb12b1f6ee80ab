"""Directives on the dashboard (`/van-ban`, issue 16), in-process (aiohttp test server, real
SQLite, the real bundled directive): admins only, CSRF, upload → preview → Lưu / Hủy,
refusals (duplicate, unreadable, scanned, too large), set current / archive, proposals."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.database import Database
from handlers.flows.upload import MAX_UPLOAD
from knowledge.library import read_bundled
from storage.models import AuditLog, DeadlineProposal, Directive, ProposalState
from storage.queries.deadlines import list_deadlines
from storage.queries.directives import list_directives
from tests.ingestfiles import directive_docx, directive_pdf
from tests.pdfmake import make_image_pdf
from tests.test_dashboard import signed_in, site
from tests.test_dashboard_admin import leader_signed_in, seed, text_of

__all__ = ["site"]  # the fixture

SHA = re.compile(r'name="sha256" value="([0-9a-f]{64})"')


def upload_form(csrf: str, name: str, data: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("tep", data, filename=name, content_type="application/octet-stream")
    return form


async def stored(database: Database) -> list[Directive]:
    async with database.sessions() as s:
        return await list_directives(s)


async def audited(database: Database, action: str) -> list[str]:
    async with database.sessions() as s:
        rows = await s.scalars(select(AuditLog.actor).where(AuditLog.action == action))
        return list(rows)


async def preview(client: TestClient, csrf: str, name: str, data: bytes) -> tuple[int, str]:
    response = await client.post("/van-ban/tai-len", data=upload_form(csrf, name, data))
    return response.status, await response.text()


async def test_only_admins_see_the_library_and_a_post_needs_the_csrf_token(site) -> None:
    client, database = site
    await seed(database)
    csrf = await signed_in(client, database)
    page = await client.get("/van-ban")
    assert page.status == 200
    text = text_of(await page.text())
    assert "09-KL/BTCTW" in text and "hiện hành" in text and "Thêm văn bản" in text
    assert 'href="/van-ban"' in await (await client.get("/")).text()  # the nav link
    forged = await client.post(
        "/van-ban/tai-len", data=upload_form("doan-bua", "kh.docx", directive_docx())
    )
    assert forged.status == 403
    assert (await client.post("/van-ban/0/hien-hanh", data={})).status == 403
    assert await stored(database) == []
    client.session.cookie_jar.clear()
    leader_csrf = await leader_signed_in(client, database, "201")
    assert 'href="/van-ban"' not in await (await client.get("/")).text()
    assert (await client.get("/van-ban")).status == 403
    status, _ = await preview(client, leader_csrf, "kh.docx", directive_docx())
    assert status == 403
    status, _ = await preview(client, leader_csrf, "lon.pdf", b"0" * (2 * 1024 * 1024))
    assert status == 413  # a leader's body limit stays 1 MB
    assert (await client.post("/van-ban/han/1/duyet", data={"csrf": leader_csrf})).status == 403
    assert await stored(database) == []
    assert csrf != leader_csrf


async def test_a_docx_is_previewed_then_stored_on_luu_with_its_deadlines_proposed(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    status, page = await preview(client, csrf, "ke-hoach-45.docx", directive_docx())
    assert status == 200
    text = text_of(page)
    assert "Xem trước: Kế hoạch 45-KH/TU" in text
    assert "Tỉnh ủy Bình Định" in text and "15/01/2025" in text and "Lê Kim Toàn" in text
    for code in ("1.1", "2.1.1", "3.1"):
        assert re.search(rf"\b{re.escape(code)}\b", text)
    assert "30/06/2025" in text and "31/03/2025" in text  # dated deadlines
    assert 'id="save"' in page and 'id="cancel"' in page
    assert "hoàn thành việc sắp xếp" not in page.split('name="sha256"')[1].lower()  # no text
    assert await stored(database) == []  # a preview stores nothing
    sha = SHA.search(page)
    assert sha is not None
    tampered = await client.post("/van-ban/luu", data={"csrf": csrf, "sha256": "0" * 64})
    assert tampered.status == 409 and "không còn" in await tampered.text()
    assert await stored(database) == []
    form = {"csrf": csrf, "sha256": sha[1], "hien_hanh": "1"}
    saved = await client.post("/van-ban/luu", data=form)
    assert saved.status == 200
    notice = text_of(await saved.text())
    assert "Đã lưu văn bản #1: Kế hoạch 45-KH/TU" in notice and "là văn bản hiện hành" in notice
    assert "2 thời hạn" in notice
    [row] = await stored(database)
    assert (row.number, row.filename, row.is_current, row.added_by) == (
        "45-KH/TU",
        "ke-hoach-45.docx",
        True,
        "telegram:900",
    )
    assert await audited(database, "directive.add") == ["telegram:900"]
    again = await client.post("/van-ban/luu", data={"csrf": csrf, "sha256": sha[1]})
    assert again.status == 409  # taken once
    assert len(await stored(database)) == 1
    listing = text_of(await (await client.get("/van-ban")).text())
    assert "45-KH/TU" in listing and "Duyệt (nhắc hạn)" in listing


async def test_a_repeated_number_or_text_and_the_bundled_directive_are_refused(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    status, page = await preview(client, csrf, "kh.docx", directive_docx())
    sha = SHA.search(page)
    assert sha is not None
    await client.post("/van-ban/luu", data={"csrf": csrf, "sha256": sha[1]})
    status, page = await preview(client, csrf, "kh-ban-pdf.pdf", directive_pdf())
    assert status == 409
    assert "Văn bản số 45-KH/TU đã có trong thư viện (#1). Chưa có gì thay đổi." in text_of(page)
    status, page = await preview(client, csrf, "09.txt", read_bundled().encode())
    assert status == 409 and "văn bản có sẵn của hệ thống" in text_of(page)
    assert len(await stored(database)) == 1


async def test_unreadable_scanned_and_missing_files_are_explained_and_nothing_kept(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    status, page = await preview(client, csrf, "scan.pdf", make_image_pdf())
    assert status == 400 and "không có lớp chữ" in text_of(page)
    status, page = await preview(client, csrf, "bang.xlsx", b"PK\x03\x04 not a directive")
    assert status == 400 and "chỉ nhận tệp .txt (mã UTF-8), .docx hoặc .pdf" in text_of(page)
    status, page = await preview(client, csrf, "hong.docx", b"PK\x03\x04 broken")
    assert status == 400 and "Không thêm được «hong.docx»" in text_of(page)
    nothing = await client.post("/van-ban/tai-len", data={"csrf": csrf})
    assert nothing.status == 400 and "Hãy chọn một tệp" in text_of(await nothing.text())
    # a failed upload leaves nothing to confirm
    confirm = await client.post("/van-ban/luu", data={"csrf": csrf, "sha256": "0" * 64})
    assert confirm.status == 409
    assert await stored(database) == []


async def test_uploads_up_to_10_mb_pass_while_other_routes_keep_1_mb(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    two_mb = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    status, page = await preview(client, csrf, "lon.pdf", two_mb)
    assert status == 400 and "Không thêm được «lon.pdf»" in text_of(page)  # read, not refused
    status, page = await preview(client, csrf, "qua-lon.pdf", b"0" * (MAX_UPLOAD + 300 * 1024))
    assert status == 413 and "Tệp lớn hơn 10 MB nên không nhận" in page
    status, page = await preview(client, csrf, "vua-qua.pdf", b"0" * (MAX_UPLOAD + 1))
    assert status == 413 and "lớn hơn 10 MB" in text_of(page)  # under the body limit
    other = aiohttp.FormData()
    other.add_field("csrf", csrf)
    other.add_field("tep", b"a,b\n" * 400_000, filename="u.csv", content_type="text/csv")
    assert (await client.post("/don-vi/nhap", data=other)).status == 413
    client.session.cookie_jar.clear()  # signed out: 1 MB, as everywhere else
    status, _ = await preview(client, csrf, "lon.pdf", two_mb)
    assert status == 413
    status, _ = await preview(client, csrf, "nho.pdf", b"%PDF-1.4")
    assert status == 401
    assert await stored(database) == []


async def test_huy_forgets_the_preview(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    _, page = await preview(client, csrf, "kh.docx", directive_docx())
    sha = SHA.search(page)
    assert sha is not None
    cancelled = await client.post("/van-ban/huy", data={"csrf": csrf})
    assert "Đã hủy, văn bản chưa được lưu." in text_of(await cancelled.text())
    late = await client.post("/van-ban/luu", data={"csrf": csrf, "sha256": sha[1]})
    assert late.status == 409
    assert await stored(database) == []


async def test_proposals_are_accepted_or_rejected_and_directives_made_current_or_archived(
    site,
) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    _, page = await preview(client, csrf, "kh.docx", directive_docx())
    sha = SHA.search(page)
    assert sha is not None
    await client.post("/van-ban/luu", data={"csrf": csrf, "sha256": sha[1]})
    async with database.sessions() as s:
        proposals = list(await s.scalars(select(DeadlineProposal).order_by(DeadlineProposal.id)))
    assert [(p.task_code, f"{p.due_on:%d/%m/%Y}") for p in proposals] == [
        ("1.1", "30/06/2025"),
        ("2.1.1", "31/03/2025"),
    ]
    first, second = proposals
    accepted = await client.post(f"/van-ban/han/{first.id}/duyet", data={"csrf": csrf})
    assert "Đã duyệt #1: nhiệm vụ 1.1 của 45-KH/TU, hạn 30/06/2025" in text_of(
        await accepted.text()
    )
    again = await client.post(f"/van-ban/han/{first.id}/bo", data={"csrf": csrf})
    assert again.status == 409  # decided already
    rejected = await client.post(f"/van-ban/han/{second.id}/bo", data={"csrf": csrf})
    assert "Đã bỏ #2" in text_of(await rejected.text())
    async with database.sessions() as s:
        [deadline] = await list_deadlines(s)
        states = list(await s.scalars(select(DeadlineProposal.state).order_by(DeadlineProposal.id)))
    assert (deadline.document, deadline.task_code, deadline.created_by) == (
        "45-KH/TU",
        "1.1",
        "telegram:900",
    )
    assert states == [ProposalState.ACCEPTED.value, ProposalState.REJECTED.value]
    assert await audited(database, "deadline.accept") == ["telegram:900"]
    # current: the stored one, then the bundled one again
    made = await client.post("/van-ban/1/hien-hanh", data={"csrf": csrf})
    assert "Văn bản hiện hành: Kế hoạch 45-KH/TU" in text_of(await made.text())
    assert (await stored(database))[0].is_current
    back = await client.post("/van-ban/0/hien-hanh", data={"csrf": csrf})
    assert "Văn bản hiện hành: Kết luận 09-KL/BTCTW" in text_of(await back.text())
    assert not (await stored(database))[0].is_current
    # archive: its deadline removed, the bundled one can't be
    archived = await client.post("/van-ban/1/luu-tru", data={"csrf": csrf})
    assert "Đã lưu trữ Kế hoạch 45-KH/TU: thôi nhắc hạn (1 thời hạn)" in text_of(
        await archived.text()
    )
    async with database.sessions() as s:
        assert await list_deadlines(s) == []
        count = await s.scalar(select(func.count()).select_from(Directive))
    assert count == 1
    assert (await client.post("/van-ban/0/luu-tru", data={"csrf": csrf})).status == 409
    refused = await client.post("/van-ban/1/hien-hanh", data={"csrf": csrf})
    assert refused.status == 409 and "đã lưu trữ" in text_of(await refused.text())
    assert (await client.post("/van-ban/99/luu-tru", data={"csrf": csrf})).status == 404
    assert await audited(database, "directive.archive") == ["telegram:900"]


async def test_two_presses_of_luu_at_once_store_the_directive_once(site) -> None:
    client, database = site
    csrf = await signed_in(client, database)
    _, page = await preview(client, csrf, "kh.docx", directive_docx())
    sha = SHA.search(page)
    assert sha is not None
    form = {"csrf": csrf, "sha256": sha[1]}
    first, second = await asyncio.gather(
        client.post("/van-ban/luu", data=form), client.post("/van-ban/luu", data=form)
    )
    assert sorted([first.status, second.status]) == [200, 409]
    assert len(await stored(database)) == 1
