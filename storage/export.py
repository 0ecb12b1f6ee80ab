"""Export progress rows to .xlsx or .csv (UTF-8 BOM).

The workbook: "Tiến độ" (the current report per unit and task), "Tổng hợp" (units per
status per task) and, given a `PeriodReport`, "Ma trận <kỳ>" (units in tree order ×
tasks, each cell the status, coloured, and the day of the report that counts for the
period; grey "chưa báo cáo" when none) and one "Tổng hợp <kỳ>" per period (units
complete of those counted, units reported per task), current period first.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage.private import write_private
from storage.queries.matrix import Cell, PeriodReport, PeriodSummary
from storage.queries.progress import task_sort_key
from storage.queries.summary import ExportRow, TaskOverview
from storage.status import SILENT_LABEL, STATUS_LABELS, Status, status_label
from storage.xlsx import Sheet, Styled, write_workbook

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
EXPORT_PERIODS = 4  # the current period and the three before get a summary sheet
MATRIX_SHEET = "Ma trận {period}"
PERIOD_SHEET = "Tổng hợp {period}"
MATRIX_HEADERS = ("Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên")
PERIOD_HEADERS = (
    "Mã nhiệm vụ",
    "Nhiệm vụ",
    "Đơn vị đã báo cáo",
    "Đơn vị phải báo cáo",
    "Tỷ lệ (%)",
)
ALL_TASKS = "Tất cả"
UNITS_COMPLETE = "Đơn vị báo cáo đủ {period}"
# Cell colours of the matrix (RGB): green done, yellow in progress, orange not started,
# red stuck, grey not reported in the period.
STATUS_FILLS = {
    Status.DONE.value: "C6EFCE",
    Status.IN_PROGRESS.value: "FFEB9C",
    Status.NOT_STARTED.value: "F8CBAD",
    Status.STUCK.value: "FFC7CE",
}
NOT_REPORTED_FILL = "D9D9D9"
_NOT_REPORTED = Styled(SILENT_LABEL, NOT_REPORTED_FILL)


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


def sheet_period(label: str) -> str:
    """Return a period's label as a sheet name allows ("quý IV/2026" → "quý IV-2026")."""
    return label.replace("/", "-")


def matrix_cell(cell: Cell | None) -> Styled:
    """Return a matrix cell: "hoàn thành 80% · 12/11/2026" in its status colour, or grey."""
    if cell is None:
        return _NOT_REPORTED
    percent = f" {cell.percent}%" if cell.percent is not None else ""
    day = cell.reported_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y")
    return Styled(f"{status_label(cell.status)}{percent} · {day}", STATUS_FILLS[cell.status])


def matrix_sheet(report: PeriodReport) -> Sheet:
    """Return the current period's units × tasks sheet (a blank cell: the task does not apply)."""
    codes = report.task_codes

    def lines() -> Iterator[list[Any]]:
        for unit in report.units:
            applies = report.applicable.get(unit.id, frozenset())
            cells = [
                matrix_cell(report.cells.get((unit.id, code))) if code in applies else None
                for code in codes
            ]
            yield [unit.code, unit.name, unit.parent_code, *cells]

    label = report.summaries[-1].span.label
    widths = (14, 36, 14, *([24] * len(codes)))
    return Sheet(
        MATRIX_SHEET.format(period=sheet_period(label)),
        (*MATRIX_HEADERS, *codes),
        lines(),
        widths,
        frozen_columns=2,
    )


def _rate(done: int, total: int) -> float | str:
    """Return done / total as a percentage with one decimal ("" when nothing is counted)."""
    return round(100 * done / total, 1) if total else ""


def period_sheet(summary: PeriodSummary, task_titles: Mapping[str, str]) -> Sheet:
    """Return one period's completion: units complete first, then each task."""
    label = summary.span.label
    lines: list[list[Any]] = [
        [
            ALL_TASKS,
            UNITS_COMPLETE.format(period=label),
            summary.units_complete,
            summary.units_counted,
            _rate(summary.units_complete, summary.units_counted),
        ]
    ]
    lines += [
        [code, task_titles.get(code, ""), done, total, _rate(done, total)]
        for code, done, total in summary.tasks
    ]
    widths = (_WIDTHS[3], _WIDTHS[4], 18, 18, 10)
    return Sheet(PERIOD_SHEET.format(period=sheet_period(label)), PERIOD_HEADERS, lines, widths)


def write_xlsx(
    rows: Sequence[ExportRow],
    *,
    task_titles: Mapping[str, str],
    overview: Sequence[TaskOverview] | None = None,
    periods: PeriodReport | None = None,
    path: Path | str | None = None,
) -> bytes:
    """Build the workbook (see the module); return its bytes, also saved to `path`."""
    progress = Sheet(
        PROGRESS_SHEET, HEADERS, (row_values(row, task_titles) for row in rows), _WIDTHS
    )
    summary_widths = (_WIDTHS[3], _WIDTHS[4], *([15] * (len(SUMMARY_HEADERS) - 2)))
    summary = Sheet(
        SUMMARY_SHEET, SUMMARY_HEADERS, summary_values(rows, task_titles, overview), summary_widths
    )
    sheets = [progress, summary]
    if periods is not None and periods.summaries:
        sheets.append(matrix_sheet(periods))
        sheets += [period_sheet(s, task_titles) for s in reversed(periods.summaries)]
    buffer = io.BytesIO()
    write_workbook(sheets, buffer)
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
