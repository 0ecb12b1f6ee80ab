"""Every user-facing string, in Vietnamese, in one voice.

Templates use `str.format` fields; keep them short: people read them on a phone.
"""

from __future__ import annotations

from datetime import date

# --- greeting and help -------------------------------------------------------

WELCOME = (
    "Xin chào{name}! Tôi là trợ lý tra cứu {document}.\n"
    "Bạn có thể gõ câu hỏi bằng tiếng Việt (có dấu hoặc không dấu), "
    "xem danh sách nhiệm vụ hoặc các hạn chót."
)
HELP = (
    "Tôi giúp tra cứu {document}.\n"
    "\n"
    "Các lệnh:\n"
    "/hoi <câu hỏi> — hỏi về nội dung văn bản (hoặc gõ thẳng câu hỏi)\n"
    "/nhiemvu — danh sách nhiệm vụ trọng tâm (Mục II)\n"
    "/nhiemvu 3.3 — xem đầy đủ một nhiệm vụ theo mã\n"
    "/hanchot — các hạn chót và kỳ báo cáo định kỳ\n"
    "/help — xem lại hướng dẫn này\n"
    "\n"
    "Ví dụ: «Kế hoạch vị trí việc làm phải xong trước ngày nào?»"
)
BUTTON_TASKS = "Danh sách nhiệm vụ"
BUTTON_DEADLINES = "Hạn chót"
BUTTON_HELP = "Hướng dẫn"

# --- questions ---------------------------------------------------------------

ASK_WHAT = "Bạn muốn hỏi gì? Hãy gõ câu hỏi sau lệnh, ví dụ: /hoi hạn chót vị trí việc làm"
EMPTY = "Bạn chưa nhập nội dung. Hãy gõ câu hỏi, hoặc /help để xem hướng dẫn."
TOO_LONG = "Tin nhắn quá dài ({length} ký tự). Xin gõ câu hỏi ngắn gọn, không quá {limit} ký tự."
NO_WORDS = "Tôi chưa đọc được chữ nào trong tin nhắn. Xin gõ câu hỏi bằng chữ, ví dụ: hạn chót."
NOT_FOUND = "Tôi chưa tìm thấy nội dung phù hợp trong văn bản."
NOT_FOUND_HINT = "Bạn thử hỏi cách khác, hoặc xem /nhiemvu và /hanchot."

# --- tasks -------------------------------------------------------------------

TASKS_HEADER = "Nhiệm vụ trọng tâm năm 2024 ({document}):"
TASKS_FOOTER = "Gõ /nhiemvu <mã> để xem một nhiệm vụ, ví dụ /nhiemvu 3.3."
NO_TASKS = "Văn bản chưa có danh sách nhiệm vụ."
TASK_BUTTON = "Nhiệm vụ {code}: {title}"
TASK_TITLE = "Nhiệm vụ {code}: {title}"
TASK_PLACE = "Vị trí: {ref} · {document}"
TASK_DEADLINE = "Hạn: {deadline}"
TASK_TEXT = "Nội dung văn bản:"
TASK_CHILDREN = "Gồm các nhiệm vụ: {codes}"
TASK_PARENT_BUTTON = "Về nhiệm vụ {code}"
BAD_CODE = "Mã nhiệm vụ gồm các số cách nhau bằng dấu chấm, ví dụ: /nhiemvu 3.3"
UNKNOWN_CODE = "Không có nhiệm vụ mã {code}."
CLOSE_CODES = "Có phải bạn muốn xem: {codes}?"

# --- deadlines ---------------------------------------------------------------

DEADLINES_HEADER = "Hạn chót trong {document} (hôm nay {today}):"
NO_DEADLINES = "Văn bản không nêu hạn chót nào."
DEADLINE_TASK = "• {code} — {title}"
DEADLINE_GENERAL = "• Chung cho toàn văn bản"
DEADLINE_LINE = "  «{phrase}» — hạn {due}, {status}"
DEADLINE_UNDATED = "  «{phrase}»"
DEADLINE_TARGET = "  Chỉ tiêu: {target}"
DAYS_LEFT = "còn {days} ngày"
DUE_TODAY = "hết hạn hôm nay"
OVERDUE = "đã quá hạn {days} ngày"
PERIOD_LINE = "• Báo cáo định kỳ ({period}): «{phrase}»"
PERIOD_NAMES = {"quarter": "hằng quý", "half_year": "6 tháng", "year": "cả năm"}

# --- errors and channels -----------------------------------------------------

UNKNOWN_COMMAND = "Tôi chưa hiểu lệnh này. Gõ /help để xem các lệnh."
FORGED_PAYLOAD = "Nút bấm này không còn dùng được. Gõ /help để xem các lệnh."
SORRY = "Xin lỗi, tôi gặp trục trặc khi xử lý tin nhắn này. Bạn thử lại sau ít phút nhé."
FILE_ATTACHED = "[Tệp đính kèm: {name}]"
CONSOLE_WELCOME = "Trợ lý Kết luận 09-KL/BTCTW. Gõ /help để xem hướng dẫn, Ctrl+D để thoát."

# --- command line ------------------------------------------------------------

CLI_EMPTY_QUESTION = 'Câu hỏi trống. Ví dụ: python -m bot ask "hạn chót vị trí việc làm"'
CLI_UNREADABLE_FILE = "Không đọc được tệp {path}: {reason}"
FILE_PROBLEMS = {
    "FileNotFoundError": "không có tệp này",
    "IsADirectoryError": "đây là thư mục, không phải tệp",
    "PermissionError": "không có quyền đọc",
    "UnicodeDecodeError": "tệp không phải văn bản UTF-8",
}
FILE_PROBLEM_OTHER = "lỗi đọc tệp"
CLI_BAD_SETTINGS = "Cấu hình không hợp lệ (xem .env.example): {error}"
CLI_FAILED = "Có lỗi xảy ra, chương trình dừng. Xem nhật ký (log) để biết chi tiết."


def format_date(day: date) -> str:
    """Return a date as dd/mm/yyyy."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def document_label(kind: str, number: str, issued: date | None) -> str:
    """Return a directive's name as people say it, e.g. "Kết luận 09-KL/BTCTW (11/01/2024)"."""
    name = f"{kind} {number}".strip()
    return f"{name} ({format_date(issued)})" if issued else name
