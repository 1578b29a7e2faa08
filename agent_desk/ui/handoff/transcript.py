"""The conversation as chat bubbles: a list model of messages and a delegate that draws text.

Message text is laid out with QTextLayout and drawn as plain text: HTML tags show as the
characters they are, and :func:`agent_desk.ui.text.safe_text` has removed escape sequences,
control characters and bidi overrides before anything is measured or drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QPainter, QPen, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from agent_desk.client.handoff_view import MessageView
from agent_desk.ui import labels
from agent_desk.ui.marks import draw_sentiment
from agent_desk.ui.row_model import AnyIndex, RowModel
from agent_desk.ui.text import format_clock, parse_ts, safe_text
from agent_desk.ui.theme import ThemeManager
from agent_desk.ui.widgets import set_tip

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 20

BUBBLE_PAD_X, BUBBLE_PAD_Y = 10, 7
GAP = 8
SIDE_MARGIN = 12
BUBBLE_FRACTION = 0.8


#: The roles a transcript entry may have; anything else is shown as a system line.
ROLES = ("customer", "bot", "agent", "note", "system")


class Message:
    """A transcript message (a :class:`MessageView`) cleaned for display.

    Agent messages carry their state: ``pending`` (recorded here, waiting to sync),
    ``delivered_at`` (the customer has it), ``failed`` (the hub refused it: why), else sent.
    """

    __slots__ = (
        "at",
        "author",
        "author_name",
        "delivered_at",
        "failed",
        "index",
        "mine",
        "pending",
        "role",
        "sentiment",
        "text",
    )

    def __init__(self, message: MessageView, me: str = "", failed: str | None = None) -> None:
        self.role = message.role if message.role in ROLES else "system"
        self.text = safe_text(message.text)
        self.at = parse_ts(message.at)
        self.sentiment = message.sentiment
        self.index = message.index
        self.author = safe_text(message.author, 80)
        self.author_name = safe_text(message.author_name, 80) or self.author
        self.delivered_at = parse_ts(message.delivered_at)
        self.pending = message.pending is not None
        self.failed = failed
        self.mine = bool(me) and self.author == me

    def key(self) -> tuple[Any, ...]:
        return (
            self.role,
            self.text,
            self.at,
            self.sentiment,
            self.delivered_at,
            self.pending,
            self.failed,
            self.author_name,
            self.mine,
        )

    def same_as(self, other: Message) -> bool:
        return self.key() == other.key()

    def who(self) -> str:
        """Who wrote it, as the header says: "You", the agent's name, or the role."""
        if self.role in ("agent", "note") and (self.mine or self.author_name):
            return _tr("You") if self.mine else self.author_name
        return labels.role_label(self.role)

    def state(self) -> str:
        """An agent message's way to the customer, in words with its mark ("" for others)."""
        if self.failed is not None:
            return "⚠ " + _tr("not sent: %1").replace("%1", self.failed)
        if self.role != "agent":
            return ""
        if self.pending:
            return "◷ " + _tr("waiting to sync")
        if self.delivered_at is not None:
            return "✓✓ " + _tr("delivered %1").replace("%1", format_clock(self.delivered_at))
        return "✓ " + _tr("sent")

    def header(self) -> str:
        """The line above the bubble: who, when and, for agent messages, where it is."""
        parts = [self.who()]
        if self.role == "note":
            parts[0] = _tr("Note · only the team sees this · %1").replace("%1", parts[0])
        when = format_clock(self.at)
        if when:
            parts.append(when)
        state = self.state()
        if state:
            parts.append(state)
        return " · ".join(parts)

    def spoken(self) -> str:
        """The message as one line for screen readers and copying."""
        return f"{self.header()}: {self.text}"


def _tr(text: str) -> str:
    return QCoreApplication.translate("Transcript", text)


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

    def show(
        self,
        handoff_id: str,
        transcript: Sequence[MessageView],
        me: str = "",
        failed: Sequence[tuple[MessageView, str]] = (),
    ) -> None:
        """Show ``transcript`` (then ``failed``: messages the hub refused, with why).

        For the same handoff, only new or changed messages are touched.
        """
        entries = [Message(m, me) for m in transcript]
        entries.extend(Message(m, me, why) for m, why in failed)
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

    def _bubble_width(self, option: QStyleOptionViewItem, message: Message | None = None) -> int:
        full = (option.rect.width() or 360) - 2 * SIDE_MARGIN
        if message is not None and message.role == "note":
            return max(120, full)  # notes span the pane: never mistaken for a chat bubble
        return max(120, int(full * BUBBLE_FRACTION))

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
        _, height, _ = self._layout(message, option.font, self._bubble_width(opt, message))
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
        max_width = self._bubble_width(option, message)
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
        note = message.role == "note"
        bubble_w = max_width if note else min(max_width, int(widest) + 2 * BUBBLE_PAD_X + 2)
        head_h = metrics.height()
        right = message.role == "agent"
        x = rect.right() - SIDE_MARGIN - bubble_w if right else rect.left() + SIDE_MARGIN
        # Header: who and when (and where an agent message is), plus the sentiment mark.
        header = message.header()
        painter.setPen(themes.color("danger" if message.failed is not None else "muted"))
        head_rect = QRect(int(x), rect.top(), max(max_width, bubble_w), head_h)
        align = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
        if right:
            head_rect.setLeft(rect.left() + SIDE_MARGIN)
            head_rect.setRight(rect.right() - SIDE_MARGIN)
        header = metrics.elidedText(header, Qt.TextElideMode.ElideMiddle, head_rect.width())
        painter.drawText(head_rect, int(align | Qt.AlignmentFlag.AlignVCenter), header)
        if message.role == "customer" and message.sentiment is not None:
            mark_x = int(x) + metrics.horizontalAdvance(header) + 6
            draw_sentiment(painter, QRect(mark_x, rect.top(), 14, head_h), message.sentiment, themes)
        bubble = QRectF(x, rect.top() + head_h + 2, bubble_w, height + 2 * BUBBLE_PAD_Y)
        fill, ink = _COLOURS[message.role]
        if note:
            pen = QPen(themes.color("note_border"), 1.2, Qt.PenStyle.DashLine)
        elif message.failed is not None:
            pen = QPen(themes.color("danger"), 1.5, Qt.PenStyle.DashLine)
        elif selected:
            pen = QPen(themes.color("focus"))
        else:
            pen = QPen(Qt.PenStyle.NoPen)
        painter.setPen(pen)
        painter.setBrush(themes.color(fill))
        painter.setOpacity(0.75 if message.pending else 1.0)
        painter.drawRoundedRect(bubble, 4 if note else 10, 4 if note else 10)
        painter.setPen(themes.color(ink))
        layout.draw(painter, QPointF(bubble.left() + BUBBLE_PAD_X, bubble.top() + BUBBLE_PAD_Y))
        painter.restore()


#: Fill and text colour of each kind of bubble.
_COLOURS = {
    "customer": ("bubble_customer", "bubble_customer_text"),
    "bot": ("bubble_bot", "bubble_bot_text"),
    "agent": ("bubble_agent", "bubble_agent_text"),
    "note": ("bubble_note", "bubble_note_text"),
}


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
        self.new_messages = QPushButton(self)
        self.new_messages.setObjectName("NewMessagesPill")
        self.new_messages.setCursor(Qt.CursorShape.PointingHandCursor)
        set_tip(self.new_messages, self.tr("Go to the newest message"), self.tr("New messages below"))
        self.new_messages.hide()
        self.new_messages.clicked.connect(self.show_latest)
        self._unseen = 0
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)
        themes.changed.connect(self.on_theme_changed)

    def on_theme_changed(self, _theme: Any) -> None:
        self.viewport().update()

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            model.rowsInserted.connect(self._follow)
            model.modelReset.connect(self._after_reset)

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _follow(self, _parent: Any, first: int, last: int) -> None:
        """New messages scroll into view, unless the person has scrolled up to read: then
        a pill says how many wait below."""
        if self._stick_to_bottom:
            self.scrollToBottom()
            return
        self._unseen += last - first + 1
        self.new_messages.setText(
            self.tr("↓ %1 new messages").replace("%1", str(self._unseen))
            if self._unseen != 1
            else self.tr("↓ 1 new message")
        )
        self.new_messages.adjustSize()
        self._place_pill()
        self.new_messages.show()
        self.new_messages.raise_()

    def show_latest(self) -> None:
        """Scroll to the newest message (the pill's action)."""
        self.scrollToBottom()
        self._clear_unseen()

    def _scrolled(self, _value: int) -> None:
        """The reader's place: at the bottom it follows new messages, above it stays put."""
        self._stick_to_bottom = self._at_bottom()
        if self._unseen and self._stick_to_bottom:
            self._clear_unseen()

    def _range_changed(self, _low: int, _high: int) -> None:
        """Taller content or a shorter pane: a reader at the bottom stays at the bottom."""
        if self._stick_to_bottom:
            self.scrollToBottom()

    def _clear_unseen(self) -> None:
        self._unseen = 0
        self.new_messages.hide()

    def _place_pill(self) -> None:
        pill = self.new_messages
        pill.move((self.width() - pill.width()) // 2, self.height() - pill.height() - 12)

    def _after_reset(self) -> None:
        self.bubbles.clear_cache()
        self._clear_unseen()
        self._stick_to_bottom = True
        self.scrollToBottom()

    def resizeEvent(self, event: Any) -> None:
        self.bubbles.clear_cache()
        super().resizeEvent(event)
        self._place_pill()

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            rows = sorted(i.row() for i in self.selectionModel().selectedRows())
            model = self.model()
            if rows and isinstance(model, TranscriptModel):
                QApplication.clipboard().setText("\n".join(model.message(r).spoken() for r in rows))
            return
        super().keyPressEvent(event)
