"""Every resource Agent Desk loads, in one list: the desktop, the triage engine, the build.

The PyInstaller spec bundles exactly these files, ``agent-desk --smoke-test`` loads each of them,
and ``tests/unit/test_manifest.py`` checks the list against ``resources/`` (nothing missing,
nothing unlisted). Adding a resource means adding it here.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from agent_desk._resources import resources_dir


@dataclass(frozen=True, slots=True)
class Resource:
    """One file under ``resources/``.

    Attributes:
        path: relative to ``resources/``, with forward slashes.
        kind: what reads it: ``theme`` (TOML colours), ``qss`` (the style sheet template),
            ``icon`` (SVG), ``triage-rules`` (TOML), ``triage-lexicon`` (JSON),
            ``triage-model`` (the classifier's binary file).
    """

    path: str
    kind: str


_ICONS = (
    "agent-desk all agents attention bell chevron-dark chevron-light claim dot keyboard metrics mine offline "
    "online queue reassign reconnecting refresh release resolve resolved search sync-ok sync-pending waiting "
    "trigger-explicit_request trigger-high_value trigger-multi_issue trigger-negative_sentiment "
    "trigger-repeated_failure trigger-sensitive_topic trigger-source_decision"
).split()

#: What the application loads.
RESOURCES: tuple[Resource, ...] = (
    Resource("themes/light.toml", "theme"),
    Resource("themes/dark.toml", "theme"),
    Resource("themes/desk.qss", "qss"),
    *(Resource(f"icons/{name}.svg", "icon") for name in _ICONS),
    Resource("triage_rules.toml", "triage-rules"),
    Resource("triage_lexicon.json", "triage-lexicon"),
    Resource("triage_model.bin", "triage-model"),
)

#: Files under ``resources/`` that are for contributors, not loaded (and not bundled).
NOT_SHIPPED: frozenset[str] = frozenset({"translations/README.md"})

#: The application's icon: the one SVG every platform icon is made from.
APP_ICON = "icons/agent-desk.svg"


def paths() -> list[str]:
    """The manifest's paths, relative to ``resources/``."""
    return [item.path for item in RESOURCES]


def differences(root: Path) -> tuple[list[str], list[str]]:
    """Compare the manifest with the files under ``root``.

    Returns:
        (listed but missing, present but neither listed nor in :data:`NOT_SHIPPED`), sorted.
    """
    present = {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}
    listed = set(paths())
    return sorted(listed - present), sorted(present - listed - NOT_SHIPPED)


def load(item: Resource, root: Path | None = None) -> None:
    """Read and parse one resource the way the application does.

    Raises:
        OSError: the file cannot be read.
        ValueError: its content does not parse (TOML, JSON, SVG, the triage model).
    """
    path = (root or resources_dir()) / item.path
    if item.kind in ("theme", "triage-rules"):
        with path.open("rb") as handle:
            tomllib.load(handle)
    elif item.kind == "triage-lexicon":
        json.loads(path.read_text(encoding="utf-8"))
    elif item.kind == "qss":
        if not path.read_text(encoding="utf-8").strip():
            raise ValueError(f"{item.path} is empty")
    elif item.kind == "icon":
        if b"<svg" not in path.read_bytes():
            raise ValueError(f"{item.path} is not an SVG")
    elif item.kind == "triage-model":
        from agent_desk.triage.classifier import load_model

        load_model(path)
    else:
        raise ValueError(f"{item.path}: unknown kind {item.kind!r}")


def load_all(root: Path | None = None) -> list[str]:
    """Load every resource of the manifest; returns one line per failure (empty: all loaded)."""
    problems = []
    for item in RESOURCES:
        try:
            load(item, root)
        except (OSError, ValueError) as error:
            problems.append(f"{item.path}: {error}")
    return problems
