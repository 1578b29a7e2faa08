"""What the installed package says about itself: version, licence and links.

Everything that shows or stamps a version (the About box, ``--version``, the build's file names,
Info.plist, the NSIS installer) reads it from here, so ``pyproject.toml`` is the one place to
change it.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata

DISTRIBUTION = "agent-desk"
#: Shown when the package metadata is absent (running from a bare source tree).
UNKNOWN_VERSION = "0+unknown"
LICENCE_URLS = {"Apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0"}


@cache
def _metadata() -> metadata.PackageMetadata | None:
    try:
        return metadata.metadata(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def version() -> str:
    """The installed version of Agent Desk, e.g. ``0.1.0``."""
    found = _metadata()
    return str(found["Version"]) if found is not None else UNKNOWN_VERSION


def licence() -> str:
    """The licence's SPDX expression, e.g. ``Apache-2.0``."""
    found = _metadata()
    if found is None:
        return "Apache-2.0"
    return str(found["License-Expression"] or found["License"] or "Apache-2.0")


def links() -> list[tuple[str, str]]:
    """(label, URL) pairs: the project's URLs from its metadata, then the licence text."""
    found = _metadata()
    pairs: list[tuple[str, str]] = []
    for entry in (found.get_all("Project-URL") or []) if found is not None else []:
        label, _, url = str(entry).partition(",")
        if url.strip():
            pairs.append((label.strip(), url.strip()))
    if licence_url := LICENCE_URLS.get(licence()):
        pairs.append((f"Licence ({licence()})", licence_url))
    return pairs
