"""Build Agent Desk's bundle and package it: ``python installer/build.py linux|windows|macos``.

1. ``installer/make_icons.py`` makes the PNG, ICO and ICNS icons from the one SVG;
2. PyInstaller runs ``installer/agent_desk.spec`` (one folder, ``dist/Agent Desk/``, holding the
   windowed ``agent-desk`` and the console ``agent-desk-cli``);
3. the folder is packaged, named with the version from the package metadata:
   - linux: ``dist/agent-desk-<version>-linux-<arch>.tar.gz`` (the bundle, a .desktop file, the icon);
   - windows: ``dist/agent-desk-<version>-windows-x64-setup.exe``, made by
     ``makensis /DVERSION=<version> /DSOURCE_DIR=... /DOUTFILE=... installer/windows/agent-desk.nsi``
     (the command is ``installer/check_nsis.py``'s, which compiles the script on Linux too);
   - macos: ``installer/macos/build_dmg.sh <version>``.

It prints the bundle's unpacked size, what takes the most of it, and the build time. Needs the
``build`` extra (``pip install -e .[build]``); the tests never need it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from check_nsis import makensis_command, setup_name  # noqa: E402  (installer/, this script's folder)

from agent_desk.metadata import version  # noqa: E402

APP_NAME = "Agent Desk"
DIST = ROOT / "dist"
WORK = ROOT / "installer" / "build"
ICONS = WORK / "icons"

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=Agent Desk
Comment=Hand chatbot conversations to the right person, with context
Exec=agent-desk
Icon=agent-desk
Terminal=false
Categories=Office;Network;
StartupWMClass=agent-desk
"""


def arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def run(command: list[str], **extra: object) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT, **extra)  # type: ignore[call-overload]


def make_icons() -> None:
    run([sys.executable, str(ROOT / "installer" / "make_icons.py"), str(ICONS)], stdout=subprocess.DEVNULL)


def pyinstaller() -> Path:
    env = {**os.environ, "AGENT_DESK_ICONS": str(ICONS)}
    command = [sys.executable, "-m", "PyInstaller", str(ROOT / "installer" / "agent_desk.spec"), "--noconfirm"]
    run([*command, "--distpath", str(DIST), "--workpath", str(WORK / "work")], env=env)
    return DIST / APP_NAME


def package_linux(bundle: Path, name: str) -> Path:
    stage = WORK / name
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(bundle, stage, symlinks=True)
    (stage / "agent-desk.desktop").write_text(DESKTOP_ENTRY, encoding="utf-8")
    shutil.copy2(ICONS / "agent-desk-256.png", stage / "agent-desk.png")
    archive = DIST / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(stage, arcname=name)
    shutil.rmtree(stage)
    return archive


def package_windows(bundle: Path, version_: str) -> Path:
    makensis = shutil.which("makensis")
    if makensis is None:
        raise SystemExit("makensis is not installed (Debian: apt-get install nsis; Windows: NSIS 3)")
    setup = DIST / setup_name(version_)
    run(makensis_command(makensis, version_, bundle, ICONS / "agent-desk.ico", setup))
    return setup


def package_macos(version_: str) -> None:
    run(["bash", str(ROOT / "installer" / "macos" / "build_dmg.sh"), version_])


def sizes(folder: Path) -> tuple[int, list[tuple[int, str]]]:
    """The folder's total size in bytes, and its five largest entries two levels down."""
    total = 0
    parts: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            total += size
            relative = path.relative_to(folder).parts
            parts["/".join(relative[:2]) if relative[0] == "_internal" else relative[0]] = (
                parts.get("/".join(relative[:2]) if relative[0] == "_internal" else relative[0], 0) + size
            )
    return total, sorted(((size, name) for name, size in parts.items()), reverse=True)[:5]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("target", choices=["linux", "windows", "macos"])
    args = parser.parse_args(argv)
    started = time.monotonic()
    version_ = version()
    make_icons()
    bundle = pyinstaller()
    built = time.monotonic() - started
    total, largest = sizes(bundle)
    if args.target == "linux":
        print(f"package: {package_linux(bundle, f'agent-desk-{version_}-linux-{arch()}')}")
    elif args.target == "windows":
        print(f"package: {package_windows(bundle, version_)}")
    else:
        package_macos(version_)
    mib = 1024 * 1024
    print(f"bundle: {bundle} (version {version_})")
    print(f"unpacked size: {total / mib:.0f} MB; largest: " + ", ".join(f"{n} {s / mib:.0f} MB" for s, n in largest))
    print(f"build time: {built:.0f} s (PyInstaller), {time.monotonic() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
