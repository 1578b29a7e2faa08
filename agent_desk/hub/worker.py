"""The hub's storage thread: runs all storage work in submission order, batching writes.

Requests that change state queue up their transaction work; when several are waiting, they
share one transaction, so one commit (and one fsync) serves them all. Their results still come
back in submission order, which keeps the global event order the hub promises.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from agent_desk.hub.service import Work
from agent_desk.hub.store import Outcome, Store, StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Most requests sharing one transaction.
MAX_BATCH = 64


@dataclass(slots=True)
class _Job:
    future: asyncio.Future[Any]
    work: Work | None = None  # a batchable write
    fn: Callable[..., Any] | None = None  # anything else, run alone
    args: tuple[Any, ...] = ()


_STOP = object()


class StorageWorker:
    """One thread owning the store. ``call`` and ``write`` return futures of the event loop."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hub-store", daemon=True)
        self._thread.start()

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``fn(*args)`` on the storage thread, after everything submitted before."""
        future = self.loop.create_future()
        self._queue.put(_Job(future, fn=fn, args=args))
        return future

    def write(self, work: Work) -> asyncio.Future[Outcome]:
        """Run a request's transaction work, possibly in one transaction with its neighbours."""
        future = self.loop.create_future()
        self._queue.put(_Job(future, work=work))
        return future

    def stop(self) -> None:
        """Finish what was submitted, then end the thread (blocks until it has)."""
        self._queue.put(_STOP)
        self._thread.join()

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        held: Any = None
        while True:
            job = held if held is not None else self._queue.get()
            held = None
            if job is _STOP:
                return
            if job.work is None:
                self._settle([(job.future, self._call(job))])
                continue
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP or more.work is None:
                    held = more  # runs right after this batch, keeping the order
                    break
                batch.append(more)
            self._settle(self._write(batch))

    @staticmethod
    def _call(job: _Job) -> Any:
        assert job.fn is not None
        try:
            return job.fn(*job.args)
        except BaseException as error:  # noqa: BLE001 - handed back to the awaiting caller
            return _Failure(error)

    def _write(self, batch: list[_Job]) -> list[tuple[asyncio.Future[Any], Any]]:
        works = [job.work for job in batch if job.work is not None]
        try:
            outcomes: list[Any] = self.store.write_batch(works)
        except StoreUnavailable as error:
            outcomes = [error] * len(batch)
        settled = []
        for job, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                assert job.work is not None
                job.work.abort()
                outcome = _Failure(outcome)
            settled.append((job.future, outcome))
        return settled

    def _settle(self, results: list[tuple[asyncio.Future[Any], Any]]) -> None:
        try:
            self.loop.call_soon_threadsafe(_resolve, results)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            log.debug("storage results after the loop closed were dropped")


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _resolve(results: list[tuple[asyncio.Future[Any], Any]]) -> None:
    """Settle futures in submission order (so their waiters wake in that order)."""
    for future, value in results:
        if future.done():
            continue
        if isinstance(value, _Failure):
            future.set_exception(value.error)
        else:
            future.set_result(value)
