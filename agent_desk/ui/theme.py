"""Light and dark themes: colour tokens, the style sheet and the palette, following the system.

A theme is a set of named colours (``resources/themes/light.toml``, ``dark.toml``). The style
sheet template ``desk.qss`` is filled from them, and painted delegates read the same tokens
from :class:`ThemeManager`, so the two never disagree.
"""

from __future__ import annotations

import logging
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from agent_desk.ui.resources import resource

log = logging.getLogger(__name__)

MODES = ("system", "light", "dark")

#: Used when a theme file is missing, so the desktop still opens (and says so in the log).
_FALLBACK: dict[str, str] = {
    "window": "#F5F6F8",
    "surface": "#FFFFFF",
    "text": "#1F2328",
    "muted": "#59616B",
    "accent": "#2454CC",
    "accent_text": "#FFFFFF",
    "selection": "#DCE6FA",
    "selection_text": "#14181D",
    "border": "#DDE1E6",
    "alternate": "#FAFBFC",
}


@dataclass(frozen=True)
class Theme:
    """One set of colour tokens.

    Attributes:
        name: ``light`` or ``dark``.
        tokens: token name -> ``#RRGGBB``.
    """

    name: str
    tokens: dict[str, str]
    _colors: dict[str, QColor] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dark(self) -> bool:
        return self.name == "dark"

    def color(self, token: str) -> QColor:
        """The colour of ``token`` (the text colour when the token is unknown)."""
        found = self._colors.get(token)
        if found is None:
            found = QColor(self.tokens.get(token) or self.tokens.get("text", "#000000"))
            self._colors[token] = found
        return found

    def hex(self, token: str) -> str:
        return self.tokens.get(token) or self.tokens.get("text", "#000000")


def load_theme(name: str) -> Theme:
    """Read ``resources/themes/<name>.toml``; a built-in fallback when it cannot be read."""
    path = resource("themes", f"{name}.toml")
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        tokens = {str(k): str(v) for k, v in data.get("colors", {}).items()}
    except (OSError, tomllib.TOMLDecodeError) as error:
        log.warning("Theme %s not readable (%s); using built-in colours", path, error)
        tokens = dict(_FALLBACK)
    merged = {**_FALLBACK, **tokens}
    return Theme(name, merged)


def render_stylesheet(theme: Theme, template_path: Path | None = None) -> str:
    """``desk.qss`` with every ``${token}`` replaced by the theme's colour."""
    path = template_path or resource("themes", "desk.qss")
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as error:
        log.warning("Style sheet %s not readable (%s); using the platform style", path, error)
        return ""
    icons_dir = resource("icons").as_posix()
    return string.Template(template).safe_substitute({**theme.tokens, "name": theme.name, "icons_dir": icons_dir})


def build_palette(theme: Theme) -> QPalette:
    """A QPalette from the tokens, for widgets the style sheet does not reach."""
    palette = QPalette()
    c = theme.color
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Window, c("window"))
        palette.setColor(group, QPalette.ColorRole.WindowText, c("text"))
        palette.setColor(group, QPalette.ColorRole.Base, c("surface"))
        palette.setColor(group, QPalette.ColorRole.AlternateBase, c("alternate"))
        palette.setColor(group, QPalette.ColorRole.Text, c("text"))
        palette.setColor(group, QPalette.ColorRole.Button, c("button"))
        palette.setColor(group, QPalette.ColorRole.ButtonText, c("button_text"))
        palette.setColor(group, QPalette.ColorRole.Highlight, c("selection"))
        palette.setColor(group, QPalette.ColorRole.HighlightedText, c("selection_text"))
        palette.setColor(group, QPalette.ColorRole.ToolTipBase, c("surface"))
        palette.setColor(group, QPalette.ColorRole.ToolTipText, c("text"))
        palette.setColor(group, QPalette.ColorRole.PlaceholderText, c("muted"))
        palette.setColor(group, QPalette.ColorRole.Link, c("accent"))
        palette.setColor(group, QPalette.ColorRole.Mid, c("border"))
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(disabled, role, c("disabled_text"))
    palette.setColor(disabled, QPalette.ColorRole.Base, c("window"))
    palette.setColor(disabled, QPalette.ColorRole.Window, c("window"))
    palette.setColor(disabled, QPalette.ColorRole.Button, c("button"))
    return palette


def system_prefers_dark() -> bool:
    """Whether the platform asks for a dark scheme (False when it does not say)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


class ThemeManager(QObject):
    """Holds the current theme and applies it to the application.

    Signals:
        changed(Theme): the theme in use changed; painted widgets repaint.

    Attributes:
        mode: ``system`` (follow the platform), ``light`` or ``dark``.
    """

    changed = Signal(object)

    def __init__(self, mode: str = "system", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mode = mode if mode in MODES else "system"
        self._themes: dict[str, Theme] = {}
        self.theme = self._load(self._wanted())
        app = QGuiApplication.instance()
        if app is not None:
            QGuiApplication.styleHints().colorSchemeChanged.connect(self.on_system_scheme_changed)

    def _load(self, name: str) -> Theme:
        if name not in self._themes:
            self._themes[name] = load_theme(name)
        return self._themes[name]

    def _wanted(self) -> str:
        if self.mode == "system":
            return "dark" if system_prefers_dark() else "light"
        return self.mode

    def color(self, token: str) -> QColor:
        return self.theme.color(token)

    def apply(self) -> None:
        """Apply the current theme to the running QApplication."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        app.setStyle("Fusion")
        app.setPalette(build_palette(self.theme))
        app.setStyleSheet(render_stylesheet(self.theme))

    def set_mode(self, mode: str) -> None:
        """Switch between ``system``, ``light`` and ``dark``; applies and announces the change."""
        self.mode = mode if mode in MODES else "system"
        self._switch(self._wanted())

    def on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode == "system":
            self._switch(self._wanted())

    def _switch(self, name: str) -> None:
        if name == self.theme.name:
            return
        self.theme = self._load(name)
        self.apply()
        self.changed.emit(self.theme)
