"""Tray icon with the waiting count; a notification and a short sound for urgent handoffs.

Urgent means a new priority-1 or VIP handoff. Nothing fires while the person is busy, and the
sound and notifications can be turned off. Where there is no system tray (offscreen, some Linux
desktops) the count goes into the window title instead and one log line says so; the sound is
the platform's beep (PySide6-Essentials ships no QtMultimedia), silent where there is none.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from agent_desk.client.surface import Handoff, HandoffDelta
from agent_desk.ui import labels
from agent_desk.ui.icons import Icons
from agent_desk.ui.settings import DeskSettings
from agent_desk.ui.text import one_line

log = logging.getLogger(__name__)


def is_urgent(handoff: Handoff) -> bool:
    """Priority 1 or a VIP customer, still waiting."""
    if handoff.status != "waiting":
        return False
    return handoff.priority == 1 or handoff.tier == "vip"


class Notifier(QObject):
    """Watches deltas for urgent newcomers; shows the waiting count.

    Signals:
        activated(): the person clicked the tray icon or a notification (raise the window).
        alerted(str, str): a notification went out (title, text); tests and the log listen.

    Attributes:
        tray: the QSystemTrayIcon, or None where there is no tray.
        presence: the person's presence ("busy" keeps it quiet).
    """

    activated = Signal()
    alerted = Signal(str, str)

    def __init__(self, window: QWidget, icons: Icons, settings: DeskSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._icons = icons
        self._settings = settings
        self._seen: set[str] = set()
        self._base_icon = icons.app_icon()
        self.presence = "available"
        self.waiting = 0
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self._base_icon, self)
            menu = QMenu(window)
            show = QAction(self.tr("Show Agent Desk"), menu)
            show.triggered.connect(self.activated.emit)
            menu.addAction(show)
            quit_action = QAction(self.tr("Quit"), menu)
            quit_action.triggered.connect(QApplication.quit)
            menu.addAction(quit_action)
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(self.on_tray_activated)
            self.tray.messageClicked.connect(self.activated.emit)
            self.tray.setToolTip(self.tr("Agent Desk"))
            self.tray.show()
        else:
            log.info("No system tray here: the waiting count shows in the window title")

    @property
    def has_tray(self) -> bool:
        return self.tray is not None

    def on_tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.activated.emit()

    def set_presence(self, presence: str) -> None:
        self.presence = presence

    def set_waiting(self, count: int) -> None:
        """Show the waiting count on the tray icon (or leave it to the window title)."""
        if count == self.waiting:
            return
        self.waiting = count
        if self.tray is not None:
            self.tray.setIcon(self.badge_icon(count))
            self.tray.setToolTip(self.tr("Agent Desk: %1 waiting").replace("%1", str(count)))

    def badge_icon(self, count: int) -> QIcon:
        if count <= 0:
            return self._base_icon
        pixmap = self._base_icon.pixmap(64, 64)
        if pixmap.isNull():
            pixmap = QPixmap(64, 64)
            pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#C42B1C"))
        badge = QRectF(26, 0, 38, 30)
        painter.drawRoundedRect(badge, 15, 15)
        font = QFont()
        font.setPixelSize(22)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), "99+" if count > 99 else str(count))
        painter.end()
        return QIcon(pixmap)

    def on_handoffs(self, delta: HandoffDelta) -> None:
        """Remember what is known; alert once for urgent newcomers (never for a snapshot)."""
        if delta.reset:
            self._seen = {h.id for h in delta.upserts}
            return
        urgent = []
        for handoff in delta.upserts:
            handoff_id = handoff.id
            if handoff_id in self._seen:
                continue
            self._seen.add(handoff_id)
            if is_urgent(handoff):
                urgent.append(handoff)
        if urgent:
            self.alert(urgent)

    def alert(self, urgent: list[Handoff]) -> None:
        if not self._settings.notify or self.presence == "busy":
            return
        first = urgent[0]
        name = one_line(first.customer.name, 80) or self.tr("A customer")
        marks = []
        if first.priority == 1:
            marks.append(self.tr("P1"))
        if first.tier == "vip":
            marks.append(labels.tier_label("vip"))
        if len(urgent) == 1:
            title = f"{' · '.join(marks)} · {name}"
            text = one_line(first.brief, 200)
        else:
            title = self.tr("%1 urgent handoffs").replace("%1", str(len(urgent)))
            text = self.tr("First: %1, %2").replace("%1", name).replace("%2", one_line(first.brief, 160))
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        else:
            log.debug("Urgent handoff: %s", title)
        if self._settings.sound:
            QApplication.beep()
        self.alerted.emit(title, text)

    def notify(self, title: str, text: str, system: bool = True) -> None:
        """A short sound and (``system``: the window is not the active one) a system notification.

        For what is addressed to this person alone (an offer): it comes whatever the presence,
        since an offer only reaches someone available; the settings still turn both off.
        """
        if not self._settings.notify:
            return
        if system and self.tray is not None and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        if self._settings.sound:
            QApplication.beep()
        self.alerted.emit(title, text)

    def hide(self) -> None:
        if self.tray is not None:
            self.tray.hide()
