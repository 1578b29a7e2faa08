"""A lead's moves, shown inline above the queue: the one question before a doubtful move, and
each moved handoff's result as it comes (moved, or why not)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip


class MoveState(StrEnum):
    """Where one handoff of a move stands."""

    PENDING = "pending"  # recorded on this computer; the hub has not answered
    MOVED = "moved"  # the hub has it where it was sent
    REFUSED = "refused"  # the hub (or the desk) said no; ``reason`` says why


@dataclass(frozen=True, slots=True)
class MoveLine:
    """One handoff of a move, as the panel shows it."""

    handoff_id: str
    customer: str
    state: MoveState
    reason: str = ""


#: The mark in front of each state (never colour alone).
MARKS = {MoveState.PENDING: "◷", MoveState.MOVED: "✓", MoveState.REFUSED: "⚠"}
#: Rows the result list shows before it scrolls.
SHOWN_ROWS = 6


class MovePanel(QFrame):
    """Inline, never modal: a confirmation row and the results of the last move.

    Signals:
        confirmed(): "Move anyway" on the question.
        cancelled(): "Cancel" on the question.
        closed(): the person closed the results.

    Attributes:
        question, confirm_button, cancel_button: the confirmation row.
        title, results, close_button: the results of the last move, one row a handoff.
    """

    confirmed = Signal()
    cancelled = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MovePanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        self.confirm_row = QWidget()
        row = QHBoxLayout(self.confirm_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.question = plain_label("", "MoveQuestion", wrap=True)
        self.confirm_button = QPushButton(self.tr("Move anyway"))
        self.confirm_button.setProperty("primary", True)
        set_tip(self.confirm_button, self.tr("Move them as asked"), self.tr("Move anyway"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        set_tip(self.cancel_button, self.tr("Leave them where they are"), self.tr("Cancel the move"))
        row.addWidget(self.question, 1)
        row.addWidget(self.confirm_button)
        row.addWidget(self.cancel_button)
        layout.addWidget(self.confirm_row)
        head = QHBoxLayout()
        self.title = plain_label("", "MoveTitle")
        self.close_button = QPushButton(self.tr("Close"))
        set_tip(self.close_button, self.tr("Hide these results"), self.tr("Close the results"))
        head.addWidget(self.title, 1)
        head.addWidget(self.close_button)
        self.head = QWidget()
        self.head.setLayout(head)
        head.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.head)
        self.results = QListWidget()
        self.results.setAccessibleName(self.tr("Move results"))
        self.results.setToolTip(self.tr("Each handoff of the move: moved, or why not"))
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.setFrameShape(QFrame.Shape.NoFrame)
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.results)
        self.confirm_button.clicked.connect(self.confirmed.emit)
        self.cancel_button.clicked.connect(self.cancelled.emit)
        self.close_button.clicked.connect(self.on_close)
        self.confirm_row.hide()
        self.head.hide()
        self.results.hide()
        self.hide()

    def ask(self, text: str) -> None:
        """Show the one question before a doubtful move."""
        self.question.setText(one_line(text, 400))
        self.confirm_row.show()
        self.show()
        self.confirm_button.setFocus()

    def end_question(self) -> None:
        self.confirm_row.hide()
        self._fit()

    def asking(self) -> bool:
        return self.confirm_row.isVisibleTo(self) and self.isVisibleTo(self.parentWidget() or self)

    def show_results(self, title: str, lines: Sequence[MoveLine]) -> None:
        """Show a move's handoffs, each with where it stands."""
        self.title.setText(one_line(title, 200))
        self.results.clear()
        for line in lines:
            self.results.addItem(QListWidgetItem(self.line_text(line)))
        rows = max(1, min(SHOWN_ROWS, len(lines)))
        self.results.setFixedHeight(rows * (self.results.fontMetrics().height() + 8) + 4)
        self.head.show()
        self.results.show()
        self.show()

    def line_text(self, line: MoveLine) -> str:
        who = one_line(line.customer, 80) or line.handoff_id
        if line.state == MoveState.MOVED:
            what = self.tr("moved")
        elif line.state == MoveState.PENDING:
            what = self.tr("moving…")
        else:
            what = self.tr("not moved: %1").replace("%1", one_line(line.reason, 200))
        return f"{MARKS[line.state]} {who} — {what}"

    def lines(self) -> list[str]:
        """The result rows as shown (tests, and screen readers read the same)."""
        return [self.results.item(i).text() for i in range(self.results.count())]

    def on_close(self) -> None:
        self.head.hide()
        self.results.hide()
        self.closed.emit()
        self._fit()

    def _fit(self) -> None:
        self.setVisible(self.confirm_row.isVisibleTo(self) or self.head.isVisibleTo(self))
