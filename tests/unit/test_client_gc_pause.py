"""The collector's pause during a burst: it stops the collector, never for long, never for others."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from agent_desk.client.gc_pause import GcPause


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def test_a_pause_stops_the_collector_until_it_is_resumed() -> None:
    pause = GcPause(clock=Clock())
    pause.pause()
    assert not gc.isenabled() and pause.paused
    pause.pause()  # again while paused: still the one pause
    pause.resume()
    assert gc.isenabled() and not pause.paused
    pause.resume()  # again: nothing to do
    assert gc.isenabled()


def test_a_pause_is_overdue_once_it_lasted_longer_than_allowed() -> None:
    clock = Clock()
    pause = GcPause(max_s=1.0, clock=clock)
    assert not pause.overdue()
    pause.pause()
    clock.now += 1.0
    assert not pause.overdue()
    clock.now += 0.01
    assert pause.overdue()
    pause.resume()
    assert not pause.overdue() and gc.isenabled()


def test_a_collector_someone_else_disabled_stays_disabled() -> None:
    gc.disable()
    pause = GcPause(clock=Clock())
    pause.pause()
    assert not pause.paused
    pause.resume()
    assert not gc.isenabled()
