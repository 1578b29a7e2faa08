"""The engine's thread: one asyncio loop on a thread of its own, and work handed to it.

:class:`EngineThread` starts the thread once, runs the engine's main coroutine on it, takes
work from any thread (:meth:`EngineThread.post` returns at once; :meth:`EngineThread.call`
waits for the result), and is asked to stop from any thread without waiting for it. Work
handed over before the engine is ready (its cache open) runs once it is, in order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The engine thread's name.
THREAD_NAME = "agent-desk-engine"


class EngineThread:
    """An asyncio loop on its own thread, started once; thread-safe."""

    def __init__(self) -> None:
        """A thread not started yet."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = asyncio.Event()
        self._stop_requested = asyncio.Event()

    def start(self, main: Callable[[], Coroutine[Any, Any, None]], before: Callable[[], None] | None = None) -> None:
        """Start the thread: ``before()`` (blocking, if given), then the loop runs ``main()``.

        Raises:
            RuntimeError: it was started already.
        """
        if self._thread is not None:
            raise RuntimeError("the engine was started already")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(main, before), name=THREAD_NAME, daemon=True)
        self._thread.start()

    def _run(self, main: Callable[[], Coroutine[Any, Any, None]], before: Callable[[], None] | None) -> None:
        """The thread: ``before()``, then the loop until ``main()`` returns; the loop closes."""
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        if before is not None:
            before()
        try:
            loop.run_until_complete(main())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def ready(self) -> None:
        """The engine is ready (on the thread): work handed over so far may run."""
        self._ready.set()

    async def stop_requested(self) -> None:
        """Wait (on the thread) until someone asks the engine to stop."""
        await self._stop_requested.wait()

    def request_stop(self) -> None:
        """Ask the main coroutine to end (:meth:`stop_requested`); returns at once."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the thread is ending anyway
            loop.call_soon_threadsafe(self._stop_requested.set)

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` for the thread to end; True when it has (or never ran)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        """True from :meth:`start` until the thread has ended."""
        return self._thread is not None and self._thread.is_alive()

    def post(self, work: Callable[[], object]) -> None:
        """Run ``work`` on the thread once the engine is ready; returns at once.

        A failure is logged (nobody waits for the result).

        Raises:
            RuntimeError: the thread is not running.
        """
        if self._loop is None or self._loop.is_closed():
            raise RuntimeError("the engine is not running")

        async def run() -> None:
            await self._ready.wait()
            work()

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        future.add_done_callback(_log_failure)

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the thread after everything handed over before; return its result.

        It blocks the caller: for tests and tools, never the GUI thread.

        Raises:
            RuntimeError: the thread is not running, or this is the thread itself.
            TimeoutError: no answer within ``timeout`` seconds.
        """
        if self._loop is None:
            raise RuntimeError("the engine is not running")
        if threading.current_thread() is self._thread:
            raise RuntimeError("Engine.call from the engine thread would wait for itself")

        async def run() -> T:
            await self._ready.wait()
            return fn()

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError("the engine thread did not answer in time") from None


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    """Log work that failed on the engine thread (nobody waits for its result)."""
    if not future.cancelled() and future.exception() is not None:
        log.error("an engine command failed", exc_info=future.exception())
