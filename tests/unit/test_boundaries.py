"""Architecture rules that must hold for the engine to run without a display."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "agent_desk"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_outside_ui_imports_pyside6():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts[:1]:
            continue
        if any(name.split(".")[0] in ("PySide6", "shiboken6") for name in imported_modules(path)):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_protocol_and_triage_stay_pure():
    for package in ("protocol", "triage"):
        for path in (PACKAGE / package).rglob("*.py"):
            roots = {name.split(".")[0] for name in imported_modules(path)}
            forbidden = roots & {"websockets", "sqlalchemy", "sqlmodel", "PySide6", "asyncio", "socket"}
            assert not forbidden, f"{path.name} imports {forbidden}"


def test_hub_and_engine_import_without_qt():
    code = (
        "import sys, agent_desk.hub.server, agent_desk.client.surface, agent_desk.triage;"
        "assert 'PySide6' not in sys.modules, 'Qt was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
