"""Find deadlines, target years and the reporting rhythm in a directive's text."""

from __future__ import annotations

import re
from datetime import date, timedelta

from knowledge.model import Deadline
from knowledge.periods import Period
from knowledge.text import fold

_BEFORE = re.compile(
    r"(?:trước|chậm nhất|hạn chót|hạn cuối)(?: là)?(?: ngày)?\s+(\d{1,2})\s*(?:/|tháng\s+)"
    r"(\d{1,2})\s*(?:/|năm\s+)(\d{4})",
    re.I,
)
_IN_QUARTER = re.compile(
    r"(?:trong|trước hết|chậm nhất) quý (I|II|III|IV)(?:\s+năm\s+|/)(\d{4})", re.I
)
_IN_MONTH = re.compile(r"(?:trong|chậm nhất|trước hết) tháng (\d{1,2})(?:\s+năm\s+|/)(\d{4})", re.I)
_QUARTERS = {"I": 1, "II": 2, "III": 3, "IV": 4}
_BY_YEAR = re.compile(r"đến năm (\d{4})([^.;]*)", re.I)
_IN_YEAR = re.compile(r"(?:hoàn thành |giao )?trong năm (\d{4})", re.I)
_PERIODIC = re.compile(r"định kỳ\s*\(([^)]*)\)", re.I)
_PERIOD_WORDS = (("quy", "quarter"), ("6 thang", "half_year"), ("sau thang", "half_year"))
_SUPER = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def extract_deadlines(document: str, task_code: str, text: str) -> list[Deadline]:
    """Return the dated deadlines and target years stated in one task's text."""
    text = _SUPER.sub("", text)
    found: list[Deadline] = []
    for m in _BEFORE.finditer(text):
        due = _safe_date(int(m[3]), int(m[2]), int(m[1]))
        if due:
            found.append(Deadline(document, task_code, "date", due, m.group(0)))
    for m in _IN_QUARTER.finditer(text):
        end = Period(int(m[2]), _QUARTERS[m[1].upper()]).end
        found.append(Deadline(document, task_code, "date", end, m.group(0)))
    for m in _IN_MONTH.finditer(text):
        if 1 <= int(m[1]) <= 12:
            end = _month_end(int(m[2]), int(m[1]))
            found.append(Deadline(document, task_code, "date", end, m.group(0)))
    for m in _BY_YEAR.finditer(text):
        target = m[2].strip(" ,") if "%" in m[2] else ""
        phrase = m.group(0).strip(" ,") if target else m.group(0)[: len("đến năm 0000")]
        found.append(Deadline(document, task_code, "year", date(int(m[1]), 12, 31), phrase, target))
    for m in _IN_YEAR.finditer(text):
        found.append(Deadline(document, task_code, "in_year", date(int(m[1]), 12, 31), m.group(0)))
    return found


def extract_periods(document: str, text: str) -> list[Deadline]:
    """Return the reporting rhythm ('định kỳ (hàng quý, 6 tháng và cả năm)')."""
    m = _PERIODIC.search(text)
    if not m:
        return []
    words = fold(m[1])
    periods = [p for key, p in _PERIOD_WORDS if key in words]
    if ("nam" in words.replace("hang nam", "ca nam") and "ca nam" in words) or "hang nam" in words:
        periods.append("year")
    phrase = m.group(0)
    return [
        Deadline(document, "", "period", None, phrase, period=p) for p in dict.fromkeys(periods)
    ]


def _month_end(year: int, month: int) -> date:
    """Return the last day of a month."""
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
