"""A library of 20 directives (issue 16): answer() p50/p99, a cold `python -m bot ask`
reading the 20 from the database, and `documents add` of a 30-page DOCX and PDF into
it (targets: p99 ≤ 15 ms, goal 10 ms; cold ≤ 1.5 s; adding ≤ 3 s, goal 2 s).

The 19 added directives are the bundled Kết luận 09's text under other numbers (each as
long as a real one: ~170 passages), stored with `documents add --yes` in a throw-away
SQLite database; the first command analyses and caches them, as `documents add` does for
a real deployment, so the cold `ask` measures a restart, not a first analysis.

answer() is timed through `Library.search` (what `answer` does for a question it has not
kept): the bench's questions and the dev sets', typed and without marks, once on a freshly
loaded library (`first use`: each term is unpacked over the 20 directives the first time a
question needs it, as after a restart) and then ROUNDS times more (`warm`). Each figure is
the median of RUNS such runs, wall time and this process's CPU time beside it (the machine
is shared: CPU time is the steadier figure). `python -m bench.bench_directives` runs it alone.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
COUNT = 20
RUNS = 3
ROUNDS = 3
COLD_RUNS = 5
ADD_RUNS = 3
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


def questions() -> list[str]:
    """Return the bench's questions and the dev sets', each also without diacritics."""
    typed = list(QUESTIONS)
    for name in ("qa_dev.jsonl", "qa_dev2.jsonl"):
        path = EVAL / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            typed += [json.loads(line)["q"] for line in lines if line.strip()]
    bare = [
        "".join(c for c in unicodedata.normalize("NFD", q) if unicodedata.category(c) != "Mn")
        for q in typed
    ]
    return typed + [q.replace("đ", "d").replace("Đ", "D") for q in bare]


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


def child_cpu() -> float:
    """Return the CPU seconds (user + system) used so far by finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def percentiles(times: list[float]) -> tuple[float, float]:
    """Return p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(times, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def time_questions(search: Callable[[str], object], asked: list[str], rounds: int) -> dict:
    """Return p50/p99 (ms) of wall and CPU time over `rounds` passes of the questions."""
    wall, cpu = [], []
    for _ in range(rounds):
        for q in asked:
            start, start_cpu = time.perf_counter(), time.process_time()
            search(q)
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    out = {}
    out["p50"], out["p99"] = percentiles(wall)
    out["cpu_p50"], out["cpu_p99"] = percentiles(cpu)
    return out


def time_answers(asked: list[str]) -> dict[str, float]:
    """Time search() on a freshly loaded library (first use), then warm; medians of RUNS."""
    from bot.library_source import load_full_library
    from bot.settings import Settings

    runs = []
    for _ in range(RUNS):
        library = load_full_library(Settings(_env_file=None))  # type: ignore[call-arg]
        assert len(library.documents) == COUNT
        first = time_questions(library.search, asked, 1)
        warm = time_questions(library.search, asked, ROUNDS)
        runs.append({**{f"first_{k}": v for k, v in first.items()}, **warm})
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def time_process(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Return the wall and CPU seconds of one `python -m bot ARGS` (failing loudly)."""
    start, start_cpu = time.perf_counter(), child_cpu()
    done = run_bot(args, env, cwd)
    took, cpu = time.perf_counter() - start, child_cpu() - start_cpu
    if done.returncode:
        raise SystemExit(f"python -m bot {' '.join(args)} failed: {done.stderr}")
    return took, cpu


def time_adds(where: Path, env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Time `documents add --yes` of a 30-page DOCX and PDF into a copy of the 19-directive
    library (a fresh copy each run: the same file can't be added twice); medians."""
    from bench.bench_ingest import _files

    docx, pdf, _ = _files()
    out = {}
    for kind, data in (("DOCX", docx), ("PDF", pdf)):
        path = where / f"plan-30.{kind.lower()}"
        path.write_bytes(data)
        walls, cpus = [], []
        for n in range(ADD_RUNS):
            copy = where / f"add-{kind}-{n}"
            shutil.copytree(where / "data", copy)
            took, cpu = time_process(
                ["documents", "add", str(path), "--yes"], {**env, "DATA_DIR": str(copy)}, where
            )
            walls.append(took)
            cpus.append(cpu)
            shutil.rmtree(copy)
        out[kind] = (statistics.median(walls), statistics.median(cpus))
    return out


def run() -> dict[str, float]:
    """Store 19 directives beside the bundled one, then time answers, a cold `ask` and adds."""
    out: dict[str, float] = {}
    asked = questions()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DATA_DIR": str(where / "data")}
        env.pop("DATABASE_URL", None)
        env.pop("DOCUMENTS_DIR", None)
        env["LOG_LEVEL"] = "WARNING"
        for n, text in enumerate(variants(COUNT - 1)):
            path = where / f"kl-{n}.txt"
            path.write_text(text, encoding="utf-8")
            time_process(["documents", "add", str(path), "--yes"], env, where)
        listed = json.loads(run_bot(["documents", "list", "--json"], env, where).stdout)
        assert len(listed) == COUNT

        os.environ.update({"DATA_DIR": env["DATA_DIR"]})
        out.update(time_answers(asked))
        cold = [
            time_process(["ask", "hạn chót vị trí việc làm"], env, where) for _ in range(COLD_RUNS)
        ]
        out["cold_ask_s"] = statistics.median(t for t, _ in cold)
        out["cold_ask_cpu_s"] = statistics.median(c for _, c in cold)
        adds = time_adds(where, env)
    for kind, (took, cpu) in adds.items():
        out[f"add_{kind.lower()}_s"], out[f"add_{kind.lower()}_cpu_s"] = took, cpu
    _print(out, len(asked))
    return out


def _line(name: str, wall: str, cpu: str, target: str) -> None:
    print(f"{name:<44} {wall:>10} (CPU {cpu:>8})   target {target}", flush=True)


def _print(out: dict[str, float], asked: int) -> None:
    """Print each figure beside its target."""
    print(f"({asked} questions, typed and unmarked; medians of {RUNS} runs; wall (CPU))")
    ms = "{:.2f} ms".format
    _line(f"{COUNT} directives: answer() p50", ms(out["p50"]), ms(out["cpu_p50"]), "")
    _line(
        f"{COUNT} directives: answer() p99",
        ms(out["p99"]),
        ms(out["cpu_p99"]),
        "≤ 15 ms (goal ≤ 10 ms)",
    )
    _line(
        f"{COUNT} directives: answer() p99, first use",
        ms(out["first_p99"]),
        ms(out["first_cpu_p99"]),
        "≤ 15 ms (goal ≤ 10 ms)",
    )
    s = "{:.2f} s".format
    _line(
        f"{COUNT} directives: cold ask, median",
        s(out["cold_ask_s"]),
        s(out["cold_ask_cpu_s"]),
        "≤ 1.5 s",
    )
    for kind in ("docx", "pdf"):
        _line(
            f"{COUNT} directives: add a 30-page {kind.upper()}, median",
            s(out[f"add_{kind}_s"]),
            s(out[f"add_{kind}_cpu_s"]),
            "≤ 3 s (goal ≤ 2 s)",
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    run()
