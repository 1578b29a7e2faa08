"""What the simulated agents know of the floor together, and how it sets their pace.

Every agent feeds the handoffs it sees into one :class:`FloorView`; between them the agents
cover every queue and language, so the view counts everything waiting. From that count the
floor keeps its queue between ``low`` and ``high``: agents work faster and hold more handoffs
at once when it grows, and when it is short they leave fresh, ordinary handoffs waiting a while
and take breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_desk.protocol.codes import DEFAULT_SLA_TARGETS_S
from agent_desk.protocol.timefmt import parse_time, utc_now


class FloorView:
    """The waiting handoffs every simulated agent sees, and the pace they call for.

    Args:
        low: below this many waiting, the floor is quiet.
        high: the most the floor should let wait; agents hurry well before it.
        speed: the demo's speed factor (waiting times are judged in the floor's own time).

    Attributes:
        transferred: handoffs an agent passed to another queue (passed on once only).
    """

    def __init__(self, low: int = 5, high: int = 40, speed: float = 1.0) -> None:
        self.low = low
        self.high = high
        self.speed = speed
        self.sla_targets_s: dict[int, int] = dict(DEFAULT_SLA_TARGETS_S)
        self.transferred: set[str] = set()
        self._versions: dict[str, int] = {}
        self._waiting: set[str] = set()

    def see(self, handoff: Mapping[str, Any]) -> None:
        """Take in a handoff as an agent received it (older versions change nothing)."""
        hid = str(handoff.get("id"))
        version = int(handoff.get("version", 0))
        if version <= self._versions.get(hid, 0):
            return
        self._versions[hid] = version
        if handoff.get("status") == "waiting":
            self._waiting.add(hid)
        else:
            self._waiting.discard(hid)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def quiet(self) -> bool:
        """Few are waiting: time for breaks, and no need to pounce on every new handoff."""
        return self.waiting <= self.low

    def rush(self) -> bool:
        """The queue nears its limit: everyone back to the floor."""
        return self.waiting >= self.high * 3 // 4

    def tempo(self) -> float:
        """How long the agents' pauses are compared with an ordinary day (below 1: hurrying)."""
        waiting = self.waiting
        if self.rush():
            return 0.35
        if waiting >= self.high // 2:
            return 0.6
        if waiting >= self.low * 2:
            return 1.0
        return 1.6

    def capacity(self) -> int:
        """How many handoffs an agent holds at once when it picks them (routing by offers holds
        each agent to its own ``capacity`` instead)."""
        waiting = self.waiting
        if self.rush():
            return 4
        return 3 if waiting >= self.low * 3 else 2

    def worth_claiming(self, handoff: Mapping[str, Any]) -> bool:
        """Whether to claim a waiting handoff now (when the floor is quiet, only what cannot wait)."""
        if not self.quiet() or int(handoff.get("priority", 4)) == 1:
            return True
        try:
            waited = (utc_now() - parse_time(str(handoff.get("escalated_at")))).total_seconds() * self.speed
        except ValueError:
            return True
        target = self.sla_targets_s.get(int(handoff.get("priority", 4)), 600)
        return waited >= 0.4 * target
