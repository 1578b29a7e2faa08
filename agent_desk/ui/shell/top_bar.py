"""The bar across the top of the window: the name, search, presence, the connection, who is in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from agent_desk.client.surface import UserInfo
from agent_desk.ui import labels
from agent_desk.ui.icons import Icons
from agent_desk.ui.sync.connection import ConnectionIndicator
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip

PRESENCES = ("available", "busy", "away")


class TopBar(QWidget):
    """Search, presence, the connection state and the signed-in user; it never hides.

    Signals:
        presenceChosen(str): the person picked a presence (available, busy or away).

    Attributes:
        search: the search field. presence: the presence box.
        connection_indicator: the connection in words. user_label: who is signed in.
        menu_button: opens the ⋯ menu (the window gives it the menu).
    """

    presenceChosen = Signal(str)

    def __init__(self, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icons = icons
        self.setObjectName("TopBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(14, 8, 12, 8)
        bar.setSpacing(10)
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(20, 20))
        bar.addWidget(logo)
        bar.addWidget(plain_label(self.tr("Agent Desk"), "AppTitle"))
        self.search = QLineEdit()
        self.search.setObjectName("SearchField")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("Search customers, briefs, queues   /"))
        self.search.addAction(icons.icon("search", "muted"), QLineEdit.ActionPosition.LeadingPosition)
        set_tip(self.search, self.tr("Search the queue (/); Esc clears"), self.tr("Search"))
        bar.addWidget(self.search, 1)
        bar.addStretch(1)
        self.presence = QComboBox()
        for value in PRESENCES:
            self.presence.addItem(icons.icon("dot", value), labels.presence_label(value), value)
        set_tip(self.presence, self.tr("Your presence; while busy, no sounds or notifications"), self.tr("Presence"))
        bar.addWidget(self.presence)
        self.load = plain_label("", "LoadLabel")
        self.load.hide()
        bar.addWidget(self.load)
        self.connection_indicator = ConnectionIndicator(icons)
        bar.addWidget(self.connection_indicator)
        self.user_label = plain_label("", "UserLabel")
        self.user_label.setAccessibleName(self.tr("Signed in as"))
        bar.addWidget(self.user_label)
        self.menu_button = QToolButton()
        self.menu_button.setText("⋯")
        self.menu_button.setProperty("flat", True)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        set_tip(self.menu_button, self.tr("Theme, notifications, keyboard map, sign out"), self.tr("Menu"))
        bar.addWidget(self.menu_button)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.presence.activated.connect(self.on_presence_activated)

    def on_presence_activated(self, index: int) -> None:
        self.presenceChosen.emit(str(self.presence.itemData(index)))

    def show_presence(self, presence: str) -> None:
        """Show ``presence`` in the box without announcing it as the person's choice."""
        index = self.presence.findData(presence)
        if index >= 0 and index != self.presence.currentIndex():
            self.presence.blockSignals(True)
            self.presence.setCurrentIndex(index)
            self.presence.blockSignals(False)

    def show_user(self, user: UserInfo, lead: bool) -> None:
        """Who is signed in, and in which role."""
        role = labels.role_label("lead") if lead else self.tr("agent")
        self.user_label.setText(f"{one_line(user.name, 60) or user.id} ({role.lower()})")

    def show_load(self, holding: int, capacity: int | None) -> None:
        """An agent's load, "2 of 3": handoffs held against how many it holds at once."""
        if capacity is None:
            self.load.hide()
            return
        self.load.setText(self.tr("%1 of %2").replace("%1", str(holding)).replace("%2", str(capacity)))
        set_tip(
            self.load,
            self.tr(
                "You hold %1 of the %2 handoffs you take at once. Offers come while you are Available "
                "and below it; Busy or Away stops them."
            )
            .replace("%1", str(holding))
            .replace("%2", str(capacity)),
            self.tr("Your load"),
        )
        self.load.setProperty("full", holding >= capacity)
        self.load.style().unpolish(self.load)
        self.load.style().polish(self.load)
        self.load.show()

    def refresh_icons(self) -> None:
        """Draw the icons again in the theme's colours."""
        for value in PRESENCES:
            index = self.presence.findData(value)
            self.presence.setItemIcon(index, self._icons.icon("dot", value))
        for action in self.search.actions()[:1]:
            action.setIcon(self._icons.icon("search", "muted"))
