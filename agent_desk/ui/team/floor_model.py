"""The figures of the lead's floor, worked out from what the desk holds, and their table models.

A lead's desk holds every handoff, so the floor is counted here, live: per queue the waiting,
the oldest wait, the breaches now and the agents online for it; per person the presence and how
long it has held, what they hold against their capacity and what they resolved today; and every
waiting handoff past its target.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QMimeData, QModelIndex, QObject, Qt

from agent_desk.client.surface import UserInfo
from agent_desk.protocol.timefmt import parse_time
from agent_desk.ui import labels
from agent_desk.ui.queue.drag import HANDOFFS_MIME, handoff_mime
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.rows import Sla
from agent_desk.ui.row_model import ROW_FLAGS, AnyIndex, RowModel
from agent_desk.ui.text import format_duration, one_line

T = TypeVar("T")
#: Presences that count as online for a queue.
ONLINE = ("available", "busy")
PRESENCE_MARKS = {"available": "●", "busy": "◐", "away": "○", "offline": "◌"}


@dataclass(frozen=True, slots=True)
class QueueFloor:
    queue: str
    waiting: int = 0
    oldest_s: float | None = None
    breaches: int = 0
    online: int = 0
    near: int = 0  # waiting, not past the target yet but close to it: the breaches coming next
    trend: int | None = None  # breaches now against TREND_S ago (None: not watched that long)


@dataclass(frozen=True, slots=True)
class AgentFloor:
    id: str
    name: str
    presence: str
    holding: int
    capacity: int | None
    today: int
    in_presence_s: float | None
    aht_s: float | None = None  # average handle time today: claimed to resolved


@dataclass(frozen=True, slots=True)
class Breach:
    handoff_id: str
    customer: str
    queue: str
    priority: int
    wait_s: float
    target_s: float


@dataclass(frozen=True, slots=True)
class Floor:
    queues: tuple[QueueFloor, ...]
    agents: tuple[AgentFloor, ...]
    breaches: tuple[Breach, ...]


#: How far back the breaches' trend looks (seconds), and how long it must have watched first.
TREND_S = 600.0
TREND_MIN_S = 60.0


class BreachHistory:
    """Each queue's breach count as the floor saw it, to say whether breaches rise or fall."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, dict[str, int]]] = deque()

    def trend(self, now: float, breaches: Mapping[str, int]) -> dict[str, int]:
        """Record ``breaches`` at ``now``; the change per queue since about TREND_S ago."""
        samples = self._samples
        while samples and now - samples[0][0] > TREND_S:
            samples.popleft()
        if not samples or now - samples[-1][0] >= 5.0:  # a sample every few seconds is plenty
            samples.append((now, dict(breaches)))
        first_at, first = samples[0]
        if now - first_at < TREND_MIN_S:
            return {}
        return {q: breaches.get(q, 0) - first.get(q, 0) for q in {*breaches, *first}}


def serves(user: UserInfo, queue: str) -> bool:
    return not user.queues or queue in user.queues


def count_floor(
    model: QueueModel,
    queues: Sequence[str],
    users: Iterable[UserInfo],
    since: Mapping[str, float],
    history: BreachHistory | None = None,
) -> Floor:
    """The floor now, from the handoffs ``model`` holds.

    Args:
        queues: the hub's queues (a queue with handoffs but not listed is added).
        users: the people; since: when each one's presence last changed (hub time).
        history: the breaches seen before, for each queue's trend (None: no trend).
    """
    now = model.now()
    waiting: dict[str, list[float]] = {q: [] for q in queues}
    breached: dict[str, int] = {}
    near: dict[str, int] = {}
    holding: dict[str, int] = {}
    today: dict[str, int] = {}
    handled_s: dict[str, list[float]] = {}
    breaches: list[Breach] = []
    for row in range(model.rowCount()):
        record = model.row_record(row)
        handoff = record.handoff
        status = record.status
        if status == "waiting":
            wait = model.wait_seconds(record) or 0.0
            waiting.setdefault(handoff.queue, []).append(wait)
            sla = model.sla_of(record)
            if sla == Sla.NEAR:
                near[handoff.queue] = near.get(handoff.queue, 0) + 1
            if sla == Sla.BREACHED:
                breached[handoff.queue] = breached.get(handoff.queue, 0) + 1
                target = model.target_for(handoff.priority)
                breaches.append(
                    Breach(handoff.id, handoff.customer.name, handoff.queue, handoff.priority, wait, target)
                )
        elif status == "claimed" and handoff.assignee:
            holding[handoff.assignee] = holding.get(handoff.assignee, 0) + 1
        elif model.resolved_today(record):
            outcome = handoff.outcome
            who = handoff.assignee or (outcome.recorded_by if outcome is not None else "")
            if who:
                today[who] = today.get(who, 0) + 1
                handled = _handled_s(handoff.claimed_at, handoff.resolved_at)
                if handled is not None:
                    handled_s.setdefault(who, []).append(handled)
    trends = history.trend(now, breached) if history is not None else {}
    people = [u for u in users if u.role in ("agent", "lead")]
    queue_rows = tuple(
        QueueFloor(
            queue=q,
            waiting=len(waits),
            oldest_s=max(waits) if waits else None,
            breaches=breached.get(q, 0),
            online=sum(1 for u in people if u.role == "agent" and u.presence in ONLINE and serves(u, q)),
            near=near.get(q, 0),
            trend=trends.get(q),
        )
        for q, waits in waiting.items()
    )
    order = {"available": 0, "busy": 1, "away": 2, "offline": 3}
    agent_rows = tuple(
        AgentFloor(
            id=u.id,
            name=one_line(u.name, 60) or u.id,
            presence=u.presence,
            holding=holding.get(u.id, 0),
            capacity=u.capacity,
            today=today.get(u.id, 0),
            in_presence_s=(now - since[u.id]) if u.id in since else None,
            aht_s=sum(handled_s[u.id]) / len(handled_s[u.id]) if handled_s.get(u.id) else None,
        )
        for u in sorted(people, key=lambda u: (order.get(u.presence, 4), u.name.casefold()))
    )
    breaches.sort(key=lambda b: (b.priority, -b.wait_s))
    return Floor(queue_rows, agent_rows, tuple(breaches))


def _handled_s(claimed_at: str | None, resolved_at: str | None) -> float | None:
    """Seconds from claim to resolve, when both are known and in order."""
    if not claimed_at or not resolved_at:
        return None
    try:
        seconds = (parse_time(resolved_at) - parse_time(claimed_at)).total_seconds()
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class FloorModel(RowModel[T], Generic[T]):
    """Rows of one kind with fixed headers; updated in place when the same rows come again.

    Attributes:
        text_columns: columns of words (left-aligned); the others hold figures.
    """

    text_columns: frozenset[int] = frozenset({0})

    def __init__(self, headers: Sequence[str], key: Callable[[T], str], parent: QObject | None = None) -> None:
        super().__init__(parent, columns=len(headers))
        self._headers = list(headers)
        self._key = key

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return None

    def rows(self) -> list[T]:
        return list(self._rows)

    def key_at(self, index: QModelIndex) -> str | None:
        row = self.row_at(index)
        return self._key(row) if row is not None else None

    def set_rows(self, rows: Sequence[T]) -> None:
        rows = list(rows)
        if [self._key(r) for r in rows] != [self._key(r) for r in self._rows]:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
            return
        for n, row in enumerate(rows):
            if row != self._rows[n]:
                self._rows[n] = row
                self.dataChanged.emit(self.index(n, 0), self.index(n, self._column_count - 1))

    def cell(self, row: T, column: int) -> str:
        raise NotImplementedError

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return self._key(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() not in self.text_columns:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class QueuesFloorModel(FloorModel[QueueFloor]):
    def __init__(self, parent: QObject | None = None) -> None:
        headers = [
            self.tr("Queue"),
            self.tr("Waiting"),
            self.tr("Oldest"),
            self.tr("Breaches"),
            self.tr("Near"),
            self.tr("Online"),
            self.tr("Trend"),
        ]
        super().__init__(headers, lambda r: r.queue, parent)

    def cell(self, row: QueueFloor, column: int) -> str:
        if column == 0:
            return one_line(row.queue, 40)
        if column == 1:
            return str(row.waiting)
        if column == 2:
            return format_duration(row.oldest_s) if row.oldest_s is not None else "—"
        if column == 3:
            return f"{row.breaches} ▲" if row.breaches else "0"
        if column == 4:
            return str(row.near)
        if column == 5:
            return str(row.online)
        if row.trend is None:
            return "—"
        return f"↑{row.trend}" if row.trend > 0 else f"↓{-row.trend}" if row.trend < 0 else "="


class AgentsFloorModel(FloorModel[AgentFloor]):
    text_columns = frozenset({0, 1})

    def __init__(self, parent: QObject | None = None) -> None:
        headers = [
            self.tr("Agent"),
            self.tr("Presence"),
            self.tr("For"),
            self.tr("Holding"),
            self.tr("Today"),
            self.tr("AHT"),
        ]
        super().__init__(headers, lambda r: r.id, parent)

    def cell(self, row: AgentFloor, column: int) -> str:
        if column == 0:
            return row.name
        if column == 1:
            return f"{PRESENCE_MARKS.get(row.presence, '◌')} {labels.presence_label(row.presence)}"
        if column == 2:
            return format_duration(row.in_presence_s) if row.in_presence_s is not None else "—"
        if column == 3:
            return f"{row.holding}/{row.capacity}" if row.capacity is not None else str(row.holding)
        if column == 4:
            return str(row.today)
        return format_duration(row.aht_s) if row.aht_s is not None else "—"


class BreachesModel(FloorModel[Breach]):
    """Waiting handoffs past their target; rows may be dragged onto a person or a queue."""

    text_columns = frozenset({0, 1})

    def __init__(self, parent: QObject | None = None) -> None:
        headers = [self.tr("Customer"), self.tr("Queue"), self.tr("Priority"), self.tr("Waiting"), self.tr("Target")]
        super().__init__(headers, lambda r: r.handoff_id, parent)

    def cell(self, row: Breach, column: int) -> str:
        if column == 0:
            return one_line(row.customer, 60) or row.handoff_id
        if column == 1:
            return one_line(row.queue, 40)
        if column == 2:
            return f"P{row.priority}"
        if column == 3:
            return f"{format_duration(row.wait_s)} ▲"
        return format_duration(row.target_s)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return ROW_FLAGS | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [HANDOFFS_MIME]

    def mimeData(self, indexes: Iterable[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid() and 0 <= i.row() < len(self._rows)})
        return handoff_mime(self._rows[r].handoff_id for r in rows)
