"""``subscribe`` on /v1/source: bring a source up to date on its conversations, then keep it so.

As ``resume`` does for a desktop (:mod:`~agent_desk.hub.sync`): the hub replays the source's
missed events by the global ``seq`` when the epoch is its own, ``last_seq`` is not beyond the
head and the log still holds every event after it; otherwise it sends ``snapshot`` parts
listing the source's unresolved handoffs (:func:`~agent_desk.hub.source_events.conversation`).
Then ``synced``, then the ``result``, then the events live. The replay or snapshot is one
consistent read on the storage thread; events committed meanwhile are held for the connection
and sent after ``synced`` when their ``seq`` is beyond its head, so none is lost or sent twice.
A subscription is not stored: it lasts as long as the connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection

from agent_desk.hub import events
from agent_desk.hub.audience import Audience
from agent_desk.hub.connection import Conn
from agent_desk.hub.source_events import open_conversations
from agent_desk.hub.store import Store, StoreUnavailable
from agent_desk.hub.sync import SyncPlan, snapshot_parts
from agent_desk.hub.worker import StorageWorker
from agent_desk.protocol.codes import Code
from agent_desk.protocol.messages import Subscribe, encode, result_error, result_ok


def plan(store: Store, source: str, epoch: str | None, last_seq: int | None) -> SyncPlan:
    """Replay or snapshot for a source's ``subscribe``, from one consistent read.

    Runs on the storage thread.

    Raises:
        StoreUnavailable: storage failed.
    """

    def work(conn: Connection) -> SyncPlan:
        head = events.head(conn)
        if epoch == store.epoch and last_seq is not None and last_seq <= head:
            if last_seq == head:
                return SyncPlan(head, events=[])
            missed = events.after(conn, last_seq, source=source)
            if missed is not None:
                return SyncPlan(head, events=[event.frame for event in missed])
        return SyncPlan(head, snapshot=open_conversations(conn, source))

    return store.read(work)


class SourceSync:
    """Answers ``subscribe`` on source connections.

    Args:
        storage: the running storage thread.
        audience: where a subscribed source connection starts receiving its events.
    """

    def __init__(self, store: Store, storage: Callable[[], StorageWorker], audience: Audience) -> None:
        self.store = store
        self.storage = storage
        self.audience = audience

    async def subscribe(self, conn: Conn, request: Subscribe) -> None:
        """Send the replay or snapshot, ``synced``, the result, then what arrived meanwhile."""
        if conn.gone:  # closed before its subscribe came up (a source's requests run as tasks)
            return
        if conn.subscribed:
            conn.send(encode(result_error(request.id, Code.INVALID, "already subscribed on this connection")))
            await conn.count_bad(time.monotonic())
            return
        conn.subscribed = True
        conn.syncing = True
        self.audience.add_source(conn)  # before the read: what commits after it is held
        try:
            sync = await self.storage().call(plan, self.store, conn.user.id, request.epoch, request.last_seq)
        except StoreUnavailable as error:
            self.audience.remove_source(conn)
            conn.buffer.clear()
            conn.syncing = conn.subscribed = False
            conn.send(
                encode(
                    result_error(
                        request.id,
                        Code.UNAVAILABLE,
                        f"storage unavailable, not subscribed: {error}",
                        retry_after_ms=1000,
                    )
                )
            )
            return
        if conn.gone:  # closed meanwhile; the hub has already stopped sending it events
            self.audience.remove_source(conn)
            return
        if sync.events is not None:
            for text in sync.events:
                conn.send(text)
        else:
            for part in snapshot_parts(sync.head, sync.snapshot or [], key="conversations"):
                conn.send(part)
        conn.send(encode({"type": "synced", "seq": sync.head}))
        replayed = sync.events is not None
        conn.send(encode(result_ok(request.id, {"epoch": self.store.epoch, "seq": sync.head, "replayed": replayed})))
        conn.end_sync(sync.head)
