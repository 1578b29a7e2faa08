"""Where the default rules file lives."""

from __future__ import annotations

from pathlib import Path

from agent_desk._resources import resource

RULES_NAME = "triage_rules.toml"


def default_rules_path() -> Path:
    path = resource(RULES_NAME)
    if not path.is_file():
        raise FileNotFoundError(f"the default {RULES_NAME} is missing from this installation ({path})")
    return path
