"""The soak benchmark (bench/bench_soak.py) still runs, and finds every report the bot saved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_short_soak_answers_everything_and_loses_no_report() -> None:
    # 180 mixed updates at 20/s while a 2,000-recipient broadcast goes out. Exit 1 would
    # mean a report acknowledged but not stored, a report not confirmed as saved (also
    # when the confirmation text no longer matches), an update unanswered or the bot dead.
    args = ["--minutes", "0.15", "--rate", "20", "--broadcast-every", "600"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_soak", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "lost 0 (target 0)" in result.stdout
    assert "0 unanswered, 0 apologies, 0 × 429" in result.stdout
    assert "2,000 delivered" in result.stdout
