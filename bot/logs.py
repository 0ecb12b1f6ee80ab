"""Logging set-up: `%`-style text or one JSON object per line, with secrets masked.

Whatever the format, a formatted line passes through `Redactor`: the configured
secrets, anything shaped like a Bot API token and the password of a database URL
become `***`. User text is logged only through `excerpt()` (first 80 characters).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EXCERPT = 80  # characters of a user's message a log line may carry
MASK = "***"
# Library loggers and the least they log at: httpx logs every request URL at INFO (Bot API
# URLs contain the token), python-telegram-bot's DEBUG dumps whole updates (user text), the
# database drivers' and SQLAlchemy's DEBUG/INFO every statement's values and rows (tokens, notes).
QUIET_LOGGERS = {
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "asyncpg": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "telegram": logging.INFO,
    "aiohttp": logging.INFO,
}

BOT_TOKEN = re.compile(r"(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}")  # also inside /bot<token>/
URL_PASSWORD = re.compile(r"(://[^/\s:@]+):[^/\s@]+@")  # scheme://user:password@host


def excerpt(text: str) -> str:
    """Return at most the first EXCERPT characters of a user's text, for a log line."""
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


class Redactor:
    """Masks secrets in formatted log lines."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        known = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        self.known = re.compile("|".join(re.escape(s) for s in known)) if known else None

    def __call__(self, line: str) -> str:
        """Return the line with every secret masked."""
        if self.known is not None:
            line = self.known.sub(MASK, line)
        return URL_PASSWORD.sub(rf"\1:{MASK}@", BOT_TOKEN.sub(MASK, line))


class TextFormatter(logging.Formatter):
    """The `%`-style line, redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """Format the record, then mask secrets."""
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, exception."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON, secrets masked."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False))


def setup_logging(level: str, fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level` as text or JSON, secrets masked, chatty libraries quieter."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name, least in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(least, logging.getLogger().level))
