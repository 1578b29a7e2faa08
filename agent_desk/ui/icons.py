"""SVG icons from ``resources/icons``, tinted with theme colours and rendered for HiDPI.

Icons are drawn with ``currentColor``; :class:`Icons` substitutes a theme token's colour and
renders crisp pixmaps at the sizes and device pixel ratios asked for.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from agent_desk.ui.resources import resource
from agent_desk.ui.theme import Theme, ThemeManager

log = logging.getLogger(__name__)

_SIZES = (16, 20, 24, 32, 48)


class Icons(QObject):
    """Tinted SVG icons for the current theme; caches cleared when the theme changes.

    Signals:
        changed(): the theme changed: ask for icons again to get them in its colours.
    """

    changed = Signal()

    def __init__(self, themes: ThemeManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._themes = themes
        self._svg: dict[str, bytes] = {}
        self._icons: dict[tuple[str, str], QIcon] = {}
        self._pixmaps: dict[tuple[str, str, int, float], QPixmap] = {}
        self._missing: set[str] = set()
        themes.changed.connect(self.on_theme_changed)

    def on_theme_changed(self, _theme: Theme) -> None:
        self._icons.clear()
        self._pixmaps.clear()
        self.changed.emit()

    def _source(self, name: str) -> bytes | None:
        if name not in self._svg:
            try:
                self._svg[name] = resource("icons", f"{name}.svg").read_bytes()
            except OSError:
                if name not in self._missing:
                    self._missing.add(name)
                    log.info("Icon %s.svg not found; drawn without it", name)
                return None
        return self._svg[name]

    def _render(self, name: str, color: QColor, size: int, ratio: float) -> QPixmap:
        source = self._source(name)
        side = max(1, round(size * ratio))
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        if source is not None:
            tinted = source.replace(b"currentColor", color.name().encode())
            renderer = QSvgRenderer(QByteArray(tinted))
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, side, side))
            painter.end()
        pixmap.setDevicePixelRatio(ratio)
        return pixmap

    def pixmap(self, name: str, token: str = "text", size: int = 16, ratio: float = 1.0) -> QPixmap:
        """A tinted pixmap of ``size`` logical pixels at device pixel ratio ``ratio``."""
        key = (name, token, size, ratio)
        found = self._pixmaps.get(key)
        if found is None:
            found = self._render(name, self._themes.color(token), size, ratio)
            self._pixmaps[key] = found
        return found

    def icon(self, name: str, token: str = "text") -> QIcon:
        """A QIcon with pixmaps for the usual sizes at 1x and 2x."""
        key = (name, token)
        found = self._icons.get(key)
        if found is None:
            found = QIcon()
            color = self._themes.color(token)
            for size in _SIZES:
                for ratio in (1.0, 2.0):
                    found.addPixmap(self._render(name, color, size, ratio))
            self._icons[key] = found
        return found

    def app_icon(self) -> QIcon:
        """The application icon (full colour)."""
        icon = QIcon()
        source = self._source("agent-desk")
        if source is None:
            return icon
        renderer = QSvgRenderer(QByteArray(source))
        for side in (16, 24, 32, 48, 64, 128, 256):
            pixmap = QPixmap(QSize(side, side))
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, side, side))
            painter.end()
            icon.addPixmap(pixmap)
        return icon
