"""The engine's thread: work handed over from any thread runs there, in order, once ready."""

from __future__ import annotations

import threading

import pytest

from agent_desk.client.engine_thread import THREAD_NAME, EngineThread

WAIT_S = 10.0


def test_work_handed_over_before_the_engine_is_ready_runs_once_it_is_in_order() -> None:
    runner = EngineThread()
    may_start = threading.Event()
    done: list[str] = []

    async def main() -> None:
        done.append("ready")
        runner.ready()
        await runner.stop_requested()

    runner.start(main, before=lambda: may_start.wait(WAIT_S))
    runner.post(lambda: done.append(threading.current_thread().name))
    runner.post(lambda: done.append("second"))
    may_start.set()
    assert runner.call(lambda: list(done), WAIT_S) == ["ready", THREAD_NAME, "second"]
    runner.request_stop()
    assert runner.join(WAIT_S) and not runner.running


def test_the_thread_cannot_wait_for_itself_nor_start_twice() -> None:
    runner = EngineThread()

    async def main() -> None:
        runner.ready()
        await runner.stop_requested()

    runner.start(main)
    try:
        with pytest.raises(RuntimeError, match="wait for itself"):
            runner.call(lambda: runner.call(lambda: None), WAIT_S)
        with pytest.raises(RuntimeError, match="started already"):
            runner.start(main)
    finally:
        runner.request_stop()
        assert runner.join(WAIT_S)
