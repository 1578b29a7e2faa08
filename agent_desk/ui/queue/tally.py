"""What the queue counts for the sidebar and the filters, kept up to date row by row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agent_desk.ui.queue.rows import Row


@dataclass(frozen=True, slots=True)
class Counts:
    """What the sidebar shows next to the views and queues."""

    waiting: int = 0
    mine: int = 0
    resolved_today: int = 0
    total: int = 0
    attention: int = 0
    waiting_by_queue: Mapping[str, int] | None = None


class Tally:
    """Running counts over the rows held, for one user and one local day.

    A new user or a new day means a new tally (:meth:`of`); in between, each row that comes or
    goes is added with ``+1`` or ``-1``.

    Attributes:
        waiting, mine, resolved_today: how many rows each of those views holds.
        by_queue: waiting rows by queue.
        languages: rows by primary language subtag.
        claimed_by: claimed rows by assignee.
    """

    def __init__(self, me: str = "", today: float = 0.0) -> None:
        self._me = me
        self._today = today
        self.waiting = 0
        self.mine = 0
        self.resolved_today = 0
        self.by_queue: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.claimed_by: Counter[str] = Counter()

    @classmethod
    def of(cls, rows: Iterable[Row], me: str, today: float) -> Tally:
        tally = cls(me, today)
        for record in rows:
            tally.add(record, +1)
        return tally

    def add(self, record: Row, sign: int) -> None:
        """Count ``record`` in (``sign`` +1) or out (-1)."""
        language = record.handoff.language
        if language:
            self.languages[language.split("-", 1)[0].lower()[:12]] += sign
        status = record.status
        if status == "waiting":
            self.waiting += sign
            queue = record.handoff.queue
            self.by_queue[queue] += sign
            if self.by_queue[queue] <= 0:
                del self.by_queue[queue]
        elif status == "claimed":
            assignee = record.handoff.assignee
            if assignee is not None:
                self.claimed_by[assignee] += sign
            if self._me and assignee == self._me:
                self.mine += sign
        elif status == "resolved" and record.resolved is not None and record.resolved >= self._today:
            self.resolved_today += sign

    def counts(self, total: int, attention: int = 0) -> Counts:
        return Counts(
            waiting=self.waiting,
            mine=self.mine,
            resolved_today=self.resolved_today,
            total=total,
            attention=attention,
            waiting_by_queue=dict(self.by_queue),
        )
