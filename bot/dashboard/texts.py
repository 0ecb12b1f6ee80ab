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
DEADLINE_REPLACED = "Hạn #{old} đã được thay bằng hạn #{new} (bản cũ vẫn còn trong nhật ký)."
DEADLINE_GONE = "Không có hạn chót #{id} (hoặc đã bị xóa)."
INVITE_GONE = "Mã mời này không còn hiệu lực (đã dùng, đã hết hạn hoặc đã thu hồi)."
# the report form (Mini App and one-time link)
REPORT_FORM_OFF = "Biểu mẫu báo cáo trên Telegram chưa được bật trên máy chủ này."
REPORT_FORM_REFUSED = (
    "Không xác thực được phiên Telegram (dữ liệu sai, của bot khác hoặc đã quá một ngày). "
    "Hãy đóng trang rồi mở lại từ nút «Báo cáo» trong Telegram. Chưa có gì được lưu."
)
REPORT_PICK_TASK = "Hãy chọn một nhiệm vụ trong danh sách."
REPORT_PICK_STATUS = "Hãy chọn tình trạng của nhiệm vụ."
REPORT_DOWNGRADE = (
    "Nhiệm vụ này đã báo cáo «hoàn thành» ngày {date}; báo cáo này sẽ chuyển về «{status}». "
    "Nếu đúng như vậy, đánh dấu ô xác nhận rồi bấm Gửi báo cáo."
)
LOGIN_WIDGET_REFUSED = (
    "Không xác thực được đăng nhập Telegram (dữ liệu sai hoặc đã quá một ngày). Hãy thử lại."
)
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
UNIT_UNKNOWN = "Không có đơn vị mã {code}."
TASK_UNKNOWN = "Không có nhiệm vụ cần báo cáo mang mã {code}."
NUDGE_QUEUED = (
    "Đã xếp hàng tin nhắc {code} gửi {people} người phụ trách ({missing} nhiệm vụ còn thiếu); "
    "tin sẽ đi trong ít phút."
)
NUDGE_TOO_SOON = (
    "Đơn vị {code} vừa được nhắc lúc {at}. Mỗi đơn vị chỉ nhắc ngay được một lần mỗi giờ: "
    "hãy thử lại sau {again}."
)
NUDGE_EXEMPT = "Đơn vị {code} được miễn báo cáo {period}: không nhắc."
NUDGE_COMPLETE = "Đơn vị {code} đã báo cáo đủ {period}: không cần nhắc."
NUDGE_NOBODY = (
    "Đơn vị {code} chưa có người phụ trách nào nhận được tin nhắn của bot: "
    "hãy tạo mã mời trên trang đơn vị."
)
UNIT_PARENT_UNKNOWN = "Không có đơn vị cấp trên mã {code}."
CSV_UNREADABLE = "Không đọc được tệp CSV: cần tệp văn bản UTF-8, tối đa 512 KB."
CSV_EMPTY = "Tệp CSV không có dòng đơn vị nào (cột: mã, tên, cấp trên, cấp)."
CSV_BAD = "Không nhập được: {error}. Chưa có đơn vị nào bị thay đổi."
CSV_IMPORTED = "Đã nhập: thêm {added}, cập nhật {updated}, giữ nguyên {unchanged} đơn vị."
EXEMPT_DAYS_NEEDED = "Cần ngày bắt đầu và ngày kết thúc miễn báo cáo (dd/mm/yyyy)."
EXEMPT_REASON_BAD = "Cần ghi lý do miễn báo cáo, tối đa {limit} ký tự."
# directives (/van-ban)
DOC_TOO_LARGE = "Tệp lớn hơn {limit} MB nên không nhận. Chưa có gì thay đổi."
DOC_NO_FILE = "Hãy chọn một tệp văn bản .txt, .docx hoặc .pdf để tải lên."
DOC_PENDING_GONE = (
    "Bản xem trước này không còn (đã lưu, đã hủy, đã quá 30 phút hoặc đã được thay bằng tệp "
    "khác tải lên sau). Chưa có gì được lưu; hãy tải tệp lên lại."
)
DOC_SAVED = (
    "Đã lưu văn bản #{id}: {kind} {number} ({tasks} nhiệm vụ){current}. "
    "Bot sẽ trả lời theo văn bản này trong vài giây."
)
DOC_PROPOSED = "{count} thời hạn tìm thấy trong văn bản đang chờ duyệt bên dưới (chưa nhắc)."
DOC_GONE = "Không có văn bản này trong thư viện."
DOC_ARCHIVE_BUNDLED = "Không lưu trữ được văn bản có sẵn của hệ thống."
PROPOSAL_GONE = "Thời hạn này không còn chờ duyệt (đã được duyệt hoặc bỏ)."
