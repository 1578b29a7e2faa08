"""The escalation hub: its lifecycle, its connections, and its background tasks.

One asyncio loop owns every connection; all storage work runs on one storage thread
(:mod:`~agent_desk.hub.worker`), in the order it was submitted. The parts:

- :mod:`~agent_desk.hub.handshake`: the upgrade's checks and ``hello``;
- :mod:`~agent_desk.hub.dispatch`: each frame to its result, fanning out its events;
- :mod:`~agent_desk.hub.sync`: ``resume``, by replay or snapshot;
- :mod:`~agent_desk.hub.subscribe`: a source's ``subscribe``, the same way;
- :mod:`~agent_desk.hub.audience`: who receives which event;
- :mod:`~agent_desk.hub.presence`: who is online, and ``presence.changed``;
- :mod:`~agent_desk.hub.offer_clock`: under ``--routing offer``, when offers expire;
- :mod:`~agent_desk.hub.connection` and :mod:`~agent_desk.hub.wire`: each connection and
  how frames are written to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from agent_desk.hub import db, presence, retention, users
from agent_desk.hub.audience import Audience
from agent_desk.hub.auth import hash_token
from agent_desk.hub.config import HubConfig
from agent_desk.hub.connection import Conn
from agent_desk.hub.dispatch import Dispatcher
from agent_desk.hub.features import spoken
from agent_desk.hub.handshake import Handshake, hello, request_path
from agent_desk.hub.offer_clock import OfferAlarm
from agent_desk.hub.presence import Online
from agent_desk.hub.service import HubService
from agent_desk.hub.store import Store, StoreUnavailable
from agent_desk.hub.subscribe import SourceSync
from agent_desk.hub.sync import Sync
from agent_desk.hub.users import User
from agent_desk.hub.wire import Turn
from agent_desk.hub.worker import StorageWorker
from agent_desk.protocol import codes
from agent_desk.protocol.codes import CloseCode
from agent_desk.protocol.messages import encode
from agent_desk.protocol.redact import redacted_logger
from agent_desk.protocol.timefmt import format_time
from agent_desk.triage import Triage, load_rules

__all__ = ["Hub", "HubConfig", "serve_until_signalled"]

log = logging.getLogger("agent_desk.hub")
T = TypeVar("T")


class Hub:
    """The escalation server. ``await start()``, then ``await stop()`` (or ``serve_until_signalled``).

    Attributes:
        store: the hub's store; use it only through :meth:`run_storage` while the hub runs.
        port: the port it listens on (the bound one once started).
    """

    def __init__(self, config: HubConfig) -> None:
        self.cfg = config
        self.worker: StorageWorker | None = None  # started with the loop, in start()
        self.store = Store(db.open_engine(config.data_dir, config.database_url), config.clock)
        rules = load_rules(config.triage_rules) if config.triage_rules else None
        self.triage = Triage(rules)
        self.service = HubService(self.store, self.triage, config.sla_targets_s, config.routing, config.offer_timeout_s)
        self._server: Server | None = None
        self._conns: set[Conn] = set()
        self._audience = Audience()
        self._online = Online()
        self._turn = Turn()
        self._handshake = Handshake(config.allow_origins, self._authenticate, lambda: self.closing)
        self._sync = Sync(self.store, self._storage, self._audience, self._online, self._came_online)
        self._source_sync = SourceSync(self.store, self._storage, self._audience)
        self._dispatch = Dispatcher(
            self.service,
            self._storage,
            self._audience,
            self._sync.resume,
            self._source_sync.subscribe,
            lambda: self.closing,
        )
        self.features = spoken(config)
        self._alarm: OfferAlarm | None = None  # routing by offers: set in start()
        self._tasks: list[asyncio.Task[Any]] = []
        self.closing = False
        self.port = config.port

    # -- lifecycle -------------------------------------------------------------------------

    def _storage(self) -> StorageWorker:
        assert self.worker is not None, "the hub is not started"
        return self.worker

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._storage().call(fn, *args)

    async def run_storage(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store function on the storage thread (admin tasks, the demo)."""
        return await self._run(fn, *args)

    async def start(self) -> int:
        """Open the store and listen; returns the bound port."""
        loop = asyncio.get_running_loop()
        self.worker = StorageWorker(self.store, loop)
        await self._run(self.store.open)
        if self.service.router is not None:
            self._alarm = OfferAlarm(loop, self.cfg.clock, self._expire_offers)
            self.service.router.notify = self._alarm.due
        self._audience.deliver((await self._run(self.service.open_routing)).events)
        ssl_context = None
        if self.cfg.tls_cert:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(self.cfg.tls_cert, self.cfg.tls_key)
        self._server = await serve(
            self._handle,
            self.cfg.host,
            self.cfg.port,
            ssl=ssl_context,
            process_request=self._handshake.process_request,
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
        if self._alarm is not None:
            self._alarm.stop()
        for task in self._tasks:
            task.cancel()
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
        if self.worker is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.worker.stop)
        self.store.close()
        log.info("hub stopped")

    # -- connections -----------------------------------------------------------------------

    async def _authenticate(self, token: str) -> User | None:
        digest = hash_token(token)
        return await self._run(self.store.read, lambda conn: users.by_token_hash(conn, digest))

    async def _handle(self, ws: ServerConnection) -> None:
        user = self._handshake.user_of(ws)
        if user is None:  # pragma: no cover - the handshake always authenticates first
            await ws.close(CloseCode.NORMAL)
            return
        conn = Conn(ws, user, request_path(ws), self.cfg, self._turn)
        self._conns.add(conn)
        timer = None
        try:
            greeting = await self._run(
                hello, self.store, user, self._online.ids(), self.triage.queues, self.cfg.sla_targets_s, self.features
            )
            conn.send(encode(greeting))
            if not conn.is_source:
                timer = asyncio.get_running_loop().call_later(self.cfg.resume_timeout_s, self._resume_timeout, conn)
            async for frame in ws:
                if conn.is_source:
                    await self._dispatch.pipeline(conn, frame)
                else:
                    await self._dispatch.on_frame(conn, frame)
        except ConnectionClosed:
            pass
        except StoreUnavailable:
            log.warning("storage unavailable while greeting %s; closing", user.id)
            await ws.close(CloseCode.GOING_AWAY, "storage unavailable")
        finally:
            if timer is not None:
                timer.cancel()
            self._conns.discard(conn)
            await self._gone(conn)

    @staticmethod
    def _resume_timeout(conn: Conn) -> None:
        if not conn.resumed:
            conn.close_soon(CloseCode.NO_RESUME, "no resume within 10 s")

    async def _gone(self, conn: Conn) -> None:
        """A connection closed: stop sending it events; its user goes offline with its last one."""
        conn.gone = True
        if conn.is_source:
            self._audience.remove_source(conn)
            return
        if not conn.resumed:
            return
        self._audience.remove(conn)
        if not self._online.leave(conn.user.id) or self.closing:
            return
        await self._announce(conn.user.id, presence.OFFLINE)

    async def _came_online(self, user_id: str) -> None:
        await self._announce(user_id, None)

    async def _announce(self, user_id: str, status: str | None) -> None:
        """Record a presence the hub observed and send ``presence.changed`` to leads (and what
        routing by offers made of it to those who see the handoffs)."""
        try:
            outcome = await self._run(self.service.announce, user_id, status)
        except StoreUnavailable:
            return
        self._audience.deliver(outcome.events)

    async def _expire_offers(self) -> None:
        """Routing by offers: move on the offers whose time is up."""
        if self.closing:
            return
        try:
            outcome = await self._run(self.service.expire_offers)
        except StoreUnavailable:
            log.warning("could not move expired offers on; will try again")
            if self._alarm is not None:
                self._alarm.due(format_time(self.cfg.clock() + timedelta(seconds=1)))
            return
        self._audience.deliver(outcome.events)

    # -- background ------------------------------------------------------------------------

    async def _watch_revocations(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.revocation_poll_s)
            ids = {c.user.id for c in self._conns}
            if not ids:
                continue
            try:
                revoked = await self._run(self.store.read, lambda conn, ids=ids: users.revoked_among(conn, ids))
            except StoreUnavailable:
                continue
            for conn in [c for c in self._conns if c.user.id in revoked]:
                log.info("closing a connection of %s: token revoked", conn.user.id)
                await conn.close(CloseCode.TOKEN_REVOKED, "token revoked; sign in again")

    async def _prune_periodically(self) -> None:
        while True:
            try:
                events, results = await self._run(retention.prune, self.store)
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
