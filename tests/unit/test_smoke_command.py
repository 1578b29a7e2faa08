"""``agent-desk --smoke-test`` run as a person (or CI) runs it: a separate process, no display."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from agent_desk.manifest import RESOURCES as MANIFEST

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def smoke(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_desk", "--smoke-test"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_smoke_test_opens_the_window_with_the_scripted_handoff_and_exits_0() -> None:
    done = smoke()
    assert done.returncode == 0, done.stderr
    assert f"smoke test passed: {len(MANIFEST)} resources loaded" in done.stdout


def test_smoke_test_fails_with_the_name_of_a_broken_resource(tmp_path: Path) -> None:
    broken = tmp_path / "resources"
    shutil.copytree(RESOURCES, broken)
    (broken / "themes" / "light.toml").write_text("colors = [", encoding="utf-8")
    done = smoke({"AGENT_DESK_RESOURCES": str(broken)})
    assert done.returncode == 1
    assert "smoke test FAILED" in done.stderr
    assert "themes/light.toml" in done.stderr
