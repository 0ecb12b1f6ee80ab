"""Export files, the chart and the status vocabulary (no database needed)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from storage.chart import completion_chart
from storage.export import HEADERS, write_csv, write_xlsx
from storage.queries.summary import ExportRow, TaskOverview
from storage.status import STATUS_LABELS, Status, fold, parse_status, status_label

AT = datetime(2024, 3, 31, 17, 5, tzinfo=UTC)  # 01/04/2024 00:05 in Hà Nội
ROWS = [
    ExportRow("X1", "Đảng bộ xã Một", "H1", "3.3", "hoan_thanh", 100, "Đã ban hành", "Lan", AT),
    ExportRow("X2", "Xã <Hai> & Ba", "H1", "3.3", "vuong_mac", None, "=1+1 thiếu người", "", AT),
]
TITLES = {"3.3": "Đề án vị trí việc làm trước 31/3/2024"}


def test_xlsx_reads_back_with_vietnamese_labels(tmp_path: object) -> None:
    overview = [TaskOverview("3.3", total=5, done=1, in_progress=0, not_started=0, stuck=1)]
    book = load_workbook(io.BytesIO(write_xlsx(ROWS, task_titles=TITLES, overview=overview)))
    assert book.sheetnames == ["Tiến độ", "Tổng hợp"]
    progress = list(book["Tiến độ"].iter_rows(values_only=True))
    assert progress[0] == HEADERS
    assert progress[1] == (
        "X1",
        "Đảng bộ xã Một",
        "H1",
        "3.3",
        TITLES["3.3"],
        "hoàn thành",
        100,
        "Đã ban hành",
        "Lan",
        "01/04/2024 00:05",
    )
    assert progress[2][1] == "Xã <Hai> & Ba" and progress[2][5] == "vướng mắc"
    assert progress[2][7] == "=1+1 thiếu người"  # text, never a formula
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert summary[1] == ("3.3", TITLES["3.3"], 1, 0, 0, 1, 3, 5)


def test_xlsx_is_written_to_a_path(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "tien-do.xlsx"
    data = write_xlsx(ROWS, task_titles={}, path=target)
    assert target.read_bytes() == data and data[:2] == b"PK"


def test_csv_has_bom_and_same_columns() -> None:
    data = write_csv(ROWS, task_titles=TITLES)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == list(HEADERS)
    assert lines[1][5] == "hoàn thành" and lines[2][7] == "'=1+1 thiếu người"


def test_chart_is_a_png() -> None:
    png = completion_chart([("Nhóm 1: Công tác tổ chức", 3, 10), ("Nhóm 2: Đảng viên", 0, 0)])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("hoàn thành", Status.DONE),
        ("Hoan thanh", Status.DONE),
        ("xong", Status.DONE),
        ("  ĐANG THỰC HIỆN ", Status.IN_PROGRESS),
        ("dang lam", Status.IN_PROGRESS),
        ("đang làm", Status.IN_PROGRESS),
        ("chưa triển khai", Status.NOT_STARTED),
        ("chua", Status.NOT_STARTED),
        ("vướng mắc", Status.STUCK),
        ("vuong", Status.STUCK),
        ("hoan_thanh", Status.DONE),
        ("đi chơi", None),
        ("", None),
    ],
)
def test_parse_status(text: str, status: Status | None) -> None:
    assert parse_status(text) == status


@given(st.sampled_from(list(Status)))
def test_every_label_parses_back_to_its_status(status: Status) -> None:
    label = STATUS_LABELS[status]
    assert parse_status(label) == parse_status(fold(label)) == status
    assert status_label(status.value) == label
