"""``resume``: bring a desktop up to date by replaying what it missed, or with a snapshot.

The replay or the snapshot is read on the storage thread in one consistent read with one head.
Events that commit meanwhile are held for the connection and sent after ``synced`` when their
``seq`` is beyond that head, so none is lost or sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from agent_desk.hub import events, handoffs
from agent_desk.hub.audience import Audience, reaches
from agent_desk.hub.connection import Conn
from agent_desk.hub.presence import Online
from agent_desk.hub.store import Store, StoreUnavailable
from agent_desk.hub.worker import StorageWorker
from agent_desk.protocol import codes
from agent_desk.protocol.codes import PROTOCOL_VERSION, CloseCode, Code, Role
from agent_desk.protocol.messages import Resume, encode, result_error, result_ok
from agent_desk.protocol.timefmt import format_time
from agent_desk.protocol.visibility import Viewer, can_see

#: How far back a snapshot holds resolved handoffs.
RECENT_S = 24 * 3600
#: Room left in a snapshot frame for the envelope around the handoffs.
SNAPSHOT_ROOM = codes.MAX_FRAME_BYTES - 4096


@dataclass(slots=True)
class SyncPlan:
    """What a ``resume`` sends: replayed event frames, or snapshot handoffs, then synced."""

    head: int
    events: list[str] | None = None
    snapshot: list[dict[str, Any]] | None = None


def plan(store: Store, viewer: Viewer, epoch: str | None, last_seq: int | None) -> SyncPlan:
    """Replay or snapshot for a ``resume``, from one consistent read. Runs on the storage thread.

    A replay when ``epoch`` is this store's, ``last_seq`` is not beyond the head and the log
    still holds every event after it; otherwise a snapshot.

    Raises:
        StoreUnavailable: storage failed.
    """

    def work(conn: Connection) -> SyncPlan:
        head = events.head(conn)
        if epoch == store.epoch and last_seq is not None and last_seq <= head:
            frames = _replay(conn, viewer, last_seq, head)
            if frames is not None:
                return SyncPlan(head, events=frames)
        return SyncPlan(
            head, snapshot=_snapshot(conn, viewer, format_time(store.clock() - timedelta(seconds=RECENT_S)))
        )

    return store.read(work)


def _replay(conn: Connection, viewer: Viewer, last_seq: int, head: int) -> list[str] | None:
    if last_seq == head:
        return []
    missed = events.after(conn, last_seq)
    if missed is None:
        return None
    return [event.frame for event in missed if reaches(viewer, event)]


def _snapshot(conn: Connection, viewer: Viewer, recent: str) -> list[dict[str, Any]]:
    """The visible handoffs that are waiting or claimed, and those resolved since ``recent``.

    Resolved handoffs are visible to leads and to their assignee, who is the one that resolved
    it unless a lead did.
    """
    user_id = None if viewer.role == Role.LEAD else viewer.id
    candidates = handoffs.snapshot_candidates(conn, recent, user_id, viewer.queues)
    return [handoff for handoff in candidates if can_see(viewer, handoff)]


def snapshot_parts(head: int, handoffs: list[dict[str, Any]], key: str = "handoffs") -> Iterator[str]:
    """The ``snapshot`` frames holding ``handoffs``, each under the frame limit; the last final.

    ``key`` names the list (a source's snapshot lists ``conversations``).
    """
    prefix = f'{{"type":"snapshot","seq":{head},"{key}":['
    chunk: list[str] = []
    size = 0
    for text in (encode(h) for h in handoffs):
        length = len(text.encode("utf-8")) + 1
        if chunk and size + length > SNAPSHOT_ROOM:
            yield prefix + ",".join(chunk) + '],"final":false}'
            chunk, size = [], 0
        chunk.append(text)
        size += length
    yield prefix + ",".join(chunk) + '],"final":true}'


class Sync:
    """Answers ``resume`` on desktop connections.

    Args:
        storage: the running storage thread.
        audience: where a resumed connection starts receiving events.
        online: counts the user's resumed connections.
        came_online: announces a user whose first connection has resumed.
    """

    def __init__(
        self,
        store: Store,
        storage: Callable[[], StorageWorker],
        audience: Audience,
        online: Online,
        came_online: Callable[[str], Awaitable[None]],
    ) -> None:
        self.store = store
        self.storage = storage
        self.audience = audience
        self.online = online
        self.came_online = came_online

    async def resume(self, conn: Conn, request: Resume) -> None:
        """Send the replay or snapshot, ``synced``, the result, then what arrived meanwhile."""
        if request.protocol != PROTOCOL_VERSION:
            await conn.close(CloseCode.PROTOCOL_UNSUPPORTED, f"protocol {request.protocol} not supported")
            return
        if conn.resumed:
            conn.send(encode(result_error(request.id, Code.INVALID, "already resumed")))
            await conn.count_bad(time.monotonic())
            return
        conn.syncing = True
        conn.resumed = True
        self.audience.add(conn)
        first = self.online.join(conn.user.id)
        try:
            sync = await self.storage().call(plan, self.store, conn.viewer, request.epoch, request.last_seq)
        except StoreUnavailable:
            conn.send(encode(result_error(request.id, Code.UNAVAILABLE, "storage unavailable")))
            await conn.close(CloseCode.GOING_AWAY, "storage unavailable")
            return
        if sync.events is not None:
            for text in sync.events:
                conn.send(text)
        else:
            for part in snapshot_parts(sync.head, sync.snapshot or []):
                conn.send(part)
        conn.send(encode({"type": "synced", "seq": sync.head}))
        replayed = sync.events is not None
        conn.send(encode(result_ok(request.id, {"epoch": self.store.epoch, "seq": sync.head, "replayed": replayed})))
        conn.end_sync(sync.head)
        if first:
            await self.came_online(conn.user.id)
