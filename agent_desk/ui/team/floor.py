"""The lead's floor, one live screen: the queues, the people, and who waits past their target.

Rows of the queue (or of the breaches list here) dropped onto a person or a queue on the floor
are moved there, as from anywhere else (:mod:`agent_desk.ui.queue.moves`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_desk.ui.queue.drag import MoveTarget
from agent_desk.ui.team.floor_model import AgentsFloorModel, BreachesModel, Floor, FloorModel, QueuesFloorModel
from agent_desk.ui.widgets import EmptyStateTable, plain_label, set_tip


def _table(name: str, tip: str, model: FloorModel[Any], empty: str) -> EmptyStateTable:
    table = EmptyStateTable()
    table.setModel(model)
    table.set_empty_text(empty)
    table.setAccessibleName(name)
    table.setToolTip(tip)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(30)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.setWordWrap(False)
    return table


class FloorPanel(QWidget):
    """Queues and people side by side, the breaches below.

    Signals:
        openRequested(str): show this handoff in the queue.
        moveRequested(object): pick where these handoffs (a list of ids) go.

    Attributes:
        queues, agents, breaches: the tables, over queues_model, agents_model, breaches_model.
        open_button, move_button: act on the selected breaches.
    """

    openRequested = Signal(str)
    moveRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QueuePane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 8)
        layout.setSpacing(10)
        layout.addWidget(plain_label(self.tr("Floor"), "PanelTitle"))
        self.queues_model = QueuesFloorModel(self)
        self.agents_model = AgentsFloorModel(self)
        self.breaches_model = BreachesModel(self)
        self.queues = _table(
            self.tr("Queues on the floor"),
            self.tr("Waiting, oldest wait, breaches now and agents online; drop handoffs here to move them"),
            self.queues_model,
            self.tr("No queues yet."),
        )
        self.agents = _table(
            self.tr("People on the floor"),
            self.tr("Presence and for how long, holding of capacity, resolved today; drop handoffs on a person"),
            self.agents_model,
            self.tr("No one else is on this hub yet."),
        )
        self.breaches = _table(
            self.tr("Past their target"),
            self.tr("Waiting longer than their target; drag onto a person or a queue, or Open / Move"),
            self.breaches_model,
            self.tr("No one waits past their target."),
        )
        self.breaches.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.breaches.setDragEnabled(True)
        self.breaches.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.queues, 1)
        top.addWidget(self.agents, 1)
        layout.addLayout(top, 3)
        head = QHBoxLayout()
        self.breaches_title = plain_label(self.tr("Past their target · 0"), "SidebarHeading")
        self.open_button = QPushButton(self.tr("Open"))
        set_tip(self.open_button, self.tr("Show the selected handoff in the queue"), self.tr("Open"))
        self.move_button = QPushButton(self.tr("Move…"))
        set_tip(self.move_button, self.tr("Move the selected handoffs to a queue or a person"), self.tr("Move"))
        head.addWidget(self.breaches_title, 1)
        head.addWidget(self.open_button)
        head.addWidget(self.move_button)
        layout.addLayout(head)
        layout.addWidget(self.breaches, 2)
        self.open_button.clicked.connect(self.on_open)
        self.move_button.clicked.connect(self.on_move)
        self.breaches.doubleClicked.connect(self.on_breach_activated)
        self.breaches.selectionModel().selectionChanged.connect(self.on_selection_changed)
        self.on_selection_changed()

    def show_floor(self, floor: Floor) -> None:
        self.queues_model.set_rows(floor.queues)
        self.agents_model.set_rows(floor.agents)
        self.breaches_model.set_rows(floor.breaches)
        self.breaches_title.setText(self.tr("Past their target · %1").replace("%1", str(len(floor.breaches))))
        self.on_selection_changed()

    def selected_breaches(self) -> list[str]:
        rows = sorted(i.row() for i in self.breaches.selectionModel().selectedRows())
        return [self.breaches_model.rows()[r].handoff_id for r in rows if r < self.breaches_model.rowCount()]

    def on_selection_changed(self, *_args: object) -> None:
        chosen = bool(self.selected_breaches())
        self.open_button.setEnabled(chosen)
        self.move_button.setEnabled(chosen)

    def on_open(self) -> None:
        ids = self.selected_breaches()
        if ids:
            self.openRequested.emit(ids[0])

    def on_move(self) -> None:
        ids = self.selected_breaches()
        if ids:
            self.moveRequested.emit(ids)

    def on_breach_activated(self, index: QModelIndex) -> None:
        key = self.breaches_model.key_at(index)
        if key:
            self.openRequested.emit(key)

    def queue_target(self, index: QModelIndex) -> MoveTarget | None:
        key = self.queues_model.key_at(index)
        return MoveTarget("queue", key, key) if key else None

    def agent_target(self, index: QModelIndex) -> MoveTarget | None:
        row = self.agents_model.row_at(index)
        return MoveTarget("agent", row.id, row.name) if row is not None else None
