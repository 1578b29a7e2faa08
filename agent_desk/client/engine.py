"""The desktop engine: connection, local cache and outbox sync, on its own thread, without Qt.

``Engine.start()`` spawns one worker thread running an asyncio loop. Everything the engine does
(network, SQLite) happens there, except the commit of a batch of hub frames, which a helper
thread runs while this one reads on (:mod:`commit_thread`; and the cache's WAL checkpoint, on
a thread of its own); it reports to one :class:`EngineListener` from the engine thread only,
with immutable values. The command methods (``claim``, ``resolve``, ...) may be called from
any thread: they check their arguments, schedule the work on the engine loop and return at
once.

Data flow (ARCHITECTURE.md): hub frame -> one SQLite transaction per batch of frames (events,
results and ``last_seq`` together) -> one :class:`HandoffDelta` per batch. A person's action ->
outbox row and optimistic change in one transaction -> sent when online, in order per handoff,
re-sent with the same id after every reconnect until the hub answers -> cleared, or moved to
"needs attention" with the hub's words.

This module is the facade; :mod:`engine_thread` runs the thread, and the work is done by the
parts on it (:class:`_Desk`): :mod:`session` (connect, hello, resume), :mod:`inbound`
(received frames to applied batches), :mod:`sender` (the outbox), :mod:`actions` (what the
person does), :mod:`queries` (figures, saved replies), :mod:`presence` and :mod:`reports` (the listener and the
status).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import ValidationError

from agent_desk.client import cache_db
from agent_desk.client.actions import OFFLINE_CLAIM, Actions
from agent_desk.client.backoff import Backoff
from agent_desk.client.batch import BatchItem
from agent_desk.client.cache import Cache, CacheWriteError
from agent_desk.client.canned import SavedReplies
from agent_desk.client.commit_thread import CommitThread
from agent_desk.client.engine_thread import EngineThread
from agent_desk.client.lead_requests import LeadRequests
from agent_desk.client.outbox import OutboxEntry, RequestRefused, build_entry
from agent_desk.client.presence import Presence
from agent_desk.client.queries import Queries
from agent_desk.client.reports import Reports
from agent_desk.client.sender import SEND_WINDOW, Sender
from agent_desk.client.session import Sessions
from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    EngineListener,
    Handoff,
    HandoffDelta,
    Link,
    Notice,
    NoticeKind,
    Why,
)
from agent_desk.client.tokens import TokenStore, normalise_hub_url
from agent_desk.protocol.frames import describe_validation_error
from agent_desk.protocol.messages import CannedSave
from agent_desk.protocol.timefmt import now_str

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The cache's ``meta`` key of the team's saved replies (their JSON).
CANNED_KEY = "canned"
#: How long a new engine waits for the previous one (``start(after=...)``) to end.
STOP_WAIT_S = 30.0


@dataclass(frozen=True, slots=True)
class _Desk:
    """The engine's parts, made on the engine thread once the cache is open."""

    cache: Cache
    actions: Actions
    queries: Queries
    replies: SavedReplies
    sender: Sender
    sessions: Sessions
    committer: CommitThread


class Engine(LeadRequests):
    """The desktop's engine for one user on one hub.

    Listener calls happen on the engine thread only. Command methods are thread-safe and never
    block; the read helpers (:meth:`snapshot`, :meth:`attention`, :meth:`outbox`, :meth:`call`)
    wait for the engine thread and are meant for tests and tools, not the GUI thread.

    Attributes:
        hub_url: the hub's base address (``ws://host:port`` or ``wss://host:port``).
        user: the user name on the hub.
        cache_path: the cache file (known before ``start``); None when the engine was told to
            keep no file.
    """

    def __init__(
        self,
        hub_url: str,
        user: str,
        token: str | TokenStore,
        listener: EngineListener,
        cache_dir: str | Path | None = None,
        ca_file: str | Path | None = None,
        client_id: str | None = None,
        *,
        storage_retry_s: float = 5.0,
        open_timeout_s: float = 10.0,
        send_window: int = SEND_WINDOW,
        rng: random.Random | None = None,
    ) -> None:
        """Prepare an engine; nothing runs before :meth:`start`.

        Args:
            hub_url: the hub's base address; ``/v1/agent`` is added.
            user: the user name; with ``hub_url`` it names the cache file.
            token: the bearer token, or the :class:`TokenStore` to read it from (its notice is
                reported through ``on_token``).
            listener: receives every report, on the engine thread.
            cache_dir: folder of the cache file (default: the OS's user data folder).
            ca_file: an extra certificate authority to trust for ``wss://``.
            client_id: stable id of this install (default: one made once and kept in the cache).
            storage_retry_s: how often to retry saving what could not be written to disk.
            open_timeout_s: how long to wait for the hub to answer a connection attempt.
            send_window: requests in flight at most.
            rng: randomness of the reconnect backoff (tests pass a seeded one).
        """
        self.hub_url = normalise_hub_url(hub_url)
        self.user = user
        self._token = token
        folder = Path(cache_dir) if cache_dir is not None else cache_db.cache_dir_default()
        self.cache_path: Path | None = folder / cache_db.cache_file_name(self.hub_url, user)
        self._ca_file = ca_file
        self._client_id = client_id
        self._storage_retry_s = storage_retry_s
        self._open_timeout_s = open_timeout_s
        self._send_window = max(1, send_window)
        self._backoff = Backoff(rng)
        self._reports = Reports(listener)
        self._thread = EngineThread()
        self._desk: _Desk | None = None  # the parts, made on the engine thread once the cache is open

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, after: Engine | None = None) -> None:
        """Start the engine thread: open the cache, report what it holds, connect.

        Args:
            after: an engine that is still stopping (:meth:`request_stop`), e.g. the previous
                sign-in's: this engine's thread waits for that one's to end before it opens
                its cache, which may be the same file.
        """
        self._thread.start(self._main, before=lambda: self._wait_for(after))

    def request_stop(self) -> None:
        """Ask the engine to close the connection and the cache and end its thread.

        Returns at once: the GUI thread must not wait for a hub that may be slow to answer
        the close.
        """
        self._thread.request_stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` for the engine thread to end; True when it has (or never ran)."""
        return self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """True from :meth:`start` until the engine thread has ended."""
        return self._thread.running

    def stop(self, timeout: float = 10.0) -> None:
        """Close the connection and the cache, and end the engine thread (waits up to ``timeout``)."""
        self.request_stop()
        if not self.join(timeout):
            log.error("the engine thread did not stop within %.0f s", timeout)

    def _wait_for(self, previous: Engine | None) -> None:
        """On the engine thread, before anything else: wait for the previous engine to end."""
        if previous is None or not previous.running:
            return
        self._reports.set_status(Link.CONNECTING, why=Why.WAITING_FOR_PREVIOUS)
        if not previous.join(STOP_WAIT_S):
            log.error("the previous engine did not stop within %.0f s; going on", STOP_WAIT_S)
        self._reports.why = None

    async def _main(self) -> None:
        """Open the cache, make the parts, and run them until a stop is requested."""
        reports = self._reports
        cache, notices = Cache.open(self.cache_path, self.user, self._client_id)
        self.cache_path = cache.path
        reports.cache = cache
        for notice in notices:
            reports.emit("on_notice", notice)
        reports.emit("on_handoffs", HandoffDelta(upserts=tuple(cache.held()), reset=True))
        reports.emit("on_attention", cache.attention())
        reports.emit("on_drafts", MappingProxyType(cache.drafts()))
        reports.set_status(Link.CONNECTING)
        desk = self._desk = self._make_desk(cache)
        desk.replies.load(cache.meta_value(CANNED_KEY))
        self._thread.ready()
        storage = asyncio.create_task(desk.actions.save_loop(self._storage_retry_s))
        links = asyncio.create_task(desk.sessions.run())
        try:
            await self._thread.stop_requested()
        finally:
            for task in (links, storage):
                task.cancel()
            ended = await asyncio.gather(links, storage, return_exceptions=True)
            for outcome in ended:
                if isinstance(outcome, Exception):
                    log.error("an engine task failed while stopping", exc_info=outcome)
            reports.set_status(Link.OFFLINE, why=Why.SIGNED_OUT, final=True)
            cache.close()  # after the commit that may still be running
            desk.committer.close()

    def _make_desk(self, cache: Cache) -> _Desk:
        """The parts, wired to each other (on the engine thread, with the cache open)."""
        reports = self._reports
        presence = Presence(reports)
        sender = Sender(cache, self._send_window)
        queries = Queries(reports, sender)
        committer = CommitThread()  # commits hub batches while this thread reads on
        sessions = Sessions(
            self.hub_url,
            self.user,
            self._token,
            ca_file=self._ca_file,
            open_timeout_s=self._open_timeout_s,
            backoff=self._backoff,
            cache=cache,
            reports=reports,
            presence=presence,
            sender=sender,
            queries=queries,
            committer=committer,
            route_result=self._classify_result,
        )
        actions = Actions(cache, reports, presence, sender)
        replies = SavedReplies(reports, queries, lambda text: self._keep(cache, CANNED_KEY, text))
        sessions.on_online = lambda session: replies.refresh() if "canned" in session.features else None
        sessions.on_canned_changed = replies.refresh
        return _Desk(cache, actions, queries, replies, sender, sessions, committer)

    @staticmethod
    def _keep(cache: Cache, key: str, value: str) -> None:
        """Keep a value in the cache; one that cannot be written is only logged (it is a copy)."""
        try:
            cache.put_meta_value(key, value)
        except CacheWriteError as error:
            log.warning("could not keep %s in the cache: %s", key, error.reason)

    # -- commands (any thread) -------------------------------------------------------------

    def claim(self, handoff_id: str, expected_version: int | None = None) -> str | None:
        """Claim a waiting handoff; returns the request id, or None when refused (offline).

        A new claim needs the hub: while not online it is refused at once (``on_notice``).

        Raises:
            RequestRefused: the arguments are not a valid claim.
        """
        if self._reports.link is not Link.ONLINE:
            self._post(lambda desk: self._reports.emit("on_notice", OFFLINE_CLAIM))
            return None
        return self._record("claim", handoff_id=handoff_id, expected_version=expected_version)

    def release(self, handoff_id: str) -> str:
        """Put a claimed handoff back in its queue; returns the request id."""
        return self._record("release", handoff_id=handoff_id)

    def resolve(self, handoff_id: str, outcome: Mapping[str, Any]) -> str:
        """Record the outcome of a handoff (works offline); returns the request id.

        The outcome carries ``recorded_at``, now: the hub keeps it, so a resolve recorded
        offline shows when the person recorded it, not when it reached the hub.

        Raises:
            RequestRefused: the outcome is not valid (e.g. notes over 10,000 characters).
        """
        return self._record("resolve", handoff_id=handoff_id, outcome={"recorded_at": now_str(), **outcome})

    def reassign(
        self,
        handoff_id: str,
        to_user: str | None = None,
        to_queue: str | None = None,
        expected_version: int | None = None,
    ) -> str:
        """Hand a handoff to a user (leads) or a queue; returns the request id."""
        return self._record(
            "reassign",
            handoff_id=handoff_id,
            to_user=to_user,
            to_queue=to_queue,
            expected_version=expected_version,
        )

    def set_presence(self, status: str) -> str:
        """Set this user's presence (available, busy, away); returns the request id."""
        return self._record("presence", status=status)

    def reply(self, handoff_id: str, text: str) -> str:
        """Send ``text`` to the customer of a handoff this user holds (works offline).

        Returns the request id. The message shows at once, waiting to sync; it is sent once.

        Raises:
            RequestRefused: the text is empty or over 10,000 characters.
        """
        return self._record("reply", handoff_id=handoff_id, text=text)

    def note(self, handoff_id: str, text: str) -> str:
        """Add an internal note to a handoff, for the team only (works offline).

        Raises:
            RequestRefused: the text is empty or over 10,000 characters.
        """
        return self._record("note", handoff_id=handoff_id, text=text)

    def decline(self, handoff_id: str) -> str:
        """Refuse an offer (routing by offers), so the hub offers it to the next agent; online only."""
        request_id = uuid.uuid4().hex
        frame = {"type": "decline", "id": request_id, "handoff_id": handoff_id}
        reports = self._reports

        def answer(data: Mapping[str, Any] | None, error: str | None) -> None:
            if data is None:
                reports.emit("on_notice", Notice(NoticeKind.OFFER_NOT_DECLINED, handoff_id=handoff_id, detail=error))

        self._post(lambda desk: desk.queries.ask(frame, answer))
        return request_id

    def save_draft(self, handoff_id: str, kind: str, text: str) -> None:
        """Keep what the person is typing to a handoff (empty: forget it), across restarts."""
        at = now_str()

        def work(desk: _Desk) -> None:
            try:
                desk.cache.save_draft(handoff_id, kind, text, at)
            except CacheWriteError as error:
                log.warning("could not keep a draft: %s", error.reason)

        self._post(work)

    def refresh_canned(self) -> None:
        """Ask the hub for the team's saved replies again (answered through ``on_canned``)."""
        self._post(lambda desk: desk.replies.refresh())

    def save_canned(self, title: str, text: str, queues: tuple[str, ...] = (), reply_id: str | None = None) -> str:
        """Create (no ``reply_id``) or replace a saved reply; leads only, online only.

        Raises:
            RequestRefused: the title (1-80) or the text (1-5,000 characters) is out of bounds.

        """
        request_id = uuid.uuid4().hex
        response: dict[str, Any] = {"title": title.strip(), "text": text, "queues": list(queues)}
        if reply_id is not None:
            response["id"] = reply_id
        try:
            frame = CannedSave.model_validate({"type": "canned_save", "id": request_id, "response": response}).to_wire()
        except ValidationError as error:
            raise RequestRefused(describe_validation_error(error)) from None
        self._post(lambda desk: desk.replies.save(frame))
        return request_id

    def delete_canned(self, reply_id: str) -> str:
        """Delete a saved reply; leads only, online only."""
        request_id = uuid.uuid4().hex
        frame = {"type": "canned_delete", "id": request_id, "response_id": reply_id}
        self._post(lambda desk: desk.replies.delete(frame))
        return request_id

    def dismiss_attention(self, request_id: str) -> None:
        """Remove an item from "needs attention" (the person has seen it)."""
        self._post(lambda desk: desk.actions.dismiss(request_id))

    def retry_attention(self, request_id: str) -> str:
        """Record a refused request again under a new id, which is returned.

        The item leaves "needs attention" only once the new request is recorded; when it cannot
        be (a claim while offline, a handoff no longer held) ``on_notice`` says why and the item
        stays.
        """
        new_id = uuid.uuid4().hex
        self._post(lambda desk: desk.actions.retry(request_id, new_id))
        return new_id

    def reconnect_now(self) -> None:
        """Skip the rest of the current backoff wait and try to connect now."""
        self._post(lambda desk: desk.sessions.reconnect_now())

    # -- reads (any thread but the engine's; they wait) ------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        """The last status reported."""
        return self._reports.status

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the engine thread after everything scheduled before; return its result.

        For tests and tools: it blocks the caller. Never call it from the GUI thread.
        """
        return self._thread.call(fn, timeout)

    def snapshot(self, timeout: float = 10.0) -> tuple[Handoff, ...]:
        """Every handoff held now, from the cache, in rank order (waits: not for the GUI thread)."""
        return self.call(lambda: tuple(self._require_desk().cache.held()), timeout)

    def attention(self, timeout: float = 10.0) -> tuple[AttentionItem, ...]:
        """The "needs attention" items (waits: not for the GUI thread)."""
        return self.call(lambda: self._require_desk().cache.attention(), timeout)

    def outbox(self, timeout: float = 10.0) -> tuple[OutboxEntry, ...]:
        """Recorded requests without an answer yet, in order (waits: not for the GUI thread)."""
        return self.call(lambda: tuple(self._require_desk().cache.outbox()), timeout)

    @property
    def _cache(self) -> Cache | None:
        """The open cache (engine thread; None before it is open)."""
        return self._desk.cache if self._desk is not None else None

    @property
    def _inflight(self) -> set[str]:
        """Request ids sent on the current connection and not answered yet (engine thread)."""
        return self._require_desk().sender.inflight

    def _classify_result(
        self, frame: dict[str, Any], items: list[BatchItem], after: list[tuple[str, dict[str, Any]]]
    ) -> None:
        """Route a ``result`` frame of the current session (:meth:`Inbound.route_result`).

        Every result passes here on the engine thread: the one seam where a test process
        stands between the hub's answers and the engine (``tests/client_support/engine_proc.py``
        replaces it to make the engine deaf to the answers of one kind of request).
        """
        inbound = self._require_desk().sessions.inbound
        if inbound is not None:
            inbound.route_result(frame, items, after)

    # -- scheduling ----------------------------------------------------------------------

    def _post(self, work: Callable[[_Desk], object]) -> None:
        """Run ``work`` on the engine thread, with its parts, once they are ready."""
        self._thread.post(lambda: work(self._require_desk()))

    def _post_query(self, ask: Callable[[Queries], None]) -> None:
        """Run ``ask`` with the queries on the engine thread (:class:`LeadRequests`)."""
        self._post(lambda desk: ask(desk.queries))

    def _record(self, kind: str, **fields: Any) -> str:
        """Build a request the person made (checked here, on the caller's thread) and record it."""
        request_id = uuid.uuid4().hex
        given = {k: v for k, v in fields.items() if v is not None}
        entry = build_entry(kind, request_id, now_str(), **given)
        self._post(lambda desk: desk.actions.record(entry))
        return request_id

    def _require_desk(self) -> _Desk:
        """The parts; they exist once the engine thread has opened the cache."""
        if self._desk is None:
            raise RuntimeError("the cache is not open")
        return self._desk
