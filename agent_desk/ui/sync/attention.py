"""Needs attention: what the person recorded that the hub refused, kept until they act on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.handoff_view import OutcomeView
from agent_desk.client.surface import AttentionItem
from agent_desk.ui import labels
from agent_desk.ui.icons import Icons
from agent_desk.ui.row_model import AnyIndex, RowModel
from agent_desk.ui.text import format_clock, one_line, parse_ts, safe_text
from agent_desk.ui.widgets import plain_label, set_tip

ITEM_ROLE = Qt.ItemDataRole.UserRole + 40


def kept_outcome(item: AttentionItem) -> OutcomeView | None:
    """The outcome a refused resolve kept, when there is one (typed: the payload is as recorded)."""
    payload = item.payload if isinstance(item.payload, Mapping) else {}
    outcome = payload.get("outcome", payload if "resolution" in payload else None)
    return OutcomeView.of(outcome) if isinstance(outcome, Mapping) and outcome else None


def outcome_text(outcome: OutcomeView) -> str:
    parts = [labels.resolution_label(outcome.resolution)]
    if outcome.csat:
        parts.append(QCoreApplication.translate("Attention", "CSAT %1").replace("%1", str(outcome.csat)))
    if outcome.disposition:
        parts.append(one_line(outcome.disposition, 120))
    if outcome.escalation_feedback:
        parts.append(labels.feedback_label(outcome.escalation_feedback))
    text = " · ".join(p for p in parts if p)
    if outcome.notes:
        text += "\n" + safe_text(outcome.notes, 2000)
    return text


class AttentionModel(RowModel[AttentionItem]):
    """The refused actions, newest first."""

    def __init__(self, describe: Callable[[str | None], str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._describe = describe or (lambda handoff_id: handoff_id or "")

    def text(self, item: AttentionItem) -> str:
        what = labels.action_label(item.kind)
        who = one_line(self._describe(item.handoff_id), 120)
        when = format_clock(parse_ts(item.at))
        head = f"{what} · {who}" if who else what
        if when:
            head += f" · {when}"
        body = one_line(item.message, 300) or item.code
        text = f"{head}\n{body}"
        outcome = kept_outcome(item)
        if outcome:
            text += "\n" + self.tr("Kept: %1").replace("%1", one_line(outcome_text(outcome), 300))
        return text

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index)
        if item is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return safe_text(f"{item.code}: {item.message}", 500)
        if role == ITEM_ROLE:
            return item
        return None

    def item(self, row: int) -> AttentionItem:
        return self._rows[row]

    def set_items(self, items: Sequence[AttentionItem]) -> None:
        self.beginResetModel()
        self._rows = sorted(items, key=lambda i: i.at, reverse=True)
        self.endResetModel()


class AttentionPanel(QWidget):
    """The list and what can be done with each item.

    Signals:
        openRequested(str): show this handoff.
        retryRequested(object): send the refused action again (an AttentionItem).
        dismissRequested(str): forget the item (its request id).
    """

    openRequested = Signal(str)
    retryRequested = Signal(object)
    dismissRequested = Signal(str)

    def __init__(
        self, icons: Icons, describe: Callable[[str | None], str] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("QueuePane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(plain_label(self.tr("Needs attention"), "PanelTitle"))
        layout.addWidget(
            plain_label(
                self.tr(
                    "The hub refused these changes. Nothing you recorded is lost: open the handoff, try again, or dismiss the item once dealt with."
                ),
                "DialogInfo",
                wrap=True,
            )
        )
        self.model = AttentionModel(describe, self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setWordWrap(True)
        self.list.setSpacing(4)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        set_tip(self.list, self.tr("Refused changes, newest first"), self.tr("Needs attention"))
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.open_button = QPushButton(self.tr("Open handoff"))
        set_tip(self.open_button, self.tr("Show the handoff this is about"), self.tr("Open handoff"))
        self.retry_button = QPushButton(icons.icon("refresh", "text"), self.tr("Try again"))
        set_tip(
            self.retry_button, self.tr("Send the same change again (for example after a claim)"), self.tr("Try again")
        )
        self.copy_button = QPushButton(self.tr("Copy outcome"))
        set_tip(self.copy_button, self.tr("Copy the kept outcome as text"), self.tr("Copy outcome"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        set_tip(self.dismiss_button, self.tr("Remove this item from the list"), self.tr("Dismiss"))
        for button in (self.open_button, self.retry_button, self.copy_button, self.dismiss_button):
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self._connect_signals()
        self._update_buttons()

    def _connect_signals(self) -> None:
        self.open_button.clicked.connect(self.on_open)
        self.retry_button.clicked.connect(self.on_retry)
        self.copy_button.clicked.connect(self.on_copy)
        self.dismiss_button.clicked.connect(self.on_dismiss)
        self.list.selectionModel().currentChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._after_reset)

    def _current(self) -> AttentionItem | None:
        index = self.list.currentIndex()
        return self.model.item(index.row()) if index.isValid() else None

    def _after_reset(self) -> None:
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0, 0))
        self._update_buttons()

    def _update_buttons(self, *_args: Any) -> None:
        item = self._current()
        self.open_button.setEnabled(bool(item and item.handoff_id))
        self.retry_button.setEnabled(bool(item and item.handoff_id and item.kind in ("claim", "release", "resolve")))
        self.copy_button.setEnabled(bool(item and kept_outcome(item)))
        self.dismiss_button.setEnabled(item is not None)

    def on_open(self) -> None:
        item = self._current()
        if item and item.handoff_id:
            self.openRequested.emit(item.handoff_id)

    def on_retry(self) -> None:
        item = self._current()
        if item:
            self.retryRequested.emit(item)

    def on_copy(self) -> None:
        item = self._current()
        outcome = kept_outcome(item) if item else None
        if outcome:
            QApplication.clipboard().setText(outcome_text(outcome))

    def on_dismiss(self) -> None:
        item = self._current()
        if item:
            self.dismissRequested.emit(item.request_id)
