"""The keyboard map (F1): every shortcut the window offers, in one small table."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QVBoxLayout, QWidget

from agent_desk.ui.widgets import plain_label, set_tip


def _t(text: str) -> str:
    return QCoreApplication.translate("Keymap", text)


def shortcuts() -> list[tuple[str, str]]:
    """(keys, what they do), in the order the map shows them."""
    return [
        ("J / ↓", _t("Next handoff")),
        ("K / ↑", _t("Previous handoff")),
        ("Enter", _t("Open the handoff: focus its conversation")),
        ("C", _t("Claim the selected handoff")),
        ("R", _t("Resolve the selected handoff")),
        ("Esc", _t("Back to the queue; clear the search")),
        ("/", _t("Search")),
        ("Ctrl+1", _t("Waiting")),
        ("Ctrl+2", _t("Mine")),
        ("Ctrl+3", _t("Resolved today")),
        ("Ctrl+4", _t("All handoffs")),
        ("Ctrl+Shift+A", _t("Set presence: available")),
        ("Ctrl+Shift+B", _t("Set presence: busy")),
        ("Ctrl+Shift+W", _t("Set presence: away")),
        ("A / D", _t("Accept / decline the offer on the card")),
        (_t("In the reply box"), ""),
        ("Enter", _t("Send the reply or note")),
        ("Shift+Enter", _t("New line")),
        ("Ctrl+Enter", _t("Send, then record the outcome")),
        ("Ctrl+Shift+N", _t("Switch between reply and internal note")),
        ("/ or Ctrl+K", _t("Insert a saved reply")),
        ("", ""),
        ("F1", _t("This keyboard map")),
        ("Ctrl+Q", _t("Quit")),
    ]


class KeymapDialog(QDialog):
    """Lists the shortcuts; Esc or Enter closes it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.addWidget(plain_label(self.tr("Keyboard"), "PanelTitle"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(6)
        for row, (keys, what) in enumerate(shortcuts()):
            key_label = plain_label(keys, "Chip")
            key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(key_label, row, 0)
            grid.addWidget(plain_label(what), row, 1)
        layout.addLayout(grid)
        buttons = self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = self._close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        set_tip(close, self.tr("Close the keyboard map"), self.tr("Close"))
        self._connect_signals()
        layout.addWidget(buttons)

    def _connect_signals(self) -> None:
        self._buttons.rejected.connect(self.reject)
        self._buttons.accepted.connect(self.accept)
        self._close.clicked.connect(self.accept)
