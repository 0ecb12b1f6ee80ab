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
BROADCAST_AUDIENCE_BAD = (
    "Hãy chọn người nhận: tất cả, lãnh đạo, đơn vị chưa báo cáo đủ, hoặc một đơn vị."
)
BROADCAST_UNIT_UNKNOWN = "Không có đơn vị mã «{code}». Gõ đúng mã một đơn vị (ví dụ HU-PM)."
BROADCAST_NOBODY = (
    "Chưa có ai để gửi: {who} — không có ai đang liên lạc được với trợ lý. Chưa gửi gì."
)
MEMBER_REVOKED = "Đã thu hồi quyền lãnh đạo {unit} của {name}."
MEMBER_NOT_REVOKED = (
    "Không thu hồi được: người này không (còn) là lãnh đạo một đơn vị cấp dưới "
    "trong phạm vi của bạn. Không có gì thay đổi."
)
ADMIN_GIVEN = "Đã cấp quyền quản trị cho {name}."
ADMIN_TAKEN = "Đã bỏ quyền quản trị của {name}."
ADMIN_SELF = "Bạn không thể tự bỏ quyền quản trị của mình (nhờ một quản trị viên khác)."
ADMIN_BY_SETTING = "{name} là quản trị viên theo cấu hình ADMINS của máy chủ; chỉ sửa được ở đó."
MEMBER_UNKNOWN = "Không có thành viên này."
