"""Where Agent Desk's resources (themes, icons, sounds, triage rules) are on disk.

In order: ``$AGENT_DESK_RESOURCES``; a frozen bundle's ``resources/`` (PyInstaller); the source
tree's ``resources/`` (a checkout or an editable install); ``<prefix>/share/agent-desk/resources``
(a wheel installs them there, see pyproject's data-files).
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

_MARKER = "triage_rules.toml"


def candidates() -> list[Path]:
    found: list[Path] = []
    if env := os.environ.get("AGENT_DESK_RESOURCES"):
        found.append(Path(env))
    if bundle := getattr(sys, "_MEIPASS", None):
        found.append(Path(bundle) / "resources")
    found.append(Path(__file__).resolve().parents[1] / "resources")
    found.append(Path(sys.prefix) / "share" / "agent-desk" / "resources")
    return found


@cache
def resources_dir() -> Path:
    """The first candidate folder that holds the resources (the source tree's when none does)."""
    options = candidates()
    for candidate in options:
        if (candidate / _MARKER).is_file():
            return candidate
    return options[-2]


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
