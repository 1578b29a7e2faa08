"""The lead's saved-reply manager: a small dialog to add, edit and delete the team's replies.

Changes go to the hub at once (``canned_save``/``canned_delete``, online only); the list
refreshes from the hub's answer and from ``canned.changed``, so two leads never overwrite each
other's view. Placeholders are named under the text field.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.canned import PLACEHOLDERS
from agent_desk.client.surface import CannedReply
from agent_desk.protocol.codes import MAX_CANNED_TEXT_CHARS, MAX_CANNED_TITLE_CHARS
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip

REPLY_ROLE = Qt.ItemDataRole.UserRole + 31


class CannedManager(QDialog):
    """Add, edit and delete saved replies (leads).

    Attributes:
        list: the replies by title; title, queues, text: the form of the one selected.
    """

    def __init__(self, bridge: Bridge, queues: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Saved replies"))
        self.setObjectName("CannedManager")
        self.resize(760, 460)
        self._bridge = bridge
        self._queues = tuple(queues)
        self._editing: str | None = None  # the id of the reply in the form (None: a new one)
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        self.list = QListWidget()
        set_tip(self.list, self.tr("Choose a saved reply to edit it"), self.tr("Saved replies"))
        self.new_button = QPushButton(self.tr("New reply"))
        left.addWidget(self.list, 1)
        left.addWidget(self.new_button)
        layout.addLayout(left, 2)
        right = QVBoxLayout()
        form = QFormLayout()
        self.title = QLineEdit()
        self.title.setMaxLength(MAX_CANNED_TITLE_CHARS)
        set_tip(self.title, self.tr("What agents see in the list (at most 80 characters)"), self.tr("Title"))
        self.queues = QLineEdit()
        self.queues.setPlaceholderText(self.tr("every queue"))
        self.queues.setToolTip(
            self.tr("Queues it is meant for, separated by commas: %1").replace("%1", ", ".join(queues))
        )
        self.queues.setAccessibleName(self.tr("Queues"))  # its tooltip lists the queues
        self.text = QPlainTextEdit()
        set_tip(self.text, self.tr("What is inserted; placeholders are filled in"), self.tr("Text"))
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Queues"), self.queues)
        form.addRow(self.tr("Text"), self.text)
        right.addLayout(form, 1)
        names = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        self.hint = plain_label(
            self.tr("Placeholders filled in when an agent inserts it: %1").replace("%1", names), "Meta", wrap=True
        )
        right.addWidget(self.hint)
        self.problem = plain_label("", "Notice", wrap=True)
        self.problem.hide()
        right.addWidget(self.problem)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(self.tr("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.delete_button = buttons.addButton(self.tr("Delete"), QDialogButtonBox.ButtonRole.DestructiveRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        right.addWidget(buttons)
        layout.addLayout(right, 3)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self.delete)
        self.close_button.clicked.connect(self.reject)
        self.new_button.clicked.connect(self.start_new)
        self.list.currentItemChanged.connect(self._selected)
        bridge.cannedChanged.connect(self.show_replies)
        self.show_replies(bridge.canned)
        self.start_new()

    def show_replies(self, replies: Sequence[CannedReply]) -> None:
        """List ``replies``, keeping the one being edited selected."""
        editing = self._editing
        self.list.blockSignals(True)
        self.list.clear()
        for reply in replies:
            item = QListWidgetItem(one_line(reply.title, 80))
            item.setData(REPLY_ROLE, reply)
            item.setToolTip(one_line(reply.text, 400))
            self.list.addItem(item)
            if reply.id == editing:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def start_new(self) -> None:
        """An empty form for a new reply."""
        self._editing = None
        self.list.clearSelection()
        self.title.clear()
        self.queues.clear()
        self.text.clear()
        self.delete_button.setEnabled(False)
        self.title.setFocus()

    def _selected(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        reply = item.data(REPLY_ROLE) if item is not None else None
        if not isinstance(reply, CannedReply):
            return
        self._editing = reply.id
        self.title.setText(reply.title)
        self.queues.setText(", ".join(reply.queues))
        self.text.setPlainText(reply.text)
        self.delete_button.setEnabled(True)
        self.problem.hide()

    def save(self) -> None:
        """Send the form to the hub (a new reply, or the one selected replaced)."""
        title, text = self.title.text().strip(), self.text.toPlainText().strip()
        queues = tuple(q.strip() for q in self.queues.text().split(",") if q.strip())
        unknown = [q for q in queues if self._queues and q not in self._queues]
        problem = ""
        if not title or not text:
            problem = self.tr("A saved reply needs a title and a text.")
        elif len(text) > MAX_CANNED_TEXT_CHARS:
            problem = self.tr("The text may be at most %1 characters.").replace("%1", f"{MAX_CANNED_TEXT_CHARS:,}")
        elif unknown:
            problem = self.tr("No such queue: %1").replace("%1", ", ".join(unknown))
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        if (
            not problem
            and self._bridge.save_canned(title, text, queues, self._editing) is not None
            and not self._editing
        ):
            self.start_new()  # the new reply appears in the list once the hub has it

    def delete(self) -> None:
        """Delete the reply selected."""
        if self._editing is not None:
            self._bridge.delete_canned(self._editing)
            self.start_new()
