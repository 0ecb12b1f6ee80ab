"""User-facing Vietnamese strings of the admin commands (`db`, `admins`, `units`, `invite`,
`export`). The chat texts live in handlers/texts.py; these are only seen on a terminal."""

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

# --- units ---------------------------------------------------------------------

UNIT_EMPTY = "Mã và tên đơn vị không được để trống."
UNIT_TOO_LONG = "Mã đơn vị tối đa 64 ký tự, tên đơn vị tối đa 255 ký tự."
UNIT_CODE_SPACES = "Mã đơn vị «{code}» không được chứa khoảng trắng, ví dụ: HU-TP."
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
