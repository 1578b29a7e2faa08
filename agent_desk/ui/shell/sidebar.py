"""The left column: views with live counts, queues with waiting counts, and the lead's panels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from agent_desk.ui.icons import Icons
from agent_desk.ui.queue.filter import View
from agent_desk.ui.queue.tally import Counts
from agent_desk.ui.row_model import AnyIndex, RowModel
from agent_desk.ui.theme import ThemeManager
from agent_desk.ui.widgets import plain_label

KEY_ROLE = Qt.ItemDataRole.UserRole + 30
COUNT_ROLE = Qt.ItemDataRole.UserRole + 31
ALERT_ROLE = Qt.ItemDataRole.UserRole + 32
ALL_QUEUES = ""


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    label: str
    icon: str
    count: int | None = None
    tip: str = ""
    alert: bool = False


class NavModel(RowModel[NavItem]):
    """A short list of navigation items with counts."""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index)
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.label
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.label}, {item.count}" if item.count is not None else item.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.tip or item.label
        if role == KEY_ROLE:
            return item.key
        if role == COUNT_ROLE:
            return -1 if item.count is None else item.count
        if role == ALERT_ROLE:
            return item.alert
        if role == Qt.ItemDataRole.UserRole:
            return item.icon
        return None

    def items(self) -> list[NavItem]:
        return list(self._rows)

    def set_items(self, items: Sequence[NavItem]) -> None:
        """Replace the items; when only labels and counts changed, rows are updated in place."""
        items = list(items)
        if [i.key for i in items] == [i.key for i in self._rows]:
            for row, item in enumerate(items):
                if item != self._rows[row]:
                    self._rows[row] = item
                    index = self.index(row, 0)
                    self.dataChanged.emit(index, index)
            return
        self.beginResetModel()
        self._rows = items
        self.endResetModel()

    def set_count(self, key: str, count: int | None, alert: bool = False) -> None:
        for row, item in enumerate(self._rows):
            if item.key == key and (item.count != count or item.alert != alert):
                self._rows[row] = replace(item, count=count, alert=alert)
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)

    def row_of(self, key: str) -> int:
        for row, item in enumerate(self._rows):
            if item.key == key:
                return row
        return -1


class NavDelegate(QStyledItemDelegate):
    """Icon, label, and the count right-aligned (tabular, muted)."""

    def __init__(self, themes: ThemeManager, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._themes = themes
        self._icons = icons

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(160, 30)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        themes = self._themes
        rect = option.rect.adjusted(6, 1, -6, -1)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(themes.color("selection" if selected else "hover"))
            painter.drawRoundedRect(rect, 5, 5)
        ink = themes.color("selection_text" if selected else "sidebar_text")
        alert = bool(index.data(ALERT_ROLE))
        icon = index.data(Qt.ItemDataRole.UserRole)
        x = rect.left() + 8
        if icon:
            ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
            token = "danger" if alert else ("selection_text" if selected else "muted")
            pixmap = self._icons.pixmap(str(icon), token, 16, ratio)
            painter.drawPixmap(QRect(x, rect.top() + (rect.height() - 16) // 2, 16, 16), pixmap)
            x += 24
        count = index.data(COUNT_ROLE)
        count_text = "" if count is None or count < 0 else str(count)
        font = QFont(option.font)
        if selected:
            font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        count_width = metrics.horizontalAdvance(count_text) + 8 if count_text else 0
        label_rect = QRect(x, rect.top(), rect.right() - x - count_width - 6, rect.height())
        painter.setPen(themes.color("danger") if alert and not selected else ink)
        label = metrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""), Qt.TextElideMode.ElideRight, label_rect.width()
        )
        painter.drawText(label_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), label)
        if count_text:
            painter.setPen(themes.color("danger") if alert else (ink if selected else themes.color("muted")))
            painter.drawText(
                QRect(rect.right() - count_width - 4, rect.top(), count_width, rect.height()),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                count_text,
            )
        painter.restore()


class NavList(QListView):
    """A non-scrolling list sized to its rows."""

    def __init__(self, name: str, themes: ThemeManager, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.nav = NavModel(self)
        self.setModel(self.nav)
        self.setItemDelegate(NavDelegate(themes, icons, self))
        self.setAccessibleName(name)
        self.setToolTip(name)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMouseTracking(True)
        self.nav.modelReset.connect(self._fit)
        themes.changed.connect(self.on_theme_changed)
        self._fit()

    def on_theme_changed(self, _theme: Any) -> None:
        self.viewport().update()

    def _fit(self) -> None:
        self.setFixedHeight(max(1, self.nav.rowCount()) * 30 + 4)

    def select_key(self, key: str) -> None:
        row = self.nav.row_of(key)
        if row >= 0:
            self.setCurrentIndex(self.nav.index(row, 0))
        else:
            self.clearSelection()

    def current_key(self) -> str | None:
        index = self.currentIndex()
        return index.data(KEY_ROLE) if index.isValid() else None


class Sidebar(QWidget):
    """Views, queues and (for leads) team panels.

    Signals:
        viewChosen(str): one of the :class:`View` values.
        queueChosen(str): a queue name, or "" for all queues.
        panelChosen(str): ``queue`` (the table), ``agents``, ``metrics``, ``floor`` or ``attention``.
    """

    viewChosen = Signal(str)
    queueChosen = Signal(str)
    panelChosen = Signal(str)

    def __init__(self, themes: ThemeManager, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setMinimumWidth(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 8)
        layout.setSpacing(2)
        self.views = NavList(self.tr("Views"), themes, icons)
        self.views.nav.set_items(
            [
                NavItem(
                    View.WAITING, self.tr("Waiting"), "waiting", 0, self.tr("Everyone waiting for a person (Ctrl+1)")
                ),
                NavItem(View.MINE, self.tr("Mine"), "mine", 0, self.tr("Handoffs you hold (Ctrl+2)")),
                NavItem(
                    View.RESOLVED, self.tr("Resolved today"), "resolved", 0, self.tr("Resolved since midnight (Ctrl+3)")
                ),
                NavItem(View.ALL, self.tr("All"), "all", None, self.tr("Every handoff this desk holds (Ctrl+4)")),
            ]
        )
        self.attention = NavList(self.tr("Needs attention"), themes, icons)
        self.attention.nav.set_items(
            [
                NavItem(
                    "attention",
                    self.tr("Needs attention"),
                    "attention",
                    0,
                    self.tr("Changes the hub refused; act on them here"),
                    True,
                )
            ]
        )
        self.attention.hide()
        self.queues_heading = plain_label(self.tr("QUEUES"), "SidebarHeading")
        self.queues = NavList(self.tr("Queues"), themes, icons)
        self.team_heading = plain_label(self.tr("TEAM"), "SidebarHeading")
        self.team = NavList(self.tr("Team"), themes, icons)
        self.team.nav.set_items(
            [
                NavItem("agents", self.tr("Agents"), "agents", None, self.tr("Who is on, and what they hold")),
                NavItem(
                    "floor", self.tr("Floor"), "waiting", None, self.tr("The live floor: queues, people, breaches")
                ),
                NavItem("metrics", self.tr("Metrics"), "metrics", None, self.tr("Handoff and resolution figures")),
            ]
        )
        layout.addWidget(self.attention)
        layout.addWidget(self.views)
        layout.addWidget(self.queues_heading)
        layout.addWidget(self.queues)
        layout.addWidget(self.team_heading)
        layout.addWidget(self.team)
        layout.addStretch(1)
        self.set_lead(False)
        self.views.select_key(View.WAITING)
        self.queues.select_key(ALL_QUEUES)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.views.clicked.connect(self.on_view_clicked)
        self.views.activated.connect(self.on_view_clicked)
        self.views.selectionModel().currentChanged.connect(self.on_view_clicked)
        self.queues.selectionModel().currentChanged.connect(self.on_queue_current)
        self.team.clicked.connect(self.on_team_clicked)
        self.team.activated.connect(self.on_team_clicked)
        self.attention.clicked.connect(self.on_attention_clicked)
        self.attention.activated.connect(self.on_attention_clicked)

    def set_lead(self, lead: bool) -> None:
        self.team_heading.setVisible(lead)
        self.team.setVisible(lead)

    def set_queues(self, queues: Sequence[str], counts: Mapping[str, int] | None = None) -> None:
        counts = counts or {}
        current = self.queues.current_key()
        items = [NavItem(ALL_QUEUES, self.tr("All queues"), "queue", None, self.tr("Every queue you can see"))]
        items += [NavItem(q, q, "queue", counts.get(q, 0), self.tr("Waiting in %1").replace("%1", q)) for q in queues]
        self.queues.nav.set_items(items)
        self.queues._fit()
        self.queues.select_key(current if current is not None else ALL_QUEUES)

    def set_counts(self, counts: Counts) -> None:
        self.views.nav.set_count(View.WAITING, counts.waiting)
        self.views.nav.set_count(View.MINE, counts.mine)
        self.views.nav.set_count(View.RESOLVED, counts.resolved_today)
        by_queue = counts.waiting_by_queue or {}
        known = {item.key for item in self.queues.nav.items()}
        missing = [q for q in by_queue if q and q not in known]
        if missing:
            self.set_queues([i.key for i in self.queues.nav.items() if i.key] + sorted(missing), by_queue)
        for item in self.queues.nav.items():
            if item.key:
                self.queues.nav.set_count(item.key, by_queue.get(item.key, 0))
        self.attention.nav.set_count("attention", counts.attention, True)
        self.attention.setVisible(counts.attention > 0)

    def on_view_clicked(self, index: QModelIndex, *_args: Any) -> None:
        if index.isValid():
            self.team.clearSelection()
            self.attention.clearSelection()
            self.viewChosen.emit(str(index.data(KEY_ROLE)))
            self.panelChosen.emit("queue")

    def on_queue_current(self, index: QModelIndex, *_args: Any) -> None:
        if index.isValid():
            self.queueChosen.emit(str(index.data(KEY_ROLE)))
            self.panelChosen.emit("queue")

    def on_team_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.views.clearSelection()
            self.attention.clearSelection()
            self.panelChosen.emit(str(index.data(KEY_ROLE)))

    def on_attention_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.views.clearSelection()
            self.team.clearSelection()
            self.panelChosen.emit("attention")

    def show_panel(self, panel: str, view: str) -> None:
        """Highlight what the centre shows, without announcing it again."""
        lists = {"agents": self.team, "metrics": self.team, "floor": self.team, "attention": self.attention}
        for nav in (self.views, self.team, self.attention):
            nav.blockSignals(True)
            nav.selectionModel().blockSignals(True)
        try:
            target = lists.get(panel)
            for nav in (self.views, self.team, self.attention):
                if nav is not target and not (target is None and nav is self.views):
                    nav.clearSelection()
            if target is None:
                self.views.select_key(view)
            else:
                target.select_key(panel)
        finally:
            for nav in (self.views, self.team, self.attention):
                nav.selectionModel().blockSignals(False)
                nav.blockSignals(False)
        for nav in (self.views, self.team, self.attention):
            nav.viewport().update()

    def select_view(self, view: str) -> None:
        self.views.select_key(view)
        self.viewChosen.emit(view)
        self.panelChosen.emit("queue")
