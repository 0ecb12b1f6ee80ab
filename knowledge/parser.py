"""STUB parser."""

from __future__ import annotations

from datetime import date

from knowledge.model import Deadline, Document, Metadata, Task


def parse_document(text: str, source: str = "") -> Document:
    num = "09-KL/BTCTW"
    meta = Metadata(num, "Kết luận", "", "Ban Tổ chức Trung ương", "Hà Nội", date(2024, 1, 11), "Mai Văn Chính", "")
    dl = Deadline(num, "3.3", "date", date(2024, 3, 31), "trước ngày 31/3/2024")
    t3 = Task(num, "3", "Về tổ chức bộ máy, biên chế và vị trí việc làm", "3. Về tổ chức bộ máy", "Mục II.3", children=["3.3"])
    t33 = Task(num, "3.3", "Tham mưu Kế hoạch triển khai hoàn thiện vị trí việc làm", "- Tham mưu Kế hoạch ... trước ngày 31/3/2024", "Mục II.3, ý 3", parent="3", deadlines=[dl])
    return Document(meta, [], [t3, t33], {}, [dl], [("Mục II.3", "Về tổ chức bộ máy")], source)
