"""A directive file on the command line: read it (`read_file`, one clear error when it
can't be) and its preview as printed lines — `documents check` prints it, and so does
`documents add` before the admin confirms."""

from __future__ import annotations

from pathlib import Path

from bot import cli_texts as t
from bot.commands.errors import UsageError
from handlers import texts as chat_texts
from knowledge.ingest import Ingested, Unreadable, read_document
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
    """Return the ingest warnings in Vietnamese."""
    if not warnings:
        return [t.PREVIEW_NO_WARNINGS]
    return [t.PREVIEW_WARNINGS, *(f"  - {chat_texts.ingest_warning(w)}" for w in warnings)]


def read_file(path: Path) -> Ingested:
    """Read and parse a directive file; UsageError (exit 2) saying why when it can't be."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems = chat_texts.FILE_PROBLEMS
        reason = problems.get(type(exc).__name__, chat_texts.FILE_PROBLEM_OTHER)
        raise UsageError(chat_texts.CLI_UNREADABLE_FILE.format(path=path, reason=reason)) from None
    try:
        return read_document(data, path.name)
    except Unreadable as exc:
        reason = chat_texts.unreadable_reason(exc.kind, exc.detail)
        raise UsageError(chat_texts.CLI_UNREADABLE_FILE.format(path=path, reason=reason)) from None


def _short(text: str, limit: int = _TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
