"""Committing a batch of hub frames on a helper thread while the engine thread reads on.

Why: SQLite's ``COMMIT`` of a batch (the WAL write) runs without the interpreter lock, so on
a helper thread, ``agent-desk-commit``, it overlaps with the engine thread receiving the next
frames. In two sets of interleaved runs of ``benchmarks/bench_client.py``, the 20,000-event
burst reached 46% and 50% of the baseline with it, 44% and 49% with the commit on the engine
thread: a small gain, one or two points, kept because what it costs is held in this module.

Why it is safe: the cache has one SQLite connection (``cache_db.open_engine``). It is used by
one thread at a time, never by two: the engine thread stages a batch (every statement run,
the transaction left open, :meth:`Cache.stage_batch`) and hands the connection over; the
helper thread commits and closes it (back to the pool) and sets :attr:`StagedBatch.done`;
every later use of the cache first waits for that (:meth:`StagedBatch.wait`, from the cache's
``_settle``). Nothing else crosses threads: the batch's Python objects are only read again
by the engine thread, after the wait.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from agent_desk.client.batch import Batch

#: The helper thread's name.
THREAD_NAME = "agent-desk-commit"


class StagedBatch:
    """A batch applied but not yet committed (:meth:`Cache.stage_batch`).

    Attributes:
        batch: what was applied, for the cache to finish once committed.
        error: the commit's failure (None: committed, or not yet done).
        done: set once the commit is over, either way, and the connection is back.
    """

    def __init__(self, batch: Batch, conn: Connection, transaction: Any) -> None:
        """Hold ``batch``, applied on ``conn`` in the open ``transaction``."""
        self.batch = batch
        self.error: DBAPIError | None = None
        self.done = threading.Event()
        self._conn = conn
        self._transaction = transaction

    def commit(self) -> None:
        """Commit the batch's transaction; from any thread, once.

        A failure is kept in :attr:`error` (the transaction is rolled back) and reported by
        ``Cache.finish_batch``.
        """
        try:
            self._transaction.commit()
        except DBAPIError as error:
            self.error = error
        finally:
            try:
                self._conn.close()  # back to the pool; rolls back what was not committed
            finally:
                self.done.set()

    def wait(self) -> None:
        """Wait until the commit is over (the connection may be used again)."""
        self.done.wait()


class CommitThread:
    """The helper thread that commits staged batches, one at a time, in order."""

    def __init__(self) -> None:
        """Start nothing yet: the thread starts with the first commit."""
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)

    async def commit(self, staged: StagedBatch) -> None:
        """Commit ``staged`` on the helper thread; the event loop runs on meanwhile."""
        await asyncio.wrap_future(self._executor.submit(staged.commit))

    def close(self) -> None:
        """Wait for a commit still running, then end the thread."""
        self._executor.shutdown()
