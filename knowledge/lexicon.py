"""The sector's vocabulary: abbreviations, document kinds, filler words, paraphrases."""

from __future__ import annotations

# Abbreviations used by cadres, keyed by their folded lower-case form.
ABBREVIATIONS: dict[str, str] = {
    "dv": "đảng viên",
    "tccsd": "tổ chức cơ sở đảng",
    "tcd": "tổ chức đảng",
    "vtvl": "vị trí việc làm",
    "bch": "ban chấp hành",
    "bct": "bộ chính trị",
    "bbt": "ban bí thư",
    "btc": "ban tổ chức",
    "btctw": "ban tổ chức trung ương",
    "bchtw": "ban chấp hành trung ương",
    "tw": "trung ương",
    "ubnd": "ủy ban nhân dân",
    "hdnd": "hội đồng nhân dân",
    "mttq": "mặt trận tổ quốc",
    "ubkt": "ủy ban kiểm tra",
    "nq": "nghị quyết",
    "kl": "kết luận",
    "qd": "quyết định",
    "ct": "chỉ thị",
    "kh": "kế hoạch",
    "tb": "thông báo",
    "hd": "hướng dẫn",
    "hntw": "hội nghị trung ương",
    "bvctnb": "bảo vệ chính trị nội bộ",
    "ctnb": "chính trị nội bộ",
    "cbcc": "cán bộ công chức",
    "cbccvc": "cán bộ công chức viên chức",
    "dh": "đại hội",
    "d/c": "đồng chí",
    "đ/c": "đồng chí",
    "xdd": "xây dựng đảng",
    "tcxdd": "tổ chức xây dựng đảng",
    "httc": "hệ thống chính trị",
    "htct": "hệ thống chính trị",
    "cntt": "công nghệ thông tin",
    "cds": "chuyển đổi số",
    "tgbc": "tinh giản biên chế",
    "uvbtv": "ủy viên ban thường vụ",
    "btv": "ban thường vụ",
}
# Abbreviations that are also ordinary words in lower case: expanded only in capitals.
CAPITAL_ONLY: dict[str, str] = {
    "TU": "tỉnh ủy",
    "HU": "huyện ủy",
    "ĐU": "đảng ủy",
    "CB": "cán bộ",
    "CC": "công chức",
    "TT": "thường trực",
}

# Document kinds as written out and their code in document numbers (35-KL/TW).
KIND_CODES: dict[str, str] = {
    "ket luan": "kl",
    "nghi quyet": "nq",
    "quyet dinh": "qd",
    "quy dinh": "qd",
    "chi thi": "ct",
    "ke hoach": "kh",
    "thong bao": "tb",
    "huong dan": "hd",
    "kl": "kl",
    "nq": "nq",
    "qd": "qd",
    "ct": "ct",
    "kh": "kh",
    "tb": "tb",
    "hd": "hd",
}

# Filler and question words that carry no content. Typed with marks they are
# matched exactly; typed without, only the forms that cannot be a content word
# (không "co", which may be cơ sở, nor "bao", which may be báo cáo).
STOP_MARKED: frozenset[str] = frozenset(
    (
        "cho em hỏi ạ ad ơi nhé nhỉ vậy thì là gì nào bao nhiêu mấy ai thế như không ko "
        "hả à giúp mình tôi bạn biết muốn hãy xin vui lòng của và các những có được đã "
        "sẽ này đó kia một với cần phải trong theo tại ở về nội dung gồm tóm tắt liệt kê kể tên "
        "chi tiết những gì đâu vừa"
    ).split()
)
STOP_PLAIN: frozenset[str] = frozenset(
    "gi nao nhieu may ai khong ko cua va cac nhe nhi vay a ad oi em duoc xin vui giup biet "
    "muon kia mot se phai la theo voi gom tom tat liet ke".split()
)
# Question phrases whose words are filler only together (folded).
STOP_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "bao nhieu",
        "nhu the nao",
        "the nao",
        "la gi",
        "co phai",
        "khi nao",
        "bao gio",
        "o dau",
        "ra sao",
        "the nao",
        "duoc khong",
        "co khong",
    )
)
# Courtesy openings and closings removed before anything else (folded).
COURTESY = (
    r"^(?:(?:ad|admin|anh|chi|bot|ban)\s+oi[,!]?\s*)+",
    r"^(?:cho|xin|lam on cho)\s+(?:em|minh|toi|chau|hoi)?\s*(?:hoi|duoc hoi)\s*(?:la)?\s*",
    r"^(?:xin hoi|hoi|em hoi|minh hoi)\s+",
    r"\s+(?:a|nhe|nha|voi|ak|ah|vay|the)\s*[?!.]*\s*$",
)


# Everyday phrasings mapped to the directive's own words (folded keys).
PARAPHRASES: dict[str, str] = {
    "han chot": "trước ngày thời hạn",
    "han cuoi": "trước ngày thời hạn",
    "thoi han": "trước ngày",
    "deadline": "trước ngày thời hạn",
    "nguyen nhan": "là do",
    "vi sao": "là do",
    "tai sao": "là do",
    "chi tieu": "tỷ lệ chỉ tiêu",
    "muc tieu": "chỉ tiêu",
    "tinh nao": "địa phương tỉnh",
    "nhung tinh": "địa phương",
    "dia phuong nao": "địa phương",
    "cat giam": "tinh giản",
    "giam bien che": "tinh giản biên chế",
    "ket nap dang": "kết nạp đảng viên",
    "dang vien moi": "kết nạp đảng viên mới",
    "han che": "hạn chế tồn tại",
    "yeu kem": "hạn chế",
    "nhiem vu trong tam": "nhiệm vụ trọng tâm",
    "bao cao dinh ky": "định kỳ hàng quý 6 tháng cả năm",
    "dinh ky": "hàng quý 6 tháng cả năm",
    "bao lau": "định kỳ",
    "ky bao cao": "định kỳ hàng quý 6 tháng cả năm",
    "nguoi ky": "người ký",
    "ky ten": "người ký",
    "ky van ban": "người ký",
}
