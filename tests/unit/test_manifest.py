"""The resource manifest matches resources/, and every listed resource loads."""

from __future__ import annotations

from pathlib import Path

from agent_desk import manifest

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def test_manifest_lists_every_file_under_resources_and_nothing_else() -> None:
    missing, unlisted = manifest.differences(RESOURCES)
    assert missing == [], f"listed in agent_desk/manifest.py but not under resources/: {missing}"
    assert unlisted == [], f"under resources/ but not in agent_desk/manifest.py: {unlisted}"


def test_manifest_has_no_duplicates() -> None:
    assert len(manifest.paths()) == len(set(manifest.paths()))


def test_every_resource_of_the_manifest_loads() -> None:
    assert manifest.load_all(RESOURCES) == []


def test_a_broken_resource_is_reported_by_name(tmp_path: Path) -> None:
    for item in manifest.RESOURCES:
        target = tmp_path / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((RESOURCES / item.path).read_bytes())
    (tmp_path / "themes" / "dark.toml").write_text("colors = [", encoding="utf-8")
    (tmp_path / "icons" / "bell.svg").unlink()
    problems = manifest.load_all(tmp_path)
    assert [line.split(":")[0] for line in problems] == ["themes/dark.toml", "icons/bell.svg"]
