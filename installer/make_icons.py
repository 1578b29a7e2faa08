"""Make the platform icons from the one SVG (resources/icons/agent-desk.svg), at build time.

    python installer/make_icons.py [OUT_DIR]      (default: installer/build/icons)

Writes ``agent-desk-<size>.png`` (16 to 1024), ``agent-desk.ico`` (Windows: PNG entries 16 to
256) and ``agent-desk.icns`` (macOS: PNG entries ic07 to ic10, 128 to 1024). It needs only
PySide6 (QSvgRenderer); the ICO and ICNS containers are written here. None of these files is
committed: build.py runs this script before PyInstaller.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "agent-desk.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: ICNS entry types whose data is a PNG of the given size.
ICNS_TYPES = {b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent ``size`` x ``size`` square, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        render_png.app = QGuiApplication([])  # type: ignore[attr-defined]  # kept alive while rendering
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG entry per size (Windows Vista and later read PNG entries)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset + len(images))
        images += data
    return header + entries + images


def icns(pngs: dict[bytes, bytes]) -> bytes:
    """An ICNS file holding PNG entries by type (``ic07``: 128, up to ``ic10``: 1024)."""
    body = b"".join(kind + struct.pack(">I", 8 + len(data)) + data for kind, data in pngs.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def make_icons(out_dir: Path, svg: Path = SVG) -> dict[str, Path]:
    """Write the PNGs, the ICO and the ICNS into ``out_dir``; returns them by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = {size: render_png(svg, size) for size in PNG_SIZES}
    written: dict[str, Path] = {}
    for size, data in pngs.items():
        path = out_dir / f"agent-desk-{size}.png"
        path.write_bytes(data)
        written[path.name] = path
    written["agent-desk.ico"] = out_dir / "agent-desk.ico"
    written["agent-desk.ico"].write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    written["agent-desk.icns"] = out_dir / "agent-desk.icns"
    written["agent-desk.icns"].write_bytes(icns({kind: pngs[size] for kind, size in ICNS_TYPES.items()}))
    return written


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else ROOT / "installer" / "build" / "icons"
    for name in make_icons(out_dir):
        print(out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
