"""The bar along the bottom of the window: anything not yet synced, and what can be done about it."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QStatusBar, QWidget

from agent_desk.client.surface import ConnectionStatus, Link
from agent_desk.ui.icons import Icons
from agent_desk.ui.sync.connection import sync_summary
from agent_desk.ui.widgets import plain_label, set_tip


class SyncStatusBar(QStatusBar):
    """The sync state in words, with buttons that appear when there is something to act on.

    Attributes:
        sync_summary: what is synced and what is waiting, in words.
        attention_button: opens Needs attention; shown while the hub has refused something.
        reconnect_button: tries the hub now; shown while waiting to reconnect.
        sign_in_button: signs in again; shown after the hub ended the session.
    """

    def __init__(self, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icons = icons
        self.setSizeGripEnabled(False)
        self.sync_summary = plain_label("", "SyncSummary")
        self.sync_summary.setAccessibleName(self.tr("Sync"))
        self.addWidget(self.sync_summary, 1)
        self.attention_button = QPushButton(icons.icon("attention", "danger"), "")
        self.attention_button.setProperty("flat", True)
        set_tip(self.attention_button, self.tr("Open the list of refused changes"), self.tr("Needs attention"))
        self.attention_button.hide()
        self.addPermanentWidget(self.attention_button)
        self.reconnect_button = QPushButton(self.tr("Reconnect now"))
        set_tip(self.reconnect_button, self.tr("Try to reach the hub now instead of waiting"), self.tr("Reconnect now"))
        self.reconnect_button.hide()
        self.addPermanentWidget(self.reconnect_button)
        self.sign_in_button = QPushButton(self.tr("Sign in again…"))
        set_tip(self.sign_in_button, self.tr("Sign in with a new token"), self.tr("Sign in again"))
        self.sign_in_button.hide()
        self.addPermanentWidget(self.sign_in_button)

    def show_sync(
        self, status: ConnectionStatus | None, attention: int, retry_left: float | None, hub: str = ""
    ) -> None:
        """Name what is not yet synced; offer to reconnect now while waiting to reconnect.

        Args:
            status: the last status from the engine (None before the first).
            attention: how many changes the hub refused (the attention button names them).
            retry_left: seconds until the next attempt when reconnecting.
            hub: the hub's address, named when it cannot be reached.
        """
        state, text = sync_summary(status, attention, retry_left, hub)
        self.sync_summary.setText(text)
        if self.sync_summary.property("state") != state:
            self.sync_summary.setProperty("state", state)
            self.sync_summary.style().unpolish(self.sync_summary)
            self.sync_summary.style().polish(self.sync_summary)
        self.reconnect_button.setVisible(status is not None and status.link == Link.RECONNECTING)

    def show_attention(self, count: int) -> None:
        """How many changes the hub refused; the button hides when there are none."""
        self.attention_button.setText(
            self.tr("%1 need attention").replace("%1", str(count)) if count != 1 else self.tr("1 needs attention")
        )
        self.attention_button.setVisible(count > 0)

    def refresh_icons(self) -> None:
        """Draw the icons again in the theme's colours."""
        self.attention_button.setIcon(self._icons.icon("attention", "danger"))
