"""The connection state in words, always visible: top bar (state) and bottom bar (what waits)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from agent_desk.client.surface import ConnectionStatus, Link, Why
from agent_desk.ui.icons import Icons
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip


def _t(text: str) -> str:
    return QCoreApplication.translate("Connection", text)


#: What each engine state says to the person; "%1" is the state's detail, when it has one.
_WHY: dict[Why, object] = {  # QT_TRANSLATE_NOOP marks each for lupdate; its stub returns object
    Why.WAITING_FOR_PREVIOUS: QT_TRANSLATE_NOOP("Connection", "Waiting for the previous sign-in to close."),
    Why.SIGNED_OUT: QT_TRANSLATE_NOOP("Connection", "Signed out."),
    Why.NO_SIGN_IN: QT_TRANSLATE_NOOP("Connection", "No sign-in is stored for %1; sign in."),
    Why.WRONG_USER: QT_TRANSLATE_NOOP("Connection", "This sign-in belongs to %1; sign in again."),
    Why.SIGN_IN_REFUSED: QT_TRANSLATE_NOOP(
        "Connection", "The hub did not accept your sign-in (unknown or revoked token); sign in again."
    ),
    Why.TOKEN_REVOKED: QT_TRANSLATE_NOOP("Connection", "Your sign-in was revoked on the hub; sign in again."),
    Why.NOT_ALLOWED: QT_TRANSLATE_NOOP(
        "Connection", "The hub refused this connection (HTTP 403: not allowed for this user)."
    ),
    Why.NO_HUB_HERE: QT_TRANSLATE_NOOP("Connection", "There is no Agent Desk hub at this address (HTTP 404)."),
    Why.HUB_NOT_READY: QT_TRANSLATE_NOOP("Connection", "The hub is not ready (%1)."),
    Why.BAD_ADDRESS: QT_TRANSLATE_NOOP("Connection", "The hub address is not valid: %1"),
    Why.CERTIFICATE: QT_TRANSLATE_NOOP("Connection", "The hub's certificate could not be verified: %1."),
    Why.PROTOCOL_UNSUPPORTED: QT_TRANSLATE_NOOP(
        "Connection", "The hub no longer speaks this version of Agent Desk's protocol; please update Agent Desk."
    ),
    Why.HUB_RESTARTING: QT_TRANSLATE_NOOP("Connection", "The hub is restarting."),
    Why.HUB_CLOSED: QT_TRANSLATE_NOOP("Connection", "The hub closed the connection."),
    Why.MESSAGE_TOO_BIG: QT_TRANSLATE_NOOP("Connection", "A message was too large for the connection."),
    Why.TOO_MANY_BAD_FRAMES: QT_TRANSLATE_NOOP(
        "Connection", "The hub closed the connection after too many rejected requests."
    ),
    Why.NO_RESUME: QT_TRANSLATE_NOOP("Connection", "The connection timed out while starting."),
    Why.TOO_SLOW: QT_TRANSLATE_NOOP("Connection", "The connection could not keep up with the hub."),
    Why.CLOSED: QT_TRANSLATE_NOOP("Connection", "The hub closed the connection (%1)."),
    Why.LOST: QT_TRANSLATE_NOOP("Connection", "The connection to the hub was lost."),
    Why.NO_GREETING: QT_TRANSLATE_NOOP("Connection", "The hub did not greet as expected."),
    Why.NOT_RESUMED: QT_TRANSLATE_NOOP("Connection", "The hub could not resume the session: %1."),
    Why.NOT_UNDERSTOOD: QT_TRANSLATE_NOOP("Connection", "The hub's answer was not understood: %1."),
    Why.TIMEOUT: QT_TRANSLATE_NOOP("Connection", "The hub did not answer in time."),
    Why.REFUSED: QT_TRANSLATE_NOOP("Connection", "The hub cannot be reached (connection refused)."),
    Why.UNREACHABLE: QT_TRANSLATE_NOOP("Connection", "The hub cannot be reached (%1)."),
    Why.CANNOT_SAVE: QT_TRANSLATE_NOOP("Connection", "Updates cannot be saved (%1); will try again."),
    Why.INTERNAL: QT_TRANSLATE_NOOP("Connection", "An internal error interrupted the connection (%1)."),
}


#: The same, naming the hub's address ("%2") when the desk knows it.
_WHY_AT: dict[Why, object] = {
    Why.REFUSED: QT_TRANSLATE_NOOP("Connection", "The hub at %2 cannot be reached (connection refused)."),
    Why.UNREACHABLE: QT_TRANSLATE_NOOP("Connection", "The hub at %2 cannot be reached (%1)."),
    Why.TIMEOUT: QT_TRANSLATE_NOOP("Connection", "The hub at %2 did not answer in time."),
}


def status_words(status: ConnectionStatus | None, hub: str = "") -> str:
    """Why the connection is as it is, in the person's language ("" when there is nothing to say).

    Args:
        hub: the hub's address, named when the hub cannot be reached there.
    """
    if status is None:
        return ""
    parts = []
    if status.why is not None:
        at = _WHY_AT.get(status.why) if hub else None
        words = _t(str(at if at is not None else _WHY[status.why]))
        detail = one_line(status.detail, 160) if status.detail else ""
        parts.append(words.replace("%1", detail).replace("%2", one_line(hub, 200)))
    storage = status.storage
    if storage is not None:
        cause = one_line(storage.cause, 120)
        if storage.unsaved:
            parts.append(
                _t(
                    "Cannot save to disk (%1); %2 recorded action(s) are kept in memory only and will be saved "
                    "as soon as possible."
                )
                .replace("%1", cause)
                .replace("%2", str(storage.unsaved))
            )
        else:
            parts.append(_t("Cannot write the local cache (%1).").replace("%1", cause))
    return " ".join(parts)


def _changes(count: int) -> str:
    return _t("1 change") if count == 1 else _t("%1 changes").replace("%1", str(count))


def describe(status: ConnectionStatus | None, retry_left: float | None = None, hub: str = "") -> tuple[str, str, str]:
    """(state, short text, tooltip) for the top bar.

    Args:
        status: the last status from the engine (None before the first).
        retry_left: seconds until the next attempt when reconnecting (counted down locally).
        hub: the hub's address, named when it cannot be reached.
    """
    if status is None or status.link == Link.CONNECTING:
        return "connecting", _t("Connecting…"), _t("Connecting to the hub")
    reason = status_words(status, hub)
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


def sync_summary(
    status: ConnectionStatus | None, attention: int, retry_left: float | None = None, hub: str = ""
) -> tuple[str, str]:
    """(state, text) for the bottom bar: names anything not yet synced.

    Changes the hub refused are not named here: the bar's Needs attention button names them
    ("1 needs attention") once; this text says that everything else is synced.
    """
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
        reason = one_line(status_words(status, hub), 120)
        parts.append(_t("offline") + (f": {reason}" if reason else ""))
    elif status is None or status.link == Link.CONNECTING:
        parts.append(_t("connecting"))
    if not parts:
        return "synced", _t("All other changes synced") if attention else _t("All changes synced")
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
        self.hub = ""  # the address signed in to, named when it cannot be reached
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

    def show_status(self, status: ConnectionStatus | None, retry_left: float | None = None, hub: str = "") -> None:
        """Show the engine's last status (None before the first) in words and an icon."""
        self.show_state(*describe(status, retry_left, hub))

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
