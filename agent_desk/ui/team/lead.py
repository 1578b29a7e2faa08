"""The lead's controls, wired in one place: moving work, drop targets, and the live floor.

An agent gets none of it: :meth:`LeadDesk.on_session` turns the controls on for a lead only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt, QTimer

from agent_desk.client.surface import Session, UserInfo
from agent_desk.ui.queue.drag import DropTarget, MoveTarget
from agent_desk.ui.queue.moves import MoveDesk
from agent_desk.ui.shell.sidebar import KEY_ROLE
from agent_desk.ui.team.floor_model import BreachHistory, count_floor

if TYPE_CHECKING:
    from agent_desk.ui.shell.window import DeskWindow

#: How often the floor's waits and times tick while it is on screen.
FLOOR_TICK_MS = 1000


class LeadDesk(QObject):
    """Moves, drops and the floor for a lead.

    Attributes:
        moves: the move controller; drops: the drop targets by place (``sidebar``, ``agents``,
        ``floor_queues``, ``floor_agents``); since: when each person's presence last changed.
    """

    def __init__(self, window: DeskWindow) -> None:
        super().__init__(window)
        self._window = window
        self.floor = window.center.floor_panel
        self.since: dict[str, float] = {}
        self.breach_history = BreachHistory()  # for each queue's trend of breaches on the floor
        self._presence: dict[str, str] = {}
        self.moves = MoveDesk(
            window.bridge,
            window.queue_model,
            window.queue_pane,
            window.agents_panel.model.users,
            self.queues,
            window.open_reassign,
            window,
        )
        sidebar_queues = window.sidebar.queues
        agents_table = window.agents_panel.table
        self.drops = {
            "sidebar": DropTarget(sidebar_queues, self.sidebar_target),
            "agents": DropTarget(agents_table, self.agents_target),
            "floor_queues": DropTarget(self.floor.queues, self.floor.queue_target),
            "floor_agents": DropTarget(self.floor.agents, self.floor.agent_target),
        }
        self._timer = QTimer(self)
        self._timer.setInterval(FLOOR_TICK_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        window = self._window
        window.bridge.sessionStarted.connect(self.on_session)
        window.bridge.presenceChanged.connect(self.on_presence)
        window.queue_model.countsChanged.connect(self.refresh)
        window.center.currentChanged.connect(self.on_panel_changed)
        window.sidebar.queues.customContextMenuRequested.connect(self.on_queue_menu)
        for drop in self.drops.values():
            drop.dropped.connect(self.moves.request)
        self.floor.openRequested.connect(window.open_handoff)
        self.floor.moveRequested.connect(self.moves.open_picker)
        self._timer.timeout.connect(self.refresh)

    def queues(self) -> list[str]:
        session = self._window.session
        return list(session.queues) if session is not None else []

    def on_session(self, session: Session) -> None:
        lead = session.user.role == "lead"
        self.moves.set_lead(lead, session.user.id)
        for drop in self.drops.values():
            drop.set_enabled(lead)
        policy = Qt.ContextMenuPolicy.CustomContextMenu if lead else Qt.ContextMenuPolicy.NoContextMenu
        self._window.sidebar.queues.setContextMenuPolicy(policy)
        for user in session.users:
            self._note_presence(user)
        self.refresh()

    def on_presence(self, user: UserInfo) -> None:
        self._note_presence(user)
        self.refresh()

    def _note_presence(self, user: UserInfo) -> None:
        if self._presence.get(user.id) != user.presence:
            self._presence[user.id] = user.presence
            self.since[user.id] = self._window.queue_model.now()

    def on_panel_changed(self, _index: int) -> None:
        if self._window.center.currentWidget() is self.floor:
            self.refresh()
            self._timer.start()
        else:
            self._timer.stop()

    def refresh(self) -> None:
        """Count the floor afresh (only while it is on screen, or about to be)."""
        if not self.moves.lead or self._window.center.currentWidget() is not self.floor:
            return
        users = self._window.agents_panel.model.users()
        floor = count_floor(self._window.queue_model, self.queues(), users, self.since, self.breach_history)
        self.floor.show_floor(floor)

    # ---- drop targets ----------------------------------------------------------------------------

    def sidebar_target(self, index: QModelIndex) -> MoveTarget | None:
        key = index.data(KEY_ROLE)
        return MoveTarget("queue", str(key), str(key)) if key else None

    def agents_target(self, index: QModelIndex) -> MoveTarget | None:
        users = self._window.agents_panel.model.users()
        if not 0 <= index.row() < len(users):
            return None
        user = users[index.row()]
        return MoveTarget("agent", user.id, user.name or user.id)

    def on_queue_menu(self, pos: QPoint) -> None:
        sidebar_queues = self._window.sidebar.queues
        key = sidebar_queues.indexAt(pos).data(KEY_ROLE)
        if not self.moves.lead or not key:
            return
        self.menu = self.moves.queue_menu(str(key), sidebar_queues)
        self.menu.popup(sidebar_queues.viewport().mapToGlobal(pos))
