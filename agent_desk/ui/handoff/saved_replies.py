"""The saved-reply picker: a small filterable list over the composer, never a modal.

Type to filter by title or text; Up/Down move; Enter inserts; Esc closes. Only the replies
meant for the handoff's queue are listed, after the suggested opening line (when there is one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.surface import CannedReply
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip

REPLY_ROLE = Qt.ItemDataRole.UserRole + 30
PREVIEW_ROLE = Qt.ItemDataRole.UserRole + 31
PAD = 6


class _ReplyDelegate(QStyledItemDelegate):
    """A saved reply as its title in bold over one line of its text (filled in), as plain text."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(option.rect.width(), 2 * line + 2 * PAD + 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        reply = index.data(REPLY_ROLE)
        if not isinstance(reply, CannedReply):
            return
        painter.save()
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        ink = palette.highlightedText().color() if selected else palette.text().color()
        bold = QFont(option.font)
        bold.setBold(True)
        line = QFontMetrics(option.font).height()
        area = option.rect.adjusted(PAD + 2, PAD, -PAD - 2, -PAD)
        painter.setFont(bold)
        painter.setPen(ink)
        title = QFontMetrics(bold).elidedText(one_line(reply.title, 80), Qt.TextElideMode.ElideRight, area.width())
        painter.drawText(QRect(area.left(), area.top(), area.width(), line), int(Qt.AlignmentFlag.AlignLeft), title)
        painter.setFont(option.font)
        painter.setPen(ink if selected else palette.placeholderText().color())
        preview = str(index.data(PREVIEW_ROLE) or "")
        text = QFontMetrics(option.font).elidedText(preview, Qt.TextElideMode.ElideRight, area.width())
        painter.drawText(
            QRect(area.left(), area.top() + line + 2, area.width(), line), int(Qt.AlignmentFlag.AlignLeft), text
        )
        painter.restore()


class SavedReplyPicker(QFrame):
    """A popup list of saved replies.

    Signals:
        chosen(CannedReply): the person picked this reply (not yet filled in).
    """

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("SavedReplyPicker")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(self.tr("Saved replies"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter saved replies…"))
        set_tip(
            self.filter, self.tr("Type to filter; Up and Down move; Enter inserts"), self.tr("Filter saved replies")
        )
        self.filter.setClearButtonEnabled(True)
        self.list = QListWidget()
        set_tip(self.list, self.tr("Enter or a double click inserts the reply"), self.tr("Saved replies"))
        self.list.setUniformItemSizes(True)
        self.list.setItemDelegate(_ReplyDelegate(self.list))
        self.empty = plain_label("", "DetailEmpty", wrap=True)
        self.empty.hide()
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.resize(460, 320)
        self._replies: tuple[CannedReply, ...] = ()
        self._preview: Callable[[str], str] = lambda text: text
        self.filter.textChanged.connect(self._refilter)
        self.filter.installEventFilter(self)
        self.list.itemActivated.connect(self._activated)

    def open_for(
        self,
        replies: Sequence[CannedReply],
        queue: str,
        anchor: QWidget,
        preview: Callable[[str], str] | None = None,
    ) -> None:
        """List ``replies`` that fit ``queue`` and show the picker above ``anchor``, inside its window.

        ``preview`` fills a reply's placeholders for its one-line preview.
        """
        self._replies = tuple(r for r in replies if r.fits(queue))
        self._preview = preview or (lambda text: text)
        self.filter.clear()
        self._refilter("")
        rows = max(1, min(self.list.count(), 6))
        line = QFontMetrics(self.list.font()).height()
        self.resize(
            min(460, max(300, anchor.width() + 100)),
            self.filter.sizeHint().height() + rows * (2 * line + 2 * PAD + 2) + 30,
        )
        top_left = anchor.mapToGlobal(QPoint(0, 0))
        window = anchor.window()
        right_edge = window.mapToGlobal(QPoint(window.width(), 0)).x() - 8
        x = min(top_left.x(), right_edge - self.width())
        self.move(max(0, x), max(0, top_left.y() - self.height() - 4))
        self.show()
        self.filter.setFocus()

    def _refilter(self, text: str) -> None:
        needle = text.casefold().strip()
        self.list.clear()
        for reply in self._replies:
            if needle and needle not in reply.title.casefold() and needle not in reply.text.casefold():
                continue
            item = QListWidgetItem(one_line(reply.title, 80))
            item.setData(REPLY_ROLE, reply)
            item.setData(PREVIEW_ROLE, one_line(self._preview(reply.text), 300))
            item.setToolTip(one_line(reply.text, 600))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.empty.setText(
            self.tr("No saved reply matches.")
            if self._replies
            else self.tr("No saved replies for this queue yet. Leads add them under Saved replies in the menu.")
        )
        self.empty.setVisible(not self.list.count())
        self.list.setVisible(bool(self.list.count()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down/Enter in the filter field move in and pick from the list."""
        if watched is self.filter and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                if 0 <= row < self.list.count():
                    self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.list.currentItem()
                if item is not None:
                    self._activated(item)
                return True
        return super().eventFilter(watched, event)

    def _activated(self, item: QListWidgetItem) -> None:
        reply = item.data(REPLY_ROLE)
        self.hide()
        if isinstance(reply, CannedReply):
            self.chosen.emit(reply)
