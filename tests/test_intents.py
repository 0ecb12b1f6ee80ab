"""The intent layer: what a typed message asks for, before the directive search.

A table of phrasings as cadres type them on phones (marked, unmarked, shorthand, typos),
each with the intent it must get; the ambiguous ones are listed apart with the choice made.
Then: the directive's question sets stay questions, and the held-out set's score.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.intents import Intent, Kind, classify, looks_foreign, suggestions
from knowledge import load_library
from knowledge.text import fold
from storage.status import Status, find_status, parse_status

LIBRARY = load_library()
ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"

K = Kind
# (typed text, kind, code, rest or arg)
TABLE: list[tuple[str, Kind, str, str]] = [
    # --- greeting ---
    ("chào bạn", K.GREETING, "", ""),
    ("chao ban", K.GREETING, "", ""),
    ("Xin chào", K.GREETING, "", ""),
    ("xin chao bot", K.GREETING, "", ""),
    ("hello", K.GREETING, "", ""),
    ("Hi", K.GREETING, "", ""),
    ("alo", K.GREETING, "", ""),
    ("a lô ad ơi", K.GREETING, "", ""),
    ("ad ơi", K.GREETING, "", ""),
    ("chào em, buổi sáng tốt lành", K.QUESTION, "", ""),  # "tốt lành": not in the lexicon
    ("chào chị", K.GREETING, "", ""),
    ("bắt đầu", K.GREETING, "", ""),
    ("👋", K.GREETING, "", ""),
    # --- thanks ---
    ("cảm ơn", K.THANKS, "", ""),
    ("cam on", K.THANKS, "", ""),
    ("cám ơn bạn nhiều", K.THANKS, "", ""),
    ("Cảm ơn ạ", K.THANKS, "", ""),
    ("thanks", K.THANKS, "", ""),
    ("thank you", K.THANKS, "", ""),
    ("camon ad", K.THANKS, "", ""),
    ("xin cảm ơn đồng chí", K.QUESTION, "", ""),  # "đồng chí" is not filler: a question
    ("tạm biệt", K.THANKS, "", ""),
    ("bye", K.THANKS, "", ""),
    ("🙏", K.THANKS, "", ""),
    # --- ack ---
    ("ok", K.ACK, "", ""),
    ("OK", K.ACK, "", ""),
    ("oke", K.ACK, "", ""),
    ("okie", K.ACK, "", ""),
    ("vâng", K.ACK, "", ""),
    ("vang a", K.ACK, "", ""),
    ("dạ", K.ACK, "", ""),
    ("da vang", K.ACK, "", ""),
    ("ừ", K.ACK, "", ""),
    ("được", K.ACK, "", ""),
    ("dc", K.ACK, "", ""),
    ("đc rồi", K.ACK, "", ""),
    ("đồng ý", K.ACK, "", ""),
    ("hiểu rồi", K.ACK, "", ""),
    ("👍", K.ACK, "", ""),
    # --- help ---
    ("menu", K.HELP, "", ""),
    ("Menu", K.HELP, "", ""),
    ("giúp", K.HELP, "", ""),
    ("giup toi voi", K.HELP, "", ""),
    ("help", K.HELP, "", ""),
    ("hướng dẫn", K.HELP, "", ""),
    ("huong dan", K.HELP, "", ""),
    ("Hướng dẫn", K.HELP, "", ""),  # the menu's button label
    ("hướng dẫn sử dụng", K.HELP, "", ""),
    ("hd", K.HELP, "", ""),
    ("cách dùng", K.HELP, "", ""),
    ("bạn làm được gì", K.HELP, "", ""),
    ("bot co the lam gi", K.HELP, "", ""),
    ("có những lệnh gì", K.HELP, "", ""),
    ("làm sao để báo cáo", K.HELP, "", ""),
    ("lam sao de xem tien do", K.HELP, "", ""),
    ("làm thế nào để đăng ký", K.HELP, "", ""),
    ("cách bật nhắc hạn", K.HELP, "", ""),
    ("hướng dẫn báo cáo tiến độ", K.HELP, "", ""),
    ("bạn là ai", K.HELP, "", ""),
    # --- foreign ---
    ("What is this bot for?", K.FOREIGN, "", ""),
    ("When is the deadline for the job positions plan?", K.FOREIGN, "", ""),
    ("Can you help me please", K.FOREIGN, "", ""),
    ("你好，请问截止日期是什么时候", K.FOREIGN, "", ""),
    ("Здравствуйте", K.FOREIGN, "", ""),
    # --- cancel ---
    ("hủy", K.CANCEL, "", ""),
    ("huỷ", K.CANCEL, "", ""),
    ("huy", K.CANCEL, "", ""),
    ("Hủy", K.CANCEL, "", ""),
    ("thôi", K.CANCEL, "", ""),
    ("thoi", K.CANCEL, "", ""),
    ("dừng", K.CANCEL, "", ""),
    ("dừng lại", K.CANCEL, "", ""),
    ("dung lai", K.CANCEL, "", ""),
    ("thoát", K.CANCEL, "", ""),
    ("không báo cáo nữa", K.CANCEL, "", ""),
    ("ko bao cao nua", K.CANCEL, "", ""),
    ("thôi không báo cáo nữa", K.CANCEL, "", ""),
    ("hủy báo cáo", K.CANCEL, "", ""),
    ("huy bo", K.CANCEL, "", ""),
    ("cancel", K.CANCEL, "", ""),
    # --- one task by code ---
    ("3.3", K.TASK, "3.3", ""),
    ("3,3", K.TASK, "3.3", ""),
    ("3.3.", K.TASK, "3.3", ""),
    ("nv 3.3", K.TASK, "3.3", ""),
    ("NV 3.3", K.TASK, "3.3", ""),
    ("nhiệm vụ 3.3", K.TASK, "3.3", ""),
    ("nhiem vu 3.3", K.TASK, "3.3", ""),
    ("nhiệm vụ 2.2.4 là gì", K.TASK, "2.2.4", ""),
    ("nhiem vu 2.2.4 la gi", K.TASK, "2.2.4", ""),
    ("nv 2.2.4 la j", K.TASK, "2.2.4", ""),
    ("nội dung nhiệm vụ 5.1", K.TASK, "5.1", ""),
    ("xem nhiệm vụ 9.2", K.TASK, "9.2", ""),
    ("cho mình xem nv 6.2 nhé", K.TASK, "6.2", ""),
    ("mục 4.4", K.TASK, "4.4", ""),
    ("nhiệm vụ 3", K.TASK, "3", ""),
    ("nv 9", K.TASK, "9", ""),
    ("3", K.TASK, "3", ""),
    ("3.7", K.TASK, "3.7", ""),  # unknown: the card's reply offers the closest codes
    ("nhiệm vụ 3.3 vị trí việc làm", K.TASK, "3.3", ""),
    ("nv 3.3 vi tri viec lam", K.TASK, "3.3", ""),
    ("3.3 là gì", K.TASK, "3.3", ""),
    ("3.3 nói gì", K.TASK, "3.3", ""),
    ("chi tiết nhiệm vụ 2.3.2", K.TASK, "2.3.2", ""),
    ("ok 3.3", K.TASK, "3.3", ""),
    # --- one task by its title's words, after "nhiệm vụ" ---
    ("nhiệm vụ vị trí việc làm", K.TASK, "3.3", ""),
    ("nhiem vu vtvl", K.TASK, "3.3", ""),
    ("nv vtvl", K.TASK, "3.3", ""),
    ("nhiệm vụ phát triển đảng viên là gì", K.TASK, "2.2.4", ""),
    ("nhiem vu bua liem vang", K.TASK, "6.2", ""),
    ("nhiệm vụ bảo vệ chính trị nội bộ", K.TASK, "5", ""),
    # --- the task list ---
    ("danh sách nhiệm vụ", K.TASKS, "", ""),
    ("Danh sách nhiệm vụ", K.TASKS, "", ""),  # the menu's button label
    ("danh sach nhiem vu", K.TASKS, "", ""),
    ("ds nv", K.TASKS, "", ""),
    ("nhiệm vụ", K.TASKS, "", ""),
    ("nv", K.TASKS, "", ""),
    ("xem các nhiệm vụ", K.TASKS, "", ""),
    ("các nhiệm vụ trọng tâm", K.TASKS, "", ""),
    ("nhiem vu trong tam", K.TASKS, "", ""),
    ("có những nhiệm vụ nào", K.TASKS, "", ""),
    # --- deadlines ---
    ("hạn chót", K.DEADLINES, "", ""),
    ("han chot", K.DEADLINES, "", ""),
    ("Hạn chót", K.DEADLINES, "", ""),  # the menu's button label
    ("deadline", K.DEADLINES, "", ""),
    ("sắp đến hạn", K.DEADLINES, "", ""),
    ("sap den han", K.DEADLINES, "", ""),
    ("nhiệm vụ nào quá hạn", K.DEADLINES, "", ""),
    ("nv nao qua han", K.DEADLINES, "", ""),
    ("còn bao nhiêu ngày", K.DEADLINES, "", ""),
    ("con bn ngay", K.DEADLINES, "", ""),
    ("xem các hạn chót", K.DEADLINES, "", ""),
    ("hạn cuối", K.DEADLINES, "", ""),
    ("kỳ báo cáo", K.DEADLINES, "", ""),
    ("han chot nhiem vu 3.3", K.TASK, "3.3", ""),
    # --- progress ---
    ("xem tiến độ", K.PROGRESS, "", ""),
    ("xem tien do", K.PROGRESS, "", ""),
    ("tiến độ", K.PROGRESS, "", ""),
    ("tiến độ của đơn vị tôi", K.PROGRESS, "", ""),
    ("tình hình thực hiện", K.PROGRESS, "", ""),
    ("tiến độ 3.3", K.PROGRESS, "3.3", ""),
    ("tien do nv 2.2.4", K.PROGRESS, "2.2.4", ""),
    ("thống kê", K.PROGRESS, "", ""),
    ("3.3 xong chưa", K.PROGRESS, "3.3", ""),
    ("nhiệm vụ 3.3 đã hoàn thành chưa", K.PROGRESS, "3.3", ""),
    ("nv 3.3 xong chua", K.PROGRESS, "3.3", ""),
    # --- missing reports ---
    ("ai chưa báo cáo", K.MISSING, "", ""),
    ("ai chua bao cao", K.MISSING, "", ""),
    ("đơn vị nào chưa báo cáo", K.MISSING, "", ""),
    ("đơn vị tôi còn gì chưa báo cáo", K.MISSING, "", ""),
    ("don vi toi con gi chua bao cao", K.MISSING, "", ""),
    ("chưa báo cáo 3.3", K.MISSING, "3.3", ""),
    ("những đơn vị chưa nộp báo cáo", K.MISSING, "", ""),
    # --- reports in free text ---
    ("báo cáo nhiệm vụ 3.3 đã xong", K.REPORT, "3.3", "đã xong"),
    ("tôi muốn báo cáo nhiệm vụ 3.3 đã xong", K.REPORT, "3.3", "đã xong"),
    ("3.3 xong rồi", K.REPORT, "3.3", "xong rồi"),
    ("3.3 xong roi", K.REPORT, "3.3", "xong roi"),
    ("3.3 hoàn thành", K.REPORT, "3.3", "hoàn thành"),
    ("3,3 hoan thanh 100%", K.REPORT, "3.3", "hoan thanh 100%"),
    ("bao cao vtvl hoan thanh 100%", K.REPORT, "3.3", "hoan thanh 100%"),
    ("bao cao nhiem vu vi tri viec lam hoan thanh 100%", K.REPORT, "3.3", "hoan thanh 100%"),
    ("báo cáo vị trí việc làm đang thực hiện 60%", K.REPORT, "3.3", "đang thực hiện 60%"),
    ("bc 3.3 dang lam 60 %", K.REPORT, "3.3", "dang lam 60%"),
    ("bc 2.2.4 đang thực hiện 60 phần trăm", K.REPORT, "2.2.4", "đang thực hiện 60%"),
    ("3.3 60% đang làm", K.REPORT, "3.3", "đang làm 60%"),
    ("3.3 60%", K.REPORT, "3.3", "60%"),
    (
        "3.3 đã hoàn thành 100%, đã trình thường trực nhé",
        K.REPORT,
        "3.3",
        "đã hoàn thành 100% đã trình thường trực",
    ),
    ("báo cáo 3.3 vướng mắc thiếu biên chế", K.REPORT, "3.3", "vướng mắc thiếu biên chế"),
    ("bc 3.3 ht", K.REPORT, "3.3", "ht"),
    ("báo cáo 3.3", K.REPORT, "3.3", ""),
    ("bc nv 3.3", K.REPORT, "3.3", ""),
    ("cập nhật 3.3 đang triển khai", K.REPORT, "3.3", "đang triển khai"),
    ("báo cáo búa liềm vàng hoàn thành", K.REPORT, "6.2", "hoàn thành"),
    # --- the report wizard ---
    ("tôi muốn báo cáo", K.REPORT_START, "", ""),
    ("toi muon bao cao", K.REPORT_START, "", ""),
    ("báo cáo", K.REPORT_START, "", ""),
    ("bc", K.REPORT_START, "", ""),
    ("báo cáo tiến độ", K.REPORT_START, "", ""),
    ("gửi báo cáo", K.REPORT_START, "", ""),
    ("em muốn cập nhật tiến độ ạ", K.REPORT_START, "", ""),
    ("báo cáo hoàn thành", K.REPORT_START, "", "hoàn thành"),
    # --- reminders ---
    ("nhắc tôi hạn chót", K.REMINDERS_ON, "", ""),
    ("nhac toi han chot", K.REMINDERS_ON, "", ""),
    ("bật nhắc hạn", K.REMINDERS_ON, "", ""),
    ("bat nhac nho", K.REMINDERS_ON, "", ""),
    ("nhắc nhở", K.REMINDERS_ON, "", ""),
    ("đăng ký nhắc hạn", K.REMINDERS_ON, "", ""),
    ("tắt nhắc", K.REMINDERS_OFF, "", ""),
    ("tat nhac nho", K.REMINDERS_OFF, "", ""),
    ("thôi nhắc", K.REMINDERS_OFF, "", ""),
    ("đừng nhắc nữa", K.REMINDERS_OFF, "", ""),
    ("không nhắc nữa", K.REMINDERS_OFF, "", ""),
    ("ko can nhac nua", K.REMINDERS_OFF, "", ""),
    ("hủy nhắc hạn", K.REMINDERS_OFF, "", ""),
    # --- who am I ---
    ("tôi là ai", K.WHOAMI, "", ""),
    ("toi la ai", K.WHOAMI, "", ""),
    ("đơn vị của tôi", K.WHOAMI, "", ""),
    ("don vi cua toi", K.WHOAMI, "", ""),
    ("mình là ai vậy", K.WHOAMI, "", ""),
    ("tôi có quyền gì", K.WHOAMI, "", ""),
    ("tài khoản của tôi", K.WHOAMI, "", ""),
    # --- export, chart, history ---
    ("xuất excel", K.EXPORT, "", ""),
    ("xuat excel", K.EXPORT, "", ""),
    ("xuất file", K.EXPORT, "", ""),
    ("tải excel tiến độ", K.EXPORT, "", ""),
    ("xuất báo cáo", K.EXPORT, "", ""),
    ("excel", K.EXPORT, "", ""),
    ("biểu đồ", K.CHART, "", ""),
    ("bieu do", K.CHART, "", ""),
    ("vẽ biểu đồ tiến độ", K.CHART, "", ""),
    ("lịch sử báo cáo", K.HISTORY, "", ""),
    ("lich su 3.3", K.HISTORY, "3.3", ""),
    ("lịch sử báo cáo nhiệm vụ 3.3", K.HISTORY, "3.3", ""),
    ("xem lại báo cáo đã gửi", K.HISTORY, "", ""),
    # --- register without the slash ---
    ("dangky ABC123", K.REGISTER, "", "ABC123"),
    ("dang ky ABC123", K.REGISTER, "", "ABC123"),
    ("đăng ký K7M2PQ9XTA", K.REGISTER, "", "K7M2PQ9XTA"),
    ("đăng ký mã mời HJKMNPQRST", K.REGISTER, "", "HJKMNPQRST"),
    ("dk abcd-2345", K.REGISTER, "", "abcd-2345"),
    ("đăng ký", K.REGISTER, "", ""),
    # --- the slash commands' names typed without the slash ---
    ("nhiemvu 3.3", K.TASK, "3.3", ""),
    ("nv3.3", K.TASK, "3.3", ""),
    ("hanchot", K.DEADLINES, "", ""),
    ("tiendo 3.3", K.PROGRESS, "3.3", ""),
    ("chuabaocao", K.MISSING, "", ""),
    ("lichsu 3.3", K.HISTORY, "3.3", ""),
    ("bieudo", K.CHART, "", ""),
    # --- administration: units, members ---
    ("danh sách đơn vị", K.UNITS, "", ""),
    ("danh sach don vi", K.UNITS, "", ""),
    ("xem cây đơn vị", K.UNITS, "", ""),
    ("thành viên", K.MEMBERS, "", ""),
    ("ai phu trach don vi", K.MEMBERS, "", ""),
    ("xem danh sách lãnh đạo đơn vị", K.MEMBERS, "", ""),
    ("xuat", K.EXPORT, "", ""),
    ("nhacnho bat", K.REMINDERS_ON, "", ""),
    ("nhacnho tat", K.REMINDERS_OFF, "", ""),
    # --- a few more everyday ones ---
    ("oki", K.ACK, "", ""),
    ("ok cảm ơn", K.THANKS, "", ""),
    ("thôi khỏi", K.CANCEL, "", ""),
    ("không muốn nhận nhắc nữa", K.REMINDERS_OFF, "", ""),
    ("đừng nhắc tôi", K.REMINDERS_OFF, "", ""),
    ("gửi file excel", K.EXPORT, "", ""),
    ("hạn chót là khi nào", K.DEADLINES, "", ""),
    ("ai chưa báo cáo nhiệm vụ 3.3", K.MISSING, "3.3", ""),
    ("đăng ký mã mời: HJKMNPQRST", K.REGISTER, "", "HJKMNPQRST"),
    (
        "bc 3.3 hoàn thành ghi chú: đã ban hành kế hoạch",
        K.REPORT,
        "3.3",
        "hoàn thành ghi chú: đã ban hành kế hoạch",
    ),
    ("2.2.4: 70%", K.REPORT, "2.2.4", "70%"),
    # --- questions: the directive search keeps them ---
    ("tinh giản biên chế bao nhiêu phần trăm", K.QUESTION, "", ""),
    ("Kế hoạch vị trí việc làm phải hoàn thiện trước ngày nào?", K.QUESTION, "", ""),
    ("vi tri viec lam han cuoi", K.QUESTION, "", ""),
    ("nhiệm vụ 3.3 phải hoàn thành trước ngày nào", K.QUESTION, "", ""),
    ("khó khăn phát triển đảng viên ở đâu", K.QUESTION, "", ""),
    ("định kỳ báo cáo kết quả thực hiện kết luận khi nào", K.QUESTION, "", ""),
    ("Hướng dẫn cài đặt ứng dụng VNeID trên điện thoại", K.QUESTION, "", ""),
    ("ad ơi ai phát biểu chỉ đạo hội nghị ạ", K.QUESTION, "", ""),
    ("chào bạn, hạn chót vị trí việc làm là ngày nào", K.QUESTION, "", ""),
    ("nv 9 xd nganh TC trong sach vung manh gan vs cai j", K.QUESTION, "", ""),
    ("trong 10 nhóm nhiệm vụ, nhóm nào nói về gắn bó với dân?", K.QUESTION, "", ""),
    ("Tóm tắt nhiệm vụ bảo vệ chính trị nội bộ năm 2024", K.QUESTION, "", ""),
    ("KH 12 có bao nhiêu nhiệm vụ trọng tâm?", K.QUESTION, "", ""),
    ("Năm 2023 ngành hoàn thành đề án đạt bao nhiêu phần trăm?", K.QUESTION, "", ""),
    ("lịch sử chính trị của cán bộ thẩm tra thế nào", K.QUESTION, "", ""),
    ("kết luận có nhắc đến chuyện né việc không", K.QUESTION, "", ""),
    ("cb di nuoc ngoai viec rieng co phai tham dinh j k", K.QUESTION, "", ""),
    ("giá vàng hôm nay", K.QUESTION, "", ""),
    ("tiến độ thực hiện nghị quyết 21 thế nào", K.QUESTION, "", ""),
    ("báo cáo tình hình thực hiện nhiệm vụ năm 2024", K.QUESTION, "", ""),
    ("đăng ký làm lãnh đạo", K.QUESTION, "", ""),
]

# Texts that could mean two things, and the choice made (the reason beside each).
AMBIGUOUS: list[tuple[str, Kind, str, str]] = [
    # A status alone outside a flow: a report is the only thing it can mean here, and a
    # quote about "hoàn thành" would be confidently wrong; the status is kept for the flow.
    ("hoàn thành", K.REPORT_START, "", "hoàn thành"),
    ("xong rồi", K.REPORT_START, "", "xong rồi"),
    ("dang thuc hien", K.REPORT_START, "", "dang thuc hien"),
    # Skip, "no", "yes" outside a flow acknowledge; a flow sees them first, and none of them
    # may cancel a flow at a step where they are an answer.
    ("bỏ qua", K.ACK, "", ""),
    ("không", K.ACK, "", ""),
    ("có", K.ACK, "", ""),
    # "dung" without marks is dừng, đúng or dùng: alone it is read as "đúng" (an ack,
    # harmless); "dung lai" is "dừng lại" (cancel), "dung nhac" is "dừng nhắc".
    ("dung", K.ACK, "", ""),
    ("dung nhac nua", K.REMINDERS_OFF, "", ""),
    # "bỏ" alone is not a cancel: unmarked "bo" is "bộ" too ("cán bộ").
    ("bỏ", K.QUESTION, "", ""),
    # A deadline word with a topic is a question: the search quotes the sentence and its
    # date; with a code it is the task's card (its deadline and the days left).
    ("hạn chót nộp đề án vị trí việc làm", K.QUESTION, "", ""),
    ("hạn chót 3.3", K.TASK, "3.3", ""),
    # A title's words without "nhiệm vụ" are a question (the search answers topics well).
    ("vị trí việc làm", K.QUESTION, "", ""),
    ("phát triển đảng viên", K.QUESTION, "", ""),
    # Title words that fit several tasks equally: a report starts the wizard with them as
    # choices; as a view it is a question.
    ("bao cao cong tac can bo hoan thanh", K.REPORT_START, "", "hoan thanh"),
    ("nhiệm vụ công tác cán bộ", K.QUESTION, "", ""),
    # Status before the code reads as a question, never guessed as a report.
    ("hoàn thành nhiệm vụ 3.3", K.QUESTION, "", ""),
    # A question about which tasks are done asks for progress.
    ("nhiệm vụ nào đã hoàn thành", K.PROGRESS, "", ""),
    # Two commands at once: the first in PRIORITY wins (progress before deadlines).
    ("xem tiến độ và hạn chót", K.PROGRESS, "", ""),
    ("cảm ơn, xuất excel giúp mình", K.EXPORT, "", ""),
    ("chào bạn, cho xem hạn chót", K.DEADLINES, "", ""),
    # A bare number is a task code only alone or after "nhiệm vụ"/"mục"/"báo cáo".
    ("60", K.TASK, "60", ""),
    ("nghị quyết 21", K.QUESTION, "", ""),
]


def _check(text: str, kind: Kind, code: str, extra: str) -> None:
    got = classify(text, library=LIBRARY)
    want = Intent(
        kind,
        code=code,
        rest=extra if kind in (K.REPORT, K.REPORT_START) else "",
        arg=extra if kind is K.REGISTER else "",
        choices=got.choices,
    )
    assert got == want, f"{text!r}: {got}"


@pytest.mark.parametrize(("text", "kind", "code", "extra"), TABLE, ids=[t[0] for t in TABLE])
def test_phrasing_gets_its_intent(text: str, kind: Kind, code: str, extra: str) -> None:
    _check(text, kind, code, extra)


@pytest.mark.parametrize(
    ("text", "kind", "code", "extra"), AMBIGUOUS, ids=[t[0] for t in AMBIGUOUS]
)
def test_ambiguous_phrasing_gets_the_choice_made(
    text: str, kind: Kind, code: str, extra: str
) -> None:
    _check(text, kind, code, extra)


def test_the_table_is_large_and_varied() -> None:
    texts = [t[0] for t in TABLE + AMBIGUOUS]
    assert len(set(texts)) == len(texts) >= 150
    unmarked = [t for t in texts if fold(t) == t.lower()]
    assert len(unmarked) >= 40
    assert {t[1] for t in TABLE} == set(Kind)


def test_every_phrasing_means_the_same_without_marks() -> None:
    """Typed without diacritics, an intent keeps its kind (except where marks decide)."""
    marks_decide = {"dừng", "dừng lại", "thôi nhắc", "hạn cuối", "bỏ"}
    changed = []
    for text, kind, _, _ in TABLE:
        if text in marks_decide or kind in (K.FOREIGN, K.QUESTION):
            continue
        got = classify(fold(text), library=LIBRARY).kind
        if got is not kind:
            changed.append((text, kind.value, got.value))
    assert changed == []


def test_a_report_keeps_the_words_as_typed_for_the_one_line_parser() -> None:
    intent = classify("Báo cáo VTVL: Đã hoàn thành 100% — đã trình Thường trực ạ", library=LIBRARY)
    assert intent == Intent(K.REPORT, code="3.3", rest="Đã hoàn thành 100% đã trình Thường trực")
    assert parse_status(intent.rest.split(" 100%")[0]) is Status.DONE


def test_title_words_fitting_several_tasks_are_offered_as_choices() -> None:
    intent = classify("bc khao sat dang lam 50%", library=LIBRARY)
    assert intent.kind is K.REPORT_START and intent.rest == "dang lam 50%"
    assert set(intent.choices) >= {"7.2", "8.2"}


def test_find_status_finds_the_status_inside_a_sentence() -> None:
    words = "báo cáo 3.3 đã hoàn thành rồi 100%".split()
    assert find_status(words) == (Status.DONE, 3, 7)  # the longest: "đã hoàn thành rồi"
    assert find_status("3.3 xong chưa".split()) == (Status.DONE, 1, 2)
    assert find_status("ai chưa báo cáo".split()) is None  # "chưa" counts only alone
    assert parse_status("chưa") is Status.NOT_STARTED
    assert parse_status("đã làm xong") is Status.DONE
    assert parse_status("ht") is Status.DONE


def test_foreign_text_is_told_from_vietnamese_without_marks() -> None:
    assert looks_foreign("Where can I see the deadlines?")
    assert not looks_foreign("ktnn vs vp chu tich nuoc co trong ds co quan du hn ko")
    assert not looks_foreign("kl 88 ngay nao")
    assert not looks_foreign("ok")


def _questions(name: str) -> list[str]:
    path = EVAL / name
    if not path.exists():
        path = ROOT / "tests" / "data" / name
    return [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines()]


QA_SETS = ["qa_dev.jsonl", "qa_dev2.jsonl", "qa_heldout.jsonl", "qa_heldout2.jsonl"]


@pytest.mark.parametrize("name", QA_SETS)
def test_questions_about_the_directive_stay_questions(name: str) -> None:
    """No question of the answer sets is taken from the search, typed or unmarked."""
    if not (EVAL / name).exists() and not (ROOT / "tests" / "data" / name).exists():
        pytest.skip(f"{name} is not on this machine")
    taken = []
    for question in _questions(name):
        for typed in (question, fold(question)):
            intent = classify(typed, library=LIBRARY)
            if intent.kind is not K.QUESTION:
                taken.append((typed, intent.kind.value, intent.code))
    assert taken == []


def test_not_found_suggests_the_closest_tasks_then_commands() -> None:
    found = suggestions("hạn nộp kế hoạch khảo sát", library=LIBRARY)
    assert [(s.kind, s.code) for s in found][:2] == [(K.TASK, "8.2"), (K.DEADLINES, "")]
    assert found[0].label.startswith("Nhiệm vụ 8.2: Thực hiện kế hoạch khảo sát")
    assert len(found) == 3
    nothing = suggestions("giá vàng hôm nay", library=LIBRARY)
    assert [s.kind for s in nothing] == [K.TASKS, K.DEADLINES, K.HELP]
    assert [s.label for s in nothing] == ["Danh sách nhiệm vụ", "Hạn chót", "Hướng dẫn"]
    vtvl = suggestions("quy trình vị trí việc làm ra sao", library=LIBRARY)
    assert vtvl[0].code == "3.3" and all(s.code != "3" for s in vtvl)


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("intents_heldout.jsonl", 0.85),  # written before the classifier
        ("intents_heldout2.jsonl", 0.75),  # written a year on, before a look: 18/22 as found
    ],
)
def test_held_out_phrasings_score(name: str, floor: float) -> None:
    """Phrasings never tuned on: report the score, and keep it over its floor."""
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / name).read_text().splitlines()]
    misses = []
    for row in rows:
        got = classify(row["text"], library=LIBRARY)
        wanted = (row["kind"], row.get("code", ""), row.get("rest", got.rest))
        if (got.kind.value, got.code, got.rest) != wanted and not (
            row["kind"] == "register" and got.arg == row.get("arg")
        ):
            misses.append((row["text"], row["kind"], got.kind.value))
    print(f"{name}: {len(rows) - len(misses)}/{len(rows)}; misses: {misses}")
    assert len(rows) - len(misses) >= floor * len(rows), misses


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gets_an_intent_and_never_raises(text: str) -> None:
    intent = classify(text, library=LIBRARY)
    assert isinstance(intent.kind, Kind)
    if intent.code:
        assert intent.kind in (K.TASK, K.REPORT, K.PROGRESS, K.MISSING, K.HISTORY)
        assert all(part.isdigit() for part in intent.code.split("."))
