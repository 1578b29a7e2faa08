"""The conversation as chat bubbles: a list model of messages and a delegate that draws text.

Message text is laid out with QTextLayout and drawn as plain text: HTML tags show as the
characters they are, and :func:`agent_desk.ui.text.safe_text` has removed escape sequences,
control characters and bidi overrides before anything is measured or drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QPainter, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from agent_desk.ui import labels
from agent_desk.ui.marks import draw_sentiment
from agent_desk.ui.row_model import AnyIndex, RowModel
from agent_desk.ui.text import format_clock, parse_ts, safe_text
from agent_desk.ui.theme import ThemeManager

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 20

BUBBLE_PAD_X, BUBBLE_PAD_Y = 10, 7
GAP = 8
SIDE_MARGIN = 12
BUBBLE_FRACTION = 0.8


class Message:
    """A transcript entry cleaned for display."""

    __slots__ = ("at", "index", "role", "sentiment", "text")

    def __init__(self, entry: Mapping[str, Any], position: int) -> None:
        role = str(entry.get("role", "system"))
        self.role = role if role in ("customer", "bot", "agent", "system") else "system"
        self.text = safe_text(entry.get("text"))
        self.at = parse_ts(entry.get("at"))
        value = entry.get("sentiment")
        self.sentiment = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        raw_index = entry.get("index")
        self.index = raw_index if isinstance(raw_index, int) else position

    def same_as(self, other: Message) -> bool:
        return (self.role, self.text, self.at, self.sentiment) == (other.role, other.text, other.at, other.sentiment)

    def spoken(self) -> str:
        """The message as one line for screen readers and copying."""
        when = format_clock(self.at)
        head = labels.role_label(self.role) + (f", {when}" if when else "")
        return f"{head}: {self.text}"


class TranscriptModel(RowModel[Message]):
    """The messages of the handoff in focus; grows row by row as messages arrive.

    Attributes:
        handoff_id: whose transcript is shown ("" for none).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.handoff_id = ""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        message = self.row_at(index)
        if message is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return message.spoken()
        if role == MESSAGE_ROLE:
            return message
        return None

    def message(self, row: int) -> Message:
        return self._rows[row]

    def show(self, handoff_id: str, transcript: Sequence[Any] | None) -> None:
        """Show ``transcript``; for the same handoff, only new or changed messages are touched."""
        entries = [Message(e, i) for i, e in enumerate(transcript or ()) if isinstance(e, Mapping)]
        if handoff_id != self.handoff_id:
            self.beginResetModel()
            self.handoff_id = handoff_id
            self._rows = entries
            self.endResetModel()
            return
        common = min(len(entries), len(self._rows))
        for row in range(common):
            if not entries[row].same_as(self._rows[row]):
                self._rows[row] = entries[row]
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)
        if len(entries) > len(self._rows):
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, len(entries) - 1)
            self._rows.extend(entries[first:])
            self.endInsertRows()
        elif len(entries) < len(self._rows):
            self.beginRemoveRows(QModelIndex(), len(entries), len(self._rows) - 1)
            del self._rows[len(entries) :]
            self.endRemoveRows()


class BubbleDelegate(QStyledItemDelegate):
    """Draws one message as a bubble: customer and bot on the left, agent on the right,
    system notes centred, each with its time and (customer messages) a sentiment mark."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._themes = themes
        self._layouts: dict[tuple[str, int], tuple[QTextLayout, float, float]] = {}

    def clear_cache(self) -> None:
        self._layouts.clear()

    def _bubble_width(self, option: QStyleOptionViewItem) -> int:
        return max(120, int((option.rect.width() or 360) * BUBBLE_FRACTION) - 2 * SIDE_MARGIN)

    def _layout(self, message: Message, font: QFont, width: int) -> tuple[QTextLayout, float, float]:
        """A laid-out plain-text paragraph: (layout, height, widest line)."""
        key = (message.text, width)
        found = self._layouts.get(key)
        if found is not None:
            return found
        if len(self._layouts) > 2000:
            self._layouts.clear()
        layout = QTextLayout(message.text.replace("\n", "\u2028"), font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.setCacheEnabled(True)
        height = 0.0
        widest = 0.0
        text_width = width - 2 * BUBBLE_PAD_X
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(text_width)
            line.setPosition(QPointF(0, height))
            height += line.height()
            widest = max(widest, line.naturalTextWidth())
        layout.endLayout()
        found = (layout, height, widest)
        self._layouts[key] = found
        return found

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        message = index.data(MESSAGE_ROLE)
        if not isinstance(message, Message):
            return QSize(0, 0)
        view = self.parent()
        width = view.viewport().width() if isinstance(view, QAbstractItemView) else option.rect.width()
        opt = QStyleOptionViewItem(option)
        opt.rect = QRect(0, 0, width, 0)
        head = QFontMetrics(option.font).height()
        _, height, _ = self._layout(message, option.font, self._bubble_width(opt))
        if message.role == "system":
            return QSize(width, int(height + 2 * BUBBLE_PAD_Y + GAP))
        return QSize(width, int(head + 2 + height + 2 * BUBBLE_PAD_Y + GAP))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        message = index.data(MESSAGE_ROLE)
        if not isinstance(message, Message):
            return
        themes = self._themes
        rect = option.rect
        font = option.font
        metrics = QFontMetrics(font)
        max_width = self._bubble_width(option)
        layout, height, widest = self._layout(message, font, max_width)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if message.role == "system":
            painter.setPen(themes.color("bubble_system_text"))
            x = rect.left() + (rect.width() - widest) / 2
            layout.draw(painter, QPointF(x, rect.top() + BUBBLE_PAD_Y))
            painter.restore()
            return
        bubble_w = min(max_width, int(widest) + 2 * BUBBLE_PAD_X + 2)
        head_h = metrics.height()
        right = message.role == "agent"
        x = rect.right() - SIDE_MARGIN - bubble_w if right else rect.left() + SIDE_MARGIN
        # Header: who and when, plus the sentiment mark on customer messages.
        header = labels.role_label(message.role)
        when = format_clock(message.at)
        if when:
            header += f" · {when}"
        painter.setPen(themes.color("muted"))
        small = QFont(font)
        painter.setFont(small)
        head_rect = QRect(int(x), rect.top(), max_width, head_h)
        align = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
        if right:
            head_rect.moveRight(rect.right() - SIDE_MARGIN)
        painter.drawText(head_rect, int(align | Qt.AlignmentFlag.AlignVCenter), header)
        if message.role == "customer" and message.sentiment is not None:
            mark_x = int(x) + metrics.horizontalAdvance(header) + 6
            draw_sentiment(painter, QRect(mark_x, rect.top(), 14, head_h), message.sentiment, themes)
        bubble = QRectF(x, rect.top() + head_h + 2, bubble_w, height + 2 * BUBBLE_PAD_Y)
        fill, ink = {
            "customer": ("bubble_customer", "bubble_customer_text"),
            "bot": ("bubble_bot", "bubble_bot_text"),
            "agent": ("bubble_agent", "bubble_agent_text"),
        }[message.role]
        painter.setPen(themes.color("focus") if selected else Qt.PenStyle.NoPen)
        painter.setBrush(themes.color(fill))
        painter.drawRoundedRect(bubble, 10, 10)
        painter.setPen(themes.color(ink))
        layout.draw(painter, QPointF(bubble.left() + BUBBLE_PAD_X, bubble.top() + BUBBLE_PAD_Y))
        painter.restore()


class TranscriptView(QListView):
    """A read-only list of bubbles; Ctrl+C copies the selected messages as plain text."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Transcript")
        self.bubbles = BubbleDelegate(themes, self)
        self.setItemDelegate(self.bubbles)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSpacing(0)
        self.setViewportMargins(0, 10, 0, 6)
        self._stick_to_bottom = True
        themes.changed.connect(self.on_theme_changed)

    def on_theme_changed(self, _theme: Any) -> None:
        self.viewport().update()

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            model.rowsAboutToBeInserted.connect(self._remember_bottom)
            model.rowsInserted.connect(self._follow)
            model.modelReset.connect(self._after_reset)

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _remember_bottom(self, *_args: Any) -> None:
        self._stick_to_bottom = self._at_bottom()

    def _follow(self, *_args: Any) -> None:
        if self._stick_to_bottom:
            self.scrollToBottom()

    def _after_reset(self) -> None:
        self.bubbles.clear_cache()
        self.scrollToBottom()

    def resizeEvent(self, event: Any) -> None:
        self.bubbles.clear_cache()
        super().resizeEvent(event)

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            rows = sorted(i.row() for i in self.selectionModel().selectedRows())
            model = self.model()
            if rows and isinstance(model, TranscriptModel):
                QApplication.clipboard().setText("\n".join(model.message(r).spoken() for r in rows))
            return
        super().keyPressEvent(event)
