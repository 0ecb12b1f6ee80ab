"""What an admin checks before a directive is stored: a pure summary of an `Ingested`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from knowledge.ingest import Ingested
from knowledge.model import DATED_KINDS, Deadline
from knowledge.periods import Period, period_of


@dataclass(frozen=True)
class PreviewTask:
    code: str
    title: str
    depth: int  # 0 for "1", 1 for "2.1", 2 for "2.1.1"


@dataclass(frozen=True)
class Preview:
    kind: str  # "Kết luận", "Kế hoạch" … ("" when not found)
    number: str
    issued: date | None
    issuer: str
    signer: str
    signer_title: str
    title: str
    source: str  # the file name
    outline: tuple[tuple[str, str], ...]  # (ref, heading) of parts and items
    tasks: tuple[PreviewTask, ...]
    deadlines: tuple[Deadline, ...]  # the dated ones, in directive order
    rhythm: tuple[str, ...]  # reporting periods asked for: "quarter", "half_year", "year"
    periods: tuple[Period, ...]  # the quarters reported on in the year of issue, from its quarter
    footnotes: int
    warnings: tuple[str, ...]


def describe(ingested: Ingested) -> Preview:
    """Return what was found in a read directive, for the admin to confirm."""
    doc = ingested.document
    meta = doc.metadata
    rhythm = tuple(d.period for d in doc.deadlines if d.kind == "period")
    return Preview(
        kind=meta.kind,
        number=meta.number,
        issued=meta.issued,
        issuer=meta.issuer,
        signer=meta.signer,
        signer_title=meta.signer_title,
        title=meta.title,
        source=doc.source,
        outline=tuple(doc.sections),
        tasks=tuple(PreviewTask(t.code, t.title, t.code.count(".")) for t in doc.tasks),
        deadlines=tuple(d for d in doc.deadlines if d.kind in DATED_KINDS or d.kind == "year"),
        rhythm=rhythm,
        periods=_periods(meta.issued) if rhythm else (),
        footnotes=len(doc.footnotes),
        warnings=ingested.warnings,
    )


def _periods(issued: date | None) -> tuple[Period, ...]:
    """Return the quarters from the issue date's to the end of that year."""
    if issued is None:
        return ()
    out = [period_of(issued)]
    while out[-1].quarter < 4:
        out.append(out[-1].next())
    return tuple(out)
