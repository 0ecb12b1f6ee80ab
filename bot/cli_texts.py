"""User-facing Vietnamese strings of the admin commands (`db`, `admins`, `members`, `units`,
`invite`, `export`, `backup`, `restore`, `deadlines`, `remind`, `outbox`, `broadcast`). The
chat texts live in handlers/texts.py; these are only seen on a terminal."""

from __future__ import annotations

# --- database ----------------------------------------------------------------

DB_UPGRADED = "Cơ sở dữ liệu đã ở phiên bản mới nhất ({revision})."
DB_BAD_URL = (
    "DATABASE_URL không hợp lệ ({reason}). Ví dụ: sqlite+aiosqlite:///data/bot.db "
    "hoặc postgresql+asyncpg://bot:MẬT_KHẨU@127.0.0.1:5432/bot"
)
DB_UNREACHABLE = (
    "Không mở được cơ sở dữ liệu ({kind}). Kiểm tra DATABASE_URL và máy chủ cơ sở dữ liệu; "
    "chi tiết trong nhật ký (log)."
)

# --- admins --------------------------------------------------------------------

MEMBER_ID_BAD = (
    "Định danh «{value}» không hợp lệ. Viết theo dạng KÊNH:MÃ_NGƯỜI_DÙNG, "
    "ví dụ telegram:123456 hoặc console:boss."
)
CHANNEL_UNKNOWN = "Lưu ý: kênh «{channel}» chưa được hỗ trợ (các kênh hiện có: {known})."
ADMIN_ADDED = "Đã cấp quyền quản trị cho {member}."
ADMIN_ALREADY = "{member} đã là quản trị viên, không có gì thay đổi."
ADMINS_HEADER = "Quản trị viên:"
ADMIN_LINE = "• {member}"
ADMIN_NAME = " — {name}"
ADMIN_FROM_SETTINGS = " (theo cấu hình ADMINS)"
ADMINS_NONE = (
    "Chưa có quản trị viên nào. Thêm bằng: python -m bot admins add KÊNH:MÃ, ví dụ console:boss"
)

# --- members -------------------------------------------------------------------

MEMBER_UNKNOWN = "Không có thành viên {member} (có thể đã bị xoá trước đó). Chưa có gì thay đổi."
MEMBER_FORGOTTEN = (
    "Đã xoá dữ liệu cá nhân của {member}: tên, mã tài khoản, mã cuộc trò chuyện, "
    "{states} trạng thái hội thoại và {outbox} tin chưa gửi; {audit} dòng nhật ký không còn "
    "ghi danh tính. Giữ {reports} báo cáo của đơn vị, người báo cáo hiện là «{label}». "
    "Nếu tài khoản này nhắn lại, bot coi là người mới, chưa đăng ký."
)
MEMBER_STILL_IN_ADMINS = (
    "Lưu ý: {member} vẫn có trong cấu hình ADMINS; bỏ khỏi ADMINS nếu không muốn tài khoản "
    "này có quyền quản trị khi nhắn lại."
)

# --- units ---------------------------------------------------------------------

UNIT_EMPTY = "Mã và tên đơn vị không được để trống."
UNIT_TOO_LONG = "Mã đơn vị tối đa 64 ký tự, tên đơn vị tối đa 255 ký tự."
UNIT_CODE_SPACES = (
    "Mã đơn vị {code!r} không được chứa khoảng trắng hay ký tự ẩn (ký tự điều khiển, "
    "ký tự không độ rộng), ví dụ: HU-TP."
)
UNIT_NAME_HIDDEN = "Tên đơn vị không được chứa ký tự điều khiển hay ký tự ẩn."
LEVEL_BAD = "Cấp «{value}» không hợp lệ. Dùng: tinh, huyen hoặc coso."
PARENT_UNKNOWN = "Không có đơn vị cấp trên mã {code}. Xem danh sách: python -m bot units list"
UNIT_UNKNOWN = "Không có đơn vị mã {code}. Xem danh sách: python -m bot units list"
UNIT_CYCLE = "Không thể đặt {parent} làm cấp trên của {code}: {parent} đang thuộc cây của {code}."
UNIT_ADDED = "Đã thêm đơn vị {code} — {name}."
UNIT_UPDATED = "Đã cập nhật đơn vị {code} — {name}."
UNITS_IMPORTED = (
    "Đã nhập {path}: thêm mới {added}, cập nhật {updated}, không đổi {unchanged} đơn vị."
)
UNITS_IMPORT_BAD = "Không nhập được {path}, {error}. Chưa có đơn vị nào bị thay đổi."
UNITS_NONE = (
    'Chưa có đơn vị nào. Thêm bằng: python -m bot units add MÃ "TÊN" '
    "hoặc nhập từ tệp: python -m bot units import FILE.csv"
)
UNITS_HEADERS = ("Mã", "Tên đơn vị", "Cấp trên", "Cấp")
LEVEL_LABELS = {"tinh": "tỉnh", "huyen": "huyện", "coso": "cơ sở", "": ""}

# --- invites -------------------------------------------------------------------

TTL_BAD = (
    "Thời hạn «{value}» không hợp lệ. Viết số kèm đơn vị d (ngày), h (giờ) hoặc m (phút), "
    "ví dụ 7d, 12h, 30m; từ 1 phút đến 365 ngày."
)
INVITE_CREATED = (
    "Mã mời của đơn vị {unit} — {name}: {code}\n"
    "Hết hạn lúc {expires}. Mã chỉ dùng được một lần.\n"
    "Cách dùng: người phụ trách đơn vị gõ /dangky {code} trong cuộc trò chuyện với trợ lý.\n"
    "Mã chỉ hiện lần này (cơ sở dữ liệu không lưu mã gốc), hãy chuyển ngay cho người nhận."
)
INVITE_LINK = "Trên Telegram, bấm liên kết này để đăng ký ngay: {link}"

# --- export --------------------------------------------------------------------

SINCE_BAD = "Ngày «{value}» không hợp lệ. Viết dạng 2024-03-01 hoặc 01/03/2024."
EXPORT_BAD_EXTENSION = "Tệp xuất phải có đuôi .xlsx hoặc .csv (nhận được «{name}»)."
EXPORT_NO_FOLDER = "Không có thư mục {folder} để ghi tệp xuất."
EXPORT_WRITE_FAILED = "Không ghi được tệp {path}: {reason}"
WRITE_PROBLEMS = {
    "PermissionError": "không có quyền ghi",
    "IsADirectoryError": "đây là thư mục, không phải tệp",
}
WRITE_PROBLEM_OTHER = "lỗi ghi tệp (ổ đĩa đầy hoặc tệp đang mở trong Excel?)"
EXPORT_DONE = "Đã xuất {rows} dòng tiến độ ra {path}."
EXPORT_SINCE = " Chỉ gồm các báo cáo từ ngày {since}."
EXPORT_EMPTY = " Chưa có báo cáo nào nên tệp chỉ có dòng tiêu đề."

# --- backup / restore ------------------------------------------------------------

BACKUP_EXISTS = "Tệp {path} đã có; chọn tên khác (bản sao lưu cũ không bị ghi đè)."
BACKUP_NO_FOLDER = "Không có thư mục {folder} để ghi bản sao lưu."
BACKUP_NO_DATABASE = "Không có cơ sở dữ liệu để sao lưu ({path} không tồn tại)."
BACKUP_WRITE_FAILED = "Không ghi được bản sao lưu {path}: {reason}"
BACKUP_KINDS = {
    "sqlite": "bản sao SQLite trực tuyến",
    "pg_dump": "pg_dump",
    "rows": "dữ liệu từng bảng dạng JSON",
}
BACKUP_DONE = (
    "Đã sao lưu cơ sở dữ liệu vào {path} ({kind}; {rows} dòng trong {tables} bảng; {size}).\n"
    "Khôi phục vào một cơ sở dữ liệu trống bằng: python -m bot restore {path}"
)
RESTORE_BAD_FILE = "Không khôi phục được từ {path}: {reason}. Chưa có gì thay đổi."
RESTORE_PROBLEMS = {
    "not_zip": "đây không phải tệp sao lưu của bot (không đọc được dạng nén zip)",
    "no_manifest": "tệp thiếu phần mô tả manifest.json, không phải bản sao lưu của bot",
    "bad_manifest": "phần mô tả (manifest.json) hỏng hoặc không phải của bot này",
    "version": "định dạng sao lưu này chưa được hỗ trợ",
    "checksum": "dữ liệu trong tệp bị hỏng (mã kiểm tra không khớp)",
    "payload": "dữ liệu trong tệp bị hỏng hoặc không khớp với phần mô tả",
}
RESTORE_NEWER = (
    "Bản sao lưu {path} có lược đồ phiên bản {revision}, mới hơn bản bot này; "
    "hãy cập nhật bot rồi khôi phục lại. Chưa có gì thay đổi."
)
RESTORE_WRONG_ENGINE = (
    "Bản sao lưu {path} là pg_dump của PostgreSQL, không khôi phục được vào SQLite. "
    "Trên máy chủ cũ, tạo bản sao lưu dạng dữ liệu: python -m bot backup TỆP --logical. "
    "Chưa có gì thay đổi."
)
RESTORE_NOT_EMPTY = (
    "Cơ sở dữ liệu đích không trống ({tables}). Chỉ khôi phục vào cơ sở dữ liệu trống "
    "(mới tạo, hoặc chỉ có các bảng rỗng). Chưa có gì thay đổi."
)
RESTORE_TOOL_MISSING = (
    "Cần chương trình {tool} của PostgreSQL để khôi phục bản pg_dump (cài gói "
    "postgresql-client, đúng phiên bản máy chủ). Chưa có gì thay đổi."
)
RESTORE_TOOL_FAILED = (
    "pg_restore báo lỗi khi khôi phục {path}; chi tiết trong nhật ký (log). "
    "Cơ sở dữ liệu đích vẫn trống, chưa có dữ liệu nào được nạp."
)
RESTORE_DONE = (
    "Đã khôi phục {path} (tạo lúc {created}, {engine}, {kind}): {rows} dòng trong {tables} bảng. "
    "Cơ sở dữ liệu ở phiên bản mới nhất ({revision}); có thể chạy bot."
)

# --- deadlines -----------------------------------------------------------------

DATETIME_FORMAT = "%d/%m/%Y %H:%M"
DUE_BAD = (
    "Hạn «{value}» không hợp lệ. Viết dạng 2026-12-15, 15/12/2026 "
    "hoặc thời điểm đầy đủ có múi giờ, ví dụ 2026-12-15T08:00:00+07:00."
)
DUE_NO_ZONE = (
    "Thời điểm «{value}» thiếu múi giờ. Thêm múi giờ (ví dụ 2026-12-15T08:00:00+07:00) "
    "hoặc chỉ ghi ngày và dùng --at 08:00."
)
AT_WITH_DATETIME = "Hạn «{value}» đã có giờ; bỏ --at, hoặc chỉ ghi ngày rồi dùng --at."
AT_BAD = "Giờ «{value}» không hợp lệ. Viết dạng GIỜ:PHÚT, ví dụ 08:00 hoặc 17:30."
REMIND_BAD = (
    "Mốc nhắc «{value}» không hợp lệ. Viết các khoảng cách nhau bằng dấu phẩy, mỗi khoảng là "
    "số kèm d (ngày), h (giờ) hoặc m (phút), ví dụ 30d,7d,1d,0d."
)
REMIND_TOO_LONG = "Danh sách mốc nhắc quá dài (tối đa 64 ký tự): «{value}»."
TASK_EMPTY = "Thiếu mã nhiệm vụ, ví dụ --task 3.3."
TASK_UNKNOWN = (
    "Không có nhiệm vụ mã {code} trong văn bản {document}. Mã gần nhất: {close}. "
    "Xem danh sách nhiệm vụ: gõ /nhiemvu trong cuộc trò chuyện với trợ lý."
)
TITLE_TOO_LONG = "Tiêu đề dài quá {limit} ký tự."
DEADLINE_ID_BAD = (
    "Mã hạn «{value}» không hợp lệ: cần một số, xem cột ID của: python -m bot deadlines list"
)
DEADLINE_UNKNOWN = (
    "Không có hạn #{id} đang hiệu lực (chưa từng có hoặc đã xóa). "
    "Xem: python -m bot deadlines list --all"
)
DEADLINE_ADDED = "Đã thêm hạn #{id}: nhiệm vụ {task}{title}."
DEADLINE_UPDATED = "Hạn #{id} (nhiệm vụ {task}{title}) đã có; đã cập nhật mốc nhắc."
DEADLINE_DUE = "Hạn: {due} (giờ {zone})."
DEADLINE_PAST = "Lưu ý: hạn này đã qua; bot sẽ chỉ gửi các lần nhắc quá hạn còn lại."
DEADLINE_REMINDERS = "Sẽ nhắc lãnh đạo các đơn vị chưa báo cáo hoàn thành lúc:"
DEADLINE_REMINDER_LINE = "  • {at} — {offset}{note}"
REMINDER_PAST_NOTE = " (đã qua, không gửi)"
REMINDER_QUIET_NOTE = " (giờ yên lặng: gửi lúc {at})"
DEADLINE_PICKED_UP = (
    "Bot đang chạy tự nhận thay đổi trong vài giây (dịch vụ nhắc hạn đọc lại bảng hạn), "
    "không cần khởi động lại."
)
DEADLINE_REMOVED = "Đã xóa hạn #{id}: nhiệm vụ {task}, hạn {due}. " + DEADLINE_PICKED_UP
DEADLINES_NONE = (
    "Chưa có hạn nào. Thêm bằng: python -m bot deadlines add --task 3.3 --due 15/12/2026"
)
DEADLINES_HEADERS = ("ID", "Nhiệm vụ", "Tiêu đề", "Hạn", "Nhắc trước", "Nguồn", "Tình trạng")
DEADLINE_SOURCES = {"admin": "quản trị", "document": "văn bản"}
DEADLINE_OVERDUE = "đã quá hạn"
DEADLINE_OVERDUE_DAYS = "đã quá hạn {days} ngày"
DEADLINE_TODAY = "đến hạn hôm nay"
DEADLINE_DAYS_LEFT = "còn {days} ngày"
DEADLINE_REMOVED_MARK = "đã xóa"
OFFSET_AT_DUE = "đúng hạn"
OFFSET_BEFORE = "trước {amount} {unit}"
OFFSET_UNITS = {"d": "ngày", "h": "giờ", "m": "phút"}

# --- remind plan ---------------------------------------------------------------

LIMIT_BAD = "Số mục «{value}» không hợp lệ: cần một số từ 1 đến {most}."
PLAN_HEADER = "Lịch nhắc sắp tới (bây giờ {now}, giờ {zone}):"
PLAN_HEADERS = ("Thời điểm", "Dịp", "Người nhận", "Ghi chú")
PLAN_DEADLINE = "hạn {task} — {offset}"
PLAN_OVERDUE = "quá hạn {task} lần {round}"
PLAN_PERIOD = "hết kỳ báo cáo {end} ({kinds})"
PLAN_ESCALATE = "đôn đốc đơn vị thiếu báo cáo kỳ kết thúc {end}"
PLAN_QUIET = "giờ yên lặng → gửi {at}"
PLAN_NONE = (
    "Không có lần nhắc nào sắp tới. Thêm hạn: python -m bot deadlines add --task 3.3 "
    "--due 15/12/2026"
)
PLAN_FOOTER = (
    "Người nhận tính theo dữ liệu hiện tại: lãnh đạo đơn vị chưa báo cáo hoàn thành nhiệm vụ "
    "(kỳ báo cáo: chưa gửi báo cáo nào trong kỳ); đến giờ gửi bot tính lại. "
    "Giờ yên lặng {quiet}: tin rơi vào giờ này được gửi khi hết giờ yên lặng."
)
PLAN_MORE = "… còn {count} lần nhắc nữa (xem thêm: --limit {more})."

# --- outbox --------------------------------------------------------------------

OUTBOX_EMPTY = "Hàng đợi trống: chưa có tin nhắn nào được xếp để gửi."
OUTBOX_HEADER = "Hàng đợi tin nhắn gửi đi:"
OUTBOX_STATUS_LABELS = {
    "pending": "Chờ gửi",
    "sending": "Đang gửi",
    "sent": "Đã gửi",
    "failed": "Lỗi",
    "dead": "Bỏ cuộc",
    "undeliverable": "Không gửi được",
    "dropped": "Đã bỏ",
}
OUTBOX_CHANNEL = "Kênh"
OUTBOX_TOTAL = "Tổng"
OUTBOX_ERRORS = "Lỗi gần đây:"
OUTBOX_ERROR_LINE = "  • {at} #{id} {occasion} → {chat}: {error}"
OUTBOX_DEAD_HINT = (
    "{count} tin đã bỏ cuộc. Gửi lại: python -m bot outbox retry ID (hoặc --dead: tất cả); "
    "bỏ hẳn: python -m bot outbox drop ID"
)
OUTBOX_ID_BAD = (
    "Mã tin {value!r} không hợp lệ: cần một số, ví dụ 42 (xem: python -m bot outbox status)."
)
OUTBOX_UNKNOWN = "Không có tin nào mang mã {id} (xem: python -m bot outbox status)."
OUTBOX_NOT_DEAD = (
    "Tin #{id} đang ở trạng thái «{status}»: chỉ tin đã bỏ cuộc mới gửi lại hoặc bỏ hẳn được."
)
OUTBOX_RETRY_NEEDS = (
    "Cần mã tin (python -m bot outbox retry ID) hoặc --dead để gửi lại mọi tin đã bỏ cuộc."
)
OUTBOX_RETRIED = "Đã xếp lại {count} tin để gửi; bot đang chạy sẽ gửi ngay (ngoài giờ yên lặng)."
OUTBOX_NONE_DEAD = "Không có tin nào đã bỏ cuộc."
OUTBOX_DROPPED = "Đã bỏ hẳn tin #{id}: tin này sẽ không được gửi."
OUTBOX_UNREACHABLE = "Không liên lạc được ({count} người):"
OUTBOX_UNREACHABLE_LINE = "  • {who}: {error}"
OUTBOX_NO_NAME = "(chưa rõ tên)"

# --- broadcast -----------------------------------------------------------------

BROADCAST_EMPTY = "Nội dung thông báo không được để trống."
BROADCAST_TOO_LONG = "Thông báo dài {length} ký tự, tối đa {limit} ký tự."
BROADCAST_AUDIENCE_BAD = (
    "Nhóm nhận «{value}» không hợp lệ. Dùng: all (mọi người), leaders (lãnh đạo các đơn vị), "
    "incomplete (lãnh đạo các đơn vị chưa báo cáo đủ kỳ này) "
    "hoặc unit:MÃ (lãnh đạo một đơn vị và các đơn vị trực thuộc), ví dụ unit:HU-TP."
)
BROADCAST_WAIT_BAD = "Thời gian chờ «{value}» không hợp lệ: cần số giây từ 0 đến {most}."
BROADCAST_NOBODY = (
    "Không có ai trong nhóm nhận «{audience}» liên lạc được qua bot (chưa ai đăng ký, "
    "hoặc đã chặn bot). Chưa gửi gì."
)
BROADCAST_AUDIENCES = {
    "all": "mọi người dùng bot",
    "leaders": "lãnh đạo các đơn vị",
    "incomplete": "lãnh đạo các đơn vị chưa báo cáo đủ kỳ này",
    "unit": "lãnh đạo đơn vị {code} và các đơn vị trực thuộc",
}
BROADCAST_QUEUED = "Đã xếp thông báo #{id} để gửi tới {total} người ({audience})."
BROADCAST_QUIET = "Đang trong giờ yên lặng ({quiet}); tin có thể chỉ được gửi sau {until}."
BROADCAST_WATCH = "Bot đang chạy sẽ gửi; theo dõi tối đa {wait} giây (Ctrl+C để thôi theo dõi):"
BROADCAST_PROGRESS = "  đã gửi {sent}/{total} · lỗi {failed} · đang chờ {pending}"
BROADCAST_DONE = "Xong: đã gửi {sent}/{total}, lỗi {failed}."
BROADCAST_TIMEOUT = (
    "Hết {wait} giây theo dõi: đã gửi {sent}/{total}, lỗi {failed}, còn {pending} tin đang chờ; "
    "bot vẫn tiếp tục gửi. Xem lại: python -m bot outbox status"
)
BROADCAST_NOT_WATCHED = (
    "Còn {pending} tin đang chờ; bot đang chạy sẽ gửi. Xem tiến độ: python -m bot outbox status"
)
BROADCAST_NO_SENDER = (
    "Chưa tin nào được gửi: cần bot đang chạy (python -m bot run, đã cấu hình kênh chat) "
    "để gửi. Thông báo #{id} vẫn nằm trong hàng đợi ({pending} tin) và sẽ được gửi khi bot chạy."
)

TOKENS_NONE = "Chưa lưu mã truy cập nào (Zalo OA lấy mã đầu tiên từ ZALO_OA_REFRESH_TOKEN)."
TOKEN_LINE = "• {channel}: mã truy cập dùng được đến {until} (cập nhật {updated})."
TOKEN_WAITING = (
    "• {channel}: đã có refresh token mới (cập nhật {updated}), "
    "bot sẽ đổi lấy mã truy cập ở lần gọi tới."
)
TOKEN_PROMPT = "Dán refresh token mới (không hiện trên màn hình): "
TOKEN_BAD = "Refresh token trống hoặc không hợp lệ (một dòng, không có khoảng trắng)."
TOKEN_REPLACED = (
    "Đã lưu refresh token mới cho {channel}. Các tiến trình bot đang chạy sẽ dùng nó "
    "ở lần gọi tới; không cần khởi động lại."
)

# --- run -----------------------------------------------------------------------

RUN_WEBHOOK_SET = (
    "Bot Telegram này đang có webhook ({host}): chạy kiểu long polling sẽ xoá webhook đó "
    "và bản đang chạy thật sẽ không nhận được tin nữa. Không khởi động. Nếu đúng là muốn "
    "chuyển sang long polling: python -m bot run --drop-webhook; hoặc đặt "
    "TELEGRAM_WEBHOOK_URL để chạy kiểu webhook."
)

# --- tasks scope, units exempt (bot/commands/scope.py) ----------------------------

SCOPE_USAGE = (
    "Cách dùng: python -m bot tasks scope MÃ [--levels tw,tinh,huyen,coso] "
    "[--units MÃ_ĐV,…] | MÃ --clear | MÃ (xem) | (không mã: các nhiệm vụ đã thu hẹp)."
)
SCOPE_LEVEL_BAD = "Cấp «{value}» không hợp lệ. Dùng: tw (trung ương), tinh, huyen, coso."
SCOPE_GROUP = "{code} là nhóm nhiệm vụ; hãy chọn một nhiệm vụ cụ thể trong nhóm (ví dụ {code}.1)."
SCOPE_LINE = "Nhiệm vụ {code}: {scope}."
SCOPE_ALL_UNITS = "áp dụng cho mọi đơn vị"
SCOPE_LEVELS = "chỉ các cấp {levels}"
SCOPE_UNITS = "các đơn vị {units}"
SCOPE_NONE = "Mọi nhiệm vụ đều áp dụng cho mọi đơn vị."
EXEMPT_USAGE = (
    'Cách dùng: python -m bot units exempt MÃ --from 01/10/2026 --to 31/12/2026 --reason "…" '
    "| --list [MÃ] | --remove ID"
)
EXEMPT_SPAN_BAD = "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."
EXEMPT_REASON_BAD = "Cần ghi lý do miễn báo cáo (--reason), tối đa {limit} ký tự."
EXEMPT_ADDED = "Đã miễn báo cáo #{id}: {code} từ {start} đến {end} (không tính, không nhắc)."
EXEMPT_PAST = "Lưu ý: khoảng miễn này đã qua."
EXEMPT_LINE = "#{id} {unit}: {start} – {end} — {reason}"
EXEMPT_NONE = "Chưa có đơn vị nào được miễn báo cáo."
EXEMPT_ID_BAD = "Mã miễn «{value}» không hợp lệ: cần một số, xem: python -m bot units exempt --list"
EXEMPT_NOT_FOUND = "Không có khoản miễn #{id}."
EXEMPT_REMOVED = "Đã bỏ khoản miễn #{id}."

# web: the dashboard
WEB_LINK_FOR = (
    "Liên kết đăng nhập trang quản trị cho {member} (dùng một lần, hết hạn lúc {expires}):\n{url}"
)
WEB_NOT_ALLOWED = (
    "{member} không phải quản trị viên hay người phụ trách đơn vị nên không dùng được trang "
    "quản trị. Chưa có gì thay đổi."
)
WEB_SERVING = "Trang quản trị: {url} (Ctrl+C để dừng)"

# --- documents check / add: the preview of a directive file (bot/preview.py) --------------

PREVIEW_DRY_RUN = "(Kiểm tra thử: chưa lưu gì.)"
PREVIEW_DOCUMENT = "Văn bản: {kind} số {number}"
PREVIEW_ISSUER = "Cơ quan ban hành: {issuer}"
PREVIEW_ISSUED = "Ngày ban hành: {issued}"
PREVIEW_TITLE = "Trích yếu: {title}"
PREVIEW_SIGNER = "Người ký: {signer}{title}"
PREVIEW_UNKNOWN = "?"
PREVIEW_OUTLINE = "Bố cục ({count} mục):"
PREVIEW_TASKS = "Nhiệm vụ ({count}):"
PREVIEW_DEADLINES = "Thời hạn ({count}):"
PREVIEW_DEADLINE = "  {code}: {due} «{phrase}»"
PREVIEW_DEADLINE_DOC = "toàn văn bản"
PREVIEW_NO_DEADLINES = "  (không thấy thời hạn có ngày cụ thể)"
PREVIEW_RHYTHM = "Báo cáo định kỳ: {rhythm}"
PREVIEW_PERIODS = "Các kỳ báo cáo trong năm ban hành: {periods}"
PREVIEW_NO_RHYTHM = "Báo cáo định kỳ: không thấy quy định"
PREVIEW_RHYTHM_NAMES = {"quarter": "hàng quý", "half_year": "6 tháng", "year": "cả năm"}
PREVIEW_FOOTNOTES = "Chú thích: {count}"
PREVIEW_WARNINGS = "Lưu ý:"
PREVIEW_NO_WARNINGS = "Không có cảnh báo."

# documents: the library of directives (add, list, show, set-current, archive)
DOC_DUPLICATE_NUMBER = "Văn bản số {number} đã có trong thư viện{where}. Chưa có gì thay đổi."
DOC_DUPLICATE_CONTENT = (
    "Nội dung tệp này trùng với văn bản #{id} ({number}) đã lưu. Chưa có gì thay đổi."
)
DOC_BUNDLED_WHERE = " (văn bản có sẵn của hệ thống)"
DOC_STORED_WHERE = " (#{id})"
DOC_CONFIRM = "Lưu văn bản này vào thư viện{current}? [c/k] "
DOC_CONFIRM_CURRENT = " và đặt làm văn bản hiện hành"
DOC_NEED_YES = (
    "Chưa lưu: không có người xác nhận (không chạy trong terminal). Thêm --yes để lưu ngay."
)
DOC_CANCELLED = "Đã hủy, chưa lưu gì."
DOC_ADDED = "Đã lưu văn bản #{id}: {kind} {number} ({tasks} nhiệm vụ){current}."
DOC_ADDED_CURRENT = ", là văn bản hiện hành"
DOC_PROPOSED = (
    "{count} thời hạn tìm thấy trong văn bản đang chờ duyệt (chưa nhắc): "
    "python -m bot deadlines proposed"
)
DOC_UNKNOWN = "Không có văn bản «{key}». Xem danh sách: python -m bot documents list"
DOC_HEADERS = ("#", "Số", "Loại", "Trích yếu", "Ngày", "Nhiệm vụ", "Trạng thái")
DOC_STATE_CURRENT = "hiện hành"
DOC_STATE_ACTIVE = "đang dùng"
DOC_STATE_ARCHIVED = "lưu trữ"
DOC_BUNDLED_ID = "có sẵn"
DOC_CURRENT_SET = (
    "Văn bản hiện hành: {kind} {number}. Bot đang chạy sẽ dùng văn bản này trong vài giây."
)
DOC_CURRENT_ALREADY = "{kind} {number} đã là văn bản hiện hành, không có gì thay đổi."
DOC_CURRENT_ARCHIVED = "Văn bản {number} đã lưu trữ; không thể đặt làm văn bản hiện hành."
DOC_ARCHIVED = (
    "Đã lưu trữ {kind} {number}: thôi nhắc hạn ({deadlines} thời hạn), ẩn khỏi danh sách nhiệm "
    "vụ; tiến độ đã báo cáo và câu trả lời vẫn được giữ."
)
DOC_ARCHIVE_BUNDLED = "Không lưu trữ được văn bản có sẵn của hệ thống {number}."
DOC_ARCHIVE_ALREADY = "Văn bản {number} đã được lưu trữ trước đó, không có gì thay đổi."
DOC_NOW_CURRENT = "Văn bản hiện hành bây giờ: {kind} {number}."
DOC_STATUS_LINE = "Trạng thái: {state} · thêm bởi {by} lúc {at} · tệp {filename}"

# deadlines proposed by an added directive
PROPOSALS_NONE = "Không có thời hạn nào đang chờ duyệt."
PROPOSAL_LINE = "#{id} {document} nhiệm vụ {code}: hạn {due} «{phrase}»"
PROPOSAL_HINT = "Duyệt: python -m bot deadlines accept ID … (hoặc --all); bỏ: deadlines reject ID …"
PROPOSAL_UNKNOWN = "Không có thời hạn chờ duyệt #{id}. Xem: python -m bot deadlines proposed"
PROPOSAL_ID_BAD = "Mã «{value}» không hợp lệ: cần số, xem: python -m bot deadlines proposed"
PROPOSAL_ACCEPTED = (
    "Đã duyệt #{id}: nhiệm vụ {code} của {document}, hạn {due} (thời hạn #{deadline})."
)
PROPOSAL_REJECTED = "Đã bỏ #{id}: nhiệm vụ {code} của {document}, hạn {due} (không nhắc)."
