"""A library of 20 directives (issue 16): Library.answer() p50/p99 and a cold
`python -m bot ask` reading the 20 from the database (targets: p99 ≤ 15 ms, cold ≤ 1.5 s).

The 19 added directives are the bundled Kết luận 09's text under other numbers (each as
long as a real one: ~170 passages), stored with `documents add --yes` in a throw-away
SQLite database; the first command analyses and caches them, as `documents add` does for
a real deployment, so the cold `ask` measures a restart, not a first analysis.
`python -m bench.bench_directives` runs it alone.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNT = 20
QUESTIONS = [
    "hạn chót vị trí việc làm",
    "tinh giản biên chế đến năm nào",
    "báo cáo định kỳ",
    "Kết luận 31 nói gì về đảng viên mới",
    "kết luận số 40 hạn kế hoạch vị trí việc làm",
    "giải Búa Liềm vàng lần thứ mấy",
    "bao nhiêu đại biểu dự hội nghị",
    "quy hoạch ban chấp hành trung ương khóa 14",
]


def variants(count: int) -> list[str]:
    """Return the bundled directive's text under `count` other numbers (30-KL … )."""
    sys.path.insert(0, str(ROOT))
    from knowledge.library import read_bundled

    text = read_bundled()
    return [text.replace("09-KL/BTCTW", f"{30 + n}-KL/BTCTW") for n in range(count)]


def run_bot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` in cwd with env."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        check=False,
    )


def percentiles(times: list[float]) -> tuple[float, float]:
    """Return p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(times, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def run(rounds: int = 20, cold_runs: int = 5) -> dict[str, float]:
    """Store 19 directives beside the bundled one, then time answers and a cold `ask`."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DATA_DIR": str(where / "data")}
        env.pop("DATABASE_URL", None)
        env.pop("DOCUMENTS_DIR", None)
        env["LOG_LEVEL"] = "WARNING"
        for n, text in enumerate(variants(COUNT - 1)):
            path = where / f"kl-{n}.txt"
            path.write_text(text, encoding="utf-8")
            done = run_bot(["documents", "add", str(path), "--yes"], env, where)
            if done.returncode:
                raise SystemExit(f"documents add failed: {done.stderr}")
        listed = json.loads(run_bot(["documents", "list", "--json"], env, where).stdout)

        from bot.library_source import load_full_library
        from bot.settings import Settings

        os.environ.update({"DATA_DIR": env["DATA_DIR"]})
        library = load_full_library(Settings(_env_file=None))  # type: ignore[call-arg]
        assert len(library.documents) == COUNT == len(listed)
        times = []
        for _ in range(rounds):
            for q in QUESTIONS:
                start = time.perf_counter()
                library.answer(q)
                times.append(time.perf_counter() - start)
        out["answer_p50_ms"], out["answer_p99_ms"] = percentiles(times)
        cold = []
        for _ in range(cold_runs):
            start = time.perf_counter()
            run_bot(["ask", "hạn chót vị trí việc làm"], env, where)
            cold.append(time.perf_counter() - start)
        out["cold_ask_median_s"] = statistics.median(cold)
    print(f"{COUNT} directives: answer() p50 {out['answer_p50_ms']:.2f} ms", flush=True)
    print(f"{COUNT} directives: answer() p99 {out['answer_p99_ms']:.2f} ms   target ≤ 15 ms")
    print(f"{COUNT} directives: cold ask, median {out['cold_ask_median_s']:.2f} s   target ≤ 1.5 s")
    return out


if __name__ == "__main__":
    run()
