"""The About box: Agent Desk's version, licence and links, from the package metadata."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from agent_desk import metadata
from agent_desk.ui.widgets import plain_label


class AboutDialog(QDialog):
    """Says which Agent Desk this is.

    Attributes:
        version_label, licence_label, links_label: what it shows.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About Agent Desk"))
        title = plain_label(self.tr("Agent Desk"), "PanelTitle")
        about = plain_label(
            self.tr(
                "The human side of a chatbot's handoff: the right person, at the right time, with the whole story."
            ),
            "Meta",
            wrap=True,
        )
        self.version_label = QLabel(self.tr("Version %1").replace("%1", metadata.version()), self)
        self.version_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.licence_label = QLabel(self.tr("Licensed under %1").replace("%1", metadata.licence()), self)
        self.links_label = QLabel(self)
        self.links_label.setTextFormat(Qt.TextFormat.RichText)
        self.links_label.setOpenExternalLinks(True)
        self.links_label.setText(
            "<br>".join(f'<a href="{html.escape(url)}">{html.escape(label)}</a>' for label, url in metadata.links())
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(6)
        for widget in (title, about, self.version_label, self.licence_label, self.links_label):
            layout.addWidget(widget)
        layout.addSpacing(8)
        layout.addWidget(buttons)
        self.setMinimumWidth(360)


def show_about(parent: QWidget | None) -> AboutDialog:
    """Open the About box (not modal; closing it deletes it)."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
