"""A printable outline of a parsed directive, for checking a new one before use."""

from __future__ import annotations

from knowledge.model import Deadline, Document

_PERIODS = {"quarter": "hàng quý", "half_year": "6 tháng", "year": "cả năm"}


def format_outline(doc: Document) -> str:
    """Return metadata, sections, task codes, footnotes and deadlines as text."""
    lines = _metadata_lines(doc)
    lines += ["", "Mục:"] + [f"  {ref}: {heading}" for ref, heading in doc.sections]
    lines += ["", f"Nhiệm vụ ({len(doc.tasks)}):"]
    for task in doc.tasks:
        indent = "  " * (task.code.count(".") + 1)
        lines.append(f"{indent}{task.code}  {task.title}")
    lines += ["", f"Chú thích ({len(doc.footnotes)}):"]
    for n, note in sorted(doc.footnotes.items()):
        where = note.cited_in or "không thấy nơi dẫn"
        lines.append(f"  {n} ({where}): {_short(note.text)}")
    lines += ["", f"Thời hạn và chỉ tiêu ({len(doc.deadlines)}):"]
    lines += [f"  {describe_deadline(d)}" for d in doc.deadlines]
    lines += ["", f"Đoạn đã lập chỉ mục: {len(doc.passages)}"]
    return "\n".join(lines)


def _metadata_lines(doc: Document) -> list[str]:
    """Return the metadata block of the outline."""
    meta = doc.metadata
    issued = f"{meta.issued:%d/%m/%Y}" if meta.issued else "?"
    lines = [
        f"Văn bản: {meta.kind} số {meta.number or '?'}",
        f"Cơ quan ban hành: {meta.issuer or '?'}",
        f"Ban hành: {meta.place or '?'}, ngày {issued}",
        f"Trích yếu: {meta.title or '?'}",
        f"Người ký: {meta.signer or '?'} ({meta.signer_title})",
    ]
    for c in meta.copies:
        when = f"{c.issued:%d/%m/%Y}" if c.issued else "?"
        lines.append(f"Bản {c.kind}: {c.issuer}, số {c.number}, ngày {when}, người ký {c.signer}")
    return lines


def describe_deadline(d: Deadline) -> str:
    """Return one deadline as a line: task, due date, the directive's words."""
    if d.kind == "period":
        return f"Báo cáo định kỳ {_PERIODS.get(d.period, d.period)}: «{d.phrase}»"
    due = f"{d.due:%d/%m/%Y}" if d.due else "?"
    target = f" — chỉ tiêu: {d.target}" if d.target else ""
    return f"Nhiệm vụ {d.task_code}: hạn {due} «{d.phrase}»{target}"


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
