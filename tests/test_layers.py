"""Data flows one way: nara → ingest → knowledge → assistant → evals → ui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["nara", "ingest", "knowledge", "assistant", "evals", "ui"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ORDER)


@pytest.mark.parametrize("package", ORDER)
def test_no_layer_imports_a_higher_one(package: str) -> None:
    allowed = set(ORDER[: ORDER.index(package) + 1])
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - allowed)
        for path in (ROOT / package).rglob("*.py")
        if imported_packages(path) - allowed
    }
    assert offenders == {}


INTERFACES = ("cli", "chat", "http", "teams")
"""The interface packages of ui/: each builds on ui.app only (ui.server, which puts the
server together, may be started from the command line: `nara serve`)."""


def imported_ui_packages(path: Path) -> set[str]:
    """The ui subpackages (or modules) a file imports: `ui.app`, `ui.chat`, `ui.server` …"""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        modules = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            else []
        )
        names.update(m.split(".")[1] for m in modules if m.startswith("ui.") and m.count(".") >= 1)
    return names


@pytest.mark.parametrize("package", ["app", *INTERFACES])
def test_no_interface_imports_another(package: str) -> None:
    allowed = {"app", package} | ({"server"} if package == "cli" else set())
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_ui_packages(path) - allowed)
        for path in (ROOT / "ui" / package).rglob("*.py")
        if imported_ui_packages(path) - allowed
    }
    assert offenders == {}
