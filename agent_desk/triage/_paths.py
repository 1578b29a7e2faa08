"""Where the default rules file lives: the source tree's resources/, or inside the package."""

from __future__ import annotations

from pathlib import Path

import agent_desk

RULES_NAME = "triage_rules.toml"


def default_rules_path() -> Path:
    package = Path(agent_desk.__file__).resolve().parent
    for candidate in (package.parent / "resources" / RULES_NAME, package / "resources" / RULES_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"the default {RULES_NAME} is missing from this installation")
