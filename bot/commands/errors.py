"""Errors an admin command reports as one Vietnamese line and an exit code."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem the user must read about; `str(exc)` is the message for the terminal."""

    exit_code = EXIT_FAILED


class UsageError(CommandError):
    """Bad input the user can fix: a malformed id, an unknown unit, a bad date …"""

    exit_code = EXIT_USAGE


class CommandFailed(CommandError):
    """The command could not do its work (database unreachable, file not writable …)."""

    exit_code = EXIT_FAILED
