"""Reconnect delays: PROTOCOL.md's backoff as a small generator.

Random 0.5-1.5 s at first, doubling on every further failure, capped at 30 s; a connection that
stayed up 30 s starts the sequence again (the caller makes a new generator).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from agent_desk.protocol.codes import (
    BACKOFF_CAP_S,
    BACKOFF_MAX_S,
    BACKOFF_MIN_S,
    BACKOFF_RESET_AFTER_S,
)


def backoff_delays(
    rng: random.Random | None = None,
    low: float = BACKOFF_MIN_S,
    high: float = BACKOFF_MAX_S,
    cap: float = BACKOFF_CAP_S,
) -> Iterator[float]:
    """Yield the seconds to wait before each reconnect attempt, forever.

    The n-th delay (from 0) is drawn uniformly from ``[low * 2**n, high * 2**n]`` and capped at
    ``cap``, so many clients that lost the hub at once spread their attempts out.

    Args:
        rng: source of randomness (tests pass a seeded one).
        low: lower bound of the first delay.
        high: upper bound of the first delay.
        cap: no delay is longer than this.
    """
    rng = rng or random.Random()
    factor = 1.0
    while True:
        yield min(cap, rng.uniform(low * factor, high * factor))
        if high * factor < cap:
            factor *= 2.0


class Backoff:
    """The reconnect schedule of one engine: delays, and the reset after a stable connection.

    Attributes:
        reset_after_s: how long a connection must stay up to start the delays again.
    """

    def __init__(self, rng: random.Random | None = None, reset_after_s: float = BACKOFF_RESET_AFTER_S) -> None:
        self._rng = rng or random.Random()
        self.reset_after_s = reset_after_s
        self._delays = backoff_delays(self._rng)

    def next_delay(self, connected_for_s: float | None) -> float:
        """Seconds to wait before the next attempt.

        Args:
            connected_for_s: how long the connection that just ended was up (None: the attempt
                failed before a connection was established).
        """
        if connected_for_s is not None and connected_for_s >= self.reset_after_s:
            self.reset()
        return next(self._delays)

    def reset(self) -> None:
        """Start again from the shortest delay."""
        self._delays = backoff_delays(self._rng)
