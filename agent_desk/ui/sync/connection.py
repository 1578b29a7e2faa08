"""The connection state in words, always visible: top bar (state) and bottom bar (what waits)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from agent_desk.client.surface import ConnectionStatus, Link
from agent_desk.ui.icons import Icons
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip


def _t(text: str) -> str:
    return QCoreApplication.translate("Connection", text)


def _changes(count: int) -> str:
    return _t("1 change") if count == 1 else _t("%1 changes").replace("%1", str(count))


def describe(status: ConnectionStatus | None, retry_left: float | None = None) -> tuple[str, str, str]:
    """(state, short text, tooltip) for the top bar.

    Args:
        status: the last status from the engine (None before the first).
        retry_left: seconds until the next attempt when reconnecting (counted down locally).
    """
    if status is None or status.link == Link.CONNECTING:
        return "connecting", _t("Connecting…"), _t("Connecting to the hub")
    reason = one_line(status.reason, 200) if status.reason else ""
    if status.link == Link.ONLINE:
        if status.pending:
            return (
                "online",
                _t("Online · syncing %1").replace("%1", _changes(status.pending)),
                _t("Connected; sending what you recorded"),
            )
        return "online", _t("Online · synced"), _t("Connected to the hub; everything is synced")
    if status.link == Link.RECONNECTING:
        seconds = retry_left if retry_left is not None else status.retry_in_s
        if seconds is not None and seconds >= 0.5:
            text = _t("Reconnecting in %1 s").replace("%1", str(math.ceil(seconds)))
        else:
            text = _t("Reconnecting…")
        tip = _t("The hub cannot be reached right now; you can keep working, changes are kept here.")
        return "reconnecting", text, (f"{tip}\n{reason}" if reason else tip)
    text = _t("Offline")
    if status.pending:
        text += " · " + _t("%1 waiting").replace("%1", _changes(status.pending))
    tip = reason or _t("Not connected to the hub")
    return "offline", text, tip


def sync_summary(status: ConnectionStatus | None, attention: int, retry_left: float | None = None) -> tuple[str, str]:
    """(state, text) for the bottom bar: names anything not yet synced."""
    parts: list[str] = []
    state = "synced"
    pending = status.pending if status else 0
    if pending:
        state = "waiting"
        parts.append(_t("%1 waiting to sync").replace("%1", _changes(pending)))
    if status is not None and status.link == Link.RECONNECTING:
        seconds = retry_left if retry_left is not None else status.retry_in_s
        parts.append(
            _t("reconnecting in %1 s").replace("%1", str(math.ceil(seconds)))
            if seconds is not None and seconds >= 0.5
            else _t("reconnecting")
        )
    elif status is not None and status.link == Link.OFFLINE:
        parts.append(_t("offline") + (f": {one_line(status.reason, 120)}" if status.reason else ""))
    elif status is None or status.link == Link.CONNECTING:
        parts.append(_t("connecting"))
    if attention:
        state = "attention"
        parts.append(
            _t("%1 need attention").replace("%1", str(attention)) if attention != 1 else _t("1 needs attention")
        )
    if not parts:
        return "synced", _t("All changes synced")
    text = " · ".join(parts)
    return state, text[0].upper() + text[1:]


class ConnectionTracker(QObject):
    """Keeps the last status and counts the reconnect delay down once a second.

    Signals:
        changed(): the text to show changed (new status or one second less to wait).
    """

    changed = Signal()

    def __init__(self, clock: Callable[[], float] = time.monotonic, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.status: ConnectionStatus | None = None
        self._received = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.changed.emit)

    def set_status(self, status: ConnectionStatus) -> None:
        self.status = status
        self._received = self._clock()
        if status.link == Link.RECONNECTING and status.retry_in_s:
            self._timer.start()
        else:
            self._timer.stop()
        self.changed.emit()

    def retry_left(self) -> float | None:
        status = self.status
        if status is None or status.link != Link.RECONNECTING or status.retry_in_s is None:
            return None
        return max(0.0, status.retry_in_s - (self._clock() - self._received))


class ConnectionIndicator(QWidget):
    """Top-bar state: an icon and a few words (colour is never the only signal)."""

    def __init__(self, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icons = icons
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.icon = QLabel()
        self.icon.setFixedSize(16, 16)
        self.label = plain_label("", "ConnectionLabel")
        layout.addWidget(self.icon)
        layout.addWidget(self.label)
        self.state = ""
        self.setAccessibleName(_t("Connection"))

    def show_status(self, status: ConnectionStatus | None, retry_left: float | None = None) -> None:
        """Show the engine's last status (None before the first) in words and an icon."""
        self.show_state(*describe(status, retry_left))

    def show_state(self, state: str, text: str, tip: str) -> None:
        self.label.setText(text)
        if state != self.state:
            self.state = state
            self.label.setProperty("state", state)
            self.label.style().unpolish(self.label)
            self.label.style().polish(self.label)
        name, token = {
            "online": ("online", "online"),
            "reconnecting": ("reconnecting", "warning"),
            "offline": ("offline", "danger"),
        }.get(state, ("reconnecting", "muted"))
        ratio = self.devicePixelRatioF()
        self.icon.setPixmap(self._icons.pixmap(name, token, 16, ratio))
        set_tip(self, tip, _t("Connection: %1").replace("%1", text))
        self.label.setAccessibleName(text)
