"""Received frames, from the backlog to applied, committed and reported batches.

The reader (:func:`receive`) moves frames from the connection to a :class:`Backlog`;
:class:`Inbound` takes them in batches (up to :data:`MAX_BATCH_FRAMES`; while a burst lasts,
at most one batch per display frame, :data:`COALESCE_S`), decodes them into batch items,
applies each batch in one cache transaction, commits it on the commit thread while the
reader goes on, reports what changed, and routes results: the session's ``resume``,
asked requests (figures, saved replies), and the outbox's answers and ``retry_after``. Nothing here touches a socket, so it
is tested with frames and a cache file alone.

Event frames laid out as the hub writes them (``{"type":"event",...``) are decoded while the
batch is applied, :data:`EVENT_RUN_FRAMES` at a time (:class:`EventStream`): a short run
decoded just before the cache applies it is still in the processor's cache. Anything else is
decoded on its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from websockets.exceptions import ConnectionClosed

from agent_desk.client.batch import (
    AnswerItem,
    BatchItem,
    BatchOutcome,
    EventRun,
    EventStream,
    SnapshotItem,
    SyncedItem,
    viewer_key,
)
from agent_desk.client.cache import Cache, CacheWriteError
from agent_desk.client.commit_thread import CommitThread
from agent_desk.client.connection import Ending
from agent_desk.client.gc_pause import GcPause
from agent_desk.client.presence import Presence
from agent_desk.client.queries import Queries
from agent_desk.client.reports import Reports
from agent_desk.client.sender import Sender
from agent_desk.client.surface import StorageProblem, Why
from agent_desk.protocol.codes import RETRYABLE_CODES
from agent_desk.protocol.messages import decode
from agent_desk.protocol.visibility import Viewer

log = logging.getLogger(__name__)

#: Frames applied in one transaction at most (a burst is split into batches of this size).
MAX_BATCH_FRAMES = 2000
#: While frames keep coming, apply them at most this often (one UI update per display frame);
#: a frame arriving after a quiet spell is applied at once.
COALESCE_S = 0.016
#: Frames received but not yet applied; beyond it the engine stops reading (backpressure).
MAX_BACKLOG_FRAMES = 4096
#: Event frames decoded, then applied, at a time (:class:`EventStream`).
EVENT_RUN_FRAMES = 32
#: How an event frame written by the hub starts (``protocol.messages.encode`` of an event).
_EVENT_START = '{"type":"event",'
_STORED_KINDS = ("handoff.created", "handoff.updated", "message.added")


class Backlog:
    """Frames received and not yet applied, in order; None marks the end of the connection.

    Cheaper per frame than an asyncio.Queue: one wake-up per batch, not per frame.

    Attributes:
        frames: the frames waiting.
        room: set while the backlog may grow (cleared by the reader when it is full).
    """

    def __init__(self) -> None:
        """An empty backlog with room."""
        self.frames: deque[str | bytes | None] = deque()
        self._arrived = asyncio.Event()
        self.room = asyncio.Event()
        self.room.set()

    def put(self, frame: str | bytes | None) -> None:
        """Add a received frame (None: the connection ended)."""
        self.frames.append(frame)
        self._arrived.set()

    def take_ready(self, limit: int) -> list[str | bytes | None]:
        """Up to ``limit`` frames that are here now, stopping after the end marker."""
        out: list[str | bytes | None] = []
        frames = self.frames
        while frames and len(out) < limit:
            frame = frames.popleft()
            out.append(frame)
            if frame is None:
                break
        if len(frames) < MAX_BACKLOG_FRAMES:
            self.room.set()
        return out

    async def take(self, limit: int) -> list[str | bytes | None]:
        """Wait for at least one frame; then as :meth:`take_ready`."""
        while not self.frames:
            self._arrived.clear()
            await self._arrived.wait()
        return self.take_ready(limit)


async def receive(messages: AsyncIterable[str | bytes], backlog: Backlog) -> None:
    """Move received frames to ``backlog``; None marks the end of the connection."""
    try:
        async for message in messages:
            backlog.put(message)
            if len(backlog.frames) >= MAX_BACKLOG_FRAMES:
                backlog.room.clear()  # backpressure: stop reading until the applier catches up
                await backlog.room.wait()
    except ConnectionClosed:
        log.debug("the connection closed while reading")
    finally:
        backlog.put(None)


#: Routes a ``result`` frame into the batch's items or its after-actions (:meth:`Inbound.route_result`).
ResultRoute = Callable[[dict[str, Any], list[BatchItem], list[tuple[str, dict[str, Any]]]], None]


@dataclass(frozen=True, slots=True)
class Stop:
    """This side ends the session: why, in words, and the reason to put in the close frame."""

    ending: Ending
    close_reason: str = ""


class Inbound:
    """One session's received frames, applied to the cache in batches and reported."""

    def __init__(
        self,
        cache: Cache,
        viewer: Viewer,
        epoch: str,
        *,
        resume_id: str | None,
        on_resumed: Callable[[Mapping[str, Any]], Ending | None],
        reports: Reports,
        presence: Presence,
        sender: Sender,
        queries: Queries,
        committer: CommitThread | None,
        gc_pause: GcPause,
        route: ResultRoute | None = None,
        on_canned_changed: Callable[[], None] | None = None,
    ) -> None:
        """Wire the pipeline of one session.

        Args:
            cache: the open cache.
            viewer: whom the session shows handoffs to (the hub's ``hello``).
            epoch: the hub's epoch (from ``hello``), stored with ``synced`` and snapshots.
            resume_id: the id of the session's ``resume`` request.
            on_resumed: called with the ``resume`` result; returns an Ending to end the session.
            reports: the listener's way in.
            presence: updated by presence events and answers.
            sender: told about answers and ``retry_after``, and woken after each batch.
            queries: the answers to asked requests (figures, saved replies) go there.
            committer: commits batches off this thread (None: here, in line).
            gc_pause: rests the collector while a burst is applied.
            route: where a ``result`` frame goes (default: :meth:`route_result`; the engine puts
                itself in between, see ``Engine._classify_result``).
            on_canned_changed: called when the team's saved replies changed.
        """
        self._cache = cache
        self._viewer = viewer
        self._epoch = epoch
        self._resume_id = resume_id
        self._on_resumed = on_resumed
        self._reports = reports
        self._presence = presence
        self._sender = sender
        self._queries = queries
        self._committer = committer
        self._gc = gc_pause
        self._route: ResultRoute = route or self.route_result
        self._parts: list[dict[str, Any]] = []  # snapshot parts until the final one
        self._on_canned_changed = on_canned_changed

    async def run(self, backlog: Backlog) -> Stop | None:
        """Apply frames from ``backlog`` until this side ends the session or the connection ends.

        Returns a :class:`Stop` when this side must end the session, None when the
        connection ended (the backlog's end marker).
        """
        loop = asyncio.get_running_loop()
        gc_pause = self._gc
        last_applied = 0.0
        try:
            while True:
                frames = await backlog.take(MAX_BATCH_FRAMES)
                wait = last_applied + COALESCE_S - loop.time()
                if wait > 0 and frames[-1] is not None and len(frames) < MAX_BATCH_FRAMES:
                    await asyncio.sleep(wait)  # a burst: gather up to one display frame's worth
                    frames += backlog.take_ready(MAX_BATCH_FRAMES - len(frames))
                closed = frames[-1] is None
                texts = [f for f in frames if f is not None]
                if texts:
                    gc_pause.pause()  # the collector rests while a burst is applied
                    try:
                        ending = await self.process(texts)
                    except CacheWriteError as error:
                        self._reports.storage_problem = StorageProblem(error.reason)
                        ending = Ending(Why.CANNOT_SAVE, error.reason)
                        return Stop(ending, "client cannot store updates")
                    if ending is not None:
                        return Stop(ending)
                    last_applied = loop.time()
                    if not backlog.frames or gc_pause.overdue():
                        gc_pause.resume()
                if closed:
                    return None
        finally:
            gc_pause.resume()

    async def process(self, texts: list[str | bytes]) -> Ending | None:
        """Apply one batch of received frames; returns an Ending when the session must end.

        The frames are decoded and applied (:meth:`Cache.stage_batch`) here; the commit runs
        on the commit thread while the loop reads the next frames; the batch is reported once
        it is committed.

        Raises:
            CacheWriteError: the batch could not be stored.
        """
        cache = self._cache
        items, after = self.decode(texts)
        staged = cache.stage_batch(items, self._viewer) if items else None
        if staged is not None:
            committer = self._committer
            if committer is None:
                staged.commit()
            else:
                await committer.commit(staged)
            self._report(cache.finish_batch(staged))
        return self._after_batch(after)

    def decode(self, texts: list[str | bytes]) -> tuple[list[BatchItem], list[tuple[str, dict[str, Any]]]]:
        """The batch items of received frames, and what to do once they are applied."""
        items: list[BatchItem] = []
        after: list[tuple[str, dict[str, Any]]] = []
        # consecutive events go to the cache as one EventRun (no object per event)
        events: list[dict[str, Any]] = []
        data_texts: list[str | None] = []
        loads = decode
        # event frames as the hub writes them are decoded while the cache applies them
        streamed: list[str] = []
        for text in texts:
            if type(text) is str and text.startswith(_EVENT_START):
                if events:
                    items.append(EventRun(events, data_texts))
                    events, data_texts = [], []
                streamed.append(text)
                continue
            if streamed:
                items.append(EventStream(_event_runs(streamed)))
                streamed = []
            if type(text) is not str:
                log.warning("ignored a binary frame from the hub")
                continue
            try:
                frame = loads(text)
            except ValueError:
                log.warning("ignored a frame from the hub that is not JSON")
                continue
            if type(frame) is not dict:
                continue
            kind = frame.get("type")
            if kind == "event":
                events.append(frame)
                data_texts.append(_data_text(text, frame))
                continue
            if events:
                items.append(EventRun(events, data_texts))
                events, data_texts = [], []
            if kind == "snapshot":
                parts = frame.get("handoffs")
                if isinstance(parts, list):
                    self._parts.extend(h for h in parts if isinstance(h, dict))
                if frame.get("final"):
                    key = viewer_key(self._viewer)
                    items.append(SnapshotItem(int(frame.get("seq", 0)), self._parts, self._epoch, key))
                    self._parts = []
            elif kind == "synced":
                items.append(SyncedItem(int(frame.get("seq", 0)), self._epoch))
            elif kind == "result":
                self._route(frame, items, after)
            elif kind == "error":
                log.warning("the hub could not read a frame: %s", frame.get("message"))
        if events:
            items.append(EventRun(events, data_texts))
        if streamed:
            items.append(EventStream(_event_runs(streamed)))
        return items, after

    def route_result(
        self, frame: dict[str, Any], items: list[BatchItem], after: list[tuple[str, dict[str, Any]]]
    ) -> None:
        """Route a ``result``: the session's resume, an asked request, or an answer to the outbox.

        An answer to the outbox goes into ``items`` (applied with the batch); the rest into
        ``after`` (acted on once the batch is applied).
        """
        request_id = frame.get("id")
        if request_id == self._resume_id:
            after.append(("resumed", frame))
        elif self._queries.owns(request_id):
            after.append(("query", frame))
        elif isinstance(request_id, str) and self._sender.answered(request_id):
            entry = self._cache.entry(request_id)
            if entry is None:
                return
            if not frame.get("ok") and frame.get("code") in RETRYABLE_CODES:
                after.append(("retry", frame))
            else:
                items.append(AnswerItem(entry, frame))
        else:
            log.debug("a result for an unknown request %r", request_id)

    def _after_batch(self, after: list[tuple[str, dict[str, Any]]]) -> Ending | None:
        """Act on the results that do not change the cache, once the batch is applied."""
        ending: Ending | None = None
        for what, frame in after:
            if what == "resumed":
                ending = ending or self._on_resumed(frame)
            elif what == "retry":
                self._sender.retry_after(frame)
            elif what == "query":
                self._queries.answered(frame)
        self._sender.wake()
        return ending

    def _report(self, outcome: BatchOutcome) -> None:
        """Tell the listener what a committed batch changed."""
        reports, cache = self._reports, self._cache
        if outcome.delta is not None:
            reports.emit("on_handoffs", outcome.delta)
        for data in outcome.presence:
            self._presence.changed(data)
        for answer in outcome.answered:
            if answer.entry.kind == "presence":
                self._presence.answered(answer, cache.outbox())
        if outcome.attention_changed:
            reports.emit("on_attention", cache.attention())
        if outcome.canned_changed and self._on_canned_changed is not None:
            self._on_canned_changed()
        if outcome.targets is not None:
            reports.emit("on_targets", MappingProxyType(dict(outcome.targets)))
        if outcome.answered:
            reports.refresh()


def _event_runs(texts: list[str]) -> Iterator[EventRun]:
    """The frames of ``texts`` (event frames by their start) decoded, a short run at a time."""
    loads = decode
    for start in range(0, len(texts), EVENT_RUN_FRAMES):
        frames: list[dict[str, Any]] = []
        data_texts: list[str | None] = []
        for text in texts[start : start + EVENT_RUN_FRAMES]:
            try:
                frame = loads(text)
            except ValueError:
                log.warning("ignored a frame from the hub that is not JSON")
                continue
            if type(frame) is not dict or frame.get("type") != "event":
                log.warning("ignored a frame from the hub that is not a well-formed event")
                continue
            frames.append(frame)
            data_texts.append(_data_text(text, frame))
        yield EventRun(frames, data_texts)


def _data_text(text: str, frame: dict[str, Any]) -> str | None:
    """The exact JSON text of an event's ``data`` when it can be cut out of the frame safely.

    Only for frames laid out as the hub writes them (exactly ``type``, ``seq``, ``kind``,
    ``at`` and ``data``, ``data`` last, compact): then the first ``"data":{`` is the key
    itself, since the values before it are a number and strings (where a quote is always
    escaped). Anything else: None, and the handoff (or chat message) is encoded again.
    """
    if (
        frame.get("kind") not in _STORED_KINDS
        or len(frame) != 5  # with "data" and the four checked here: exactly those keys
        or next(reversed(frame)) != "data"
        or type(frame.get("seq")) is not int
        or type(frame.get("at")) is not str
        or frame.get("type") != "event"
    ):
        return None
    start = text.find('"data":{')
    if start < 0 or not text.endswith("}"):
        return None
    return text[start + 7 : -1]
