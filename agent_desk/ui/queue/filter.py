"""The filters over the ranked queue: views (Waiting, Mine, Resolved today, All) and choices.

Only filtering happens here; the source model keeps rows in rank order and this proxy never
sorts, so rows keep their ranked order in every view.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Signal,
)

from agent_desk.protocol.visibility import language_matches
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.rows import Row

#: Qt 6.10 replaced invalidateRowsFilter() with beginFilterChange()/endFilterChange().
_FILTER_CHANGE_API = hasattr(QSortFilterProxyModel, "beginFilterChange")


class View(StrEnum):
    WAITING = "waiting"
    MINE = "mine"
    RESOLVED = "resolved"
    ALL = "all"


class QueueFilter(QSortFilterProxyModel):
    """Filters a :class:`QueueModel` for one view and the person's choices.

    Signals:
        filtersChanged(): any filter changed (the window updates its title and empty state).

    Attributes:
        view: which of the views is shown.
        my_queues_only: only handoffs in the user's queues (and ones assigned to the user).
        queue, tier, language, status: one value each, or None for any.
        search: words that must all appear (customer, brief, queue, ids, category).
    """

    filtersChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = View.WAITING
        self.my_queues_only = False
        self.user_queues: frozenset[str] = frozenset()
        self.queue: str | None = None
        self.tier: str | None = None
        self.language: str | None = None
        self.status: str | None = None
        self._words: tuple[str, ...] = ()
        self._queue_model: QueueModel | None = None
        # Filtering only: the source keeps rank order itself.
        self.setDynamicSortFilter(True)

    def setSourceModel(self, model: QAbstractItemModel) -> None:
        if not isinstance(model, QueueModel):
            raise TypeError(f"QueueFilter filters a QueueModel, not {type(model).__name__}")
        self._queue_model = model
        super().setSourceModel(model)
        model.dayChanged.connect(self.on_day_changed)

    @property
    def search(self) -> str:
        return " ".join(self._words)

    def on_day_changed(self) -> None:
        if self.view == View.RESOLVED:
            self._refilter()

    def _refilter(self) -> None:
        if _FILTER_CHANGE_API:
            self.beginFilterChange()
            self.endFilterChange()
        else:  # Qt before 6.10
            self.invalidateRowsFilter()
        self.filtersChanged.emit()

    def set_view(self, view: View) -> None:
        if view != self.view:
            self.view = view
            self._refilter()

    def set_my_queues_only(self, enabled: bool, queues: Collection[str] | None = None) -> None:
        if queues is not None:
            self.user_queues = frozenset(queues)
        if enabled != self.my_queues_only or queues is not None:
            self.my_queues_only = enabled
            self._refilter()

    def set_queue(self, queue: str | None) -> None:
        if queue != self.queue:
            self.queue = queue or None
            self._refilter()

    def set_tier(self, tier: str | None) -> None:
        if tier != self.tier:
            self.tier = tier or None
            self._refilter()

    def set_language(self, language: str | None) -> None:
        if language != self.language:
            self.language = language or None
            self._refilter()

    def set_status(self, status: str | None) -> None:
        if status != self.status:
            self.status = status or None
            self._refilter()

    def set_search(self, text: str) -> None:
        words = tuple(w for w in text.casefold().split() if w)
        if words != self._words:
            self._words = words
            self._refilter()

    def source_row(self, proxy_row: int) -> int:
        return self.mapToSource(self.index(proxy_row, 0)).row()

    def accepts(self, record: Row) -> bool:
        """Whether ``record`` shows under the current view and filters."""
        model = self._queue_model
        h = record.handoff
        status = record.status
        view = self.view
        if view == View.WAITING:
            if status != "waiting":
                return False
        elif view == View.MINE:
            if status != "claimed" or model is None or not model.me or h.assignee != model.me:
                return False
        elif view == View.RESOLVED:
            if model is None or not model.resolved_today(record):
                return False
        elif self.status is not None and status != self.status:
            return False
        if self.my_queues_only and view != View.MINE:
            mine = model is not None and model.me and h.assignee == model.me
            if not mine and h.queue not in self.user_queues:
                return False
        if self.queue is not None and h.queue != self.queue:
            return False
        if self.tier is not None and h.tier != self.tier:
            return False
        if self.language is not None and not language_matches(h.language, frozenset((self.language,))):
            return False
        if self._words:
            blob = record.search_blob()
            return all(word in blob for word in self._words)
        return True

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self._queue_model
        if model is None or source_parent.isValid():
            return False
        return self.accepts(model.row_record(source_row))
