"""The desktop engine: connection, local cache and outbox sync, on its own thread, without Qt.

``Engine.start()`` spawns one worker thread running an asyncio loop. Everything the engine does
(network, SQLite) happens there, except the commit of a batch of hub frames, which a helper
thread runs while this one reads on (and the cache's WAL checkpoint, on a thread of its own);
it reports to one :class:`EngineListener` from the engine thread only, with immutable values. The command methods (``claim``, ``resolve``, ...) may be called from any
thread: they check their arguments, schedule the work on the engine loop and return at once.

Data flow (ARCHITECTURE.md): hub frame -> one SQLite transaction per batch of frames (events,
results and ``last_seq`` together) -> one :class:`HandoffDelta` per batch. A person's action ->
outbox row and optimistic change in one transaction -> sent when online, in order per handoff,
re-sent with the same id after every reconnect until the hub answers -> cleared, or moved to
"needs attention" with the hub's words.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import json
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from agent_desk.client import cache_db
from agent_desk.client.backoff import Backoff
from agent_desk.client.cache import (
    AnswerItem,
    BatchItem,
    BatchOutcome,
    Cache,
    CacheWriteError,
    EventRun,
    EventStream,
    SnapshotItem,
    SyncedItem,
    viewer_key,
)
from agent_desk.client.connection import (
    Ending,
    agent_url,
    ending_for_close,
    ending_for_error,
    tls_context,
    wire_log,
)
from agent_desk.client.outbox import OutboxEntry, RequestRefused, build_entry
from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    EngineListener,
    Handoff,
    HandoffDelta,
    Link,
    Session,
    TokenNotice,
    UserInfo,
)
from agent_desk.client.tokens import TokenStore, normalise_hub_url
from agent_desk.protocol.codes import (
    MAX_FRAME_BYTES,
    PING_INTERVAL_S,
    PING_TIMEOUT_S,
    PROTOCOL_VERSION,
    RETRYABLE_CODES,
)
from agent_desk.protocol.messages import Metrics, decode, encode
from agent_desk.protocol.timefmt import now_str
from agent_desk.protocol.visibility import Viewer

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How long a new engine waits for the previous one (``start(after=...)``) to end.
STOP_WAIT_S = 30.0
#: Frames applied in one transaction at most (a burst is split into batches of this size).
MAX_BATCH_FRAMES = 2000
#: While frames keep coming, apply them at most this often (one UI update per display frame);
#: a frame arriving after a quiet spell is applied at once.
COALESCE_S = 0.016
#: Frames received but not yet applied; beyond it the engine stops reading (backpressure).
MAX_BACKLOG_FRAMES = 4096
#: The garbage collector rests at most this long in a row while a burst is applied.
GC_PAUSE_MAX_S = 1.0
#: Requests sent and not yet answered, at most.
SEND_WINDOW = 32
#: Wait before re-sending after ``unavailable`` without ``retry_after_ms``.
DEFAULT_RETRY_S = 1.0
USER_AGENT = "agent-desk-desktop"
OFFLINE_CLAIM = "You are offline: a new claim needs the hub. Try again once Agent Desk is connected."


def _user_info(data: Mapping[str, Any]) -> UserInfo:
    return UserInfo(
        id=str(data.get("id", "")),
        name=str(data.get("name", data.get("id", ""))),
        role=str(data.get("role", "agent")),
        queues=tuple(str(q) for q in data.get("queues") or ()),
        languages=tuple(str(lang) for lang in data.get("languages") or ()),
        presence=str(data.get("presence", "available")),
        active=int(data.get("active", 0) or 0),
    )


class Engine:
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
        self._listener = listener
        folder = Path(cache_dir) if cache_dir is not None else cache_db.cache_dir_default()
        self.cache_path: Path | None = folder / cache_db.cache_file_name(self.hub_url, user)
        self._ca_file = ca_file
        self._client_id = client_id
        self._storage_retry_s = storage_retry_s
        self._open_timeout_s = open_timeout_s
        self._send_window = max(1, send_window)
        self._backoff = Backoff(rng)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._retry_now = asyncio.Event()
        self._wake_sender = asyncio.Event()
        self._status = ConnectionStatus(Link.CONNECTING)
        self._link = Link.CONNECTING
        # engine-thread state
        self._cache: Cache | None = None
        self._viewer: Viewer | None = None
        self._me: UserInfo | None = None
        self._confirmed_presence = "available"
        self._users: dict[str, UserInfo] = {}
        self._hello_epoch = ""
        self._resume_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._inflight: set[str] = set()
        self._pause_until = 0.0
        self._metrics: dict[str, dict[str, Any]] = {}
        self._background: set[asyncio.Task[Any]] = set()  # started, not awaited: held until done
        self._ws: ClientConnection | None = None
        self._sender: asyncio.Task[None] | None = None
        self._storage_problem: str | None = None
        self._reason: str | None = None
        self._final = False
        self._token_notice: TokenNotice | None = None
        self._committer: concurrent.futures.ThreadPoolExecutor | None = None
        self._gc = _GcPause()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, after: Engine | None = None) -> None:
        """Start the engine thread: open the cache, report what it holds, connect.

        Args:
            after: an engine that is still stopping (:meth:`request_stop`), e.g. the previous
                sign-in's: this engine's thread waits for that one's to end before it opens
                its cache, which may be the same file.
        """
        if self._thread is not None:
            raise RuntimeError("the engine was started already")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(after,), name="agent-desk-engine", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the engine to close the connection and the cache and end its thread; returns at
        once (the GUI thread must not wait for a hub that may be slow to answer the close)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the thread is ending anyway
            loop.call_soon_threadsafe(self._stop_requested.set)

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` for the engine thread to end; True when it has (or never ran)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        """True from :meth:`start` until the engine thread has ended."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Close the connection and the cache, and end the engine thread (waits up to ``timeout``)."""
        self.request_stop()
        if not self.join(timeout):
            log.error("the engine thread did not stop within %.0f s", timeout)

    def _run(self, after: Engine | None) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        if after is not None and after.running:
            self._set_status(Link.CONNECTING, reason="Waiting for the previous sign-in to close.")
            if not after.join(STOP_WAIT_S):
                log.error("the previous engine did not stop within %.0f s; going on", STOP_WAIT_S)
            self._reason = None
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _main(self) -> None:
        cache, notices = Cache.open(self.cache_path, self.user, self._client_id)
        self._cache = cache
        self.cache_path = cache.path
        for notice in notices:
            self._emit("on_notice", notice)
        self._emit("on_handoffs", HandoffDelta(upserts=tuple(cache.held()), reset=True))
        self._emit("on_attention", cache.attention())
        self._set_status(Link.CONNECTING)
        self._ready.set()
        # commits hub batches while this thread reads on (Engine._process)
        self._committer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="agent-desk-commit")
        storage = asyncio.create_task(self._storage_loop())
        links = asyncio.create_task(self._connect_loop())
        try:
            await self._stop_requested.wait()
        finally:
            for task in (links, storage):
                task.cancel()
            ended = await asyncio.gather(links, storage, return_exceptions=True)
            for outcome in ended:
                if isinstance(outcome, Exception):
                    log.error("an engine task failed while stopping", exc_info=outcome)
            self._final = True
            self._set_status(Link.OFFLINE, reason="Signed out.", final=True)
            cache.close()  # after the commit that may still be running
            self._committer.shutdown()

    # -- commands (any thread) -------------------------------------------------------------

    def claim(self, handoff_id: str, expected_version: int | None = None) -> str | None:
        """Claim a waiting handoff; returns the request id, or None when refused (offline).

        A new claim needs the hub: while not online it is refused at once (``on_notice``).

        Raises:
            RequestRefused: the arguments are not a valid claim.
        """
        if self._link is not Link.ONLINE:
            self._post(self._emit, "on_notice", OFFLINE_CLAIM)
            return None
        return self._record("claim", handoff_id=handoff_id, expected_version=expected_version)

    def release(self, handoff_id: str) -> str:
        """Put a claimed handoff back in its queue; returns the request id."""
        return self._record("release", handoff_id=handoff_id)

    def resolve(self, handoff_id: str, outcome: Mapping[str, Any]) -> str:
        """Record the outcome of a handoff (works offline); returns the request id.

        Raises:
            RequestRefused: the outcome is not valid (e.g. notes over 10,000 characters).
        """
        return self._record("resolve", handoff_id=handoff_id, outcome=dict(outcome))

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

    def request_metrics(self, since: str | None = None, until: str | None = None) -> str:
        """Ask the hub for figures; the answer comes through ``on_metrics`` with this id.

        Raises:
            RequestRefused: ``since``/``until`` are not protocol times.
        """
        request_id = uuid.uuid4().hex
        fields = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
        try:
            frame = Metrics.model_validate({"type": "metrics", "id": request_id, **fields}).to_wire()
        except ValueError as error:
            raise RequestRefused(str(error)) from None
        self._post(self._send_metrics, request_id, frame)
        return request_id

    def dismiss_attention(self, request_id: str) -> None:
        """Remove an item from "needs attention" (the person has seen it)."""
        self._post(self._dismiss, request_id)

    def retry_attention(self, request_id: str) -> str:
        """Record a refused request again under a new id, which is returned.

        The item leaves "needs attention" only once the new request is recorded; when it cannot
        be (a claim while offline, a handoff no longer held) ``on_notice`` says why and the item
        stays.
        """
        new_id = uuid.uuid4().hex
        self._post(self._retry_item, request_id, new_id)
        return new_id

    def reconnect_now(self) -> None:
        """Skip the rest of the current backoff wait and try to connect now."""
        self._post(self._retry_now.set)

    # -- reads (any thread but the engine's; they wait) ------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        """The last status reported."""
        return self._status

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the engine thread after everything scheduled before; return its result.

        For tests and tools: it blocks the caller. Never call it from the GUI thread.
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

    def snapshot(self, timeout: float = 10.0) -> tuple[Handoff, ...]:
        """Every handoff held now, from the cache, in rank order (waits: not for the GUI thread)."""
        return self.call(lambda: tuple(self._require_cache().held()), timeout)

    def attention(self, timeout: float = 10.0) -> tuple[AttentionItem, ...]:
        """The "needs attention" items (waits: not for the GUI thread)."""
        return self.call(lambda: self._require_cache().attention(), timeout)

    def outbox(self, timeout: float = 10.0) -> tuple[OutboxEntry, ...]:
        """Recorded requests without an answer yet, in order (waits: not for the GUI thread)."""
        return self.call(lambda: tuple(self._require_cache().outbox()), timeout)

    # -- scheduling ----------------------------------------------------------------------

    def _post(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._loop is None or self._loop.is_closed():
            raise RuntimeError("the engine is not running")

        async def run() -> None:
            await self._ready.wait()
            fn(*args)

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        future.add_done_callback(self._log_failure)

    @staticmethod
    def _log_failure(future: concurrent.futures.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("an engine command failed", exc_info=future.exception())

    def _record(self, kind: str, **fields: Any) -> str:
        request_id = uuid.uuid4().hex
        given = {k: v for k, v in fields.items() if v is not None}
        entry = build_entry(kind, request_id, now_str(), **given)
        self._post(self._on_record, entry)
        return request_id

    def _require_cache(self) -> Cache:
        if self._cache is None:
            raise RuntimeError("the cache is not open")
        return self._cache

    # -- reporting (engine thread) ---------------------------------------------------------

    def _in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _emit(self, method: str, *args: Any) -> None:
        try:
            getattr(self._listener, method)(*args)
        except Exception:  # a faulty listener must not stop the engine; it is logged loudly
            log.exception("the engine listener failed in %s", method)

    def _set_status(
        self,
        link: Link,
        retry_in_s: float | None = None,
        reason: str | None = None,
        final: bool = False,
    ) -> None:
        self._link = link
        self._reason = reason
        self._final = final
        self._emit_status(retry_in_s)

    def _emit_status(self, retry_in_s: float | None = None) -> None:
        pending = self._cache.pending if self._cache is not None else 0
        reason = self._reason
        if self._storage_problem is not None:
            reason = f"{reason} {self._storage_problem}" if reason else self._storage_problem
        status = ConnectionStatus(self._link, retry_in_s, pending, reason, self._final)
        if status != self._status:
            self._status = status
            self._emit("on_status", status)

    def _report(self, outcome: BatchOutcome) -> None:
        if outcome.delta is not None:
            self._emit("on_handoffs", outcome.delta)
        for data in outcome.presence:
            self._on_presence_event(data)
        for answer in outcome.answered:
            if answer.entry.kind == "presence":
                self._presence_answered(answer)
        if outcome.attention_changed:
            self._emit("on_attention", self._require_cache().attention())
        if outcome.answered:
            self._emit_status()

    def _on_presence_event(self, data: Mapping[str, Any]) -> None:
        user_id = str(data.get("user", ""))
        known = self._users.get(user_id) or UserInfo(user_id, user_id, "agent")
        info = UserInfo(
            known.id,
            known.name,
            known.role,
            known.queues,
            known.languages,
            presence=str(data.get("presence", known.presence)),
            active=int(data.get("active", known.active) or 0),
        )
        self._users[user_id] = info
        self._emit("on_presence", info)

    def _presence_answered(self, answer: AnswerItem) -> None:
        if answer.frame.get("ok"):
            self._confirmed_presence = str(answer.entry.fields.get("status", self._confirmed_presence))
        elif self._me is not None and not any(e.kind == "presence" for e in self._require_cache().outbox()):
            self._me = _replace_presence(self._me, self._confirmed_presence)
            self._emit("on_presence", self._me)

    # -- commands (engine thread) ----------------------------------------------------------

    def _on_record(self, entry: OutboxEntry) -> bool:
        """Store and show a request the person made; False when it was refused."""
        cache = self._require_cache()
        try:
            shown, unsaved_reason = cache.record(entry)
        except RequestRefused as refused:
            self._emit("on_notice", f"Could not record this {entry.kind}: {refused}")
            return False
        if shown is not None:
            self._emit("on_handoffs", HandoffDelta(upserts=(shown,)))
        if entry.kind == "presence" and self._me is not None:
            self._me = _replace_presence(self._me, str(entry.fields["status"]))
            self._emit("on_presence", self._me)
        if unsaved_reason is not None:
            self._storage_problem = (
                f"Cannot save to disk ({unsaved_reason}); {cache.unsaved} recorded action(s) are "
                "kept in memory only and will be saved as soon as possible."
            )
            self._emit(
                "on_notice",
                f"Your {entry.kind} could not be saved to disk ({unsaved_reason}). It is kept in "
                "memory, will still be sent to the hub, and will be saved when the disk allows. "
                "Do not quit Agent Desk until this is resolved.",
            )
        self._emit_status()
        self._wake_sender.set()
        return True

    def _dismiss(self, request_id: str) -> None:
        cache = self._require_cache()
        try:
            row = cache.dismiss(request_id)
        except CacheWriteError as error:
            self._emit("on_notice", f"Could not dismiss the item: {error.reason}.")
            return
        if row is None:
            return
        self._emit("on_attention", cache.attention())
        handoff_id = row.get("handoff_id")
        if handoff_id is not None:
            shown = cache.get(handoff_id)
            if shown is not None:
                self._emit("on_handoffs", HandoffDelta(upserts=(shown,)))

    def _retry_item(self, request_id: str, new_id: str) -> None:
        cache = self._require_cache()
        item = next((i for i in cache.attention() if i.request_id == request_id), None)
        if item is None:
            return
        if item.kind == "claim" and self._link is not Link.ONLINE:
            self._emit("on_notice", OFFLINE_CLAIM)
            return
        fields = {k: v for k, v in item.payload.items() if k != "handoff"}
        try:
            entry = build_entry(item.kind, new_id, now_str(), **fields)
        except RequestRefused as refused:
            self._emit("on_notice", f"Could not record this {item.kind} again: {refused}")
            return
        if self._on_record(entry):
            self._dismiss(request_id)

    def _send_metrics(self, request_id: str, frame: dict[str, Any]) -> None:
        if self._link is not Link.ONLINE or self._ws is None:
            self._emit("on_metrics", request_id, None, "Figures need the hub; Agent Desk is offline.")
            return
        self._metrics[request_id] = frame
        self._in_background(self._send_text(encode(frame)))

    async def _send_text(self, text: str) -> None:
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(text)
        except ConnectionClosed:
            log.debug("connection closed while sending; the request is retried after reconnecting")

    # -- storage retries -------------------------------------------------------------------

    async def _storage_loop(self) -> None:
        while True:
            await asyncio.sleep(self._storage_retry_s)
            cache = self._require_cache()
            if not cache.unsaved:
                continue
            try:
                saved = cache.save_unsaved()
            except CacheWriteError as error:
                log.info("still cannot save %d recorded action(s): %s", cache.unsaved, error.reason)
                continue
            self._storage_problem = None
            self._emit(
                "on_notice",
                f"{saved} recorded action(s) that were kept in memory are now saved to disk.",
            )
            self._emit_status()

    # -- connection ----------------------------------------------------------------------

    def _load_token(self) -> str | None:
        if isinstance(self._token, str):
            return self._token
        token = self._token.load()
        if self._token.notice != self._token_notice:
            self._token_notice = self._token.notice
            self._emit("on_token", self._token.notice)
        return token

    async def _connect_loop(self) -> None:
        first = True
        while True:
            token = self._load_token()
            if not token:
                self._set_status(
                    Link.OFFLINE,
                    reason=f"No sign-in is stored for {self.user} on {self.hub_url}; sign in.",
                    final=True,
                )
                return
            if not first:
                self._set_status(Link.CONNECTING, reason=self._reason)
            first = False
            ending, up_for = await self._attempt(token)
            if ending.final:
                self._set_status(Link.OFFLINE, reason=ending.reason, final=True)
                return
            delay = self._backoff.next_delay(up_for)
            self._set_status(Link.RECONNECTING, retry_in_s=round(delay, 3), reason=ending.reason)
            self._retry_now.clear()
            with contextlib.suppress(TimeoutError):  # the backoff delay is over: try again
                await asyncio.wait_for(self._retry_now.wait(), delay)

    async def _attempt(self, token: str) -> tuple[Ending, float | None]:
        loop = asyncio.get_running_loop()
        try:
            async with connect(
                agent_url(self.hub_url),
                additional_headers={"Authorization": f"Bearer {token}"},
                ssl=tls_context(self.hub_url, self._ca_file),
                max_size=MAX_FRAME_BYTES,
                open_timeout=self._open_timeout_s,
                ping_interval=PING_INTERVAL_S,
                ping_timeout=PING_TIMEOUT_S,
                compression=None,
                user_agent_header=USER_AGENT,
                logger=wire_log,
            ) as ws:
                started = loop.time()
                try:
                    ending = await self._session(ws)
                finally:
                    self._after_session()
                return ending, loop.time() - started
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed) as error:
            ending = ending_for_error(error)
            log.info("connection attempt failed: %s", ending.reason)
            return ending, None
        except Exception as error:  # a bug must not kill the engine: log it, back off, retry
            log.exception("unexpected error in the connection")
            return Ending(f"An internal error interrupted the connection ({type(error).__name__})."), None

    def _after_session(self) -> None:
        self._ws = None
        self._resume_id = None
        self._parts = []
        self._inflight.clear()
        self._pause_until = 0.0  # rate limits count per connection: a new one starts afresh
        if self._sender is not None:
            self._sender.cancel()
            self._sender = None
        for request_id in list(self._metrics):
            self._emit("on_metrics", request_id, None, "The connection to the hub was lost; ask again.")
        self._metrics.clear()

    async def _session(self, ws: ClientConnection) -> Ending:
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), self._open_timeout_s))
        except ValueError:
            hello = None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            return Ending("The hub did not greet as expected.")
        problem = self._apply_hello(hello)
        if problem is not None:
            return problem
        cache = self._require_cache()
        assert self._viewer is not None
        same_view = cache.viewer_key == viewer_key(self._viewer)
        epoch, last_seq = (cache.epoch, cache.last_seq) if same_view else (None, None)
        self._resume_id = uuid.uuid4().hex
        self._ws = ws
        await ws.send(
            encode(
                {
                    "type": "resume",
                    "id": self._resume_id,
                    "protocol": PROTOCOL_VERSION,
                    "client_id": cache.client_id,
                    "epoch": epoch,
                    "last_seq": last_seq,
                }
            )
        )
        backlog = _Backlog()
        reader = asyncio.create_task(self._read(ws, backlog))
        try:
            return await self._apply_loop(ws, backlog)
        finally:
            reader.cancel()

    def _apply_hello(self, hello: Mapping[str, Any]) -> Ending | None:
        user = hello.get("user")
        me = _user_info(user if isinstance(user, dict) else {})
        if me.id != self.user:
            return Ending(f"This sign-in belongs to {me.id!r}, not {self.user!r}; sign in again.", final=True)
        self._me = me
        self._confirmed_presence = me.presence
        self._viewer = Viewer.of(me.id, me.role, me.queues, me.languages)
        self._hello_epoch = str(hello.get("epoch", ""))
        users = tuple(_user_info(u) for u in hello.get("users") or () if isinstance(u, dict))
        self._users = {u.id: u for u in users}
        given = hello.get("sla_targets_s")
        targets: Mapping[str, Any] = given if isinstance(given, dict) else {}
        session = Session(
            user=me,
            queues=tuple(str(q) for q in hello.get("queues") or ()),
            sla_targets_s=MappingProxyType({int(k): int(v) for k, v in targets.items()}),
            users=users,
            server_time=str(hello.get("server_time", "")),
            hub_url=self.hub_url,
        )
        self._emit("on_session", session)
        return None

    @staticmethod
    async def _read(ws: ClientConnection, backlog: _Backlog) -> None:
        """Move received frames to ``backlog``; None marks the end of the connection."""
        try:
            async for message in ws:
                backlog.put(message)
                if len(backlog.frames) >= MAX_BACKLOG_FRAMES:
                    backlog.room.clear()  # backpressure: stop reading until the applier catches up
                    await backlog.room.wait()
        except ConnectionClosed:
            log.debug("the connection closed while reading")
        finally:
            backlog.put(None)

    async def _apply_loop(self, ws: ClientConnection, backlog: _Backlog) -> Ending:
        try:
            return await self._apply_frames(ws, backlog)
        finally:
            self._gc.resume()

    async def _apply_frames(self, ws: ClientConnection, backlog: _Backlog) -> Ending:
        loop = asyncio.get_running_loop()
        last_applied = 0.0
        while True:
            frames = await backlog.take(MAX_BATCH_FRAMES)
            wait = last_applied + COALESCE_S - loop.time()
            if wait > 0 and frames[-1] is not None and len(frames) < MAX_BATCH_FRAMES:
                await asyncio.sleep(wait)  # a burst: gather up to one display frame's worth
                frames += backlog.take_ready(MAX_BATCH_FRAMES - len(frames))
            closed = frames[-1] is None
            texts = [f for f in frames if f is not None]
            if texts:
                # the collector rests while a burst is applied (see _GcPause)
                self._gc.pause()
                try:
                    ending = await self._process(ws, texts)
                except CacheWriteError as error:
                    self._storage_problem = f"Cannot write the local cache ({error.reason})."
                    await ws.close(1000, "client cannot store updates")
                    return Ending(f"Updates cannot be saved ({error.reason}); will try again.")
                if ending is not None:
                    await ws.close(1000)
                    return ending
                last_applied = loop.time()
                if not backlog.frames or self._gc.paused_for() > GC_PAUSE_MAX_S:
                    self._gc.resume()
            if closed:
                await ws.wait_closed()
                return ending_for_close(ws.close_code, ws.close_reason)

    async def _process(self, ws: ClientConnection, texts: list[str | bytes]) -> Ending | None:
        """Apply one batch of received frames; returns an Ending when the session must end.

        The frames are decoded and applied (:meth:`Cache.stage_batch`) here; the commit runs
        on the commit thread, as SQLite commits without the interpreter lock, while this
        loop reads the next frames; the batch is reported once it is committed.
        """
        cache = self._require_cache()
        items, after = self._decode(texts)
        assert self._viewer is not None
        staged = cache.stage_batch(items, self._viewer) if items else None
        if staged is not None:
            committer = self._committer
            if committer is None:
                staged.commit()
            else:
                await asyncio.wrap_future(committer.submit(staged.commit))
            self._report(cache.finish_batch(staged))
        return self._after_batch(ws, after)

    def _decode(self, texts: list[str | bytes]) -> tuple[list[BatchItem], list[tuple[str, dict[str, Any]]]]:
        """The batch items of received frames, and what to do once they are applied."""
        assert self._viewer is not None
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
                    items.append(
                        SnapshotItem(
                            int(frame.get("seq", 0)),
                            self._parts,
                            self._hello_epoch,
                            viewer_key(self._viewer),
                        )
                    )
                    self._parts = []
            elif kind == "synced":
                items.append(SyncedItem(int(frame.get("seq", 0)), self._hello_epoch))
            elif kind == "result":
                self._classify_result(frame, items, after)
            elif kind == "error":
                log.warning("the hub could not read a frame: %s", frame.get("message"))
        if events:
            items.append(EventRun(events, data_texts))
        if streamed:
            items.append(EventStream(_event_runs(streamed)))
        return items, after

    def _after_batch(self, ws: ClientConnection, after: list[tuple[str, dict[str, Any]]]) -> Ending | None:
        ending: Ending | None = None
        for what, frame in after:
            if what == "resumed":
                ending = ending or self._resumed(ws, frame)
            elif what == "retry":
                retry_ms = frame.get("retry_after_ms")
                wait = retry_ms / 1000 if isinstance(retry_ms, int) else DEFAULT_RETRY_S
                self._pause_until = max(self._pause_until, asyncio.get_running_loop().time() + wait)
            elif what == "metrics":
                self._metrics_answered(frame)
        self._wake_sender.set()
        return ending

    def _classify_result(
        self, frame: dict[str, Any], items: list[BatchItem], after: list[tuple[str, dict[str, Any]]]
    ) -> None:
        request_id = frame.get("id")
        if request_id == self._resume_id:
            after.append(("resumed", frame))
        elif request_id in self._metrics:
            after.append(("metrics", frame))
        elif isinstance(request_id, str) and request_id in self._inflight:
            self._inflight.discard(request_id)
            entry = self._require_cache().entry(request_id)
            if entry is None:
                return
            if not frame.get("ok") and frame.get("code") in RETRYABLE_CODES:
                after.append(("retry", frame))
            else:
                items.append(AnswerItem(entry, frame))
        else:
            log.debug("a result for an unknown request %r", request_id)

    def _resumed(self, ws: ClientConnection, frame: Mapping[str, Any]) -> Ending | None:
        if not frame.get("ok"):
            return Ending(f"The hub could not resume the session: {frame.get('message', 'unknown error')}.")
        if self._cache is not None and not self._cache.unsaved:
            self._storage_problem = None
        self._set_status(Link.ONLINE)
        self._sender = asyncio.ensure_future(self._send_loop(ws))
        return None

    def _metrics_answered(self, frame: Mapping[str, Any]) -> None:
        request_id = str(frame.get("id"))
        request = self._metrics.pop(request_id, None)
        if frame.get("ok"):
            data = frame.get("data")
            self._emit("on_metrics", request_id, MappingProxyType(dict(data or {})), None)
        elif frame.get("code") in RETRYABLE_CODES and request is not None:
            retry_ms = frame.get("retry_after_ms")
            wait = retry_ms / 1000 if isinstance(retry_ms, int) else DEFAULT_RETRY_S
            self._metrics[request_id] = request
            asyncio.get_running_loop().call_later(wait, self._resend_metrics, request_id)
        else:
            self._emit("on_metrics", request_id, None, str(frame.get("message", "the hub refused")))

    def _resend_metrics(self, request_id: str) -> None:
        request = self._metrics.get(request_id)
        if request is not None and self._ws is not None:
            self._in_background(self._send_text(encode(request)))

    # -- sending the outbox ----------------------------------------------------------------

    async def _send_loop(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        cache = self._require_cache()
        while True:
            self._wake_sender.clear()
            wait = self._pause_until - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)  # the hub's retry_after_ms: nothing may be sent before
                continue
            batch = self._eligible(cache)
            for entry in batch:
                self._inflight.add(entry.request_id)  # before sending: the result may come first
                try:
                    await ws.send(encode(entry.frame()))
                except ConnectionClosed:
                    return
            if batch:
                cache.mark_sent(e.request_id for e in batch)
            await self._wake_sender.wait()

    def _eligible(self, cache: Cache) -> list[OutboxEntry]:
        """The next entries to send: the first unanswered one of each lane, within the window."""
        room = self._send_window - len(self._inflight)
        if room <= 0:
            return []
        busy: set[str] = set()
        for request_id in self._inflight:
            entry = cache.entry(request_id)
            if entry is not None:
                busy.add(entry.lane)
        chosen: list[OutboxEntry] = []
        for entry in cache.outbox():
            if entry.lane in busy:
                continue
            busy.add(entry.lane)
            chosen.append(entry)
            if len(chosen) >= room:
                break
        return chosen


_STORED_KINDS = ("handoff.created", "handoff.updated", "message.added")
#: How an event frame written by the hub starts (``protocol.messages.encode`` of an event).
_EVENT_START = '{"type":"event",'
#: Event frames decoded, then applied, at a time (:class:`EventStream`).
EVENT_RUN_FRAMES = 32


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


class _GcPause:
    """Pauses CPython's cyclic garbage collector while a burst of frames is applied.

    A batch decodes tens of thousands of objects that stay alive (the handoffs the cache
    remembers and the deltas hand over). The collector would otherwise run dozens of times a
    batch, each time going over everything young, and again over the survivors of every
    batch (about a twentieth of the engine thread's time in a burst). What a burst makes is
    freed by reference counting (decoded JSON has no cycles); cycles made meanwhile, here or
    on other threads, wait for the collection that follows the burst, or
    :data:`GC_PAUSE_MAX_S` at most. A collector someone else disabled stays disabled.
    """

    def __init__(self) -> None:
        self._since: float | None = None

    def pause(self) -> None:
        if self._since is None and gc.isenabled():
            gc.disable()
            self._since = time.monotonic()

    def paused_for(self) -> float:
        """Seconds since the pause began (0 when not paused)."""
        return 0.0 if self._since is None else time.monotonic() - self._since

    def resume(self) -> None:
        if self._since is not None:
            self._since = None
            gc.enable()


class _Backlog:
    """Frames received and not yet applied, in order; None marks the end of the connection.

    Cheaper per frame than an asyncio.Queue: one wake-up per batch, not per frame.
    """

    def __init__(self) -> None:
        self.frames: deque[str | bytes | None] = deque()
        self._arrived = asyncio.Event()
        self.room = asyncio.Event()
        self.room.set()

    def put(self, frame: str | bytes | None) -> None:
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


def _replace_presence(user: UserInfo, presence: str) -> UserInfo:
    return UserInfo(user.id, user.name, user.role, user.queues, user.languages, presence, user.active)
