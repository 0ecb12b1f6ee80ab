"""The one error of reading a directive file."""

from __future__ import annotations

KINDS = ("unsupported", "no_text", "empty", "corrupt")


class Unreadable(Exception):
    """A file that can't be read as a directive.

    `kind`: "unsupported" (extension, format or text encoding), "no_text" (a scanned
    PDF: no text layer), "empty" (no text at all), "corrupt" (a damaged file);
    `detail`: a short English note for the log.
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
