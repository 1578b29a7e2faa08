"""The queue: every handoff the engine holds, as table rows kept in rank order.

Rows are ordered by :func:`agent_desk.protocol.visibility.rank_key` (priority, tier, oldest
escalation) by the model itself: new handoffs are placed with a binary search and announced with
``beginInsertRows`` (runs that land together as one block), changed ones with ``dataChanged``,
re-ranked ones with ``beginMoveRows``. Only a snapshot (``HandoffDelta.reset``) resets the model.
A proxy (:mod:`agent_desk.ui.queue.filter`) filters for the views; it never sorts. Each row is a
:class:`~agent_desk.ui.queue.rows.Row`, the sidebar's counts are kept by a
:class:`~agent_desk.ui.queue.tally.Tally`, and the words of each cell come from
:mod:`agent_desk.ui.queue.cells`.

The wait column is live: one timer per model ticks once a second and announces ``dataChanged``
for that column only. The clock is injectable (tests advance it instead of sleeping).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)

from agent_desk.client.surface import Handoff, HandoffDelta
from agent_desk.protocol.codes import DEFAULT_SLA_TARGETS_S
from agent_desk.ui.queue import cells
from agent_desk.ui.queue.drag import HANDOFFS_MIME, handoff_mime
from agent_desk.ui.queue.rows import (
    COLUMN_COUNT,
    HANDOFF_ROLE,
    ID_ROLE,
    NEAR_FRACTION,
    SLA_ROLE,
    SYNC_ROLE,
    WAIT_ROLE,
    Column,
    Row,
    Sla,
)
from agent_desk.ui.queue.tally import Counts, Tally
from agent_desk.ui.row_model import ROW_FLAGS, AnyIndex, RowModel
from agent_desk.ui.text import one_line
from agent_desk.ui.threads import ensure_gui_thread

_DRAG_FLAGS = ROW_FLAGS | Qt.ItemFlag.ItemIsDragEnabled


def _row_key(row: Row) -> tuple[Any, ...]:
    return row.key


def _start_of_local_day(now: float) -> float:
    moment = datetime.fromtimestamp(now)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class QueueModel(RowModel[Row]):
    """Handoffs in rank order, with live waits.

    Signals:
        countsChanged(): the counts for the sidebar changed (at most once per applied batch).
        handoffsUpdated(object): a frozenset of the ids changed by the last batch (or None
            after a reset), so a detail pane can refresh what it shows.
        dayChanged(): local midnight passed ("Resolved today" must be filtered afresh).

    Attributes:
        me: the signed-in user's id ("Mine" is what is claimed by it).
    """

    countsChanged = Signal()
    handoffsUpdated = Signal(object)
    dayChanged = Signal()

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
        tick_ms: int = 1000,
    ) -> None:
        super().__init__(parent, columns=COLUMN_COUNT)
        self._clock = clock
        self._offset = 0.0
        self._keys: list[tuple[Any, ...]] = []
        self._by_id: dict[str, Row] = {}
        self.me = ""
        self._targets: dict[int, float] = {int(k): float(v) for k, v in DEFAULT_SLA_TARGETS_S.items()}
        self._today = _start_of_local_day(self.now())
        self._tally = Tally(self.me, self._today)
        self._visible: Callable[[], Iterable[tuple[int, int]]] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)
        if tick_ms > 0:
            self._timer.start()

    # ---- configuration ------------------------------------------------------------------

    def now(self) -> float:
        """The hub's time as best known: the clock plus the offset measured at sign-in."""
        return self._clock() + self._offset

    def set_clock_offset(self, seconds: float) -> None:
        """Correct for a local clock that differs from the hub's (``hello.server_time``)."""
        self._offset = seconds

    def set_user(self, user_id: str) -> None:
        ensure_gui_thread("QueueModel.set_user")
        if user_id != self.me:
            self.me = user_id
            self._recount()
            self._all_changed()

    def set_sla_targets(self, targets: Mapping[int, float] | Mapping[str, float]) -> None:
        """Wait targets by priority, in seconds (from ``hello``)."""
        merged = {int(k): float(v) for k, v in DEFAULT_SLA_TARGETS_S.items()}
        for key, value in targets.items():
            try:
                merged[int(key)] = float(value)
            except (TypeError, ValueError):
                continue
        self._targets = merged
        self.tick()

    def target_for(self, priority: int) -> float:
        return self._targets.get(priority, self._targets.get(4, 1800.0))

    # ---- reading ------------------------------------------------------------------------

    def row_record(self, row: int) -> Row:
        """The row record at ``row`` (delegates and the filter read it directly)."""
        return self._rows[row]

    def handoff(self, handoff_id: str) -> Handoff | None:
        found = self._by_id.get(handoff_id)
        return found.handoff if found else None

    def describe(self, handoff_id: str | None) -> str:
        """A handoff in a few words: its customer's name, else its id ("" for none)."""
        if not handoff_id:
            return ""
        found = self._by_id.get(handoff_id)
        if found is None:
            return handoff_id
        return one_line(found.handoff.customer.name, 80) or handoff_id

    def row_of(self, handoff_id: str) -> int | None:
        """The row of a handoff, by binary search on its rank key; None when not held."""
        found = self._by_id.get(handoff_id)
        if found is None:
            return None
        position = bisect.bisect_left(self._keys, found.key)
        return position if position < len(self._keys) and self._keys[position] == found.key else None

    def ids(self) -> list[str]:
        return [r.id for r in self._rows]

    def counts(self, attention: int = 0) -> Counts:
        return self._tally.counts(len(self._rows), attention)

    def wait_seconds(self, record: Row) -> float | None:
        """How long it waited: until now while waiting, else until it was claimed."""
        if record.escalated is None:
            return None
        if record.status == "waiting":
            return max(0.0, self.now() - record.escalated)
        if record.claimed is not None:
            return max(0.0, record.claimed - record.escalated)
        return None

    def sla_of(self, record: Row) -> Sla:
        if record.status != "waiting" or record.escalated is None:
            return Sla.NONE
        fraction = (self.now() - record.escalated) / max(1.0, self.target_for(record.handoff.priority))
        if fraction >= 1.0:
            return Sla.BREACHED
        if fraction >= NEAR_FRACTION:
            return Sla.NEAR
        return Sla.OK

    def resolved_today(self, record: Row) -> bool:
        return record.status == "resolved" and record.resolved is not None and record.resolved >= self._today

    # ---- Qt model interface ---------------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return cells.header_text(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return cells.header_tip(section)
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.WAIT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
            return cells.display_text(self, record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return cells.tooltip(self, record, column)
        if role == HANDOFF_ROLE:
            return record.handoff
        if role == ID_ROLE:
            return record.id
        if role == SLA_ROLE:
            return int(self.sla_of(record))
        if role == WAIT_ROLE:
            return self.wait_seconds(record)
        if role == SYNC_ROLE:
            return str(record.handoff.sync)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == Column.WAIT:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        # Rows may be dragged; only a lead's table starts a drag (QueuePane.set_lead).
        return _DRAG_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [HANDOFFS_MIME]

    def mimeData(self, indexes: Iterable[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid() and 0 <= i.row() < len(self._rows)})
        return handoff_mime(self._rows[r].id for r in rows)

    # ---- applying changes -------------------------------------------------------------------

    def apply(self, delta: HandoffDelta) -> None:
        """Apply one (coalesced) delta: reset on a snapshot, else remove, update, move, insert."""
        ensure_gui_thread("QueueModel.apply")
        if delta.reset:
            self._reset(delta.upserts)
            self.handoffsUpdated.emit(None)
            self.countsChanged.emit()
            return
        changed: set[str] = set()
        self._remove(delta.removed, changed)
        latest: dict[str, Handoff] = {}
        for handoff in delta.upserts:
            handoff_id = handoff.id
            if handoff_id:
                latest[handoff_id] = handoff
        fresh: list[Row] = []
        for handoff_id, handoff in latest.items():
            if handoff_id in self._by_id:
                self._update(handoff_id, handoff)
            else:
                fresh.append(Row.of(handoff))
            changed.add(handoff_id)
        self._insert(fresh)
        if changed:
            self.handoffsUpdated.emit(frozenset(changed))
            self.countsChanged.emit()

    def _reset(self, upserts: Iterable[Handoff]) -> None:
        self.beginResetModel()
        latest = {h.id: h for h in upserts if h.id}
        rows = [Row(h) for h in latest.values()]
        rows.sort(key=_row_key)  # the engine sends rank order already: a linear pass then
        self._rows = rows
        self._keys = [r.key for r in rows]
        self._by_id = {r.id: r for r in rows}
        self._recount()
        self.endResetModel()

    def _remove(self, ids: Iterable[str], changed: set[str]) -> None:
        positions = sorted({p for i in ids if (p := self.row_of(i)) is not None}, reverse=True)
        # Contiguous runs, highest first, so earlier positions stay valid.
        start = 0
        while start < len(positions):
            end = start
            while end + 1 < len(positions) and positions[end + 1] == positions[end] - 1:
                end += 1
            first, last = positions[end], positions[start]
            self.beginRemoveRows(QModelIndex(), first, last)
            for record in self._rows[first : last + 1]:
                self._tally.add(record, -1)
                self._by_id.pop(record.id, None)
                changed.add(record.id)
            del self._rows[first : last + 1]
            del self._keys[first : last + 1]
            self.endRemoveRows()
            start = end + 1

    def _update(self, handoff_id: str, handoff: Handoff) -> None:
        old = self._by_id[handoff_id]
        position = self.row_of(handoff_id)
        assert position is not None
        record = Row.of(handoff)
        record.sla = self.sla_of(record)
        self._tally.add(old, -1)
        self._tally.add(record, +1)
        self._by_id[handoff_id] = record
        if record.key == old.key:
            self._rows[position] = record
            self.dataChanged.emit(self.index(position, 0), self.index(position, COLUMN_COUNT - 1))
            return
        target = bisect.bisect_left(self._keys, record.key)
        if target > position:
            target -= 1  # the index it takes once it has left its old place
        if target == position:
            self._keys[position] = record.key
            self._rows[position] = record
            self.dataChanged.emit(self.index(position, 0), self.index(position, COLUMN_COUNT - 1))
            return
        destination = target + 1 if target > position else target
        self.beginMoveRows(QModelIndex(), position, position, QModelIndex(), destination)
        del self._keys[position]
        del self._rows[position]
        self._keys.insert(target, record.key)
        self._rows.insert(target, record)
        self.endMoveRows()
        self.dataChanged.emit(self.index(target, 0), self.index(target, COLUMN_COUNT - 1))

    def _insert(self, fresh: list[Row]) -> None:
        if not fresh:
            return
        fresh.sort(key=lambda r: r.key)
        groups: list[tuple[int, list[Row]]] = []
        for record in fresh:
            record.sla = self.sla_of(record)
            position = bisect.bisect_left(self._keys, record.key)
            if groups and groups[-1][0] == position:
                groups[-1][1].append(record)
            else:
                groups.append((position, [record]))
        # Highest position first: inserting there leaves the lower positions where they were.
        for position, records in reversed(groups):
            self.beginInsertRows(QModelIndex(), position, position + len(records) - 1)
            self._rows[position:position] = records
            self._keys[position:position] = [r.key for r in records]
            for record in records:
                self._by_id[record.id] = record
                self._tally.add(record, +1)
            self.endInsertRows()

    # ---- counts and time ----------------------------------------------------------------------

    def claimed_by(self) -> dict[str, int]:
        """Handoffs claimed now, by assignee, among those held (a lead holds them all)."""
        return {k: v for k, v in self._tally.claimed_by.items() if v > 0}

    def languages(self) -> list[str]:
        """Primary language subtags held, for the language filter."""
        return sorted(k for k, v in self._tally.languages.items() if v > 0)

    def _recount(self) -> None:
        self._tally = Tally.of(self._rows, self.me, self._today)

    def _all_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, COLUMN_COUNT - 1))
        self.countsChanged.emit()

    def set_visible_rows(self, provider: Callable[[], Iterable[tuple[int, int]]] | None) -> None:
        """Tell the model which source rows are on screen (inclusive ranges), for the tick.

        With a provider, a tick announces only those rows: a wait is computed when a row is
        painted, so rows off screen need no announcement, and a filter proxy is spared from
        re-filtering thousands of rows every second. Without one, the tick covers every row.
        """
        self._visible = provider

    def tick(self) -> None:
        """Advance the live waits: ``dataChanged`` for the wait column only, never a re-sort.

        Rows whose SLA state changes (near, breached) also repaint their first cell, where the
        breach bar is drawn.
        """
        ensure_gui_thread("QueueModel.tick")
        today = _start_of_local_day(self.now())
        if today != self._today:
            self._today = today
            self._recount()
            self.countsChanged.emit()
            self.dayChanged.emit()
        if not self._tally.waiting or not self._rows:
            return
        last = len(self._rows) - 1
        ranges = (
            [(0, last)]
            if self._visible is None
            else [(max(0, a), min(last, b)) for a, b in self._visible() if a <= b and a <= last]
        )
        roles = [Qt.ItemDataRole.DisplayRole, WAIT_ROLE]
        for first_row, last_row in ranges:
            for position in range(first_row, last_row + 1):
                record = self._rows[position]
                if record.status != "waiting":
                    continue
                state = self.sla_of(record)
                if state != record.sla:
                    record.sla = state
                    first = self.index(position, 0)
                    self.dataChanged.emit(first, first, [SLA_ROLE])
                if record.handoff.offer is not None:  # its offer counts down in the status column
                    status = self.index(position, Column.STATUS)
                    self.dataChanged.emit(status, status, roles)
            self.dataChanged.emit(self.index(first_row, Column.WAIT), self.index(last_row, Column.WAIT), roles)

    def breached_count(self) -> int:
        return sum(1 for r in self._rows if r.sla == Sla.BREACHED)
