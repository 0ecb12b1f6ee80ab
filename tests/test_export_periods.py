"""/xuat: a leader's own subtree; the matrix and per-period summary sheets; /lichsu's scope."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from handlers import texts
from handlers.ports import Sessions
from storage.export import NOT_REPORTED_FILL, STATUS_FILLS
from tests.chatworld import VN, World

Q3 = datetime(2026, 8, 20, 9, 0, tzinfo=VN)
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=VN)
SHEETS = [
    "Tiến độ",
    "Tổng hợp",
    "Ma trận quý IV-2026",
    "Tổng hợp quý IV-2026",
    "Tổng hợp quý III-2026",
    "Tổng hợp quý II-2026",
    "Tổng hợp quý I-2026",
]


@pytest.fixture
async def world(sessions: Sessions) -> World:
    """HU-TP: 3.3 done in Q3, 1 done and 3.2 at 60% in Q4; HU-AN: 3.2 in Q3, 1 stuck in Q4."""
    world = await World(sessions, Q3).build()
    await world.say("/baocao 3.3 xong", user="tp")
    await world.say("/baocao 3.2 dang lam 50%", user="an")
    world.now = datetime(2026, 11, 10, 9, 0, tzinfo=VN)
    await world.say("/baocao 1 xong", user="tp")
    world.now = NOW
    await world.say("/baocao 3.2 dang lam 60% Dang trinh", user="tp")
    await world.say("/baocao 1 vuong mac", user="an")
    return world


async def export(world: World, user: str) -> Workbook:
    """Return the workbook /xuat sends `user`."""
    text = await world.say("/xuat", user=user)
    [reply] = world.last
    assert reply.file is not None and reply.file.name.endswith(".xlsx"), text
    return load_workbook(io.BytesIO(reply.file.content))


def values(workbook: Workbook, sheet: str) -> list[list[Any]]:
    """Return a sheet's cell values, row by row."""
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def fill(workbook: Workbook, sheet: str, ref: str) -> str:
    """Return a cell's solid fill colour as RGB hex ("" for none)."""
    cell = workbook[sheet][ref]
    return cell.fill.fgColor.rgb[2:] if cell.fill.fill_type == "solid" else ""


async def test_a_province_leader_exports_its_own_subtree(world: World) -> None:
    text = await world.say("/xuat", user="chief")
    assert "TU-BD — Tỉnh ủy Bình Định" in text
    book = await export(world, "chief")
    assert book.sheetnames == SHEETS
    units = {row[0] for row in values(book, "Tiến độ")[1:]}
    assert units == {"HU-TP", "HU-AN"}
    matrix = values(book, "Ma trận quý IV-2026")
    assert [row[0] for row in matrix[1:]] == ["TU-BD", "HU-AN", "HU-TP"]  # tree order
    assert (await world.audit("progress.export"))[-1].detail["scope"] == "TU-BD"


async def test_a_district_leader_exports_only_its_unit(world: World) -> None:
    book = await export(world, "an")
    assert {row[0] for row in values(book, "Tiến độ")[1:]} == {"HU-AN"}
    assert [row[0] for row in values(book, "Ma trận quý IV-2026")[1:]] == ["HU-AN"]


async def test_someone_leading_no_unit_gets_no_file(world: World) -> None:
    assert await world.say("/xuat", user="plain") == texts.NO_UNIT_SCOPE
    assert world.last[0].file is None


async def test_the_matrix_shows_each_units_status_colour_and_day(world: World) -> None:
    book = await export(world, "boss")
    sheet = "Ma trận quý IV-2026"
    matrix = values(book, sheet)
    assert matrix[0] == ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "1", "3.2", "3.3"]
    assert [row[0] for row in matrix[1:]] == ["TU-BD", "HU-AN", "HU-TP", "TU-X", "HU-X"]
    hu_an, hu_tp = matrix[2], matrix[3]
    assert hu_tp[:3] == ["HU-TP", "Huyện ủy Tuy Phước", "TU-BD"]
    assert hu_tp[3].startswith("hoàn thành") and hu_tp[3].endswith("· 10/11/2026")
    assert hu_tp[4] == "đang thực hiện 60% · 12/11/2026"
    # Done in the quarter before: still counts as reported, with its own day.
    assert hu_tp[5].startswith("hoàn thành") and hu_tp[5].endswith("· 20/08/2026")
    assert hu_an[3] == "vướng mắc · 12/11/2026"
    # In progress last quarter is not a report for this one.
    assert hu_an[4] == hu_an[5] == "chưa báo cáo"
    assert fill(book, sheet, "D4") == STATUS_FILLS["hoan_thanh"]
    assert fill(book, sheet, "E4") == STATUS_FILLS["dang_thuc_hien"]
    assert fill(book, sheet, "D3") == STATUS_FILLS["vuong_mac"]
    assert fill(book, sheet, "E3") == NOT_REPORTED_FILL
    assert fill(book, sheet, "A3") == ""
    assert book[sheet]["A1"].font.b


async def test_one_summary_per_period_current_first(world: World) -> None:
    book = await export(world, "boss")
    current = values(book, "Tổng hợp quý IV-2026")
    assert current[0] == [
        "Mã nhiệm vụ",
        "Nhiệm vụ",
        "Đơn vị đã báo cáo",
        "Đơn vị phải báo cáo",
        "Tỷ lệ (%)",
    ]
    assert current[1] == ["Tất cả", "Đơn vị báo cáo đủ quý IV/2026", 1, 5, 20]
    assert [row[0] for row in current[2:]] == ["1", "3.2", "3.3"]
    assert [row[2:] for row in current[2:]] == [[2, 5, 40], [1, 5, 20], [1, 5, 20]]
    assert current[2][1] == "Chương trình công tác năm 2024"
    before = values(book, "Tổng hợp quý III-2026")
    assert before[1][2:4] == [0, 5]
    assert [row[2] for row in before[2:]] == [0, 1, 1]
    assert [row[2] for row in values(book, "Tổng hợp quý I-2026")[1:]] == [0, 0, 0, 0]
    province = values(await export(world, "chief"), "Tổng hợp quý IV-2026")
    assert province[1][2:] == [1, 3, 33.3]


async def test_history_of_a_unit_outside_the_scope_says_so(world: World) -> None:
    outside = await world.say("/lichsu 3.3 HU-X", user="chief")
    assert outside == texts.OUTSIDE_SCOPE.format(code="HU-X")
    assert await world.say("/lichsu 3.3 hu-an", user="tp") == texts.OUTSIDE_SCOPE.format(
        code="HU-AN"
    )
    assert await world.say("/lichsu 3.3 HU-ZZ", user="chief") == texts.UNKNOWN_UNIT.format(
        code="HU-ZZ"
    )
    assert "20/08/2026" in await world.say("/lichsu 3.3 HU-TP", user="chief")
