"""A hub clock that tests move by hand, from a fixed morning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent_desk.protocol.timefmt import format_time

T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


class Clock:
    """``now`` starts at T0; ``at(seconds)`` puts it that long after T0."""

    def __init__(self) -> None:
        self.now = T0

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        return self.now


def t(seconds: float) -> str:
    """The protocol time ``seconds`` after T0."""
    return format_time(T0 + timedelta(seconds=seconds))
