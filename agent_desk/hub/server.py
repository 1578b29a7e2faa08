"""The hub's network side: websockets on /v1/agent and /v1/source, /healthz, fan-out.

One asyncio loop owns every connection. All storage work runs on one storage thread, in the
order it was submitted, so events leave the hub in ``seq`` order: a request's events are
written to every connection that can see them (encoded once) before its result is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import ssl
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from agent_desk.hub import db
from agent_desk.hub.auth import bearer_token
from agent_desk.hub.service import HubService
from agent_desk.hub.store import Event, Outcome, Store, StoreUnavailable, User
from agent_desk.hub.wire import wire_frame
from agent_desk.hub.worker import StorageWorker
from agent_desk.protocol import codes
from agent_desk.protocol.codes import (
    AGENT_REQUESTS,
    BAD_FRAME_CODES,
    PROTOCOL_VERSION,
    SOURCE_REQUESTS,
    CloseCode,
    Code,
    Role,
)
from agent_desk.protocol.frames import (
    Envelope,
    Malformed,
    RequestError,
    parse_request,
    read_envelope,
)
from agent_desk.protocol.messages import Resume, encode, error_frame, result_error, result_ok
from agent_desk.protocol.redact import redacted_logger
from agent_desk.protocol.timefmt import now_str, utc_now
from agent_desk.protocol.visibility import language_matches
from agent_desk.triage import Triage, load_rules

log = logging.getLogger("agent_desk.hub")
T = TypeVar("T")
#: Tasks started and not awaited, held until done (the loop keeps only weak references).
_BACKGROUND: set[asyncio.Task[Any]] = set()


def _in_background(work: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


AGENT_PATH, SOURCE_PATH, HEALTH_PATH = "/v1/agent", "/v1/source", "/healthz"
#: A connection whose unsent output grows beyond this is too slow to follow; it is closed
#: (1013, try again later) and catches up by resuming.
MAX_WRITE_BACKLOG = 32 * 1024 * 1024
#: Requests of one source connection being stored at once.
MAX_IN_FLIGHT = 256
#: Room left in a snapshot frame for the envelope around the handoffs.
SNAPSHOT_ROOM = codes.MAX_FRAME_BYTES - 4096


@dataclass
class HubConfig:
    """Everything ``hub serve`` can be told."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_origins: tuple[str, ...] = ()
    rate_agent: int = codes.RATE_LIMIT_AGENT
    rate_lead: int = codes.RATE_LIMIT_LEAD
    rate_source: int = codes.RATE_LIMIT_SOURCE
    rate_window_s: float = codes.RATE_WINDOW_S
    bad_frame_limit: int = codes.BAD_FRAME_LIMIT
    bad_frame_window_s: float = codes.BAD_FRAME_WINDOW_S
    resume_timeout_s: float = codes.RESUME_TIMEOUT_S
    ping_interval_s: float | None = codes.PING_INTERVAL_S
    ping_timeout_s: float | None = codes.PING_TIMEOUT_S
    sla_targets_s: dict[int, int] = field(default_factory=lambda: dict(codes.DEFAULT_SLA_TARGETS_S))
    triage_rules: Path | None = None
    database_url: str | None = None
    revocation_poll_s: float = 1.0
    prune_every_s: float = 3600.0
    #: Where the hub reads the time (tests drive it; always UTC).
    clock: Callable[[], datetime] = utc_now


class SlidingWindow:
    """Counts hits within the last ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.hits: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()

    def try_hit(self, now: float) -> float | None:
        """Record a hit; returns None when allowed, else seconds until one is."""
        self._trim(now)
        if len(self.hits) >= self.limit:
            return self.hits[0] + self.window - now
        self.hits.append(now)
        return None

    def hit_exceeds(self, now: float) -> bool:
        """Record a hit; True once more than ``limit`` hits fall in the window."""
        self._trim(now)
        self.hits.append(now)
        return len(self.hits) > self.limit


class Conn:
    """One open websocket and what the hub knows of it."""

    def __init__(self, ws: ServerConnection, user: User, path: str, cfg: HubConfig, writer: Writer) -> None:
        self.ws = ws
        self.writer = writer
        self.out: list[bytes] = []
        self.user = user
        self.viewer = user.viewer
        self.is_source = path == SOURCE_PATH
        limit = {Role.AGENT: cfg.rate_agent, Role.LEAD: cfg.rate_lead}.get(Role(user.role), cfg.rate_source)
        self.rate = SlidingWindow(limit, cfg.rate_window_s)
        self.bad = SlidingWindow(cfg.bad_frame_limit, cfg.bad_frame_window_s)
        self.resumed = self.is_source
        self.syncing = False
        self.buffer: list[Event] = []
        self.allowed = SOURCE_REQUESTS if self.is_source else AGENT_REQUESTS
        self.slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.in_flight: set[asyncio.Task[None]] = set()

    def done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self.slots.release()

    def send(self, text: str) -> None:
        """Queue a frame for this connection; it is written with the rest of this loop turn's."""
        self.push(wire_frame(text))

    def push(self, data: bytes) -> None:
        if not self.out:
            self.writer.mark(self)
        self.out.append(data)

    def flush(self) -> None:
        """Write everything queued for this connection now, in one write."""
        if not self.out:
            return
        data = b"".join(self.out) if len(self.out) > 1 else self.out[0]
        self.out.clear()
        transport = self.ws.transport
        if self.ws.protocol.state is not State.OPEN or transport is None or transport.is_closing():
            return
        transport.write(data)
        if transport.get_write_buffer_size() > MAX_WRITE_BACKLOG:
            log.warning("closing a connection of %s that cannot keep up", self.user.id)
            _in_background(self.ws.close(1013, "too slow; resume to catch up"))


class Writer:
    """Writes each connection's queued frames once per loop turn: one write per connection
    however many events a batch of requests produced for it."""

    def __init__(self) -> None:
        self._dirty: list[Conn] = []

    def mark(self, conn: Conn) -> None:
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self.flush)
        self._dirty.append(conn)

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            conn.flush()


class Hub:
    """The escalation server. ``await start()``, then ``await stop()`` (or ``serve_forever``)."""

    def __init__(self, config: HubConfig) -> None:
        self.cfg = config
        self.worker: StorageWorker | None = None  # started with the loop, in start()
        self.store = Store(db.open_engine(config.data_dir, config.database_url), config.clock)
        rules = load_rules(config.triage_rules) if config.triage_rules else None
        self.triage = Triage(rules)
        self.service = HubService(self.store, self.triage, config.sla_targets_s)
        self._server: Server | None = None
        self._conns: set[Conn] = set()
        self._leads: set[Conn] = set()
        self._by_user: dict[str, set[Conn]] = {}
        self._by_queue: dict[str, set[Conn]] = {}
        self._online: dict[str, int] = {}  # user id -> resumed agent connections
        # Who a handshake authenticated, until its handler runs; weak, so a handshake that
        # fails after authentication (the peer vanished) leaves nothing behind.
        self._auth: weakref.WeakKeyDictionary[ServerConnection, User] = weakref.WeakKeyDictionary()
        self._writer = Writer()
        self._tasks: list[asyncio.Task[Any]] = []
        self.closing = False
        self.port = config.port

    # -- lifecycle -------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        assert self.worker is not None, "the hub is not started"
        return await self.worker.call(fn, *args)

    async def run_storage(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store function on the storage thread (admin tasks, the demo)."""
        return await self._run(fn, *args)

    async def start(self) -> int:
        """Open the store and listen; returns the bound port."""
        self.worker = StorageWorker(self.store, asyncio.get_running_loop())
        await self._run(self.store.open)
        ssl_context = None
        if self.cfg.tls_cert:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(self.cfg.tls_cert, self.cfg.tls_key)
        self._server = await serve(
            self._handle,
            self.cfg.host,
            self.cfg.port,
            ssl=ssl_context,
            process_request=self._process_request,
            max_size=codes.MAX_FRAME_BYTES,
            ping_interval=self.cfg.ping_interval_s,
            ping_timeout=self.cfg.ping_timeout_s,
            compression=None,
            server_header="agent-desk-hub",
            logger=redacted_logger("agent_desk.hub.websockets"),
        )
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]
        self._tasks.append(asyncio.create_task(self._watch_revocations()))
        self._tasks.append(asyncio.create_task(self._prune_periodically()))
        scheme = "wss" if ssl_context else "ws"
        log.info("hub listening on %s://%s:%s (epoch %s)", scheme, self.cfg.host, self.port, self.store.epoch)
        return self.port

    async def stop(self) -> None:
        """Close every connection with 1001, finish storage work, close the store."""
        if self.closing:
            return
        self.closing = True
        for task in self._tasks:
            task.cancel()
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
        if self.worker is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.worker.stop)
        self.store.close()
        log.info("hub stopped")

    # -- handshake -------------------------------------------------------------------------

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == HEALTH_PATH:
            return self._respond(ws, HTTPStatus.OK, json.dumps({"status": "ok"}), "application/json")
        if path not in (AGENT_PATH, SOURCE_PATH):
            return self._respond(ws, HTTPStatus.NOT_FOUND, "no such path\n")
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.cfg.allow_origins:
            return self._respond(ws, HTTPStatus.FORBIDDEN, "origin not allowed\n")
        if self.closing:
            return self._respond(ws, HTTPStatus.SERVICE_UNAVAILABLE, "hub is shutting down\n")
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            return self._respond(ws, HTTPStatus.UNAUTHORIZED, "missing bearer token\n")
        try:
            user = await self._run(self.store.authenticate, token)
        except StoreUnavailable:
            return self._respond(ws, HTTPStatus.SERVICE_UNAVAILABLE, "storage unavailable\n")
        if user is None:
            return self._respond(ws, HTTPStatus.UNAUTHORIZED, "unknown or revoked token\n")
        wants_source = path == SOURCE_PATH
        if wants_source != (user.role == Role.SOURCE):
            return self._respond(ws, HTTPStatus.FORBIDDEN, f"role {user.role} may not use {path}\n")
        self._auth[ws] = user
        return None

    @staticmethod
    def _respond(ws: ServerConnection, status: HTTPStatus, body: str, content_type: str = "text/plain") -> Response:
        response = ws.respond(status, body)
        response.headers = Headers([(k, v) for k, v in response.headers.raw_items() if k.lower() != "content-type"])
        response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
        return response

    # -- connections -----------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        user = self._auth.pop(ws, None)
        if user is None:  # pragma: no cover - the handshake always authenticates first
            await ws.close(CloseCode.NORMAL)
            return
        path = ws.request.path.split("?", 1)[0] if ws.request else AGENT_PATH
        conn = Conn(ws, user, path, self.cfg, self._writer)
        self._conns.add(conn)
        timer = None
        try:
            conn.send(encode(await self._run(self._hello, user, set(self._online))))
            if not conn.is_source:
                timer = asyncio.get_running_loop().call_later(self.cfg.resume_timeout_s, self._resume_timeout, conn)
            async for frame in ws:
                if conn.is_source:
                    await self._pipeline(conn, frame)
                else:
                    await self._on_frame(conn, frame)
        except ConnectionClosed:
            pass
        except StoreUnavailable:
            log.warning("storage unavailable while greeting %s; closing", user.id)
            await ws.close(CloseCode.GOING_AWAY, "storage unavailable")
        finally:
            if timer is not None:
                timer.cancel()
            self._conns.discard(conn)
            await self._unregister(conn)

    async def _pipeline(self, conn: Conn, frame: str | bytes) -> None:
        """Sources may have many requests in flight: read on while earlier ones are stored.

        Storage work is submitted in arrival order and answered in that order, so a source's
        requests take effect as if one at a time; only the waiting overlaps.
        """
        await conn.slots.acquire()
        pending = self._begin(conn, frame)
        if pending is None:
            conn.slots.release()
            return
        task = asyncio.create_task(pending)
        conn.in_flight.add(task)
        task.add_done_callback(conn.done)

    def _resume_timeout(self, conn: Conn) -> None:
        if not conn.resumed:
            _in_background(self._close(conn, CloseCode.NO_RESUME, "no resume within 10 s"))

    def _hello(self, user: User, online: set[str]) -> dict[str, Any]:
        def work(conn: Any) -> dict[str, Any]:
            fresh = self.store.get_user(conn, user.id) or user
            me = fresh.to_wire()
            hello: dict[str, Any] = {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "epoch": self.store.epoch,
                "server_time": now_str(),
                "user": me,
                "queues": self.store.queue_names(conn, self.triage.queues),
                "sla_targets_s": {str(k): v for k, v in sorted(self.cfg.sla_targets_s.items())},
            }
            if user.role == Role.LEAD:
                active = self.store.active_counts(conn)
                hello["users"] = [
                    {
                        "id": u.id,
                        "name": u.id,
                        "role": u.role,
                        "queues": list(u.queues),
                        "presence": u.presence if u.id in online else "offline",
                        "active": active.get(u.id, 0),
                    }
                    for u in self.store.users(conn)
                    if u.role != Role.SOURCE and not u.revoked
                ]
            return hello

        return self.store.read(work)

    def _register(self, conn: Conn) -> None:
        viewer = conn.viewer
        if viewer.role == Role.LEAD:
            self._leads.add(conn)
        else:
            for queue in viewer.queues:
                self._by_queue.setdefault(queue, set()).add(conn)
        self._by_user.setdefault(viewer.id, set()).add(conn)

    async def _unregister(self, conn: Conn) -> None:
        if conn.is_source or not conn.resumed:
            return
        self._leads.discard(conn)
        for queue in conn.viewer.queues:
            self._by_queue.get(queue, set()).discard(conn)
        self._by_user.get(conn.viewer.id, set()).discard(conn)
        left = self._online.get(conn.user.id, 1) - 1
        if left > 0:
            self._online[conn.user.id] = left
            return
        self._online.pop(conn.user.id, None)
        if self.closing:
            return
        try:
            outcome = await self._run(self.store.presence_event, conn.user.id, "offline", False)
        except StoreUnavailable:
            return
        self._fan_out(outcome.events)

    # -- frames ----------------------------------------------------------------------------

    async def _on_frame(self, conn: Conn, frame: str | bytes) -> None:
        pending = self._begin(conn, frame)
        if pending is not None:
            await pending

    def _begin(self, conn: Conn, frame: str | bytes) -> Coroutine[Any, Any, None] | None:
        """Check a frame and submit its storage work at once (so work keeps arrival order).

        Returns what is left to do (await the work, fan out, reply), or None when done.
        """
        now = time.monotonic()
        envelope = read_envelope(frame)
        if isinstance(envelope, Malformed):
            conn.send(encode(error_frame(Code.MALFORMED, envelope.message)))
            return self._count_bad(conn, now)
        wait = conn.rate.try_hit(now)
        if wait is not None:
            conn.send(
                encode(
                    result_error(
                        envelope.id,
                        Code.RATE_LIMITED,
                        "too many requests; slow down",
                        retry_after_ms=max(1, math.ceil(wait * 1000)),
                    )
                )
            )
            return None
        try:
            request = parse_request(envelope, conn.allowed)
            if not conn.resumed and request.type != "resume":
                raise RequestError(Code.NOT_READY, "send resume first")
            if request.type == "resume":
                assert isinstance(request, Resume)
                return self._resume(conn, request)
            if self.closing:
                raise StoreUnavailable("the hub is shutting down")
            worker = self.worker
            assert worker is not None, "the hub is not started"
            work = self.service.work_for(conn.user, request, envelope.body)
            future: asyncio.Future[Outcome] | asyncio.Future[dict[str, Any]]
            if work is not None:
                future = worker.write(work)
            else:
                future = worker.call(self.service.read_request, conn.user, request)
        except RequestError as error:
            return self._finish(conn, envelope, now, result_error(envelope.id, error.code, error.message, error.data))
        except StoreUnavailable as error:
            return self._finish(conn, envelope, now, self._unavailable(envelope.id, error))
        return self._finish(conn, envelope, now, future)

    @staticmethod
    def _unavailable(request_id: str, error: Exception) -> dict[str, Any]:
        return result_error(
            request_id, Code.UNAVAILABLE, f"storage unavailable, nothing changed: {error}", retry_after_ms=1000
        )

    async def _finish(
        self, conn: Conn, envelope: Envelope, now: float, pending: asyncio.Future[Any] | dict[str, Any]
    ) -> None:
        """Wait for a request's storage work, send its events to their audience, then its result."""
        events: list[Event] = []
        if isinstance(pending, dict):
            result = pending
        else:
            try:
                outcome = await pending
                if isinstance(outcome, Outcome):
                    result, events = outcome.result, outcome.events
                else:
                    result = outcome
            except RequestError as error:
                result = result_error(envelope.id, error.code, error.message, error.data)
            except StoreUnavailable as error:
                result = self._unavailable(envelope.id, error)
            except Exception:
                log.exception("internal error handling %s", envelope.type)
                result = result_error(envelope.id, Code.INTERNAL, "internal error; nothing was changed")
        self._fan_out(events)
        conn.send(encode(result))
        if not result["ok"] and result["code"] in BAD_FRAME_CODES:
            await self._count_bad(conn, now)

    async def _count_bad(self, conn: Conn, now: float) -> None:
        if conn.bad.hit_exceeds(now):
            log.info("closing a connection of %s: too many bad frames", conn.user.id)
            await self._close(conn, CloseCode.TOO_MANY_BAD_FRAMES, "too many bad or rejected frames")

    # -- resume ----------------------------------------------------------------------------

    async def _resume(self, conn: Conn, request: Resume) -> None:
        if request.protocol != PROTOCOL_VERSION:
            await self._close(conn, CloseCode.PROTOCOL_UNSUPPORTED, f"protocol {request.protocol} not supported")
            return
        if conn.resumed:
            conn.send(encode(result_error(request.id, Code.INVALID, "already resumed")))
            await self._count_bad(conn, time.monotonic())
            return
        conn.syncing = True
        conn.resumed = True
        self._register(conn)
        first = not self._online.get(conn.user.id)
        self._online[conn.user.id] = self._online.get(conn.user.id, 0) + 1
        try:
            plan = await self._run(self.store.sync_plan, conn.viewer, request.epoch, request.last_seq)
        except StoreUnavailable:
            conn.send(encode(result_error(request.id, Code.UNAVAILABLE, "storage unavailable")))
            await self._close(conn, CloseCode.GOING_AWAY, "storage unavailable")
            return
        if plan.events is not None:
            for text in plan.events:
                conn.send(text)
        else:
            for part in self._snapshot_parts(plan.head, plan.snapshot or []):
                conn.send(part)
        conn.send(encode({"type": "synced", "seq": plan.head}))
        conn.send(
            encode(
                result_ok(
                    request.id,
                    {"epoch": self.store.epoch, "seq": plan.head, "replayed": plan.events is not None},
                )
            )
        )
        for event in conn.buffer:
            if event.seq > plan.head:
                conn.push(event.wire)
        conn.buffer.clear()
        conn.syncing = False
        if first:
            try:
                outcome = await self._run(self.store.presence_event, conn.user.id, None, False)
            except StoreUnavailable:
                return
            self._fan_out(outcome.events)

    @staticmethod
    def _snapshot_parts(head: int, handoffs: list[dict[str, Any]]) -> Iterable[str]:
        prefix = f'{{"type":"snapshot","seq":{head},"handoffs":['
        chunk: list[str] = []
        size = 0
        encoded = [encode(h) for h in handoffs]
        for index, text in enumerate(encoded):
            length = len(text.encode("utf-8")) + 1
            if chunk and size + length > SNAPSHOT_ROOM:
                yield prefix + ",".join(chunk) + '],"final":false}'
                chunk, size = [], 0
            chunk.append(text)
            size += length
            del index
        yield prefix + ",".join(chunk) + '],"final":true}'

    # -- fan-out ---------------------------------------------------------------------------

    def _audience(self, event: Event) -> set[Conn]:
        if event.lead_only:
            return set(self._leads)
        audience = set(self._leads)
        for state in (event.before, event.after):
            if state is None:
                continue
            assignee = state.get("assignee")
            if assignee:
                audience.update(self._by_user.get(assignee, ()))
            if state["status"] == "waiting":
                for conn in self._by_queue.get(state["queue"], ()):
                    if language_matches(state.get("language"), conn.viewer.languages):
                        audience.add(conn)
        return audience

    def _fan_out(self, events: list[Event]) -> None:
        for event in events:
            wire = event.wire
            for conn in self._audience(event):
                if conn.syncing:
                    conn.buffer.append(event)
                else:
                    conn.push(wire)

    async def _close(self, conn: Conn, code: int, reason: str) -> None:
        """Close a connection after what was queued for it (an error frame, say) is written."""
        conn.flush()
        await conn.ws.close(code, reason)

    # -- background ------------------------------------------------------------------------

    async def _watch_revocations(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.revocation_poll_s)
            ids = {c.user.id for c in self._conns}
            if not ids:
                continue
            try:
                revoked = await self._run(self.store.revoked_among, ids)
            except StoreUnavailable:
                continue
            for conn in [c for c in self._conns if c.user.id in revoked]:
                log.info("closing a connection of %s: token revoked", conn.user.id)
                await self._close(conn, CloseCode.TOKEN_REVOKED, "token revoked; sign in again")

    async def _prune_periodically(self) -> None:
        while True:
            try:
                events, results = await self._run(self.store.prune)
                if events or results:
                    log.info("pruned %d old events and %d stored results", events, results)
            except StoreUnavailable:
                log.warning("could not prune old events; will try again")
            await asyncio.sleep(self.cfg.prune_every_s)


async def serve_until_signalled(config: HubConfig, ready: Callable[[Hub], None] | None = None) -> None:
    """Run a hub until SIGINT or SIGTERM, then shut it down gracefully (close code 1001)."""
    import signal

    hub = Hub(config)
    await hub.start()
    if ready is not None:
        ready(hub)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: KeyboardInterrupt instead
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await hub.stop()
