"""The lead's view of the team: who is on, their presence, and how many handoffs each holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.surface import UserInfo
from agent_desk.ui import labels
from agent_desk.ui.icons import Icons
from agent_desk.ui.row_model import AnyIndex, RowModel
from agent_desk.ui.text import one_line
from agent_desk.ui.theme import ThemeManager
from agent_desk.ui.widgets import EmptyStateTable, plain_label

PRESENCE_ORDER = {"available": 0, "busy": 1, "away": 2, "offline": 3}


class AgentsModel(RowModel[UserInfo]):
    """People on the hub (agents and leads), updated in place as presence changes."""

    NAME, PRESENCE, ACTIVE, QUEUES, ROLE = range(5)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent, columns=5)
        self._local_active: dict[str, int] | None = None

    def active(self, user: UserInfo) -> int:
        """Handoffs the user holds: counted from the desk's own queue when it sees them all."""
        if self._local_active is not None:
            return self._local_active.get(user.id, 0)
        return user.active

    def set_active(self, counts: dict[str, int]) -> None:
        """Counts of claimed handoffs by user, from the queue a lead holds (live, exact)."""
        if counts == self._local_active:
            return
        self._local_active = dict(counts)
        if self._rows:
            self.dataChanged.emit(self.index(0, self.ACTIVE), self.index(len(self._rows) - 1, self.ACTIVE))

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 5:
            return (self.tr("Name"), self.tr("Presence"), self.tr("Holding"), self.tr("Queues"), self.tr("Role"))[
                section
            ]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        user = self.row_at(index)
        if user is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.NAME:
                return one_line(user.name, 80) or user.id
            if column == self.PRESENCE:
                return labels.presence_label(user.presence)
            if column == self.ACTIVE:
                return str(self.active(user))
            if column == self.QUEUES:
                return ", ".join(one_line(q, 40) for q in user.queues) or self.tr("all")
            if column == self.ROLE:
                return labels.role_label(user.role) if user.role == "lead" else self.tr("Agent")
        if role == Qt.ItemDataRole.UserRole:
            return user.presence
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.ACTIVE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _key(user: UserInfo) -> tuple[int, str]:
        return (PRESENCE_ORDER.get(user.presence, 4), user.name.casefold())

    def users(self) -> list[UserInfo]:
        """The people, with what each holds now."""
        return [replace(u, active=self.active(u)) for u in self._rows]

    def set_users(self, users: Sequence[UserInfo]) -> None:
        self.beginResetModel()
        self._rows = sorted((u for u in users if u.role in ("agent", "lead")), key=self._key)
        self.endResetModel()

    def update_user(self, user: UserInfo) -> None:
        """One user's presence or active count changed: update that row (or add it)."""
        for row, known in enumerate(self._rows):
            if known.id == user.id:
                merged = UserInfo(
                    id=known.id,
                    name=user.name or known.name,
                    role=user.role or known.role,
                    queues=user.queues or known.queues,
                    languages=user.languages or known.languages,
                    presence=user.presence,
                    active=user.active,
                    capacity=user.capacity if user.capacity is not None else known.capacity,
                )
                self._rows[row] = merged
                self.dataChanged.emit(self.index(row, 0), self.index(row, 4))
                return
        if user.role not in ("agent", "lead", ""):
            return
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(user)
        self.endInsertRows()


class PresenceDelegate(QStyledItemDelegate):
    """A presence dot and the word (the dot's colour is never the only signal)."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._themes = themes

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        presence = str(index.data(Qt.ItemDataRole.UserRole) or "offline")
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(option.rect, self._themes.color("selection"))
        elif option.features & QStyleOptionViewItem.ViewItemFeature.Alternate:
            painter.fillRect(option.rect, self._themes.color("alternate"))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._themes.color(presence if presence in PRESENCE_ORDER else "offline"))
        cy = option.rect.center().y()
        painter.drawEllipse(option.rect.left() + 10, cy - 4, 8, 8)
        painter.setPen(self._themes.color("selection_text" if selected else "text"))
        painter.drawText(
            QRect(option.rect.left() + 26, option.rect.top(), option.rect.width() - 30, option.rect.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            str(index.data()),
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(120, 30)


class AgentsPanel(QWidget):
    """A table of the team for leads."""

    def __init__(self, themes: ThemeManager, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QueuePane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 8)
        layout.setSpacing(10)
        layout.addWidget(plain_label(self.tr("Agents"), "PanelTitle"))
        self.model = AgentsModel(self)
        self.table = EmptyStateTable()
        self.table.set_empty_text(self.tr("No one else is on this hub yet."))
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(AgentsModel.PRESENCE, PresenceDelegate(themes, self.table))
        self.table.setAccessibleName(self.tr("Agents"))
        self.table.setToolTip(self.tr("Everyone on the hub, available first"))
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((0, 180), (1, 130), (2, 80), (3, 220)):
            header.resizeSection(column, width)
        layout.addWidget(self.table, 1)
