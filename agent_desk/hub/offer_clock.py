"""The alarm of routing by offers: wakes the hub's loop when the earliest pending offer expires.

The storage thread knows the stored ``expires_at`` of every pending offer and tells this alarm
the earliest one (from any thread) whenever it may have changed; the alarm keeps one timer on
the loop for it. When it rings, the hub moves the expired offers on in a transaction of their
own, which tells the alarm the next one. Because the times are stored, a restarted hub sets
the alarm from the store at start, and an offer that expired meanwhile moves on then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from agent_desk.hub.connection import in_background
from agent_desk.protocol.timefmt import parse_time


class OfferAlarm:
    """One timer on the loop for the earliest ``expires_at``.

    Args:
        clock: the hub's clock (the one offers are stamped with).
        ring: moves the expired offers on (a coroutine run in the background).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], datetime],
        ring: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        self.loop = loop
        self.clock = clock
        self.ring = ring
        self._timer: asyncio.TimerHandle | None = None
        self._stopped = False

    def due(self, when: str | None) -> None:
        """The earliest pending offer expires at ``when`` (None: none is pending). Thread-safe."""
        with contextlib.suppress(RuntimeError):  # the loop closed: the hub has stopped
            self.loop.call_soon_threadsafe(self._set, when)

    def stop(self) -> None:
        """Ring no more."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _set(self, when: str | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if when is None or self._stopped:
            return
        delay = max(0.0, (parse_time(when) - self.clock()).total_seconds())
        self._timer = self.loop.call_later(delay, self._rang)

    def _rang(self) -> None:
        self._timer = None
        if not self._stopped:
            in_background(self.ring())
