"""Reading a directive file: a 30-page DOCX and a 30-page PDF, read and parsed.

The files are the 2025 plan of tests/ingestfiles.py with its body repeated until it holds
30 pages of text at 2,000 characters a page (a directive at 14 pt; tests/pdfmake.py sets
it looser, 13 pt on 1.5 lines, so its PDF has more pages); the DOCX holds the same
text. Times `knowledge.ingest.read_document` (open, read, normalise, parse), median of
5 in one process, wall and CPU time. Target: ≤ 3 s each. `bench_directives` times the
whole `python -m bot documents add` of the same files into a library of 20.

Run: `.venv/bin/python -m bench.bench_ingest`.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = 30
CHARS_PER_PAGE = 2000
RUNS = 5


def _files() -> tuple[bytes, bytes, int]:
    """Return a DOCX and a PDF of PAGES pages' worth of text, and the PDF's page count."""
    from pypdf import PdfReader

    from tests.ingestfiles import BODY, directive_docx, directive_pdf

    per_copy = sum(len(text) for _, text in BODY)
    repeat = -(-PAGES * CHARS_PER_PAGE // per_copy)
    pdf = directive_pdf(repeat=repeat)
    return directive_docx(repeat=repeat), pdf, len(PdfReader(io.BytesIO(pdf)).pages)


def _median(data: bytes, name: str) -> tuple[float, float, int, int]:
    """Return the median wall and CPU time of read_document over RUNS, the text's length
    and task count."""
    from knowledge.ingest import read_document

    times, cpu, ingested = [], [], None
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        ingested = read_document(data, name)
        cpu.append(time.process_time() - start_cpu)
        times.append(time.perf_counter() - start)
    assert ingested is not None
    chars, tasks = len(ingested.text), len(ingested.document.tasks)
    return statistics.median(times), statistics.median(cpu), chars, tasks


def run() -> None:
    """Print the medians beside the target."""
    docx, pdf, pages = _files()
    print(f"({PAGES} pages × {CHARS_PER_PAGE:,} characters; the PDF as typeset has {pages} pages)")
    for name, data in (("bench.docx", docx), ("bench.pdf", pdf)):
        took, cpu, chars, tasks = _median(data, name)
        kind = name.rsplit(".", 1)[1].upper()
        label = f"read+parse {PAGES}-page {kind} ({chars:,} chars)"
        figure = f"{took:.3f} s (CPU {cpu:.3f} s)"
        print(f"{label:<44} {figure:>24}   target ≤ 3 s ({tasks} tasks)", flush=True)
    print("(the whole `documents add`, process start to stored and indexed: bench_directives)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    run()
