"""installer/make_icons.py makes valid PNG, ICO and ICNS files from the one SVG."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "installer" / "make_icons.py"
PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_icons_are_made_from_the_svg_with_valid_headers_and_sizes(tmp_path: Path) -> None:
    # A separate process: the script makes its own QGuiApplication, which must not be this one's.
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], check=True, capture_output=True, timeout=120)

    for size in (16, 32, 256, 1024):
        assert png_size((tmp_path / f"agent-desk-{size}.png").read_bytes()) == (size, size)

    ico = (tmp_path / "agent-desk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, 7)
    sides = []
    for index in range(count):
        width, height, _, _, planes, bpp, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * index : 22 + 16 * index]
        )
        assert (planes, bpp) == (1, 32)
        side = width or 256
        assert png_size(ico[offset : offset + length]) == (side, height or 256)
        sides.append(side)
    assert sides == [16, 24, 32, 48, 64, 128, 256]

    icns = (tmp_path / "agent-desk.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)
    found, at = {}, 8
    while at < len(icns):
        kind, length = icns[at : at + 4], struct.unpack(">I", icns[at + 4 : at + 8])[0]
        found[kind] = png_size(icns[at + 8 : at + length])
        at += length
    assert at == len(icns)
    assert found == {b"ic07": (128, 128), b"ic08": (256, 256), b"ic09": (512, 512), b"ic10": (1024, 1024)}
