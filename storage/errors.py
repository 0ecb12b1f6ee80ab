"""Domain errors raised by the storage layer, named for what went wrong."""

from __future__ import annotations


class StorageError(Exception):
    """Base class of storage errors."""


class UnitNotFoundError(StorageError, LookupError):
    """A unit code or id does not exist."""


class MemberNotFoundError(StorageError, LookupError):
    """A member id does not exist."""


class UnitCycleError(StorageError, ValueError):
    """Setting a parent would make a unit its own ancestor."""


class UnitImportError(StorageError, ValueError):
    """A line of a unit CSV file is invalid (message names the line)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"dòng {line}: {message}")
        self.line = line


class InvalidProgressError(StorageError, ValueError):
    """A progress report has a bad status, percent or note."""
