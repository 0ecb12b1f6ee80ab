"""Which database errors mean "not now" (the user is told to send again) rather than a bug."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage.engine import is_unavailable


def test_full_disk_lost_connections_and_an_exhausted_pool_are_unavailable() -> None:
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    assert is_unavailable(full)
    assert is_unavailable(ConnectionRefusedError(111, "Connect call failed"))
    assert is_unavailable(PoolTimeout("QueuePool limit of size 1 overflow 0 reached"))


def test_errors_in_the_statement_are_bugs_not_outages() -> None:
    clash = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_unavailable(clash)
    assert not is_unavailable(ProgrammingError("SELECT", {}, Exception("syntax error")))
    assert not is_unavailable(ValueError("bad input"))
