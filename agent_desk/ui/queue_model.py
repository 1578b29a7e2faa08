"""The queue: every handoff the engine holds, as table rows kept in rank order.

Rows are ordered by :func:`agent_desk.protocol.visibility.rank_key` (priority, tier, oldest
escalation) by the model itself: new handoffs are placed with a binary search and announced with
``beginInsertRows`` (runs that land together as one block), changed ones with ``dataChanged``,
re-ranked ones with ``beginMoveRows``. Only a snapshot (``HandoffDelta.reset``) resets the model.
A proxy (:mod:`agent_desk.ui.queue_filter`) filters for the views; it never sorts.

The wait column is live: one timer per model ticks once a second and announces ``dataChanged``
for that column only. The clock is injectable (tests advance it instead of sleeping).
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from agent_desk.client.surface import HandoffDelta
from agent_desk.protocol.codes import DEFAULT_SLA_TARGETS_S
from agent_desk.protocol.visibility import rank_key
from agent_desk.ui import labels
from agent_desk.ui.text import (
    format_duration,
    one_line,
    parse_ts,
    sentiment_of,
    sentiment_word,
)
from agent_desk.ui.threads import ensure_gui_thread

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    PRIORITY = 0
    TIER = 1
    CUSTOMER = 2
    QUEUE = 3
    BRIEF = 4
    SIGNALS = 5
    LANGUAGE = 6
    STATUS = 7
    WAIT = 8


#: How many columns (views ask often; len() of an enum class is slow).
COLUMN_COUNT = len(Column)


class Sla(IntEnum):
    """Where a waiting handoff stands against its wait target."""

    NONE = 0  # not waiting (claimed, resolved): the wait is history
    OK = 1  # under 75% of the target
    NEAR = 2  # 75% of the target or more
    BREACHED = 3  # past the target


#: Custom item roles.
HANDOFF_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
SLA_ROLE = Qt.ItemDataRole.UserRole + 3
WAIT_ROLE = Qt.ItemDataRole.UserRole + 4
SYNC_ROLE = Qt.ItemDataRole.UserRole + 5

NEAR_FRACTION = 0.75
#: Built once: flag arithmetic on Python enums is slow, and views ask for flags very often.
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


_UNSET: Any = object()


class Row:
    """One handoff and what the model derives from it (rank key now; times when first needed).

    Attributes:
        handoff: the handoff as the engine reported it (read-only).
        key: its rank key.
        sla: the SLA state at the last tick (painting asks the model afresh).
        blob: the casefolded search text, made on the first search.
    """

    __slots__ = ("_claimed", "_escalated", "_resolved", "blob", "handoff", "key", "sla")

    def __init__(self, handoff: Mapping[str, Any]) -> None:
        self.handoff = handoff
        self.key = rank_key(handoff)
        self.sla = Sla.NONE
        self.blob: str | None = None
        self._escalated = self._claimed = self._resolved = _UNSET

    @classmethod
    def of(cls, handoff: Mapping[str, Any]) -> Row:
        return cls(handoff)

    @property
    def escalated(self) -> float | None:
        if self._escalated is _UNSET:
            self._escalated = parse_ts(self.handoff.get("escalated_at"))
        return self._escalated

    @property
    def claimed(self) -> float | None:
        if self._claimed is _UNSET:
            self._claimed = parse_ts(self.handoff.get("claimed_at"))
        return self._claimed

    @property
    def resolved(self) -> float | None:
        if self._resolved is _UNSET:
            self._resolved = parse_ts(self.handoff.get("resolved_at"))
        return self._resolved

    @property
    def id(self) -> str:
        return str(self.handoff.get("id", ""))

    @property
    def status(self) -> str:
        return str(self.handoff.get("status", ""))

    def search_blob(self) -> str:
        """Casefolded text the search box matches: customer, brief, queue, ids, category."""
        if self.blob is None:
            h = self.handoff
            customer = h.get("customer") if isinstance(h.get("customer"), Mapping) else {}
            parts = (
                customer.get("name"),
                customer.get("email"),
                customer.get("id"),
                h.get("brief"),
                h.get("queue"),
                h.get("category"),
                h.get("id"),
                h.get("conversation_id"),
                h.get("assignee"),
                h.get("language"),
            )
            self.blob = " ".join(one_line(p, 600) for p in parts if p).casefold()
        return self.blob


@dataclass(frozen=True, slots=True)
class Counts:
    """What the sidebar shows next to the views and queues."""

    waiting: int = 0
    mine: int = 0
    resolved_today: int = 0
    total: int = 0
    attention: int = 0
    waiting_by_queue: Mapping[str, int] | None = None


def _row_key(row: Row) -> tuple[Any, ...]:
    return row.key


def _start_of_local_day(now: float) -> float:
    moment = datetime.fromtimestamp(now)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class QueueModel(QAbstractTableModel):
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
        super().__init__(parent)
        self._clock = clock
        self._offset = 0.0
        self._rows: list[Row] = []
        self._keys: list[tuple[Any, ...]] = []
        self._by_id: dict[str, Row] = {}
        self.me = ""
        self._targets: dict[int, float] = {int(k): float(v) for k, v in DEFAULT_SLA_TARGETS_S.items()}
        self._waiting = 0
        self._mine = 0
        self._resolved_today = 0
        self._by_queue: Counter[str] = Counter()
        self._today = _start_of_local_day(self.now())
        self._visible: Callable[[], Iterable[tuple[int, int]]] | None = None
        self._languages: Counter[str] = Counter()
        self._claimed_by: Counter[str] = Counter()
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

    def target_for(self, priority: Any) -> float:
        try:
            return self._targets.get(int(priority), self._targets.get(4, 1800.0))
        except (TypeError, ValueError):
            return self._targets.get(4, 1800.0)

    # ---- reading ------------------------------------------------------------------------

    def row_record(self, row: int) -> Row:
        """The row record at ``row`` (delegates and the filter read it directly)."""
        return self._rows[row]

    def handoff(self, handoff_id: str) -> Mapping[str, Any] | None:
        found = self._by_id.get(handoff_id)
        return found.handoff if found else None

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
        return Counts(
            waiting=self._waiting,
            mine=self._mine,
            resolved_today=self._resolved_today,
            total=len(self._rows),
            attention=attention,
            waiting_by_queue=dict(self._by_queue),
        )

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
        fraction = (self.now() - record.escalated) / max(1.0, self.target_for(record.handoff.get("priority")))
        if fraction >= 1.0:
            return Sla.BREACHED
        if fraction >= NEAR_FRACTION:
            return Sla.NEAR
        return Sla.OK

    def resolved_today(self, record: Row) -> bool:
        return record.status == "resolved" and record.resolved is not None and record.resolved >= self._today

    # ---- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                self.tr("P"),
                self.tr("Tier"),
                self.tr("Customer"),
                self.tr("Queue"),
                self.tr("Brief"),
                self.tr("Signals"),
                self.tr("Lang"),
                self.tr("Status"),
                self.tr("Wait"),
            )[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                self.tr("Priority, 1 is most urgent"),
                self.tr("Customer tier"),
                self.tr("Customer"),
                self.tr("Queue"),
                self.tr("What the customer needs"),
                self.tr("Sentiment and why the bot handed over"),
                self.tr("Conversation language"),
                self.tr("Status and sync"),
                self.tr("Time waiting, against the target"),
            )[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.WAIT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
            return self.display_text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record, column)
        if role == HANDOFF_ROLE:
            return record.handoff
        if role == ID_ROLE:
            return record.id
        if role == SLA_ROLE:
            return int(self.sla_of(record))
        if role == WAIT_ROLE:
            return self.wait_seconds(record)
        if role == SYNC_ROLE:
            return str(record.handoff.get("_sync", "synced"))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == Column.WAIT:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    # ---- texts ----------------------------------------------------------------------------

    def customer_name(self, record: Row) -> str:
        customer = record.handoff.get("customer")
        name = customer.get("name") if isinstance(customer, Mapping) else None
        return one_line(name, 120) or self.tr("Unknown customer")

    def status_text(self, record: Row) -> str:
        h = record.handoff
        status = record.status
        assignee = h.get("assignee")
        if status == "claimed":
            text = self.tr("You") if assignee == self.me else one_line(assignee, 60) or labels.status_label(status)
        else:
            text = labels.status_label(status)
        sync = h.get("_sync", "synced")
        if sync and sync != "synced":
            text = f"{text} · {labels.sync_label(str(sync))}"
        return text

    def display_text(self, record: Row, column: int) -> str:
        h = record.handoff
        if column == Column.PRIORITY:
            return str(h.get("priority", ""))
        if column == Column.TIER:
            return labels.tier_label(str(h.get("tier", "standard")))
        if column == Column.CUSTOMER:
            return self.customer_name(record)
        if column == Column.QUEUE:
            return one_line(h.get("queue"), 60)
        if column == Column.BRIEF:
            return one_line(h.get("brief"), 300)
        if column == Column.SIGNALS:
            word = labels.sentiment_label(sentiment_word(sentiment_of(h)))
            triggers = ", ".join(labels.trigger_label(str(r.get("trigger"))) for r in self.reasons(record))
            return f"{word}; {triggers}" if triggers else word
        if column == Column.LANGUAGE:
            return one_line(h.get("language"), 20)
        if column == Column.STATUS:
            return self.status_text(record)
        if column == Column.WAIT:
            wait = self.wait_seconds(record)
            return format_duration(wait) if wait is not None else ""
        return ""

    @staticmethod
    def reasons(record: Row) -> list[Mapping[str, Any]]:
        reasons = record.handoff.get("reasons")
        if not isinstance(reasons, list | tuple):
            return []
        return [r for r in reasons if isinstance(r, Mapping)]

    def tooltip(self, record: Row, column: int) -> str:
        h = record.handoff
        if column == Column.PRIORITY:
            try:
                return labels.priority_name(int(h.get("priority", 4)))
            except (TypeError, ValueError):
                return ""
        if column == Column.TIER:
            return labels.tier_name(str(h.get("tier", "standard")))
        if column == Column.QUEUE:
            category = one_line(h.get("category"), 80)
            return (
                self.tr("Queue %1, category %2").replace("%1", one_line(h.get("queue"), 60)).replace("%2", category)
                if category
                else one_line(h.get("queue"), 60)
            )
        if column == Column.WAIT:
            wait = self.wait_seconds(record)
            if wait is None:
                return ""
            target = self.target_for(h.get("priority"))
            sla = self.sla_of(record)
            if sla == Sla.BREACHED:
                return (
                    self.tr("Waiting %1; target %2, passed by %3")
                    .replace("%1", format_duration(wait))
                    .replace("%2", format_duration(target))
                    .replace("%3", format_duration(wait - target))
                )
            if sla in (Sla.OK, Sla.NEAR):
                return (
                    self.tr("Waiting %1; target %2, %3 left")
                    .replace("%1", format_duration(wait))
                    .replace("%2", format_duration(target))
                    .replace("%3", format_duration(target - wait))
                )
            return self.tr("Waited %1 before someone took it").replace("%1", format_duration(wait))
        return self.display_text(record, column)

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
        latest: dict[str, Mapping[str, Any]] = {}
        for handoff in delta.upserts:
            handoff_id = handoff.get("id")
            if isinstance(handoff_id, str) and handoff_id:
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

    def _reset(self, upserts: Iterable[Mapping[str, Any]]) -> None:
        self.beginResetModel()
        latest = {h["id"]: h for h in upserts if isinstance(h.get("id"), str)}
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
                self._tally(record, -1)
                self._by_id.pop(record.id, None)
                changed.add(record.id)
            del self._rows[first : last + 1]
            del self._keys[first : last + 1]
            self.endRemoveRows()
            start = end + 1

    def _update(self, handoff_id: str, handoff: Mapping[str, Any]) -> None:
        old = self._by_id[handoff_id]
        position = self.row_of(handoff_id)
        assert position is not None
        record = Row.of(handoff)
        record.sla = self.sla_of(record)
        self._tally(old, -1)
        self._tally(record, +1)
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
                self._tally(record, +1)
            self.endInsertRows()

    # ---- counts and time ----------------------------------------------------------------------

    def claimed_by(self) -> dict[str, int]:
        """Handoffs claimed now, by assignee, among those held (a lead holds them all)."""
        return {k: v for k, v in self._claimed_by.items() if v > 0}

    def languages(self) -> list[str]:
        """Primary language subtags held, for the language filter."""
        return sorted(k for k, v in self._languages.items() if v > 0)

    def _tally(self, record: Row, sign: int) -> None:
        language = record.handoff.get("language")
        if isinstance(language, str) and language:
            self._languages[language.split("-", 1)[0].lower()[:12]] += sign
        status = record.status
        if status == "waiting":
            self._waiting += sign
            queue = str(record.handoff.get("queue", ""))
            self._by_queue[queue] += sign
            if self._by_queue[queue] <= 0:
                del self._by_queue[queue]
        elif status == "claimed":
            assignee = record.handoff.get("assignee")
            if isinstance(assignee, str):
                self._claimed_by[assignee] += sign
            if self.me and assignee == self.me:
                self._mine += sign
        elif status == "resolved" and record.resolved is not None and record.resolved >= self._today:
            self._resolved_today += sign

    def _recount(self) -> None:
        self._waiting = self._mine = self._resolved_today = 0
        self._by_queue = Counter()
        self._languages = Counter()
        self._claimed_by = Counter()
        for record in self._rows:
            self._tally(record, +1)

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
        if not self._waiting or not self._rows:
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
            self.dataChanged.emit(self.index(first_row, Column.WAIT), self.index(last_row, Column.WAIT), roles)

    def breached_count(self) -> int:
        return sum(1 for r in self._rows if r.sla == Sla.BREACHED)
