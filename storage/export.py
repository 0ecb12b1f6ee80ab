"""Export progress rows to .xlsx (sheets "Tiến độ" and "Tổng hợp") or .csv (UTF-8 BOM)."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage.private import write_private
from storage.queries.progress import task_sort_key
from storage.queries.summary import ExportRow, TaskOverview
from storage.status import SILENT_LABEL, STATUS_LABELS, Status, status_label
from storage.xlsx import Sheet, write_workbook

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
PROGRESS_SHEET = "Tiến độ"
SUMMARY_SHEET = "Tổng hợp"
HEADERS = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Đơn vị cấp trên",
    "Mã nhiệm vụ",
    "Nhiệm vụ",
    "Trạng thái",
    "Tỷ lệ (%)",
    "Ghi chú",
    "Người báo cáo",
    "Thời gian báo cáo",
)
SUMMARY_STATUSES = (Status.DONE, Status.IN_PROGRESS, Status.NOT_STARTED, Status.STUCK)
SUMMARY_HEADERS = (
    "Mã nhiệm vụ",
    "Nhiệm vụ",
    *(STATUS_LABELS[status].capitalize() for status in SUMMARY_STATUSES),
    SILENT_LABEL.capitalize(),
    "Tổng số đơn vị",
)
_WIDTHS = (14, 36, 14, 10, 48, 16, 9, 48, 24, 17)


def format_local(value: datetime) -> str:
    """Format an aware datetime in Asia/Ho_Chi_Minh as dd/mm/yyyy HH:MM."""
    return value.astimezone(LOCAL_TZ).strftime(DATETIME_FORMAT)


def row_values(row: ExportRow, task_titles: Mapping[str, str]) -> list[Any]:
    """Return the cells of one progress row in HEADERS order."""
    return [
        row.unit_code,
        (row.unit_name),
        row.parent_code,
        row.task_code,
        (task_titles.get(row.task_code, "")),
        status_label(row.status),
        row.percent if row.percent is not None else "",
        (row.note),
        (row.reporter),
        format_local(row.reported_at),
    ]


def _counts(item: TaskOverview) -> list[int]:
    """Return the summary counts of one task in SUMMARY_HEADERS order."""
    return [item.done, item.in_progress, item.not_started, item.stuck, item.silent, item.total]


def summary_values(
    rows: Sequence[ExportRow],
    task_titles: Mapping[str, str],
    overview: Sequence[TaskOverview] | None = None,
) -> list[list[Any]]:
    """Return one line per task: counts per status, silent and total (when overview given)."""
    if overview is not None:
        return [[o.task_code, task_titles.get(o.task_code, ""), *_counts(o)] for o in overview]
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row.task_code][row.status] += 1
    return [
        [code, task_titles.get(code, "")]
        + [counts[code][status.value] for status in SUMMARY_STATUSES]
        + ["", ""]
        for code in sorted(counts, key=task_sort_key)
    ]


def write_xlsx(
    rows: Sequence[ExportRow],
    *,
    task_titles: Mapping[str, str],
    overview: Sequence[TaskOverview] | None = None,
    path: Path | str | None = None,
) -> bytes:
    """Build the workbook ("Tiến độ", "Tổng hợp"); return its bytes, also saved to `path`."""
    progress = Sheet(
        PROGRESS_SHEET, HEADERS, (row_values(row, task_titles) for row in rows), _WIDTHS
    )
    summary_widths = (_WIDTHS[3], _WIDTHS[4], *([15] * (len(SUMMARY_HEADERS) - 2)))
    summary = Sheet(
        SUMMARY_SHEET, SUMMARY_HEADERS, summary_values(rows, task_titles, overview), summary_widths
    )
    buffer = io.BytesIO()
    write_workbook([progress, summary], buffer)
    data = buffer.getvalue()
    if path is not None:
        write_private(path, data)  # names and notes: the owner only
    return data


def _csv_safe(value: Any) -> Any:
    """Prefix text Excel would run as a formula (= + - @) with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(
    rows: Sequence[ExportRow],
    *,
    task_titles: Mapping[str, str],
    path: Path | str | None = None,
) -> bytes:
    """Build UTF-8-with-BOM CSV (Excel shows Vietnamese); return its bytes, save to `path`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([_csv_safe(value) for value in row_values(row, task_titles)])
    data = buffer.getvalue().encode("utf-8-sig")
    if path is not None:
        write_private(path, data)  # names and notes: the owner only
    return data
