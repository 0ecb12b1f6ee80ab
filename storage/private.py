"""Files only their owner may read (0600): backups hold tokens, exports hold names and notes."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600


def write_private(path: Path | str, data: bytes) -> None:
    """Write `data` to `path` readable and writable by its owner only (whatever the umask)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(descriptor, "wb") as out:
        os.fchmod(out.fileno(), PRIVATE)  # an existing file keeps its mode through O_CREAT
        out.write(data)


def make_private(path: Path | str) -> None:
    """Make an existing file readable and writable by its owner only."""
    os.chmod(path, PRIVATE)
