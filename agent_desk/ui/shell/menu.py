"""The ⋯ menu: theme, notifications, the keyboard map, About, sign out and quit.

The theme and notification choices take effect at once and are kept in the settings.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from agent_desk.ui.settings import DeskSettings
from agent_desk.ui.shell.about import AboutDialog, show_about
from agent_desk.ui.theme import ThemeManager


def quit_keys() -> QKeySequence:
    """The platform's Quit key, or Ctrl+Q where the platform has none."""
    standard = QKeySequence(QKeySequence.StandardKey.Quit)
    return standard if not standard.isEmpty() else QKeySequence("Ctrl+Q")


class DeskMenu(QMenu):
    """The window's menu, behind the ⋯ button in the top bar.

    Attributes:
        theme_actions: the theme choices, by mode.
        notify_action, sound_action: checkable; urgent handoffs notify, with a sound.
        keymap_action (F1), quit_action: the window adds these to itself as well, so their keys
            work while the menu is closed.
        sign_out_action: sign out. canned_action: the saved-reply manager (leads).
        about_action: opens the About box (:mod:`agent_desk.ui.shell.about`); about_dialog is
            the one last opened.
    """

    def __init__(self, settings: DeskSettings, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._themes = themes
        theme_menu = self.addMenu(self.tr("Theme"))
        self._theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode, text in (
            ("system", self.tr("Follow the system")),
            ("light", self.tr("Light")),
            ("dark", self.tr("Dark")),
        ):
            action = QAction(text, self, checkable=True)
            action.setData(mode)
            action.setChecked(themes.mode == mode)
            self._theme_group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action
        self.addSeparator()
        self.notify_action = QAction(self.tr("Notify me of urgent handoffs"), self, checkable=True)
        self.notify_action.setChecked(settings.notify)
        self.addAction(self.notify_action)
        self.sound_action = QAction(self.tr("Play a sound with them"), self, checkable=True)
        self.sound_action.setChecked(settings.sound)
        self.addAction(self.sound_action)
        self.addSeparator()
        self.canned_action = QAction(self.tr("Saved replies…"), self)
        self.canned_action.setVisible(False)  # leads only, once signed in
        self.addAction(self.canned_action)
        self.keymap_action = QAction(self.tr("Keyboard map"), self)
        self.keymap_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.addAction(self.keymap_action)
        self.about_action = QAction(self.tr("About Agent Desk"), self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.addAction(self.about_action)
        self.about_dialog: AboutDialog | None = None
        self.sign_out_action = QAction(self.tr("Sign out"), self)
        self.addAction(self.sign_out_action)
        self.quit_action = QAction(self.tr("Quit"), self)
        self.quit_action.setShortcut(quit_keys())
        self.addAction(self.quit_action)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._theme_group.triggered.connect(self.on_theme_chosen)
        self.notify_action.toggled.connect(self.on_notify_toggled)
        self.sound_action.toggled.connect(self.on_sound_toggled)
        self.about_action.triggered.connect(self.on_about_requested)

    def on_theme_chosen(self, action: QAction) -> None:
        mode = str(action.data())
        self._settings.theme = mode
        self._themes.set_mode(mode)

    def on_notify_toggled(self, enabled: bool) -> None:
        self._settings.notify = enabled
        self.sound_action.setEnabled(enabled)

    def on_sound_toggled(self, enabled: bool) -> None:
        self._settings.sound = enabled

    def on_about_requested(self) -> None:
        self.about_dialog = show_about(self.parentWidget())
