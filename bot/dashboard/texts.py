"""The dashboard's Vietnamese strings used from Python (the pages' own text is in templates/)."""

from __future__ import annotations

TITLE = "Bảng điều khiển"
LOGIN_BAD_LINK = "Liên kết đăng nhập không đúng, đã được dùng hoặc đã hết hạn."
LOGIN_TOO_MANY = "Bạn thử đăng nhập quá nhiều lần. Hãy đợi {minutes} phút rồi thử lại."
LOGGED_OUT = "Bạn đã đăng xuất."
FORBIDDEN = "Bạn không có quyền xem trang này."
FORBIDDEN_FORM = "Biểu mẫu đã cũ hoặc không hợp lệ. Hãy tải lại trang rồi làm lại."
NOT_FOUND = "Không có trang này."
FAILED = "Có lỗi xảy ra, chưa làm được việc này. Hãy thử lại sau ít phút."
NO_SCOPE = (
    "Trang quản trị dành cho cán bộ Ban Tổ chức và người phụ trách đơn vị; "
    "tài khoản này chưa gắn với đơn vị nào."
)
SCOPE_ALL = "tất cả đơn vị"
DEADLINE_REMOVED = "Đã xóa hạn #{id}: nhiệm vụ {task}, hạn {due}."
INVITE_GONE = "Mã mời này không còn hiệu lực (đã dùng, đã hết hạn hoặc đã thu hồi)."
UNIT_UNKNOWN = "Không có đơn vị mã {code}."
TASK_UNKNOWN = "Không có nhiệm vụ cần báo cáo mang mã {code}."
