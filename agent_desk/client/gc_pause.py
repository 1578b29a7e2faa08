"""Pausing CPython's cyclic garbage collector while a burst of hub frames is applied.

Why: a batch decodes tens of thousands of objects that stay alive (the handoffs the cache
remembers and the deltas hand over). The collector would otherwise run dozens of times a
batch, each time going over everything young, and again over the survivors of every batch
(about a twentieth of the engine thread's time in a burst). In two sets of interleaved runs
of ``benchmarks/bench_client.py``, the 20,000-event burst reached 46% and 50% of the
baseline with the pause, 43% and 41% without it: the pause is what keeps the burst clear of
the 40% target.

What it costs: the collector is one for the whole process, so while it rests, cycles made on
any thread (the GUI's too) wait for the collection that follows the burst. What a burst makes
is freed by reference counting (decoded JSON has no cycles), and the pause lasts
:data:`GC_PAUSE_MAX_S` at most in a row. A collector someone else disabled stays disabled:
the pause neither starts nor ends it then.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: The collector rests at most this long in a row.
GC_PAUSE_MAX_S = 1.0


class GcPause:
    """The engine's pause of the garbage collector; used from the engine thread only."""

    def __init__(self, max_s: float = GC_PAUSE_MAX_S, clock: Callable[[], float] = time.monotonic) -> None:
        """A pause not yet begun.

        Args:
            max_s: how long the collector may rest in a row (:meth:`overdue` after that).
            clock: seconds, monotonic (tests pass their own).
        """
        self._max_s = max_s
        self._clock = clock
        self._since: float | None = None

    def pause(self) -> None:
        """Stop the collector, unless it is stopped already (by this pause or someone else)."""
        if self._since is None and gc.isenabled():
            gc.disable()
            self._since = self._clock()

    @property
    def paused(self) -> bool:
        """True while this pause holds the collector."""
        return self._since is not None

    def overdue(self) -> bool:
        """True when the collector has rested longer than allowed: resume it now."""
        return self._since is not None and self._clock() - self._since > self._max_s

    def resume(self) -> None:
        """Start the collector again if this pause stopped it (else nothing)."""
        if self._since is not None:
            self._since = None
            gc.enable()
