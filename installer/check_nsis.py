"""Compile the Windows installer script here, against a staged stand-in for the bundle.

    python installer/check_nsis.py [--version X.Y.Z] [--out DIR]

A real Windows bundle cannot be built on Linux, so this stages a folder holding what PyInstaller
puts there (``Agent Desk.exe``, ``agent-desk-cli.exe``, ``_internal/``) as small dummy files,
makes the real ``.ico`` with ``installer/make_icons.py``, and runs ``makensis`` (Debian: nsis)
exactly as ``build.py windows`` does, with the version passed in. It then checks that:

- makensis compiled the script with no warning (``-WX``);
- it packed both executables and the ``_internal`` folder;
- ``agent-desk-<version>-windows-x64-setup.exe`` exists, is a Windows executable (``MZ``), is an
  NSIS installer, and carries the version in its version resource.

It does not run the installer: that needs Windows (or wine). ``build.py`` takes its makensis
command from here, so the check and the release build cannot drift apart.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NSI = ROOT / "installer" / "windows" / "agent-desk.nsi"
#: What PyInstaller's one-folder build of agent_desk.spec holds on Windows.
WINDOWED_EXE = "Agent Desk.exe"
CONSOLE_EXE = "agent-desk-cli.exe"


def setup_name(version: str) -> str:
    """The installer's file name for ``version``."""
    return f"agent-desk-{version}-windows-x64-setup.exe"


def file_version(version: str) -> str:
    """The four numbers Windows' version resource wants, from a PEP 440 version (``0.2.0rc1``: 0.2.0.0)."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    if match is None:
        raise ValueError(f"{version!r} does not start with a release number")
    numbers = [int(part) for part in match.group().split(".")][:4]
    return ".".join(str(number) for number in numbers + [0] * (4 - len(numbers)))


def makensis_command(
    makensis: str, version: str, source_dir: Path, icon: Path, outfile: Path, verbosity: int = 2
) -> list[str]:
    """The makensis call that packages ``source_dir`` (the PyInstaller folder) into ``outfile``.

    ``verbosity`` 2 prints warnings and errors only; 4 lists every file packed (the check reads it).
    """
    return [
        makensis,
        "-WX",  # a warning fails the build
        f"-V{verbosity}",
        f"-DVERSION={version}",
        f"-DFILE_VERSION={file_version(version)}",
        f"-DSOURCE_DIR={source_dir}",
        f"-DICON={icon}",
        f"-DOUTFILE={outfile}",
        str(NSI),
    ]


def stage_bundle(folder: Path) -> Path:
    """A stand-in for the PyInstaller folder: the two executables and ``_internal/``, as dummies."""
    folder.mkdir(parents=True)
    for name in (WINDOWED_EXE, CONSOLE_EXE):
        (folder / name).write_bytes(b"MZ stand-in for " + name.encode())
    (folder / "_internal").mkdir()
    (folder / "_internal" / "base_library.zip").write_bytes(b"stand-in")
    return folder


def make_icon(folder: Path) -> Path:
    """The real installer icon, made by installer/make_icons.py (in its own process: it starts Qt)."""
    script = ROOT / "installer" / "make_icons.py"
    subprocess.run([sys.executable, str(script), str(folder)], check=True, stdout=subprocess.DEVNULL)
    return folder / "agent-desk.ico"


def require(condition: bool, message: str) -> None:
    """Fail the check (an assert that ``python -O`` cannot remove)."""
    if not condition:
        raise AssertionError(message)


def check(version: str, work: Path) -> Path:
    """Compile the script against a staged bundle in ``work``; returns the installer. Raises on failure."""
    makensis = shutil.which("makensis")
    if makensis is None:
        raise SystemExit("makensis is not installed (Debian: apt-get install nsis)")
    source_dir = stage_bundle(work / "Agent Desk")
    icon = make_icon(work / "icons")
    outfile = work / "dist" / setup_name(version)
    outfile.parent.mkdir(parents=True, exist_ok=True)
    command = makensis_command(makensis, version, source_dir, icon, outfile, verbosity=4)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"makensis failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    packed = re.findall(r'^File: "([^"]+)"', result.stdout, flags=re.MULTILINE)
    for name in (WINDOWED_EXE, CONSOLE_EXE, "base_library.zip"):
        require(name in packed, f"makensis did not pack {name}: {packed}")
    data = outfile.read_bytes()
    require(data[:2] == b"MZ", f"{outfile} is not a Windows executable")
    require(b"NullsoftInst" in data, f"{outfile} is not an NSIS installer")
    require(version.encode("utf-16-le") in data, f"{outfile} does not carry version {version}")
    summary = [line for line in result.stdout.splitlines() if line.startswith(("Install:", "Uninstall:", "Total"))]
    print("\n".join(summary))
    print(f"installer: {outfile} ({len(data)} bytes), version {version}, packed {len(packed)} files")
    return outfile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--version", help="the version to pass in (default: the package's)")
    parser.add_argument("--out", type=Path, help="keep the staged folder and the installer here (must not exist)")
    args = parser.parse_args(argv)
    if args.version is None:
        sys.path.insert(0, str(ROOT))
        from agent_desk.metadata import version

        args.version = version()
    if args.out is not None:
        check(args.version, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="agent-desk-nsis-") as work:
            check(args.version, Path(work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
