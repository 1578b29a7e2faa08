"""The Windows installer script keeps its promises, and makensis compiles it where makensis exists.

The promises are read from installer/windows/agent-desk.nsi: a per-user install without admin
rights, the uninstaller in Apps & features under HKCU, silent install and uninstall, and the
user's data kept on upgrade and on uninstall unless "Remove my data" is ticked. Running the
installer needs Windows (or wine), so that part is not proven here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NSI = ROOT / "installer" / "windows" / "agent-desk.nsi"
CHECK = ROOT / "installer" / "check_nsis.py"
UNINSTKEY = r"Software\Microsoft\Windows\CurrentVersion\Uninstall\AgentDesk"


def instructions(text: list[str]) -> list[str]:
    """The script's lines without comments (``;`` at the start or after a blank) and blank lines."""
    lines = (re.sub(r"(^|\s);.*$", "", line).strip() for line in text)
    return [line for line in lines if line]


def block(lines: list[str], opening: str, closing: str) -> list[str]:
    """The lines from the first starting with ``opening`` to the next ``closing``."""
    start = next((index for index, line in enumerate(lines) if line.startswith(opening)), None)
    assert start is not None, f"no line starts with {opening!r}"
    end = lines.index(closing, start)
    return lines[start:end]


def test_nsis_script_keeps_its_promises_and_compiles(tmp_path: Path) -> None:
    lines = instructions(NSI.read_text(encoding="utf-8").splitlines())
    defines = {m.group(1): m.group(2) for line in lines if (m := re.match(r'!define (\w+) "([^"]*)"', line))}

    # Per user, without admin rights, into the user's own Programs folder.
    assert "RequestExecutionLevel user" in lines
    assert "RequestExecutionLevel admin" not in lines
    assert r'InstallDir "$LOCALAPPDATA\Programs\${APPNAME}"' in lines
    assert not any("HKLM" in line or "$PROGRAMFILES" in line for line in lines)
    # The version comes from the build (no default), and so does the file name.
    assert "!ifndef VERSION" in lines
    assert lines[lines.index("!ifndef VERSION") + 1].startswith("!error")
    assert defines["OUTFILE"].endswith(r"\agent-desk-${VERSION}-windows-x64-setup.exe")
    assert defines["EXE"] == "Agent Desk.exe"
    assert defines["CLI_EXE"] == "agent-desk-cli.exe"

    # A Start-menu entry, and the uninstaller in Apps & features under HKCU.
    install = block(lines, 'Section "Install"', "SectionEnd")
    assert r'CreateShortcut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0' in install
    assert defines["UNINSTKEY"] == UNINSTKEY
    written = {
        m.group(1) for line in install if (m := re.match(r'WriteReg(?:Str|DWORD) HKCU "\$\{UNINSTKEY\}" "(\w+)"', line))
    }
    assert written >= {
        "DisplayName",
        "DisplayVersion",
        "Publisher",
        "DisplayIcon",
        "UninstallString",
        "QuietUninstallString",
        "InstallLocation",
        "EstimatedSize",
        "NoModify",
        "NoRepair",
    }
    assert any(line.endswith(' "QuietUninstallString" \'"$INSTDIR\\${UNINSTALLER}" /S\'') for line in install)
    assert "SetShellVarContext current" in install

    # Silent install and uninstall with /S; a silent uninstall unticks "Remove my data".
    assert "SilentInstall normal" in lines
    assert "SilentUnInstall normal" in lines
    un_init = block(lines, "Function un.onInit", "FunctionEnd")
    assert "IfSilent 0 interactive" in un_init
    silent = un_init.index("IfSilent 0 interactive")
    assert un_init[silent + 1] == "!insertmacro UnselectSection ${SEC_DATA}"
    assert un_init[silent + 2] == "interactive:"

    # The user's data lives outside the install folder, where agent_desk puts it.
    assert defines["DATA_DIR"] == r"$LOCALAPPDATA\agent-desk"  # platformdirs.user_data_dir("agent-desk")
    assert defines["SETTINGS_KEY"] == r"Software\Agent Desk\Agent Desk"  # QSettings("Agent Desk", "Agent Desk")
    data_refs = {"${DATA_DIR}", "${SETTINGS_KEY}", "${SETTINGS_PARENT}"}
    # An upgrade replaces only the program's files and never touches the data.
    assert not any(ref in line for line in install for ref in data_refs)
    assert not any(line.startswith("RMDir /r") and line != r'RMDir /r "$INSTDIR\_internal"' for line in install)
    # Uninstall: the program always, the data only in the optional, unticked (/o) section.
    program = block(lines, 'Section "un.$(ProgramSection)"', "SectionEnd")
    assert "SectionIn RO" in program
    assert 'DeleteRegKey HKCU "${UNINSTKEY}"' in program
    assert 'RMDir "$INSTDIR"' in program  # without /r: a folder the user chose keeps its other files
    assert not any(ref in line for line in program for ref in data_refs)
    data = block(lines, 'Section /o "un.$(DataSection)" SEC_DATA', "SectionEnd")
    assert 'RMDir /r "${DATA_DIR}"' in data
    assert 'DeleteRegKey HKCU "${SETTINGS_KEY}"' in data
    assert "!insertmacro MUI_UNPAGE_COMPONENTS" in lines  # where the user can tick it
    assert 'LangString DataSection ${LANG_ENGLISH} "Remove my data (local cache and settings)"' in lines
    assert sum(ref in line for line in lines for ref in data_refs if not line.startswith("!define")) == 3

    # Where makensis is installed (Debian: nsis), the script compiles against a staged bundle with
    # the version passed in: installer/check_nsis.py checks the setup .exe (MZ, NSIS, version).
    if shutil.which("makensis") is not None:
        out = tmp_path / "nsis"
        result = subprocess.run(
            [sys.executable, str(CHECK), "--version", "9.8.7", "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        setup = out / "dist" / "agent-desk-9.8.7-windows-x64-setup.exe"
        assert setup.read_bytes()[:2] == b"MZ"
        assert f"installer: {setup}" in result.stdout
