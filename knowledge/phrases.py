"""The knowledge layer's own user-facing sentences (Vietnamese), in one place."""

EMPTY_QUESTION = (
    "Bạn chưa nhập câu hỏi. Hãy gõ câu hỏi về Kết luận, ví dụ: «Hạn chót kế hoạch vị trí việc làm?»"
)
TOO_LONG = "Câu hỏi quá dài (hơn {limit} ký tự). Xin hỏi ngắn gọn, mỗi lần một ý."
NOT_FOUND = (
    "Xin lỗi, tôi chưa tìm thấy nội dung này trong {document}. "
    "Tôi trả lời được các câu hỏi về nhiệm vụ, chỉ tiêu, thời hạn, báo cáo định kỳ và "
    "các văn bản được nêu trong Kết luận. Bạn thử hỏi cụ thể hơn, hoặc gõ /nhiemvu để xem "
    "danh sách nhiệm vụ, /hanchot để xem các thời hạn."
)
UNKNOWN_REFERENCE = (
    "{document} không nhắc đến văn bản bạn hỏi, nên tôi không có thông tin về văn bản đó. "
    "Gõ /nhiemvu để xem các nhiệm vụ của Kết luận."
)
# When the directive holds something close but not the fact asked (counted as not found).
NEAR_MISS = "{document} không nêu {missing}; nội dung liên quan ({ref}): «{quote}»"
FACT_MONEY = "số tiền"
FACT_PLACE = "địa điểm"
FACT_DATE = "thời gian (ngày, thời hạn) này"
FACT_COUNT = "con số này"
FACT_PERSON = "người bạn hỏi"
FACT_NUMBER = "nội dung gắn với con số {number} bạn hỏi"
FACT_NOW = "thông tin thời sự (hôm nay, ngày mai)"
FACT_ITEM = "mục thứ {number} như bạn hỏi"
