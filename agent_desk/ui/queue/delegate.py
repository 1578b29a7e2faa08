"""Painting of the queue's cells: badges, live wait, sentiment and trigger icons.

Colour never carries meaning alone: the priority badge holds its number, tiers are words, a
near target adds a clock and a passed one an alert sign plus a bar at the row's left edge,
sentiment is a shape (down, level, up) as well as a colour, and every mark has a tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractProxyModel,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QToolTip, QWidget

from agent_desk.client.handoff_view import ReasonView
from agent_desk.client.surface import SyncState
from agent_desk.ui import labels
from agent_desk.ui.icons import Icons
from agent_desk.ui.marks import draw_badge, draw_sentiment, reason_tooltip, sentiment_tooltip
from agent_desk.ui.queue import cells
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.rows import Column, Row, Sla
from agent_desk.ui.row_model import AnyIndex
from agent_desk.ui.text import one_line, tooltip_text
from agent_desk.ui.theme import ThemeManager

ROW_HEIGHT = 32
PAD = 8
ICON = 14
_SELECTED = QStyle.StateFlag.State_Selected.value
_HOVER = QStyle.StateFlag.State_MouseOver.value
_ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate.value
_LEFT_MIDDLE = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value) | int(
    Qt.TextFlag.TextSingleLine.value
)
_RIGHT_MIDDLE = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


class QueueDelegate(QStyledItemDelegate):
    """Paints every column of the queue table from the row records, not from ``data()``."""

    def __init__(self, source: QueueModel, themes: ThemeManager, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._themes = themes
        self._icons = icons
        self._fonts: dict[str, QFont] = {}
        self._base_font: QFont | None = None
        self._pass: dict[tuple[int, int], Row] = {}
        self._elided: dict[tuple[str, int, int], str] = {}

    # ---- helpers --------------------------------------------------------------------------

    def begin_paint(self) -> None:
        """A paint pass starts: rows cannot change during it, so records are looked up once."""
        self._pass.clear()

    def record_for(self, index: AnyIndex) -> Row | None:
        model = index.model()
        key = (id(model), index.row())
        found = self._pass.get(key)
        if found is not None:
            return found
        if model is self._source:
            row = index.row()
        elif isinstance(model, QAbstractProxyModel):
            source_index = model.mapToSource(index)
            if not source_index.isValid():
                return None
            row = source_index.row()
        else:
            return None
        try:
            found = self._source.row_record(row)
        except IndexError:
            return None
        self._pass[key] = found
        return found

    def _elide(self, text: str, font: QFont, width: int) -> str:
        key = (text, width, id(font))  # fonts come from self._fonts, which outlive the cache
        found = self._elided.get(key)
        if found is None:
            if len(self._elided) > 20_000:
                self._elided.clear()
            found = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, width)
            self._elided[key] = found
        return found

    def _font(self, base: QFont, kind: str) -> QFont:
        """The view's font in one of the kinds (plain, bold, badge), made once per font."""
        if self._base_font is None or self._base_font != base:
            self._base_font = QFont(base)
            self._fonts.clear()
            self._elided.clear()
        font = self._fonts.get(kind)
        if font is None:
            font = QFont(base)
            if kind == "bold":
                font.setWeight(QFont.Weight.DemiBold)
            elif kind == "badge":
                font.setWeight(QFont.Weight.Bold)
                size = base.pointSizeF()
                if size > 0:
                    font.setPointSizeF(max(7.0, size - 1.5))
            self._fonts[kind] = font
        return font

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        width = {
            Column.PRIORITY: 38,
            Column.TIER: 80,
            Column.CUSTOMER: 160,
            Column.QUEUE: 88,
            Column.BRIEF: 260,
            Column.SIGNALS: 80,
            Column.LANGUAGE: 46,
            Column.STATUS: 110,
            Column.WAIT: 76,
        }.get(Column(index.column()), 80)
        return QSize(width, ROW_HEIGHT)

    def trigger_rects(self, rect: QRect, record: Row) -> list[tuple[QRect, ReasonView]]:
        x = rect.left() + PAD + 18
        top = rect.top() + (rect.height() - ICON) // 2
        found: list[tuple[QRect, ReasonView]] = []
        seen: set[str] = set()
        for reason in record.handoff.reasons:
            trigger = reason.trigger
            if trigger in seen:
                continue
            seen.add(trigger)
            box = QRect(x, top, ICON, ICON)
            if box.right() > rect.right() - 2:
                break
            found.append((box, reason))
            x += ICON + 5
        return found

    # ---- painting -------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        record = self.record_for(index)
        if record is None:
            return
        themes = self._themes
        rect = QRect(option.rect)
        state = option.state.value  # plain ints: enum flag arithmetic is slow in Python
        selected = bool(state & _SELECTED)
        if selected:
            painter.fillRect(rect, themes.color("selection"))
        elif state & _HOVER:
            painter.fillRect(rect, themes.color("hover"))
        elif option.features.value & _ALTERNATE:
            painter.fillRect(rect, themes.color("alternate"))
        ink = themes.color("selection_text" if selected else "text")
        muted = themes.color("selection_text" if selected else "muted")
        column = index.column()
        h = record.handoff
        font = self._font(option.font, "plain")
        painter.save()
        painter.setFont(font)
        if column == Column.PRIORITY:
            self._paint_priority(painter, rect, record, font)
        elif column == Column.TIER:
            self._paint_tier(painter, rect, h.tier, font, muted)
        elif column == Column.CUSTOMER:
            self._paint_customer(painter, rect, record, font, ink, selected)
        elif column == Column.QUEUE:
            self._text(painter, rect, one_line(h.queue, 60), font, muted)
        elif column == Column.BRIEF:
            self._text(painter, rect, cells.brief_text(record), font, ink)
        elif column == Column.SIGNALS:
            draw_sentiment(painter, QRect(rect.left() + PAD - 2, rect.top(), 14, rect.height()), h.sentiment, themes)
            for box, reason in self.trigger_rects(rect, record):
                ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
                pixmap = self._icons.pixmap(
                    f"trigger-{reason.trigger}", "selection_text" if selected else "muted", ICON, ratio
                )
                painter.drawPixmap(box, pixmap)
        elif column == Column.LANGUAGE:
            self._text(painter, rect, one_line(h.language, 12).upper(), font, muted)
        elif column == Column.STATUS:
            self._paint_status(painter, rect, record, font, ink, muted, selected)
        elif column == Column.WAIT:
            self._paint_wait(painter, rect, record, font, ink, selected)
        painter.restore()

    def _text(self, painter: QPainter, rect: QRect, text: str, font: QFont, color: QColor) -> None:
        inner = rect.adjusted(PAD, 0, -PAD, 0)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(inner, _LEFT_MIDDLE, self._elide(text, font, inner.width()))

    def _icon(self, painter: QPainter, name: str, token: str) -> QPixmap:
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        return self._icons.pixmap(name, token, ICON, ratio)

    def _paint_customer(
        self, painter: QPainter, rect: QRect, record: Row, font: QFont, ink: QColor, selected: bool
    ) -> None:
        """The name in bold, with a sync mark (pending: clock, refused: alert) after it."""
        mark = _sync_mark(record)
        text_rect = QRect(rect)
        if mark is not None:
            token, icon = mark
            box = QRect(rect.right() - PAD - ICON + 2, rect.top() + (rect.height() - ICON) // 2, ICON, ICON)
            painter.drawPixmap(box, self._icon(painter, icon, "selection_text" if selected else token))
            text_rect.setRight(box.left() - 2)
        self._text(painter, text_rect, cells.customer_name(record), self._font(font, "bold"), ink)

    def _paint_priority(self, painter: QPainter, rect: QRect, record: Row, font: QFont) -> None:
        if self._source.sla_of(record) == Sla.BREACHED:
            painter.fillRect(QRect(rect.left(), rect.top() + 1, 3, rect.height() - 2), self._themes.color("breach_bar"))
        priority = record.handoff.priority
        token = {1: "p1", 2: "p2", 3: "p3"}.get(priority, "p4")
        side = 20.0
        box = QRectF(rect.left() + PAD + 2, rect.top() + (rect.height() - side) / 2, side, side)
        draw_badge(
            painter,
            box,
            str(priority),
            self._themes.color(token),
            self._themes.color("badge_text"),
            self._font(font, "badge"),
            5.0,
        )

    def _paint_tier(self, painter: QPainter, rect: QRect, tier: str, font: QFont, muted: QColor) -> None:
        if tier in ("vip", "premium"):
            badge_font = self._font(font, "badge")
            text = labels.tier_label(tier)
            metrics = QFontMetrics(badge_font)
            width = min(rect.width() - 2 * PAD, metrics.horizontalAdvance(text) + 10)
            box = QRectF(rect.left() + PAD, rect.top() + (rect.height() - 18) / 2, width, 18)
            draw_badge(
                painter, box, text, self._themes.color(tier), self._themes.color(f"{tier}_text"), badge_font, 4.0
            )
        elif tier == "free":
            self._text(painter, rect, labels.tier_label(tier), font, muted)

    def _paint_status(
        self, painter: QPainter, rect: QRect, record: Row, font: QFont, ink: QColor, muted: QColor, selected: bool
    ) -> None:
        mark = _sync_mark(record)
        text_rect = QRect(rect)
        if mark is not None:
            token, icon = mark
            box = QRect(rect.left() + PAD, rect.top() + (rect.height() - ICON) // 2, ICON, ICON)
            painter.drawPixmap(box, self._icon(painter, icon, token))
            text_rect.setLeft(rect.left() + ICON + 4)
            color = ink if selected else self._themes.color(token)
            self._text(painter, text_rect, cells.status_text(self._source, record), font, color)
            return
        mine = record.status == "claimed" and record.handoff.assignee == self._source.me
        self._text(
            painter,
            text_rect,
            cells.status_text(self._source, record),
            self._font(font, "bold") if mine else font,
            ink if mine else muted,
        )

    def _paint_wait(
        self, painter: QPainter, rect: QRect, record: Row, font: QFont, ink: QColor, selected: bool
    ) -> None:
        wait = self._source.wait_seconds(record)
        if wait is None:
            return
        sla = self._source.sla_of(record)
        text = cells.display_text(self._source, record, Column.WAIT)
        if sla == Sla.BREACHED:
            color, icon, wfont = self._themes.color("wait_breached"), "attention", self._font(font, "bold")
        elif sla == Sla.NEAR:
            color, icon, wfont = self._themes.color("wait_near"), "sync-pending", self._font(font, "bold")
        else:
            color, icon, wfont = (ink if sla == Sla.OK else self._themes.color("muted")), None, font
        if selected and sla not in (Sla.NEAR, Sla.BREACHED):
            color = ink
        inner = rect.adjusted(PAD, 0, -PAD, 0)
        metrics = QFontMetrics(wfont)
        painter.setFont(wfont)
        painter.setPen(color)
        painter.drawText(inner, _RIGHT_MIDDLE, text)
        if icon:
            token = "wait_breached" if sla == Sla.BREACHED else "wait_near"
            ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
            x = inner.right() - metrics.horizontalAdvance(text) - ICON - 4
            box = QRect(x, rect.top() + (rect.height() - ICON) // 2, ICON, ICON)
            painter.drawPixmap(box, self._icons.pixmap(icon, token, ICON - 1, ratio))

    # ---- tooltips -------------------------------------------------------------------------

    def helpEvent(
        self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem, index: AnyIndex
    ) -> bool:
        if event is None or not index.isValid():
            return False
        record = self.record_for(index)
        if record is None:
            return False
        text: str | None = None
        if index.column() == Column.SIGNALS:
            pos = event.pos()
            if pos.x() < option.rect.left() + PAD + 16:
                text = sentiment_tooltip(record.handoff)
            else:
                for box, reason in self.trigger_rects(option.rect, record):
                    if box.adjusted(-2, -8, 2, 8).contains(pos):
                        text = reason_tooltip(reason, record.handoff)
                        break
                else:
                    text = "\n\n".join(reason_tooltip(r, record.handoff) for r in record.handoff.reasons)
        else:
            text = cells.tooltip(self._source, record, index.column())
            if index.column() in (Column.STATUS, Column.CUSTOMER) and record.handoff.sync == SyncState.PENDING:
                text += "\n" + self.tr("Pending sync: recorded here; the hub has not confirmed it yet.")
            elif index.column() in (Column.STATUS, Column.CUSTOMER) and record.handoff.sync == SyncState.ATTENTION:
                text += "\n" + self.tr("Needs attention: the hub refused a change; see Needs attention.")
        if text:
            QToolTip.showText(event.globalPos(), tooltip_text(text), view)
            return True
        QToolTip.hideText()
        return True


def _sync_mark(record: Row) -> tuple[str, str] | None:
    """(colour token, icon) of what the person recorded on a row and the hub has not confirmed."""
    sync = record.handoff.sync
    if sync == SyncState.PENDING:
        return "warning", "sync-pending"
    if sync == SyncState.ATTENTION:
        return "danger", "attention"
    return None
