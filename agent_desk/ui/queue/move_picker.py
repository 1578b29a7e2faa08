"""The small "move to" picker (M): type a few letters of a queue or a person, Enter moves."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from agent_desk.ui.queue.drag import MoveTarget
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip

TARGET_ROLE = Qt.ItemDataRole.UserRole + 50


class MovePicker(QDialog):
    """Queues and people, filtered as the person types; Enter moves to the highlighted one.

    Signals:
        chosen(object): the :class:`MoveTarget` picked.

    Attributes:
        search: the type-ahead field; choices: what matches it.
    """

    chosen = Signal(object)

    def __init__(self, title: str, targets: Sequence[MoveTarget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Move to"))
        self.setModal(False)
        self.setMinimumWidth(320)
        self._targets = list(targets)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(plain_label(one_line(title, 120), "DialogInfo"))
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Queue or person…"))
        set_tip(self.search, self.tr("Type to narrow; Enter moves, Esc closes"), self.tr("Move to"))
        self.choices = QListWidget()
        self.choices.setAccessibleName(self.tr("Where to move"))
        self.choices.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout.addWidget(self.search)
        layout.addWidget(self.choices)
        self.search.textChanged.connect(self.on_text_changed)
        self.search.returnPressed.connect(self.on_enter)
        self.choices.itemActivated.connect(self.on_item_activated)
        self.search.installEventFilter(self)
        self.on_text_changed("")

    def on_text_changed(self, text: str) -> None:
        words = text.casefold().split()
        self.choices.clear()
        for target in self._targets:
            kind = self.tr("queue") if target.kind == "queue" else self.tr("person")
            blob = f"{target.name} {target.key} {kind}".casefold()
            if all(w in blob for w in words):
                item = QListWidgetItem(f"{one_line(target.name, 60)} · {kind}")
                item.setData(TARGET_ROLE, target)
                self.choices.addItem(item)
        if self.choices.count():
            self.choices.setCurrentRow(0)

    def current_target(self) -> MoveTarget | None:
        item = self.choices.currentItem()
        target = item.data(TARGET_ROLE) if item is not None else None
        return target if isinstance(target, MoveTarget) else None

    def on_enter(self) -> None:
        target = self.current_target()
        if target is not None:
            self.chosen.emit(target)
            self.accept()

    def on_item_activated(self, _item: QListWidgetItem) -> None:
        self.on_enter()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(event.key()), 0)
            if step and self.choices.count():
                row = max(0, min(self.choices.count() - 1, self.choices.currentRow() + step))
                self.choices.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)
