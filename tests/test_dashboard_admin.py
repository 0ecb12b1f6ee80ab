"""The dashboard's administration (issue 15): broadcasts (/phat-thanh) and members and roles
(/thanh-vien), in-process (aiohttp test server, real SQLite, the real directive)."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.database import Database
from storage.models import AuditLog, Broadcast, Member, Outbox, Role
from storage.queries.members import bind_member, get_member, get_or_create_member
from storage.queries.units import get_unit, upsert_unit
from tests.test_dashboard import CSRF, link_for, signed_in, site

__all__ = ["site"]  # the fixture, shared with tests/test_dashboard.py

#: leader (telegram id) → unit: two districts of TU, a commune under HU-A
LEADERS = {"201": "HU-A", "202": "HU-B", "203": "XA-A"}


async def seed(database: Database) -> None:
    async with database.sessions() as s:
        await upsert_unit(s, code="TU", name="Tỉnh ủy", actor="t")
        for code, parent in (("HU-A", "TU"), ("HU-B", "TU"), ("XA-A", "HU-A")):
            await upsert_unit(s, code=code, name=f"Đơn vị {code}", actor="t", parent_code=parent)
        for user, code in LEADERS.items():
            unit = await get_unit(s, code=code)
            member = await get_or_create_member(
                s, channel="telegram", external_id=user, display_name=f"Người {user}"
            )
            await bind_member(
                s, member_id=member.id or 0, unit_id=unit.id or 0, actor="t", role=Role.LEADER
            )


async def leader_signed_in(client: TestClient, database: Database, user: str) -> str:
    token = await link_for(database, user)
    await client.post("/dang-nhap", data={"token": token})
    match = CSRF.search(await (await client.get("/thanh-vien")).text())
    assert match is not None
    return match[1]


async def account(database: Database, user: str) -> Member:
    async with database.sessions() as s:
        found = await get_member(s, channel="telegram", external_id=user)
    assert found is not None
    return found


async def audited(database: Database, action: str, actor: str) -> int:
    async with database.sessions() as s:
        query = select(func.count()).where(AuditLog.action == action, AuditLog.actor == actor)
        return int(await s.scalar(query) or 0)


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


# --- /phat-thanh ----------------------------------------------------------------------------


async def test_a_broadcast_to_a_subtree_is_counted_then_queued_for_its_leaders(site) -> None:
    client, database = site
    await seed(database)
    csrf = await signed_in(client, database)
    page = await (await client.get("/phat-thanh")).text()
    assert 'href="/phat-thanh"' in page and "Một đơn vị và cấp dưới" in page
    count = await (await client.get("/phat-thanh/dem?audience=unit&unit=HU-A")).text()
    assert "<html" not in count and "2</strong> người sẽ nhận (lãnh đạo HU-A" in count
    count = await (await client.get("/phat-thanh/dem?audience=unit&unit=NOPE")).text()
    assert "Không có đơn vị mã «NOPE»" in count
    leaders = await (await client.get("/phat-thanh/dem?audience=leaders")).text()
    assert "3</strong> người sẽ nhận" in leaders
    form = {"csrf": csrf, "text": "Họp giao ban 14:00", "audience": "unit", "unit": "HU-A"}
    counted = await client.post("/phat-thanh", data=form | {"action": "count"})
    assert "2</strong> người sẽ nhận" in await counted.text()
    empty = await client.post("/phat-thanh", data=form | {"text": "  ", "action": "send"})
    assert empty.status == 400 and "không được để trống" in await empty.text()
    sent = await client.post("/phat-thanh", data=form | {"action": "send"}, allow_redirects=False)
    assert (sent.status, sent.headers["Location"]) == (303, "/phat-thanh/1")
    async with database.sessions() as s:
        chats = sorted((await s.scalars(select(Outbox.chat_id))).all())
        broadcast = await s.get(Broadcast, 1)
    assert chats == ["201", "203"]
    assert broadcast is not None and broadcast.created_by == "telegram:900"
    assert broadcast.audience == "unit:HU-A"
    progress = await (await client.get("/phat-thanh/1")).text()
    assert "Đã gửi 0 /2 · lỗi 0 · đang chờ 2" in text_of(progress)
    assert 'hx-get="/phat-thanh/1"' in progress  # polled while messages wait
    part = await (await client.get("/phat-thanh/1", headers={"HX-Request": "true"})).text()
    assert part.lstrip().startswith('<div id="progress"')
    assert (await client.get("/phat-thanh/99")).status == 404
    listed = text_of(await (await client.get("/phat-thanh")).text())
    assert "lãnh đạo HU-A và các đơn vị cấp dưới Họp giao ban 14:00 0/2" in listed


async def test_broadcasts_are_for_admins_and_need_the_csrf_token(site) -> None:
    client, database = site
    await seed(database)
    csrf = await leader_signed_in(client, database, "201")
    assert 'href="/phat-thanh"' not in await (await client.get("/")).text()
    assert (await client.get("/phat-thanh")).status == 403
    assert (await client.get("/phat-thanh/dem?audience=all")).status == 403
    form = {"csrf": csrf, "text": "Xin chào", "audience": "all", "action": "send"}
    assert (await client.post("/phat-thanh", data=form)).status == 403
    await client.post("/dang-xuat", data={"csrf": csrf})
    await signed_in(client, database)
    no_token = {"text": "Xin chào", "audience": "all", "action": "send"}
    assert (await client.post("/phat-thanh", data=no_token)).status == 403
    async with database.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Outbox)) == 0


# --- /thanh-vien ----------------------------------------------------------------------------


async def test_a_leader_lists_and_revokes_only_below_its_unit(site) -> None:
    client, database = site
    await seed(database)
    csrf = await leader_signed_in(client, database, "201")
    page = await (await client.get("/thanh-vien")).text()
    assert "Người 201" in page and "Người 203" in page and "Người 202" not in page
    assert re.findall(r"/thanh-vien/(\d+)/thu-hoi", page) == [
        str((await account(database, "203")).id)
    ]
    assert "Cấp quyền quản trị" not in page
    assert (await client.get("/thanh-vien?don-vi=HU-B")).status == 403
    assert (await client.get("/thanh-vien?don-vi=NOPE")).status == 403  # learns nothing
    sibling = (await account(database, "202")).id
    refused = await client.post(f"/thanh-vien/{sibling}/thu-hoi", data={"csrf": csrf})
    assert refused.status == 403 and "Không thu hồi được" in await refused.text()
    assert (
        await client.post(f"/thanh-vien/{sibling}/quan-tri", data={"csrf": csrf, "admin": "1"})
    ).status == 403
    own = (await account(database, "201")).id
    assert (await client.post(f"/thanh-vien/{own}/thu-hoi", data={"csrf": csrf})).status == 403
    commune = (await account(database, "203")).id
    assert (await client.post(f"/thanh-vien/{commune}/thu-hoi", data={})).status == 403  # CSRF
    done = await client.post(f"/thanh-vien/{commune}/thu-hoi", data={"csrf": csrf})
    assert "Đã thu hồi quyền lãnh đạo XA-A của Người 203." in await done.text()
    gone = await account(database, "203")
    assert (gone.role, gone.unit_id) == (Role.MEMBER.value, None)
    assert (await account(database, "202")).role == Role.LEADER.value
    assert await audited(database, "member.revoke", "telegram:201") == 1


async def test_an_admin_gives_and_takes_the_admin_role(site) -> None:
    client, database = site
    await seed(database)
    csrf = await signed_in(client, database)
    assert (await client.get("/thanh-vien?don-vi=NOPE")).status == 404
    page = text_of(await (await client.get("/thanh-vien?don-vi=HU-B")).text())
    assert "Người 202" in page and "Người 201" not in page
    target = (await account(database, "202")).id
    given = await client.post(f"/thanh-vien/{target}/quan-tri", data={"csrf": csrf, "admin": "1"})
    assert "Đã cấp quyền quản trị cho Người 202." in await given.text()
    assert (await account(database, "202")).role == Role.ADMIN.value
    taken = await client.post(f"/thanh-vien/{target}/quan-tri", data={"csrf": csrf, "admin": "0"})
    assert "Đã bỏ quyền quản trị của Người 202." in await taken.text()
    back = await account(database, "202")
    assert back.role == Role.LEADER.value and back.unit_id is not None  # still leads HU-B
    assert await audited(database, "member.role", "telegram:900") == 2
    me = (await account(database, "900")).id
    mine = await client.post(f"/thanh-vien/{me}/quan-tri", data={"csrf": csrf, "admin": "0"})
    assert mine.status == 400 and "cấu hình ADMINS" in await mine.text()
    missing = await client.post("/thanh-vien/999999/quan-tri", data={"csrf": csrf, "admin": "1"})
    assert missing.status == 404
