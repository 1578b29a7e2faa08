"""One row of the queue: a handoff with its rank key and the times read from it, the columns,
the custom roles and where a wait stands against its target."""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Final, Literal

from PySide6.QtCore import Qt

from agent_desk.client.surface import Handoff
from agent_desk.ui import labels
from agent_desk.ui.text import one_line, parse_ts


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


class _Unset(Enum):
    """Marks a time not parsed yet (None already means "no such time")."""

    UNSET = 0


_UNSET: Final = _Unset.UNSET


class Row:
    """One handoff and what the queue derives from it (rank key now; times when first needed).

    Attributes:
        handoff: the handoff as the engine reported it (read-only).
        key: its rank key.
        sla: the SLA state at the last tick (painting asks the model afresh).
        blob: the casefolded search text, made on the first search.
        brief: the Brief column's words, made when first shown (see ``cells.brief_text``).
    """

    __slots__ = ("_claimed", "_escalated", "_resolved", "blob", "brief", "handoff", "key", "sla")

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff
        self.key = handoff.rank_key()
        self.sla = Sla.NONE
        self.blob: str | None = None
        self.brief: str | None = None
        self._escalated: float | Literal[_Unset.UNSET] | None = _UNSET
        self._claimed: float | Literal[_Unset.UNSET] | None = _UNSET
        self._resolved: float | Literal[_Unset.UNSET] | None = _UNSET

    @classmethod
    def of(cls, handoff: Handoff) -> Row:
        return cls(handoff)

    @property
    def escalated(self) -> float | None:
        value = self._escalated
        if value is _UNSET:
            value = self._escalated = parse_ts(self.handoff.escalated_at)
        return value

    @property
    def claimed(self) -> float | None:
        value = self._claimed
        if value is _UNSET:
            value = self._claimed = parse_ts(self.handoff.claimed_at)
        return value

    @property
    def resolved(self) -> float | None:
        value = self._resolved
        if value is _UNSET:
            value = self._resolved = parse_ts(self.handoff.resolved_at)
        return value

    @property
    def id(self) -> str:
        return self.handoff.id

    @property
    def status(self) -> str:
        return self.handoff.status

    def search_blob(self) -> str:
        """Casefolded text the search box matches: customer, brief, queue, ids, category, and the
        triggers that raised it (by name and in words, so a metrics link can find them)."""
        if self.blob is None:
            h = self.handoff
            customer = h.customer
            parts = (
                customer.name,
                customer.email,
                customer.id,
                h.brief,
                h.queue,
                h.category,
                h.id,
                h.conversation_id,
                h.assignee,
                h.language,
                *(r.trigger for r in h.reasons),
                *(labels.trigger_label(r.trigger) for r in h.reasons),
            )
            self.blob = " ".join(one_line(p, 600) for p in parts if p).casefold()
        return self.blob
