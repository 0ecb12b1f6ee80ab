"""`python -m bot run` under tracemalloc, for bench_soak --trace-malloc.

SIGUSR1 writes a snapshot to $SOAK_TRACE_DIR/snapshot-<n>.pickle (n = 1, 2, …), and
glibc's heap figures beside it (snapshot-<n>.json: bytes in use and bytes free but kept),
so the soak can compare minute 1 with the end: live Python objects (tracemalloc) apart
from what the C heap holds. Tracing slows the bot down: its latencies don't count.

Run (by bench_soak): SOAK_TRACE_DIR=/tmp/x python -m bench.soak_trace
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

from bot.cli import main as bot_main

FRAMES = 1  # stack depth kept per allocation (more is far slower; SOAK_TRACE_FRAMES)
MALLINFO2 = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()


class MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2`."""

    _fields_ = [(name, ctypes.c_size_t) for name in MALLINFO2]


def c_heap() -> dict[str, int]:
    """Return glibc's heap: bytes in use and bytes free but kept ({} without glibc)."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return {}
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    return {"in_use": info.uordblks + info.hblkhd, "free": info.fordblks}


def install_dumper(directory: Path) -> None:
    """Write a numbered snapshot and heap figures to `directory` on every SIGUSR1."""
    numbers = itertools.count(1)

    def dump(signum: int, frame: FrameType | None) -> None:
        path = directory / f"snapshot-{next(numbers)}.pickle"
        path.with_suffix(".json").write_text(json.dumps(c_heap()))
        tracemalloc.take_snapshot().dump(str(path.with_suffix(".tmp")))
        path.with_suffix(".tmp").rename(path)  # the reader sees whole files only

    signal.signal(signal.SIGUSR1, dump)


def main() -> int:
    """Start tracing, install the snapshot handler and run the bot."""
    tracemalloc.start(int(os.environ.get("SOAK_TRACE_FRAMES", FRAMES)))
    install_dumper(Path(os.environ["SOAK_TRACE_DIR"]))
    return bot_main(["run"])


if __name__ == "__main__":
    sys.exit(main())
