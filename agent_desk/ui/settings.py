"""What the desktop remembers between runs (QSettings): last hub and user, theme, layout,
notification choices. Never the token: that lives in the OS keyring only."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "Agent Desk"
APPLICATION = "Agent Desk"


class DeskSettings:
    """Typed access to the desktop's QSettings.

    Args:
        settings: a QSettings to use (tests pass one backed by a file in a temporary folder);
            by default the platform's native store for "Agent Desk".
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self.store = settings or QSettings(ORGANIZATION, APPLICATION)

    def _text(self, key: str, default: str) -> str:
        value = self.store.value(key, default)
        return default if value is None else str(value)

    def _flag(self, key: str, default: bool) -> bool:
        value = self.store.value(key, default)
        if isinstance(value, str):  # INI files and some native stores give booleans back as text
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    @property
    def last_hub(self) -> str:
        return self._text("signin/hub", "")

    @property
    def last_user(self) -> str:
        return self._text("signin/user", "")

    def remember_sign_in(self, hub: str, user: str) -> None:
        self.store.setValue("signin/hub", hub)
        self.store.setValue("signin/user", user)
        self.store.sync()

    @property
    def theme(self) -> str:
        return self._text("view/theme", "system")

    @theme.setter
    def theme(self, mode: str) -> None:
        self.store.setValue("view/theme", mode)

    @property
    def notify(self) -> bool:
        return self._flag("notify/enabled", True)

    @notify.setter
    def notify(self, enabled: bool) -> None:
        self.store.setValue("notify/enabled", enabled)

    @property
    def sound(self) -> bool:
        return self._flag("notify/sound", True)

    @sound.setter
    def sound(self, enabled: bool) -> None:
        self.store.setValue("notify/sound", enabled)

    def layout(self, name: str) -> QByteArray | None:
        value = self.store.value(f"layout/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_layout(self, name: str, state: QByteArray) -> None:
        self.store.setValue(f"layout/{name}", state)

    def sync(self) -> None:
        self.store.sync()
