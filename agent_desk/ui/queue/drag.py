"""Handoffs carried by a drag: the mime type, and drop targets on any item view.

A lead drags rows of the queue; each drop target (a queue in the sidebar, an agent in the Agents
panel or on the floor) is a view whose viewport gets a :class:`DropTarget` filter. The filter
accepts a drag that carries handoffs over an item that names a target and reports the drop as
one request; it never moves anything itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QMimeData, QModelIndex, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QToolTip

#: The mime type of dragged handoffs: their ids, one a line (UTF-8).
HANDOFFS_MIME = "application/x-agent-desk-handoffs"


@dataclass(frozen=True, slots=True)
class MoveTarget:
    """Where handoffs go: a queue (waiting there) or a person (claimed in their name).

    Attributes:
        kind: ``queue`` or ``agent``.
        key: the queue's name or the person's id.
        label: how a person reads it.
    """

    kind: str
    key: str
    label: str = ""

    @property
    def to_user(self) -> str | None:
        return self.key if self.kind == "agent" else None

    @property
    def to_queue(self) -> str | None:
        return self.key if self.kind == "queue" else None

    @property
    def name(self) -> str:
        return self.label or self.key


def handoff_mime(ids: Iterable[str]) -> QMimeData:
    """Mime data carrying handoff ids, in the order given (duplicates left out)."""
    unique = list(dict.fromkeys(i for i in ids if i))
    mime = QMimeData()
    mime.setData(HANDOFFS_MIME, QByteArray("\n".join(unique).encode()))
    return mime


def ids_of(mime: QMimeData | None) -> list[str]:
    """The handoff ids a drag carries ([] for anything else)."""
    if mime is None or not mime.hasFormat(HANDOFFS_MIME):
        return []
    raw = bytes(mime.data(HANDOFFS_MIME).data()).decode("utf-8", "replace")
    return [line for line in raw.splitlines() if line.strip()]


def drop_hint(count: int, target: MoveTarget) -> str:
    """What dropping ``count`` handoffs on ``target`` will do, in words."""
    where = target.label or target.key
    if count == 1:
        return QCoreApplication.translate("Moves", "Move 1 handoff to %1").replace("%1", where)
    return QCoreApplication.translate("Moves", "Move %1 handoffs to %2").replace("%1", str(count)).replace("%2", where)


class DropTarget(QObject):
    """Makes an item view take dropped handoffs onto its items.

    Signals:
        dropped(object, object): the handoff ids (a list) and the :class:`MoveTarget` they
            were dropped on.

    Args:
        view: the view whose items are targets.
        target_at: the target an item names, or None where nothing may be dropped.
    """

    dropped = Signal(object, object)

    def __init__(self, view: QAbstractItemView, target_at: Callable[[QModelIndex], MoveTarget | None]) -> None:
        super().__init__(view)
        self._view = view
        self._target_at = target_at
        self.enabled = False
        self.hint = ""  # what the last drag over this view said it would do
        view.viewport().installEventFilter(self)

    def set_enabled(self, enabled: bool) -> None:
        """Take drops (a lead) or not (an agent)."""
        self.enabled = enabled
        self._view.setAcceptDrops(enabled)
        self._view.viewport().setAcceptDrops(enabled)

    def target(self, event: QDropEvent) -> MoveTarget | None:
        index = self._view.indexAt(event.position().toPoint())
        return self._target_at(index) if index.isValid() else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DragLeave:
            QToolTip.hideText()
            return False
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        assert isinstance(event, QDragEnterEvent | QDragMoveEvent | QDropEvent)
        ids = ids_of(event.mimeData()) if self.enabled else []
        if not ids:
            event.ignore()
            return True
        if kind == QEvent.Type.DragEnter:
            event.acceptProposedAction()  # the drag may still pass over items that take it
            return True
        target = self.target(event)
        if target is None:
            QToolTip.hideText()
            event.ignore()
            return True
        event.acceptProposedAction()
        if kind == QEvent.Type.Drop:
            QToolTip.hideText()
            self.dropped.emit(ids, target)
        else:  # say where it would go: the item under the pointer is the target
            self.hint = drop_hint(len(ids), target)
            where = self._view.viewport().mapToGlobal(event.position().toPoint())
            QToolTip.showText(where, self.hint, self._view)
        return True
