"""The preview of a directive file as printed lines: `documents check` prints it, and so
does every path that adds a directive before the admin confirms."""

from __future__ import annotations

from bot import cli_texts as t
from knowledge.ingest.errors import Unreadable
from knowledge.ingest.preview import Preview

_TITLE_MAX = 90


def preview_lines(preview: Preview) -> list[str]:
    """Return the preview: metadata, outline, tasks, dated deadlines, periods, warnings."""
    unknown = t.PREVIEW_UNKNOWN
    signer_title = f" ({preview.signer_title})" if preview.signer_title else ""
    lines = [
        t.PREVIEW_DOCUMENT.format(kind=preview.kind or unknown, number=preview.number or unknown),
        t.PREVIEW_ISSUER.format(issuer=preview.issuer or unknown),
        t.PREVIEW_ISSUED.format(issued=f"{preview.issued:%d/%m/%Y}" if preview.issued else unknown),
        t.PREVIEW_TITLE.format(title=preview.title or unknown),
        t.PREVIEW_SIGNER.format(signer=preview.signer or unknown, title=signer_title),
        "",
        t.PREVIEW_OUTLINE.format(count=len(preview.outline)),
    ]
    lines += [f"  {ref}: {_short(heading)}" for ref, heading in preview.outline]
    lines += ["", t.PREVIEW_TASKS.format(count=len(preview.tasks))]
    lines += [
        f"{'  ' * (task.depth + 1)}{task.code}  {_short(task.title)}" for task in preview.tasks
    ]
    lines += ["", t.PREVIEW_DEADLINES.format(count=len(preview.deadlines))]
    lines += [
        t.PREVIEW_DEADLINE.format(
            code=d.task_code or t.PREVIEW_DEADLINE_DOC,
            due=f"{d.due:%d/%m/%Y}" if d.due else unknown,
            phrase=d.phrase,
        )
        for d in preview.deadlines
    ] or [t.PREVIEW_NO_DEADLINES]
    lines += ["", *_period_lines(preview), t.PREVIEW_FOOTNOTES.format(count=preview.footnotes)]
    lines += ["", *warning_lines(preview.warnings)]
    return lines


def _period_lines(preview: Preview) -> list[str]:
    """Return the reporting rhythm and the quarters it covers in the year of issue."""
    if not preview.rhythm:
        return [t.PREVIEW_NO_RHYTHM]
    names = ", ".join(t.PREVIEW_RHYTHM_NAMES.get(p, p) for p in preview.rhythm)
    lines = [t.PREVIEW_RHYTHM.format(rhythm=names)]
    if preview.periods:
        periods = ", ".join(p.label for p in preview.periods)
        lines.append(t.PREVIEW_PERIODS.format(periods=periods))
    return lines


def warning_lines(warnings: tuple[str, ...]) -> list[str]:
    """Return the ingest warnings in Vietnamese (codes `code[:detail[:count]]`)."""
    if not warnings:
        return [t.PREVIEW_NO_WARNINGS]
    lines = [t.PREVIEW_WARNINGS]
    for warning in warnings:
        code, _, rest = warning.partition(":")
        detail, _, count = rest.partition(":")
        text = t.INGEST_WARNINGS.get(code, warning)
        lines.append(f"  - {text.format(detail=detail, count=count or detail)}")
    return lines


def unreadable_reason(exc: Unreadable) -> str:
    """Return why a file can't be read, in Vietnamese."""
    if exc.kind == "unsupported" and "UTF-8" in exc.detail:
        return t.INGEST_TXT_NOT_UTF8
    return t.INGEST_UNREADABLE[exc.kind]


def _short(text: str, limit: int = _TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
