"""Storage layer: SQLModel tables, async engine and sessions, queries, migrations."""

from storage.engine import create_engine, default_database_url, session_factory
from storage.migrate import upgrade, upgrade_sync

__all__ = [
    "create_engine",
    "default_database_url",
    "session_factory",
    "upgrade",
    "upgrade_sync",
]
