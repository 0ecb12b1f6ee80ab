"""Answer accuracy per question style, as typed and with every diacritic stripped.

Each set is answered through `python -m bot ask --json` (stdin mode) and scored by
../shared/eval/score.py, exactly as the eval README shows; the misses score.py prints
are counted per `style`. Sets: the shared dev and dev2 sets, and our own held-out
sets under tests/data/. `python -m bench.bench_answers [SET.jsonl ...] [-v]` prints
the same for any sets, with the misses when -v is given.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
SCORE = EVAL / "score.py"
SETS = [
    (EVAL / "qa_dev.jsonl", 0.95),
    (EVAL / "qa_dev2.jsonl", 0.95),
    (ROOT / "tests" / "data" / "qa_heldout.jsonl", 0.90),
    (ROOT / "tests" / "data" / "qa_heldout2.jsonl", 0.0),
]
STRIPPED_TARGET = 0.93
_MISS = re.compile(r"^miss (\S+):")


def strip_marks(text: str) -> str:
    """Return text with every Vietnamese diacritic removed and đ→d (case kept)."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return bare.replace("đ", "d").replace("Đ", "D")


def answer_all(questions: list[str]) -> str:
    """Return the `ask --json` output for the questions, one process for all."""
    return run_ask(["--json"], "\n".join(questions) + "\n").stdout


def run_ask(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ask ARGS` from the repo root."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        check=False,
    )


def score(cases_path: Path, answers: str) -> tuple[set[str], list[str]]:
    """Run score.py on the answers; return the missed ids and its miss lines."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as out:
        out.write(answers)
    try:
        scored = subprocess.run(
            [sys.executable, str(SCORE), str(cases_path), out.name, "0"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
    finally:
        Path(out.name).unlink(missing_ok=True)
    lines = [line for line in scored.stdout.splitlines() if _MISS.match(line)]
    return {m.group(1) for line in lines if (m := _MISS.match(line))}, lines


def per_style(cases: list[dict[str, object]], missed: set[str]) -> dict[str, tuple[int, int]]:
    """Return (passed, total) per style ('all' for the whole set)."""
    total: Counter[str] = Counter()
    good: Counter[str] = Counter()
    for case in cases:
        for style in ("all", str(case.get("style", ""))):
            if not style:
                continue
            total[style] += 1
            good[style] += case["id"] not in missed
    return {s: (good[s], total[s]) for s in total}


def run_set(path: Path, target: float, verbose: bool = False) -> None:
    """Print one set's accuracy per style, as typed and with diacritics stripped."""
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    typed = [str(c["q"]) for c in cases]
    results = {}
    for mode, questions in (("typed", typed), ("no marks", [strip_marks(q) for q in typed])):
        missed, lines = score(path, answer_all(questions))
        results[mode] = per_style(cases, missed)
        if verbose:
            print(f"  {path.name} {mode}:")
            for line in lines:
                print(f"    {line}")
    want = f"≥ {target:.0%}, no marks ≥ {STRIPPED_TARGET:.0%}" if target else "report only"
    print(f"{path.name:<22} {'typed':>12} {'no marks':>12}   target {want}")
    for style in results["typed"]:
        cells = []
        for mode in ("typed", "no marks"):
            good, total = results[mode][style]
            cells.append(f"{good}/{total} {good / total:4.0%}")
        print(f"  {style:<20} {cells[0]:>12} {cells[1]:>12}")


def run(paths: list[Path] | None = None, verbose: bool = False) -> None:
    """Print accuracy for each set present (dev, dev2 and our held-out sets by default)."""
    if not SCORE.is_file():
        print("answer accuracy: skipped (no ../shared/eval/score.py)")
        return
    chosen = [(p, 0.0) for p in paths] if paths else [(p, t) for p, t in SETS if p.is_file()]
    for path, target in chosen:
        run_set(path, target, verbose)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "-v"]
    run([Path(a) for a in args] or None, verbose="-v" in sys.argv[1:])
