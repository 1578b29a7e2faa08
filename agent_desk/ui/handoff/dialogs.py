"""Resolve and reassign: a small dialog over the window for the details, then one bridge call.

Claim and release need no details; they go from the detail pane (or the C key) straight to the
bridge. Nothing here waits: the bridge returns at once and the engine syncs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from agent_desk.client.surface import UserInfo
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.handoff.reassign_dialog import ReassignDialog
from agent_desk.ui.handoff.resolve_dialog import ResolveDialog
from agent_desk.ui.queue.model import QueueModel


class HandoffDialogs(QObject):
    """Opens the resolve and reassign dialogs and sends what the person chose.

    Signals:
        resolveRecorded(str): an outcome was recorded for this handoff.

    Attributes:
        resolve_dialog: the last resolve dialog opened (it deletes itself when closed).
    """

    resolveRecorded = Signal(str)

    def __init__(self, bridge: Bridge, queue: QueueModel, window: QWidget) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._queue = queue
        self._window = window
        self.resolve_dialog: ResolveDialog | None = None

    def open_resolve(self, handoff_id: str) -> ResolveDialog | None:
        """Ask for the outcome of a handoff this desk holds; None when it holds no such handoff."""
        handoff = self._queue.handoff(handoff_id)
        if handoff is None:
            return None
        dialog = ResolveDialog(handoff, parent=self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.recorded.connect(self.on_resolve_recorded)
        dialog.open()
        self.resolve_dialog = dialog
        return dialog

    def on_resolve_recorded(self, handoff_id: str, outcome: dict[str, Any]) -> None:
        self._bridge.resolve(handoff_id, outcome)
        self.resolveRecorded.emit(handoff_id)

    def open_reassign(
        self, handoff_id: str, users: Sequence[UserInfo], queues: Sequence[str], lead: bool
    ) -> ReassignDialog | None:
        """Ask where a handoff goes: to a person (leads) or another queue."""
        handoff = self._queue.handoff(handoff_id)
        if handoff is None:
            return None
        dialog = ReassignDialog(handoff, list(users), list(queues), lead, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.on_reassign_chosen)
        dialog.open()
        return dialog

    def on_reassign_chosen(self, handoff_id: str, to_user: str | None, to_queue: str | None) -> None:
        self._bridge.reassign(handoff_id, to_user=to_user, to_queue=to_queue)
