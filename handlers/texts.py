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
    "/dangky <mã mời> — đăng ký lãnh đạo đơn vị\n"
    "/baocao — báo cáo tiến độ (lãnh đạo đơn vị); /huy để hủy giữa chừng\n"
    "/baocao web — biểu mẫu báo cáo trên trình duyệt (liên kết dùng một lần)\n"
    "/tiendo [mã] — xem tiến độ; /lichsu <mã> — lịch sử báo cáo\n"
    "/chuabaocao [mã] — đơn vị chưa báo cáo\n"
    "/xuat [văn bản] — tệp Excel tiến độ; /bieudo — biểu đồ (quản trị)\n"
    "/nhacnho bat|tat — bật/tắt nhắc hạn; /phatthanh <nội dung> — thông báo (quản trị)\n"
    "/moi <mã đơn vị> — mã mời lãnh đạo; /donvi — các đơn vị; /thanhvien — ai phụ trách đơn vị\n"
    "/phamvi [mã] — nhiệm vụ áp dụng cho đơn vị nào; /mien — miễn báo cáo (quản trị)\n"
    "/help — xem lại hướng dẫn này\n"
    "\n"
    "Ví dụ: «Kế hoạch vị trí việc làm phải xong trước ngày nào?»"
)
BUTTON_TASKS = "Danh sách nhiệm vụ"
BUTTON_DEADLINES = "Hạn chót"
BUTTON_HELP = "Hướng dẫn"

# --- questions ---------------------------------------------------------------

ASK_WHAT = "Bạn muốn hỏi gì? Hãy gõ câu hỏi sau lệnh, ví dụ: /hoi hạn chót vị trí việc làm"
UNREADABLE_MESSAGE = (
    "Tôi chỉ đọc được tin nhắn chữ; ảnh, nhãn dán hay tin nhắn thoại tôi chưa đọc được. "
    "Bạn gõ câu hỏi bằng chữ nhé, hoặc /help để xem hướng dẫn. (Quản trị viên gửi văn bản "
    "mới dưới dạng tệp .docx, .pdf hoặc .txt.)"
)
EMPTY = "Bạn chưa nhập nội dung. Hãy gõ câu hỏi, hoặc /help để xem hướng dẫn."
TOO_LONG = "Tin nhắn quá dài ({length} ký tự). Xin gõ câu hỏi ngắn gọn, không quá {limit} ký tự."
NO_WORDS = "Tôi chưa đọc được chữ nào trong tin nhắn. Xin gõ câu hỏi bằng chữ, ví dụ: hạn chót."
NOT_FOUND = "Tôi chưa tìm thấy nội dung phù hợp trong văn bản."
NOT_FOUND_HINT = "Bạn thử hỏi cách khác, hoặc xem /nhiemvu và /hanchot."
NOT_FOUND_NEXT = "Hoặc chọn một gợi ý dưới đây:"

# --- short replies to typed words (greetings, "tôi là ai", …) --------------------

GREETING_REPLY = "Xin chào! Bạn cần tra cứu hay báo cáo gì, cứ gõ, hoặc chọn bên dưới."
THANKS_REPLY = "Không có gì ạ. Bạn cần gì thêm cứ nhắn nhé."
ACK_REPLY = "Vâng ạ. Bạn cần gì thêm cứ nhắn, hoặc chọn bên dưới."
FOREIGN_REPLY = "Xin lỗi, tôi chỉ hiểu tiếng Việt (Sorry, I only understand Vietnamese)."
REPORT_WHICH_TASK = "Bạn muốn báo cáo nhiệm vụ nào?"
WHOAMI_ADMIN = (
    "Bạn là quản trị viên{unit}. Bạn xem được tiến độ của mọi đơn vị (/tiendo, /chuabaocao, "
    "/lichsu, /bieudo), xuất Excel (/xuat) và gửi thông báo (/phatthanh)."
)
WHOAMI_ADMIN_UNIT = ", lãnh đạo {unit}"
WHOAMI_LEADER = (
    "Bạn là lãnh đạo {unit}. Bạn báo cáo tiến độ cho đơn vị (/baocao), xem tiến độ của "
    "đơn vị mình và các đơn vị trực thuộc (/tiendo, /chuabaocao, /lichsu, /bieudo) và "
    "bật/tắt nhắc hạn (/nhacnho)."
)
WHOAMI_MEMBER = (
    "Bạn thuộc {unit} nhưng không phải lãnh đạo đơn vị, nên chưa báo cáo hay xem được tiến "
    "độ. Bạn vẫn hỏi được về văn bản, xem nhiệm vụ (/nhiemvu) và hạn chót (/hanchot). Nếu "
    "bạn được giao phụ trách, xin Ban Tổ chức mã mời rồi gõ /dangky <mã mời>."
)
WHOAMI_GUEST = (
    "Bạn chưa đăng ký với đơn vị nào. Bạn vẫn hỏi được về văn bản, xem nhiệm vụ (/nhiemvu) "
    "và hạn chót (/hanchot). Nếu bạn là lãnh đạo đơn vị, gõ /dangky <mã mời> "
    "(mã do Ban Tổ chức cấp)."
)

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
DEADLINE_DONE = "đã hoàn thành ({day})"  # the sender's unit reported the task done that day
PERIOD_LINE = "• Báo cáo định kỳ ({period}): «{phrase}»"
PERIOD_NAMES = {"quarter": "hằng quý", "half_year": "6 tháng", "year": "cả năm"}

# --- Telegram command menu (setMyCommands) -------------------------------------

TELEGRAM_COMMANDS = (
    ("hoi", "Hỏi về nội dung Kết luận"),
    ("nhiemvu", "Danh sách nhiệm vụ trọng tâm"),
    ("hanchot", "Các hạn chót và kỳ báo cáo"),
    ("baocao", "Báo cáo tiến độ (lãnh đạo đơn vị)"),
    ("tiendo", "Xem tiến độ"),
    ("chuabaocao", "Đơn vị chưa báo cáo"),
    ("dangky", "Đăng ký lãnh đạo đơn vị bằng mã mời"),
    ("nhacnho", "Bật/tắt nhắc hạn: /nhacnho bat"),
    ("moi", "Tạo mã mời lãnh đạo đơn vị"),
    ("thanhvien", "Ai phụ trách đơn vị nào"),
    ("huy", "Hủy thao tác đang dở"),
    ("help", "Hướng dẫn sử dụng"),
)

# --- registration ------------------------------------------------------------

REGISTER_HOW = "Gõ /dangky <mã mời> để đăng ký làm lãnh đạo đơn vị. Mã mời do Ban Tổ chức cấp."
REGISTERED = "Đăng ký thành công: bạn là lãnh đạo đơn vị {unit}. Gõ /baocao để báo cáo tiến độ."
INVITE_UNKNOWN = "Mã mời không đúng. Bạn kiểm tra lại mã (còn {left} lần thử trong giờ này)."
INVITE_EXPIRED = "Mã mời đã hết hạn. Xin Ban Tổ chức cấp mã mới."
INVITE_USED = "Mã mời này đã được dùng. Mỗi mã chỉ dùng một lần; xin Ban Tổ chức cấp mã mới."
INVITE_LOCKED = "Bạn đã nhập sai mã quá nhiều lần. Xin thử lại sau {minutes} phút."
PRIVATE_ONLY = (
    "Lệnh này chỉ dùng trong tin nhắn riêng với trợ lý, để dữ liệu đơn vị không lộ ra nhóm."
)

# --- progress reports ----------------------------------------------------------

NOT_A_LEADER = (
    "Chỉ lãnh đạo đơn vị mới báo cáo được tiến độ. Nếu bạn là lãnh đạo đơn vị, "
    "gõ /dangky <mã mời> (mã do Ban Tổ chức cấp)."
)
REPORT_PICK_GROUP = "Báo cáo tiến độ cho {unit}.\nBước 1/5 — chọn nhóm nhiệm vụ:"
REPORT_PICK_TASK = "Bước 2/5 — chọn nhiệm vụ thuộc nhóm {group}:"
REPORT_PICK_STATUS = "Nhiệm vụ {code}: {title}\nBước 3/5 — tình trạng thực hiện?"
REPORT_ASK_PERCENT = (
    "Bước 4/5 — đã đạt bao nhiêu phần trăm? Gõ một số từ 0 đến 100 (ví dụ 60 hoặc 60%), "
    "bấm một mức gợi ý, hoặc gõ «bỏ qua»."
)
REPORT_ASK_NOTE = "Bước 5/5 — gõ ghi chú ngắn (kết quả, khó khăn, kiến nghị), hoặc gõ «bỏ qua»."
REPORT_CONFIRM = (
    "Xin xác nhận báo cáo sẽ lưu:\n• Đơn vị: {unit}\n• Nhiệm vụ {code}: {title}\n"
    "• Tình trạng: {status}\n• Tỷ lệ: {percent}\n• Ghi chú: {note}"
)
REPORT_PREVIOUS = "• Báo cáo trước: {status}{percent}, ngày {date}"
REPORT_NO_PREVIOUS = "• Báo cáo trước: chưa có"
REPORT_DOWNGRADE = (
    "⚠️ Nhiệm vụ này đã báo cáo «hoàn thành» ngày {date}; gửi báo cáo này sẽ chuyển về "
    "«{status}». Bấm Gửi báo cáo (hoặc gõ «có») nếu đúng như vậy."
)
REPORT_SAVED = "Đã lưu báo cáo của {unit} về nhiệm vụ {code}: {status}{percent}. Cảm ơn đồng chí!"
REPORT_SAVED_PREVIOUS = "Báo cáo trước đó: {status}{percent}, ngày {date}."
REPORT_SAVED_FIRST = "Đây là báo cáo đầu tiên của đơn vị về nhiệm vụ này."
REPORT_DONE_PERCENT = (
    "«Hoàn thành» nghĩa là đạt 100%, nhưng tỷ lệ là {percent}%. Nếu việc chưa xong, xin báo "
    "«đang thực hiện» {percent}%; nếu đã xong, bỏ tỷ lệ hoặc ghi 100%. Chưa lưu gì."
)
REPORT_ZERO_PERCENT = (
    "«Chưa triển khai» nghĩa là 0%, nhưng tỷ lệ là {percent}%. Nếu đã bắt đầu, xin báo "
    "«đang thực hiện» {percent}%. Chưa lưu gì."
)
REPORT_TASK_BUTTON = "Báo cáo {code}: {title}"
REPORT_CANCELLED = "Đã hủy, chưa lưu gì."
NOTHING_TO_CANCEL = "Không có thao tác nào đang dở."
REPORT_BAD_PERCENT = "Tỷ lệ phải là một số từ 0 đến 100 (ví dụ 60 hoặc 60%), hoặc bấm Bỏ qua."
REPORT_NOTE_TOO_LONG = "Ghi chú dài {length} ký tự, quá giới hạn {limit}. Xin viết ngắn lại."
REPORT_UNKNOWN_TASK = "Không có nhiệm vụ mã {code}."
REPORT_NOT_LEAF = "Nhiệm vụ {code} gồm các nhiệm vụ con; xin báo cáo theo từng mã: {codes}."
REPORT_CLOSE = "Có phải bạn muốn báo cáo nhiệm vụ: {codes}?"
REPORT_USAGE = (
    "Báo cáo nhanh: /baocao <mã> <tình trạng> [tỷ lệ%] [ghi chú], ví dụ:\n"
    "/baocao 3.3 hoàn thành Đã ban hành kế hoạch\n"
    "Tình trạng: chưa triển khai, đang thực hiện, hoàn thành, vướng mắc.\n"
    "Nhiệm vụ của văn bản không phải văn bản hiện hành: ghi số hiệu trước mã, ví dụ "
    "/baocao 09-KL:3.3 hoàn thành."
)
REPORT_FAILED = (
    "Chưa lưu được báo cáo do trục trặc. Xin gửi lại sau ít phút; báo cáo chưa được ghi."
)
REPORT_GROUP_BUTTON = "Nhóm {code}: {title}"
# Issue 16: a task of a directive that is not current ("09-KL:3.3")
REPORT_OTHER_DIRECTIVE = "Báo cáo theo {document}"
DIRECTIVE_LINE = "Văn bản: {document}."
REPORT_CONFIRM_DIRECTIVE = "• Văn bản: {document}"
REPORT_ARCHIVED = (
    "{document} đã được lưu trữ nên nhiệm vụ {code} không nhận báo cáo mới; chưa lưu gì. "
    "Các báo cáo trước vẫn được giữ: gõ /lichsu {code} để xem."
)
REPORT_ARCHIVED_DIRECTIVE = (
    "{document} đã được lưu trữ nên không nhận báo cáo mới; các báo cáo trước vẫn được giữ. "
    "Gõ /baocao để báo cáo theo văn bản hiện hành."
)
REPORT_UNKNOWN_DIRECTIVE = (
    "Bot không có văn bản «{document}», nên không có gì thay đổi. "
    "Gõ /baocao để báo cáo theo văn bản hiện hành."
)
BUTTON_SKIP = "Bỏ qua"
BUTTON_SEND = "Gửi báo cáo"
BUTTON_CANCEL = "Hủy"
NO_NOTE = "(không có)"
NO_PERCENT = "(không nêu)"

# --- progress views --------------------------------------------------------------

ADMIN_ONLY = "Lệnh này dành cho cán bộ Ban Tổ chức (quản trị)."
NO_UNIT_SCOPE = "Bạn chưa gắn với đơn vị nào, nên chưa có dữ liệu để xem."
UNIT_PROGRESS_HEADER = "Tiến độ của {unit} ({reported}/{total} nhiệm vụ đã báo cáo):"
UNIT_PROGRESS_LINE = "• {code} — {status}{percent} · {when}"
UNIT_PROGRESS_EMPTY = "{unit} chưa báo cáo nhiệm vụ nào. Gõ /baocao để báo cáo."
OVERVIEW_HEADER = (
    "Tổng hợp tiến độ {scope} ({units} đơn vị):\n"
    "(xong / đang làm / chưa triển khai / vướng / chưa báo cáo)"
)
OVERVIEW_LINE = "• {code}: {done} / {in_progress} / {not_started} / {stuck} / {silent}"
SCOPE_ALL = "toàn bộ"
TASK_ACROSS_HEADER = (
    "Nhiệm vụ {code} — {title}\nTình hình {units} đơn vị: {done} hoàn thành, "
    "{in_progress} đang thực hiện, {not_started} chưa triển khai, {stuck} vướng mắc, "
    "{silent} chưa báo cáo."
)
TASK_ACROSS_LINE = "• {unit}: {status}{percent}{note}"
HISTORY_HEADER = "Lịch sử báo cáo nhiệm vụ {code} của {unit}:"
HISTORY_LINE = "• {when} — {status}{percent}{note}{who}"
HISTORY_WHO = " (người báo cáo: {name})"
#: Shown as the reporter of reports by a member removed with `members forget`.
FORGOTTEN_NAME = "đã xoá"
HISTORY_EMPTY = "{unit} chưa có báo cáo nào về nhiệm vụ {code}."
HISTORY_USAGE = "Gõ /lichsu <mã nhiệm vụ>, ví dụ /lichsu 3.3 (quản trị: /lichsu 3.3 <mã đơn vị>)."
UNKNOWN_UNIT = "Không có đơn vị mã {code}."
OUTSIDE_SCOPE = (
    "Đơn vị {code} nằm ngoài phạm vi bạn được xem (đơn vị của bạn và các đơn vị cấp dưới)."
)
NOT_REPORTED_LINE = "• {code} — {name}"
# /chuabaocao and /tiendo: the reporting period's completion (handlers/standing.py)
PERIOD_COMPLETE_HEAD = "{complete}/{total} đơn vị đã báo cáo đủ {period}{exempt}."
PERIOD_EXEMPT_NOTE = " ({count} đơn vị được miễn báo cáo, không tính)"
PERIOD_MISSING_HEAD = "Đơn vị còn thiếu báo cáo ({count}), thiếu nhiều nhất trước:"
PERIOD_MISSING_LINE = "• {code} — {name}: thiếu {missing}/{applicable} nhiệm vụ"
PERIOD_DRILL_TASK_HINT = "Bấm một nhiệm vụ để xem đơn vị chưa báo cáo."
PERIOD_DRILL_HINT = (
    "Bấm một đơn vị để xem nhiệm vụ còn thiếu, hoặc một nhiệm vụ để xem đơn vị chưa báo cáo."
)
BUTTON_UNIT_MISSING = "{code}: thiếu {missing}"
BUTTON_TASK_MISSING = "NV {code}: {count} đơn vị"
BUTTON_REPORT_TASK = "Báo cáo {code}: {title}"
UNIT_MISSING_HEAD = "{unit} còn {count} nhiệm vụ chưa báo cáo {period}:"
UNIT_MISSING_LINE = "• {code} {title}"
UNIT_MISSING_TAP = "Bấm một nhiệm vụ để báo cáo ngay."
UNIT_COMPLETE = "{unit} đã báo cáo đủ các nhiệm vụ {period}."
UNIT_EXEMPT = "{unit} đang được miễn báo cáo {period}."
TASK_MISSING_HEAD = "Nhiệm vụ {code} — {title}: {count} đơn vị chưa báo cáo {period}:"
TASK_NONE_MISSING = (
    "Nhiệm vụ {code} — {title}: mọi đơn vị phải báo cáo nhiệm vụ này đều đã báo cáo {period}."
)
COMPLETION_HEAD = "Tỷ lệ báo cáo {period} ({scope}): {rate}%, {complete}/{total} đơn vị đủ."
COMPLETION_TREND = "Bốn quý gần nhất: {items}"
COMPLETION_TREND_ITEM = "{period} {rate}%"
COMPLETION_TASKS = "Theo nhiệm vụ (đã báo cáo/phải báo cáo):"
COMPLETION_TASK_LINE = "• {code} {title}: {reported}/{applicable} ({rate}%)"
COMPLETION_UNITS = "Đơn vị có tỷ lệ thấp nhất ({count}/{total}):"
COMPLETION_UNIT_LINE = "• {code}: {reported}/{applicable} ({rate}%)"
EXPORT_READY = "Tệp Excel tiến độ ({scope}): {rows} dòng, tính đến {when}.\nVăn bản: {document}."
EXPORT_UNKNOWN_DIRECTIVE = (
    "Bot không có văn bản «{name}». Gõ /xuat cho văn bản hiện hành, hoặc số hiệu của văn bản "
    "khác, ví dụ /xuat 09-KL."
)
CHART_READY = "Biểu đồ mức hoàn thành theo nhóm nhiệm vụ ({scope})."
CHART_TITLE = "Tỷ lệ hoàn thành theo nhóm nhiệm vụ"
CHART_GROUP = "{code}. {title}"
NO_UNITS = 'Chưa có đơn vị nào. Thêm bằng: python -m bot units add MÃ "Tên".'
NOTE_SEPARATOR = " — "
MORE_UNITS = "… và {count} đơn vị nữa (danh sách đầy đủ: /xuat)."

# --- reminders and broadcasts ---------------------------------------------------

REMINDER = (
    "⏰ Nhắc hạn: nhiệm vụ {code} — {title}\n"
    "Hạn: {due} ({left}). Đơn vị chưa báo cáo hoàn thành; gõ /baocao {code} để cập nhật tiến độ.\n"
    "(Gõ /nhacnho tat nếu không muốn nhận nhắc nhở chung.)"
)
OVERDUE_REMINDER = (
    "⚠️ Quá hạn: nhiệm vụ {code} — {title}\nHạn đã qua: {due}. "
    "Xin đồng chí chỉ đạo hoàn thành và báo cáo bằng /baocao {code}."
)
OVERDUE_SUMMARY = "{base}\nĐơn vị trực thuộc chưa hoàn thành ({count}): {units}."
AND_MORE = " và {count} đơn vị khác"
PERIOD_REMINDER = (
    "📋 Sắp hết kỳ báo cáo {periods} ({period}, kết thúc {end}). Đơn vị còn {count} nhiệm vụ "
    "chưa báo cáo trong kỳ:\n{tasks}\nBấm một nhiệm vụ bên dưới (hoặc gõ /baocao) để báo cáo "
    "trước khi tổng hợp gửi Ban Tổ chức Trung ương."
)
PERIOD_REMINDER_MORE = "… và {count} nhiệm vụ nữa (xem đủ: /chuabaocao)."
ESCALATION = (
    "⚠️ Đã hết {period}: {count} đơn vị trực thuộc còn thiếu báo cáo:\n{units}\n"
    "Xin đồng chí đôn đốc các đơn vị báo cáo (chi tiết: /chuabaocao)."
)
ESCALATION_LINE = "• {code} — {name}: thiếu {missing} nhiệm vụ"
WEEKLY_DIGEST = (
    "📊 Tổng hợp tuần ({day}): {complete}/{total} đơn vị đã báo cáo đủ {period}, "
    "tỷ lệ báo cáo {rate}%.\n{units}\nChi tiết: /chuabaocao, /tiendo. "
    "(Gõ /nhacnho tat để thôi nhận.)"
)
WEEKLY_DIGEST_ALL = "Mọi đơn vị phải báo cáo đều đã báo cáo đủ."
PERIOD_REMINDER_NAMES = {"quarter": "quý", "half_year": "6 tháng", "year": "năm"}

SUBSCRIBE_HINT = "Gõ /nhacnho bat để nhận nhắc hạn, /nhacnho tat để thôi."
DEADLINE_ADMIN_HINT = (
    "\nQuản trị: /hanchot them <mã> <dd/mm/yyyy> [HH:MM] [tiêu đề] để thêm hạn, "
    "/hanchot xoa <số> để bỏ."
)
DEADLINE_SET_BY_COMMITTEE = "hạn do Ban Tổ chức đặt, {at}"
DEADLINE_ADD_USAGE = "Cách thêm hạn: /hanchot them 3.3 15/12/2026 [08:00] [tiêu đề]"
DEADLINE_REMOVE_USAGE = "Cách bỏ một hạn: /hanchot xoa <số của hạn>, số hiện trong /hanchot."
DEADLINE_ADDED = (
    "Đã thêm hạn #{id}: nhiệm vụ {code}, hạn {due}. Trợ lý sẽ nhắc trước {offsets} "
    "các đơn vị chưa hoàn thành."
)
DEADLINE_REMOVED = "Đã bỏ hạn #{id}; các lời nhắc của hạn này sẽ không gửi nữa."

# /phamvi and /mien (admins): who must report (handlers/who_reports.py)
SCOPE_USAGE = (
    "Cách dùng:\n"
    "/phamvi — các nhiệm vụ chỉ áp dụng cho một số cấp hoặc đơn vị\n"
    "/phamvi 6.2 — xem một nhiệm vụ áp dụng cho ai\n"
    "/phamvi 6.2 tw,tinh HU-TP — chỉ áp dụng cho các cấp (tw, tinh, huyen, coso) "
    "và đơn vị này\n"
    "/phamvi 6.2 tất cả — áp dụng lại cho mọi đơn vị"
)
SCOPE_LIST_HEAD = "Nhiệm vụ chỉ áp dụng cho một số đơn vị ({count}):"
SCOPE_NONE = "Mọi nhiệm vụ đều áp dụng cho mọi đơn vị."
SCOPE_LINE = "• {code} {title}: {scope}"
SCOPE_SHOW = "Nhiệm vụ {code} — {title}: {scope}."
SCOPE_ALL_UNITS = "áp dụng cho mọi đơn vị"
SCOPE_LEVELS = "chỉ cấp {levels}"
SCOPE_UNITS = "các đơn vị {units}"
SCOPE_LEVEL_NAMES = {"tw": "trung ương", "tinh": "tỉnh", "huyen": "huyện", "coso": "cơ sở"}
SCOPE_SET = (
    "Đã đặt: nhiệm vụ {code} {scope}. Đơn vị ngoài phạm vi không còn bị tính thiếu "
    "hay nhắc nhiệm vụ này (xem /chuabaocao)."
)
SCOPE_CLEARED = "Đã đặt: nhiệm vụ {code} áp dụng lại cho mọi đơn vị."
SCOPE_ALREADY_ALL = "Nhiệm vụ {code} vốn đã áp dụng cho mọi đơn vị; không có gì thay đổi."
SCOPE_GROUP = (
    "{code} là nhóm nhiệm vụ; hãy chọn một nhiệm vụ cụ thể trong nhóm (ví dụ {code}.1). "
    "Không có gì thay đổi."
)
SCOPE_WORD_BAD = (
    "«{value}» không phải cấp (tw, tinh, huyen, coso) hay mã đơn vị nào. Không có gì thay đổi."
)
EXEMPT_USAGE = (
    "Cách dùng:\n"
    "/mien — các khoản miễn báo cáo\n"
    "/mien HU-TP — các khoản miễn của một đơn vị\n"
    "/mien HU-TP 01/12/2026 31/12/2026 sáp nhập đơn vị — miễn báo cáo từ ngày đến ngày, "
    "kèm lý do\n"
    "/mien xoa 3 — bỏ khoản miễn số 3"
)
EXEMPT_LIST_HEAD = "Các khoản miễn báo cáo ({count}):"
EXEMPT_LINE = "#{id} {unit}: {start} – {end} — {reason}"
EXEMPT_NONE = "Chưa có đơn vị nào được miễn báo cáo."
EXEMPT_MORE = "… và {count} khoản miễn nữa (xem từng đơn vị: /mien MÃ_ĐƠN_VỊ)."
EXEMPT_NONE_FOR = "{unit} chưa có khoản miễn báo cáo nào."
EXEMPT_ADDED = (
    "Đã miễn báo cáo #{id}: {code} từ {start} đến {end} "
    "(không tính vào tỷ lệ, không nhắc). Bỏ: /mien xoa {id}"
)
EXEMPT_PAST = "Lưu ý: khoảng miễn này đã qua."
EXEMPT_DAY_BAD = "Ngày «{value}» không hợp lệ: ghi theo dạng ngày/tháng/năm, ví dụ 01/12/2026."
EXEMPT_SPAN_BAD = "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu. Không có gì thay đổi."
EXEMPT_REASON_BAD = "Cần ghi lý do miễn báo cáo, tối đa {limit} ký tự. Không có gì thay đổi."
EXEMPT_ID_BAD = "Số khoản miễn «{value}» không hợp lệ: cần một số, xem /mien."
EXEMPT_NOT_FOUND = "Không có khoản miễn #{id}."
EXEMPT_REMOVED = "Đã bỏ khoản miễn #{id}: đơn vị lại được tính và nhắc như thường."
DEADLINE_UNKNOWN = "Không có hạn số {id}."
SUBSCRIBE_USAGE = "Nhắc hạn chung đang {state}. Gõ /nhacnho bat để bật, /nhacnho tat để tắt."
SUBSCRIBED_ON = "bật"
SUBSCRIBED_OFF = "tắt"
SUBSCRIBED = "Đã bật nhắc hạn: trợ lý sẽ nhắc đồng chí các hạn chót của Kết luận."
UNSUBSCRIBED = (
    "Đã tắt nhắc hạn chung. (Lãnh đạo đơn vị vẫn được nhắc các nhiệm vụ của đơn vị mình.)"
)
BROADCAST_CONFIRM = "Gửi thông báo sau tới {count} người ({who})?\n\n{text}"
BROADCAST_QUEUED = (
    "Đã xếp lịch gửi thông báo #{id} tới {count} người (ngoài giờ nghỉ, theo giới hạn của "
    "nền tảng). Gõ /phatthanh để xem tiến độ."
)
BROADCAST_CANCELLED = "Đã hủy, thông báo không được gửi."
BROADCAST_TOO_LONG = "Thông báo dài {length} ký tự, quá giới hạn {limit}."
BROADCAST_USAGE = "Gửi thông báo: /phatthanh <nội dung>, rồi chọn người nhận. Các lần gửi gần đây:"
BROADCAST_PROGRESS = (
    "• #{id} ({at}) «{text}»: đã gửi {sent}, lỗi {failed}, đang chờ {waiting} / {total}"
)

# --- broadcast audiences and administration in chat (handlers/admin_chat.py) ----------

BUTTON_SEND_BROADCAST = "Gửi thông báo"
BROADCAST_WHO = "Gửi thông báo này tới ai? Bấm một lựa chọn hoặc gõ số thứ tự."
BROADCAST_WHICH_UNIT = (
    "Gõ mã đơn vị: thông báo sẽ tới lãnh đạo đơn vị đó và mọi đơn vị cấp dưới (ví dụ: HU-PM)."
)
BROADCAST_NOBODY = "Chưa có ai để gửi: {who} — không có ai đang liên lạc được với trợ lý."
STEP_UNIT = "Xin gõ mã một đơn vị (xem /donvi), hoặc gõ «hủy»."
STEP_CONFIRM_BROADCAST = (
    "Xin bấm «Gửi thông báo» (hoặc gõ «có», «ok», «đồng ý») để gửi, hoặc gõ «hủy»."
)
UNIT_UNKNOWN = "Không có đơn vị mã «{code}». Xem danh sách bằng /donvi."
AUDIENCE_LABELS = {
    "all": "Tất cả mọi người",
    "leaders": "Lãnh đạo các đơn vị",
    "incomplete": "Đơn vị chưa báo cáo đủ",
    "unit": "Một đơn vị và cấp dưới",
}
AUDIENCE_NAMES = {
    "all": "tất cả mọi người",
    "leaders": "lãnh đạo các đơn vị",
    "incomplete": "lãnh đạo các đơn vị chưa báo cáo đủ kỳ này",
}
AUDIENCE_OF_UNIT = "lãnh đạo {code} và các đơn vị cấp dưới"
INVITE_HOW = "Gõ /moi <mã đơn vị> để tạo mã mời lãnh đạo cho một đơn vị, ví dụ: /moi HU-PM."
INVITE_MADE = (
    "Mã mời lãnh đạo {unit}: {code}\n"
    "Dùng một lần, hết hạn {expires}. Người được mời gõ /dangky {code}{link}"
)
INVITE_LINK = "\nhoặc mở liên kết: {link}"
UNITS_HEADER = "Các đơn vị ({count}):"
UNITS_MORE = "… và {more} đơn vị nữa (xem đầy đủ trên trang quản trị: /web)."
UNITS_EMPTY = "Chưa có đơn vị nào."
UNITS_ADD_HINT = "Thêm đơn vị: /donvi them <MÃ> <TÊN> [MÃ_CẤP_TRÊN] (quản trị)."
UNIT_LINE = "{indent}• {code} — {name}"
UNIT_ADD_HOW = (
    "Cách thêm: /donvi them <MÃ> <TÊN ĐƠN VỊ> [MÃ_CẤP_TRÊN], "
    "ví dụ: /donvi them XA-AN Đảng ủy xã An Nhơn HU-PM"
)
UNIT_EXISTS = "Đã có đơn vị mã {code} ({name}); không thêm trùng."
UNIT_ADDED = "Đã thêm đơn vị {code} — {name}{parent}."
UNIT_ADDED_PARENT = ", cấp trên: {parent}"
UNIT_PROBLEMS = {
    "empty": "Mã và tên đơn vị không được để trống.",
    "too_long": "Mã đơn vị tối đa 64 ký tự, tên đơn vị tối đa 255 ký tự.",
    "code_spaces": "Mã đơn vị «{code}» không được chứa ký tự điều khiển hay ký tự ẩn.",
    "name_hidden": "Tên đơn vị không được chứa ký tự điều khiển hay ký tự ẩn.",
}
MEMBERS_HEADER = "Lãnh đạo và thành viên {scope} ({count}):"
MEMBERS_SCOPE_ALL = "mọi đơn vị"
MEMBERS_EMPTY = "Chưa có ai gắn với {scope}."
MEMBERS_MORE = "… và những người khác (xem đầy đủ trên trang quản trị: /web)."
MEMBER_LINE = "• {unit} — {name} ({role})"
MEMBER_NO_UNIT = "chưa gắn đơn vị"
ROLE_NAMES = {"admin": "quản trị", "leader": "lãnh đạo", "member": "thành viên"}
BUTTON_REVOKE = "Thu hồi {name} ({unit})"
REVOKED = "Đã thu hồi quyền lãnh đạo {unit} của {name}."
REVOKE_REFUSED = (
    "Không thu hồi được: người này không (còn) là lãnh đạo một đơn vị cấp dưới "
    "trong phạm vi của bạn. Không có gì thay đổi."
)
FLOW_MOVE = "chuyển đơn vị"
MOVE_ASK = (
    "Bạn đang là lãnh đạo {old}. Mã mời này dành cho {new}. "
    "Chuyển sang {new} (thôi phụ trách {old})?"
)
BUTTON_MOVE_YES = "Chuyển sang {code}"
BUTTON_MOVE_NO = "Không, giữ {code}"
MOVE_KEPT = "Không có gì thay đổi: bạn vẫn phụ trách đơn vị cũ; mã mời chưa được dùng."
STEP_MOVE = "Xin bấm «Chuyển» (hoặc gõ «có») để chuyển, «không» để giữ đơn vị cũ."

# --- errors and channels -----------------------------------------------------

UNKNOWN_COMMAND = "Tôi chưa hiểu lệnh này. Gõ /help để xem các lệnh."
FORGED_PAYLOAD = "Nút bấm này không còn dùng được. Gõ /help để xem các lệnh."
STALE_BUTTON = (
    "Nút bấm này thuộc một bước đã qua hoặc một thao tác đã kết thúc, nên không còn dùng được; "
    "không có gì thay đổi. Gõ /baocao để báo cáo, /help để xem các lệnh."
)

# --- flows (any multi-step conversation) ---------------------------------------

FLOW_REPORT = "báo cáo tiến độ"
FLOW_BROADCAST = "gửi thông báo"
FLOW_SWITCH = "Đồng chí đang dở việc {current}. Giữ việc đó, hay bỏ nó để bắt đầu {new}?"
BUTTON_KEEP = "Tiếp tục {flow}"
BUTTON_SWITCH = "Bỏ, bắt đầu {flow}"
FLOW_KEPT = "Đã giữ việc đang dở."
STEP_PICK = (
    "Tôi chưa hiểu câu trả lời cho bước này. Xin bấm, gõ số thứ tự hoặc gõ đúng tên một lựa chọn."
)
STEP_CONFIRM = "Xin bấm Gửi (hoặc gõ «có», «ok», «đồng ý») để xác nhận, hoặc gõ «hủy»."
HOW_TO_CANCEL = "Gõ «hủy» hoặc /huy để dừng, không lưu gì."
SUGGESTED_VALUES = "Gợi ý (gõ đúng giá trị): {values}"
SORRY = "Xin lỗi, tôi gặp trục trặc khi xử lý tin nhắn này. Bạn thử lại sau ít phút nhé."
NOT_SAVED = (
    "Chưa lưu được do hệ thống lưu trữ đang trục trặc, nên việc này chưa được thực hiện. "
    "Xin gửi lại sau ít phút."
)
DB_UNAVAILABLE = (
    "Hệ thống lưu trữ đang tạm gián đoạn nên tin nhắn này chưa được xử lý. Xin gửi lại sau ít phút."
)
SLOW_DOWN = (
    "Bạn đang gửi quá nhanh (hơn {limit} tin nhắn trong một phút), nên tôi tạm ngừng trả lời. "
    "Mời bạn gửi lại từ {time} (khoảng {seconds} giây nữa)."
)
FILE_ATTACHED = "[Tệp đính kèm: {name}]"
FILE_SAVED = "(đã lưu tại {path})"
FILE_NOT_SAVED = "(không lưu được tệp vào {folder}: thư mục không ghi được hoặc ổ đĩa đã đầy)"
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

# /web, /quantri: a one-time link to the web dashboard
WEB_LINK = (
    "Liên kết đăng nhập trang quản trị (dùng một lần, hết hạn sau {minutes} phút):\n{url}\n"
    "Đừng chuyển liên kết này cho người khác."
)
REPORT_WEB_LINK = (
    "Liên kết tới biểu mẫu báo cáo (dùng một lần, hết hạn sau {minutes} phút):\n{url}\n"
    "Đừng chuyển liên kết này cho người khác."
)
BUTTON_REPORT_FORM = "📝 Báo cáo"


def format_date(day: date) -> str:
    """Return a date as dd/mm/yyyy."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def document_label(kind: str, number: str, issued: date | None) -> str:
    """Return a directive's name as people say it, e.g. "Kết luận 09-KL/BTCTW (11/01/2024)"."""
    name = f"{kind} {number}".strip()
    return f"{name} ({format_date(issued)})" if issued else name


# A directive file sent in chat (issue 16): preview, then Lưu / Hủy
UPLOAD_NOT_ADMIN = (
    "Cảm ơn bạn đã gửi tệp. Chỉ quản trị viên mới thêm được văn bản vào thư viện của bot; "
    "xin gửi tệp này cho quản trị viên của đơn vị."
)
UPLOAD_TOO_LARGE = "Tệp «{name}» lớn hơn {limit} MB nên bot không nhận. Chưa có gì thay đổi."
UPLOAD_UNREADABLE = "Không thêm được «{name}»: {reason}. Chưa có gì thay đổi."
# why a directive file can't be read, and what to check in one read (chat, CLI, web)
INGEST_UNREADABLE = {
    "unsupported": "chỉ nhận tệp .txt (mã UTF-8), .docx hoặc .pdf có lớp chữ",
    "no_text": (
        "tệp PDF không có lớp chữ (bản chụp/scan, chỉ có hình ảnh); hãy gửi bản .docx "
        "hoặc bản PDF xuất từ Word"
    ),
    "empty": "tệp không có nội dung chữ",
    "corrupt": "tệp bị hỏng hoặc không đúng định dạng",
}
INGEST_TXT_NOT_UTF8 = "tệp .txt phải ở mã UTF-8"
INGEST_WARNINGS = {
    "legacy_font": "{count} đoạn chữ phông cũ {detail} đã được chuyển sang Unicode — nên đọc lại",
    "heading_numbers_from_styles": "{detail} đề mục không có số; đã đánh số theo kiểu đề mục",
    "table_as_rows": "bảng trong văn bản được đọc theo từng hàng",
    "pdf_pages_without_text": "{detail} trang PDF không có lớp chữ (trang chụp), đã bỏ qua",
    "no_number": "không thấy số hiệu văn bản (dòng «Số …»)",
    "no_date": "không thấy ngày ban hành",
    "no_kind": "không thấy loại văn bản (Kết luận, Chỉ thị, Kế hoạch …)",
    "no_issuer": "không thấy cơ quan ban hành",
    "no_signer": "không thấy người ký",
    "no_tasks": "không thấy nhiệm vụ đánh số (mục II: 1., 2. …)",
    "footnote_not_cited": "chú thích {detail} không thấy được dẫn trong văn bản",
}


def unreadable_reason(kind: str, detail: str = "") -> str:
    """Return why a directive file can't be read (`knowledge.ingest.Unreadable`'s kind)."""
    if kind == "unsupported" and "UTF-8" in detail:
        return INGEST_TXT_NOT_UTF8
    return INGEST_UNREADABLE.get(kind, INGEST_UNREADABLE["corrupt"])


def ingest_warning(warning: str) -> str:
    """Return one ingest warning (`code[:detail[:count]]`) in Vietnamese."""
    code, _, rest = warning.partition(":")
    detail, _, count = rest.partition(":")
    return INGEST_WARNINGS.get(code, warning).format(detail=detail, count=count or detail)


UPLOAD_DUPLICATE = "Văn bản số {number} đã có trong thư viện. Chưa có gì thay đổi."
UPLOAD_PREVIEW_HEAD = "Văn bản: {kind} số {number}\nNgày ban hành: {issued}\nTrích yếu: {title}"
UPLOAD_PREVIEW_TASKS = "Nhiệm vụ ({count}):"
UPLOAD_PREVIEW_TASK = "• {code} {title}"
UPLOAD_PREVIEW_MORE = "… và {count} nhiệm vụ khác"
UPLOAD_PREVIEW_DEADLINES = "Thời hạn ({count}, sẽ chờ duyệt, chưa nhắc):"
UPLOAD_PREVIEW_DEADLINE = "• Nhiệm vụ {code}: hạn {due}"
UPLOAD_PREVIEW_WARNING = "Lưu ý: {warning}"
UPLOAD_CONFIRM = "Lưu văn bản này vào thư viện?"
UPLOAD_SAVED = (
    "Đã lưu văn bản #{id}: {kind} {number} ({tasks} nhiệm vụ). Bot sẽ trả lời theo văn bản "
    "này trong vài giây. Muốn đặt làm văn bản hiện hành: gõ /web, mở trang «Văn bản»."
)
UPLOAD_PROPOSED = "{count} thời hạn đang chờ duyệt ở trang «Văn bản» (gõ /web để mở)."
UPLOAD_CANCELLED = "Đã hủy, văn bản chưa được lưu."
BUTTON_SAVE = "Lưu"
FLOW_UPLOAD = "thêm văn bản"
