"""The real bundled library, built once for the knowledge tests."""

from __future__ import annotations

import pytest

from knowledge import Library, load_library


@pytest.fixture(scope="session")
def library() -> Library:
    """Return the library of the bundled directive."""
    return load_library()
