"""The layer rules: handlers never import a chat platform, a web server or bot.*;
knowledge imports no I/O framework and nothing of the other layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("telegram", "aiohttp", "bot")
KNOWLEDGE_FORBIDDEN = (*FORBIDDEN, "handlers", "storage", "sqlmodel", "sqlalchemy", "asyncio")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "handlers").glob("*.py")), ids=lambda p: p.name)
def test_handlers_stay_platform_neutral(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", sorted((ROOT / "knowledge").rglob("*.py")), ids=lambda p: p.name)
def test_knowledge_is_free_of_io_frameworks(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in KNOWLEDGE_FORBIDDEN}
    assert not bad, f"{path.name} imports {bad}"
