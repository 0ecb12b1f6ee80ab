"""Print timings and dev-set accuracy beside their targets.

Figures: index build for the bundled directive, Library.answer() p50/p99 over
the dev questions, cold `python -m bot ask`, 1,000 questions through
`ask --json` stdin mode, and accuracy per question style, as typed and with diacritics
stripped, scored by ../shared/eval/score.py (bench/bench_answers.py); then the
storage and report figures of bench/bench_storage.py, and Telegram end to end
(bench/bench_telegram.py; one chat's flood beside 20 others, bench/bench_flood.py),
and the soak: 10 minutes at 50 updates/s with broadcasts running
(bench/bench_soak.py; BENCH_SOAK_MINUTES sets its length, 0 skips it).
Faults at volume: bench/bench_faults.py. Reporting periods: bench/bench_completion.py.
The web dashboard's pages: bench/bench_dashboard.py. Reading a 30-page DOCX and PDF:
bench/bench_ingest.py. Twenty directives in the library: bench/bench_directives.py.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    bench_answers,
    bench_broadcast,
    bench_completion,
    bench_dashboard,
    bench_directives,
    bench_faults,
    bench_flood,
    bench_ingest,
    bench_plan,
    bench_soak,
    bench_storage,
    bench_telegram,
    bench_zalo,
)

ROOT = Path(__file__).resolve().parents[1]
EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
DEV_SET = EVAL / "qa_dev.jsonl"
FALLBACK = ["hạn chót vị trí việc làm", "tinh giản biên chế đến năm nào", "báo cáo định kỳ"]


def report(name: str, value: str, target: str) -> None:
    """Print one figure beside its target."""
    print(f"{name:<44} {value:>14}   target {target}", flush=True)


def timed(func: Callable[[], object]) -> float:
    """Return how long one call took, in seconds."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def dev_questions() -> list[str]:
    """Return the dev-set questions, or a few fallback ones if the set is absent."""
    if not DEV_SET.is_file():
        return FALLBACK
    lines = DEV_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines if line.strip()]


def bench_index(runs: int = 7) -> None:
    """Time parsing plus indexing of the bundled directive (median of runs)."""
    from knowledge import Library
    from knowledge.library import BUNDLED, read_bundled
    from knowledge.parser import parse_document

    text = read_bundled()
    times = [timed(lambda: Library([parse_document(text, source=BUNDLED)])) for _ in range(runs)]
    report("index build (parse + index), median", f"{statistics.median(times):.3f} s", "≤ 1 s")


def bench_answer(questions: list[str], rounds: int = 20) -> None:
    """Time Library.answer() over the questions; print p50 and p99."""
    from knowledge import load_library

    library = load_library()
    # search(), not answer(): answer() keeps recent answers, and this times the search itself
    times = [timed(lambda q=q: library.search(q)) for _ in range(rounds) for q in questions]
    cuts = statistics.quantiles(times, n=100)
    report("answer() p50", f"{cuts[49] * 1000:.2f} ms", "")
    report("answer() p99", f"{cuts[98] * 1000:.2f} ms", "≤ 10 ms")


def bench_cold_ask(runs: int = 5) -> None:
    """Time a whole `python -m bot ask QUESTION` process (median of runs)."""
    times = [
        timed(lambda: bench_answers.run_ask(["hạn chót vị trí việc làm"])) for _ in range(runs)
    ]
    report("cold `python -m bot ask`, median", f"{statistics.median(times):.2f} s", "≤ 1.0 s")


def bench_stdin(questions: list[str], count: int = 1000) -> None:
    """Time `ask --json` answering count questions from stdin in one process."""
    batch = [questions[i % len(questions)] for i in range(count)]
    start = time.perf_counter()
    result = bench_answers.run_ask(["--json"], "\n".join(batch) + "\n")
    elapsed = time.perf_counter() - start
    lines = result.stdout.splitlines()
    note = "" if len(lines) == count else f" ({len(lines)} lines!)"
    report(f"{count:,} questions via ask --json stdin", f"{elapsed:.2f} s{note}", "≤ 5 s")


def main() -> int:
    """Run every benchmark in turn."""
    sys.path.insert(0, str(ROOT))
    questions = dev_questions()
    print(f"{len(questions)} dev questions from {DEV_SET if DEV_SET.is_file() else 'fallback'}")
    bench_index()
    bench_answer(questions)
    bench_cold_ask()
    bench_stdin(questions)
    print("\nA library of 20 directives (issue 16): answer() p99 ≤ 15 ms, cold ask ≤ 1.5 s,")
    print("adding a 30-page DOCX or PDF ≤ 3 s:")
    bench_directives.run()
    bench_answers.run()  # dev and dev2 (and our held-out sets), per style, with and without marks
    print("\nReading directive files (issue 16): a 30-page DOCX and PDF, read and parsed ≤ 3 s:")
    bench_ingest.run()
    print("\nstorage and reports: 5,000 units × 60 tasks, 100,000 reports (PostgreSQL too when")
    print("TEST_DATABASE_URL is set). Targets: reports ≥ 500/s through the handlers (goal")
    print("1,000/s), /tiendo and /chuabaocao ≤ 200 ms, export ≤ 10 s.")
    bench_storage.run()
    print("\nTelegram end to end (fake Bot API on loopback), this bot against a bare echo bot:")
    bench_telegram.run()
    bench_flood.run()
    print("\nReminders: planning over 5,000 units × 60 deadlines, and broadcasts to 2,000:")
    bench_plan.run()
    print("\nReporting periods (issue 14): /chuabaocao and completion ≤ 200 ms (goal 50 ms),")
    print("the period reminder's recipients ≤ 2 s, at 5,000 units × 60 tasks × 100,000 reports:")
    bench_completion.run()
    print("\nWeb dashboard (issue 15): overview ≤ 300 ms of server time (goal 100 ms), ≤ 200 KB:")
    bench_dashboard.run()
    bench_broadcast.run()
    print("\nZalo OA webhook:")
    bench_zalo.run()
    print("\nFaults: a 30 s Bot API outage, the scheduler leader killed mid-broadcast:")
    bench_faults.run()
    print("\nSoak: 50 updates/s mixed, a 2,000-recipient broadcast every 2 minutes. Targets:")
    print("RSS growth from minute 1 to the end ≤ 20%, no acknowledged report lost.")
    return bench_soak.run()  # 1 only for hard failures (a lost report, the bot dying)
