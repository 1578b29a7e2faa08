"""Small building blocks: plain-text labels, chips, a flow layout, a table with an empty state."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLayout,
    QLayoutItem,
    QSizePolicy,
    QTableView,
    QWidget,
    QWidgetItem,
)

from agent_desk.ui.text import tooltip_text


def plain_label(text: str = "", name: str | None = None, parent: QWidget | None = None, wrap: bool = False) -> QLabel:
    """A QLabel that can only ever show plain text (never rich text, never links)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    label.setOpenExternalLinks(False)
    label.setWordWrap(wrap)
    if name:
        label.setObjectName(name)
    label.setText(text)
    return label


def set_tip(widget: QWidget, text: str, accessible_name: str | None = None) -> None:
    """Set a safe tooltip (plain text, escaped) and the accessible name and description."""
    widget.setToolTip(tooltip_text(text))
    widget.setAccessibleName(accessible_name or text.split("\n", 1)[0])
    widget.setAccessibleDescription(text)


def chip(text: str, tip: str, parent: QWidget | None = None) -> QLabel:
    label = plain_label(text, "Chip", parent)
    set_tip(label, tip, text)
    label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return label


def rule(parent: QWidget | None = None) -> QFrame:
    line = QFrame(parent)
    line.setObjectName("Rule")
    line.setFrameShape(QFrame.Shape.NoFrame)
    line.setFixedHeight(1)
    return line


class FlowLayout(QLayout):
    """Lays out widgets left to right, wrapping onto new lines (for reason chips)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def clear(self) -> None:
        while self._items:
            item = self._items.pop()
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.invalidate()

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _place(self, rect: QRect, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x = area.x()
                y += line_height + self._spacing
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class EmptyStateTable(QTableView):
    """A table that says something useful when it has no rows.

    Attributes:
        flexible_column: the column that takes whatever width the others leave (-1: none).
        shrinkable: columns that give up width, down to their minimum, when space is short.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._empty_text = ""
        self.flexible_column = -1
        self.flexible_minimum = 140
        self.shrinkable: dict[int, tuple[int, int]] = {}  # column -> (preferred, minimum)

    def fit_columns(self) -> None:
        """Give the flexible column the room left; shrink the shrinkable ones when it is short."""
        if self.flexible_column < 0 or self.model() is None:
            return
        header = self.horizontalHeader()
        columns = [
            c for c in range(self.model().columnCount()) if not self.isColumnHidden(c) and c != self.flexible_column
        ]
        available = self.viewport().width()
        for column, (preferred, _minimum) in self.shrinkable.items():
            if not self.isColumnHidden(column):
                header.resizeSection(column, preferred)
        used = sum(header.sectionSize(c) for c in columns)
        short = self.flexible_minimum - (available - used)
        for column, (preferred, minimum) in self.shrinkable.items():
            if short <= 0:
                break
            if self.isColumnHidden(column):
                continue
            give = min(short, preferred - minimum)
            header.resizeSection(column, preferred - give)
            short -= give
        used = sum(header.sectionSize(c) for c in columns)
        header.resizeSection(self.flexible_column, max(self.flexible_minimum if short <= 0 else 60, available - used))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def set_empty_text(self, text: str) -> None:
        if text != self._empty_text:
            self._empty_text = text
            self.viewport().update()

    def empty_text(self) -> str:
        return self._empty_text

    def paintEvent(self, event: QPaintEvent) -> None:
        delegate = self.itemDelegate()
        if hasattr(delegate, "begin_paint"):
            delegate.begin_paint()
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self._empty_text:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            area = self.viewport().rect().adjusted(24, 24, -24, -24)
            area.setHeight(min(area.height(), 160))
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self._empty_text)
            painter.end()
