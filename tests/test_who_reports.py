"""Issue 14 in chat: an admin narrows a task's scope (/phamvi) and exempts a unit (/mien),
lists and removes them; bad input changes nothing; other members are refused. The real
handlers on a migrated SQLite file, on a pinned clock (tests/test_completion.py's tree)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import select

from handlers import texts
from handlers.ports import Sessions
from storage.models import AuditLog, UnitExemption
from storage.queries.applicability import get_task_scope
from tests import test_completion as world
from tests.clitools import ok, refused
from tests.test_completion import NOW, Say, payloads, run_bot, seed_plan, text_of

# test_completion's province with two districts, their registered leaders and the admin.
tree, bot, say = world.tree, world.bot, world.say


async def audit(sessions: Sessions, action: str) -> list[tuple[str, str]]:
    """Return (actor, target) of the audit rows of an action."""
    async with sessions() as s:
        query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        return [(row.actor, row.target) for row in (await s.scalars(query)).all()]


async def scope_of(sessions: Sessions, code: str) -> tuple[list[str], list[str]]:
    async with sessions() as s:
        return await get_task_scope(s, task_code=code)


async def exemptions(sessions: Sessions) -> list[UnitExemption]:
    async with sessions() as s:
        return list((await s.scalars(select(UnitExemption))).all())


async def test_admin_narrows_a_task_in_chat_and_widens_it_again(
    say: Say, sessions: Sessions
) -> None:
    assert "bc:t:1.1" in payloads(await say("/chuabaocao", user="an"))
    answer = text_of(await say("/phamvi 1.1 tw"))
    assert "Đã đặt: nhiệm vụ 1.1 chỉ cấp trung ương" in answer
    assert await scope_of(sessions, "1.1") == (["tw"], [])
    assert await audit(sessions, "task.scope") == [("test:boss", "1.1")]
    assert "bc:t:1.1" not in payloads(await say("/chuabaocao", user="an"))
    listed = text_of(await say("/phamvi"))
    assert "• 1.1 " in listed and "• 6.2 " in listed  # the default central tasks too
    assert "chỉ cấp trung ương" in text_of(await say("/phạmvi 1.1"))
    widened = text_of(await say("/phamvi 1.1 tất cả"))
    assert "nhiệm vụ 1.1 áp dụng lại cho mọi đơn vị" in widened
    assert await scope_of(sessions, "1.1") == ([], [])
    assert "bc:t:1.1" in payloads(await say("/chuabaocao", user="an"))
    assert "không có gì thay đổi" in text_of(await say("/phamvi 1.1 tat ca"))


async def test_a_scope_of_levels_and_units_in_one_line(say: Say, sessions: Sessions) -> None:
    answer = text_of(await say("/phamvi 1.1 Huyện, HU-TP"))
    assert "chỉ cấp huyện; các đơn vị HU-TP" in answer
    assert await scope_of(sessions, "1.1") == (["huyen"], ["HU-TP"])


async def test_bad_scope_input_changes_nothing(say: Say, sessions: Sessions) -> None:
    assert "«tinhh» không phải cấp" in text_of(await say("/phamvi 1.1 tw tinhh"))
    assert "«HU-XX» không phải cấp" in text_of(await say("/phamvi 1.1 HU-XX"))
    assert "Không có nhiệm vụ mã 99.9" in text_of(await say("/phamvi 99.9 tw"))
    assert "là nhóm nhiệm vụ" in text_of(await say("/phamvi 1 tw"))
    assert await scope_of(sessions, "1.1") == ([], [])
    assert await audit(sessions, "task.scope") == []


async def test_admin_exempts_a_unit_in_chat_lists_and_removes_it(
    say: Say, sessions: Sessions
) -> None:
    answer = text_of(await say("/mien HU-AN 01/11/2026 31/01/2027 sáp nhập đơn vị"))
    [row] = await exemptions(sessions)
    assert f"Đã miễn báo cáo #{row.id}: HU-AN từ 01/11/2026 đến 31/01/2027" in answer
    assert row.reason == "sáp nhập đơn vị" and row.created_by == "test:boss"
    assert await audit(sessions, "unit.exempt") == [("test:boss", str(row.id))]
    standing = text_of(await say("/chuabaocao"))
    assert "(1 đơn vị được miễn" in standing and "HU-AN —" not in standing
    line = f"#{row.id} HU-AN: 01/11/2026 – 31/01/2027 — sáp nhập đơn vị"
    assert line in text_of(await say("/mien"))
    assert line in text_of(await say("/miễn HU-AN"))
    assert "HU-TP chưa có khoản miễn" in text_of(await say("/mien HU-TP"))
    assert f"Đã bỏ khoản miễn #{row.id}" in text_of(await say(f"/mien xoa #{row.id}"))
    assert await exemptions(sessions) == []
    assert await audit(sessions, "unit.exempt_remove") == [("test:boss", str(row.id))]
    assert "HU-AN —" in text_of(await say("/chuabaocao"))
    assert f"Không có khoản miễn #{row.id}" in text_of(await say(f"/mien xoa {row.id}"))


async def test_an_exemption_already_over_is_stored_with_a_warning(say: Say) -> None:
    answer = text_of(await say("/mien HU-TP 2026-01-01 2026-03-31 thiếu nhân sự"))
    assert "Đã miễn báo cáo" in answer and texts.EXEMPT_PAST in answer


async def test_bad_exemption_input_changes_nothing(say: Say, sessions: Sessions) -> None:
    cases = {
        "/mien HU-AN 31/12/2026 01/11/2026 sáp nhập": "Ngày kết thúc phải sau",
        "/mien HU-AN 32/12/2026 31/12/2026 sáp nhập": "Ngày «32/12/2026» không hợp lệ",
        "/mien HU-AN 01/11/2026 hôm-qua sáp nhập": "Ngày «hôm-qua» không hợp lệ",
        "/mien HU-AN 01/11/2026 31/12/2026": "Cách dùng",
        f"/mien HU-AN 01/11/2026 31/12/2026 {'x' * 256}": "tối đa 255 ký tự",
        "/mien HU-XX 01/11/2026 31/12/2026 sáp nhập": "Không có đơn vị mã HU-XX",
        "/mien xoa ba": "Số khoản miễn «ba» không hợp lệ",
    }
    for typed, said in cases.items():
        assert said in text_of(await say(typed)), typed
    assert await exemptions(sessions) == []
    assert await audit(sessions, "unit.exempt") == []


async def test_only_admins_change_who_reports(say: Say, sessions: Sessions) -> None:
    for user in ("chief", "tp"):
        assert texts.ADMIN_ONLY in text_of(await say("/phamvi 1.1 tw", user=user))
        refused = text_of(await say("/mien HU-AN 01/11/2026 31/12/2026 x", user=user))
        assert texts.ADMIN_ONLY in refused
    assert await scope_of(sessions, "1.1") == ([], [])
    assert await exemptions(sessions) == []


def test_the_cli_reads_scope_and_exemptions_with_the_same_parsers(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    seed_plan(db_url, exempt=False)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_bot(tmp_path, db_url, *args, CLOCK_START=NOW.isoformat())

    narrowed = ok(cli("tasks", "scope", "1.1", "--levels", "Tỉnh,tw", "--units", "HU-TP", "--json"))
    assert json.loads(narrowed) == {"task": "1.1", "levels": ["tinh", "tw"], "units": ["HU-TP"]}
    assert "Cấp «tinhh» không hợp lệ" in refused(cli("tasks", "scope", "1.1", "--levels", "tinhh"))
    assert "HU-XX" in refused(cli("tasks", "scope", "1.1", "--units", "HU-XX"))
    span = ("--from", "01/11/2026", "--to", "2026-12-31")
    added = ok(cli("units", "exempt", "HU-AN", *span, "--reason", "  sáp   nhập "))
    assert "Đã miễn báo cáo #1: HU-AN từ 01/11/2026 đến 31/12/2026" in added
    backwards = ("--from", "31/12/2026", "--to", "01/11/2026", "--reason", "x")
    assert "Ngày kết thúc phải sau" in refused(cli("units", "exempt", "HU-AN", *backwards))
    bad_day = ("--from", "32/12/2026", "--to", "01/01/2027", "--reason", "x")
    assert "32/12/2026" in refused(cli("units", "exempt", "HU-AN", *bad_day))
    assert "«ba»" in refused(cli("units", "exempt", "--remove", "ba"))
    listed = json.loads(ok(cli("units", "exempt", "--list", "--json")))
    assert [(r["id"], r["unit"], r["reason"]) for r in listed] == [(1, "HU-AN", "sáp nhập")]
    assert "Đã bỏ khoản miễn #1" in ok(cli("units", "exempt", "--remove", "#1"))
