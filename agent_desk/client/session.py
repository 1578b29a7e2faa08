"""The connection to the hub: connect and keep reconnecting, greet, resume, run a session.

Each attempt connects (TLS, the bearer token, keepalive pings), reads the hub's ``hello``
(who this user is, the team, the epoch), sends ``resume`` with the cache's epoch and
``last_seq`` (or none, when the cache was built for other visibility facts), and runs the
session: a reader task fills the backlog and :class:`Inbound` applies it, until either side
ends it. Between attempts the delays follow :class:`Backoff`; an ending the person must act on
(a revoked token, another user's sign-in) stops the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from agent_desk.client.backoff import Backoff
from agent_desk.client.batch import viewer_key
from agent_desk.client.cache import Cache
from agent_desk.client.commit_thread import CommitThread
from agent_desk.client.connection import Ending, agent_url, ending_for_close, ending_for_error, tls_context, wire_log
from agent_desk.client.gc_pause import GcPause
from agent_desk.client.inbound import Backlog, Inbound, ResultRoute, receive
from agent_desk.client.presence import Presence, user_info
from agent_desk.client.queries import Queries
from agent_desk.client.reports import Reports
from agent_desk.client.sender import Sender
from agent_desk.client.surface import Link, Session, TokenNotice, Why
from agent_desk.client.tokens import TokenStore
from agent_desk.protocol.codes import MAX_FRAME_BYTES, PING_INTERVAL_S, PING_TIMEOUT_S, PROTOCOL_VERSION
from agent_desk.protocol.messages import encode
from agent_desk.protocol.visibility import Viewer

log = logging.getLogger(__name__)

USER_AGENT = "agent-desk-desktop"
#: Endings that mean the hub cannot be reached at its address.
UNREACHABLE = (Why.REFUSED, Why.UNREACHABLE, Why.TIMEOUT, Why.CERTIFICATE)


class Sessions:
    """Connects to the hub and keeps connecting; lives on the engine thread."""

    def __init__(
        self,
        hub_url: str,
        user: str,
        token: str | TokenStore,
        *,
        ca_file: str | Path | None,
        open_timeout_s: float,
        backoff: Backoff,
        cache: Cache,
        reports: Reports,
        presence: Presence,
        sender: Sender,
        queries: Queries,
        committer: CommitThread | None,
        route_result: ResultRoute | None = None,
    ) -> None:
        """Wire the connection loop; nothing runs before :meth:`run`.

        Args:
            hub_url: the hub's base address (normalised).
            user: the user name the sign-in must belong to.
            token: the bearer token, or the store to read it from before each attempt.
            ca_file: an extra certificate authority to trust for ``wss://``.
            open_timeout_s: how long to wait for the hub to answer an attempt (and greet).
            backoff: the delays between attempts.
            cache: the open cache.
            reports: the listener's way in.
            presence: told who is who by ``hello``.
            sender: sends the outbox during a session.
            queries: asked requests (figures, saved replies), answered with an error when a
                session ends.
            committer: commits batches off the engine thread (None: in line).
            route_result: where the session's ``result`` frames go (default: the session's
                :meth:`Inbound.route_result`).
        """
        self._hub_url = hub_url
        self._user = user
        self._token = token
        self._ca_file = ca_file
        self._open_timeout_s = open_timeout_s
        self._backoff = backoff
        self._cache = cache
        self._reports = reports
        self._presence = presence
        self._sender = sender
        self._queries = queries
        self._committer = committer
        self._gc = GcPause()
        self._retry_now = asyncio.Event()
        self._token_notice: TokenNotice | None = None
        self._route_result = route_result
        #: The current session's pipeline (None between sessions).
        self.inbound: Inbound | None = None
        #: What the last ``hello`` said.
        self.session: Session | None = None
        #: Called once a session is resumed and synced (the engine asks for saved replies).
        self.on_online: Callable[[Session], None] = lambda _session: None
        #: Called when the team's saved replies changed (``canned.changed``).
        self.on_canned_changed: Callable[[], None] = lambda: None

    def reconnect_now(self) -> None:
        """Skip the rest of the current backoff wait."""
        self._retry_now.set()

    async def run(self) -> None:
        """Connect, run the session, wait, and again, until an ending is final."""
        reports = self._reports
        first = True
        while True:
            token = self._load_token()
            if not token:
                # Nothing to sign in with; but a hub that cannot be reached is the news, if so.
                ending = await self._unreachable() or Ending(Why.NO_SIGN_IN, f"{self._user} on {self._hub_url}")
                reports.set_status(Link.OFFLINE, why=ending.why, detail=ending.detail, final=True)
                return
            if not first:
                reports.set_status(Link.CONNECTING, why=reports.why, detail=reports.detail)
            first = False
            ending, up_for = await self._attempt(token)
            if ending.final:
                reports.set_status(Link.OFFLINE, why=ending.why, detail=ending.detail, final=True)
                return
            delay = self._backoff.next_delay(up_for)
            reports.set_status(Link.RECONNECTING, round(delay, 3), ending.why, ending.detail)
            self._retry_now.clear()
            with contextlib.suppress(TimeoutError):  # the backoff delay is over: try again
                await asyncio.wait_for(self._retry_now.wait(), delay)

    async def _unreachable(self) -> Ending | None:
        """Why the hub cannot be reached (asked without a token), or None when it answers."""
        try:
            async with connect(
                agent_url(self._hub_url),
                ssl=tls_context(self._hub_url, self._ca_file),
                open_timeout=self._open_timeout_s,
                compression=None,
                user_agent_header=USER_AGENT,
                logger=wire_log,
            ):
                return None
        except InvalidStatus:
            return None  # it answered (401 without a token): the hub is there
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed) as error:
            ending = ending_for_error(error)
            return ending if ending.why in UNREACHABLE else None

    def _load_token(self) -> str | None:
        """The token for the next attempt; a change in where it is kept is reported."""
        if isinstance(self._token, str):
            return self._token
        token = self._token.load()
        if self._token.notice != self._token_notice:
            self._token_notice = self._token.notice
            self._reports.emit("on_token", self._token.notice)
        return token

    async def _attempt(self, token: str) -> tuple[Ending, float | None]:
        """One connection attempt: why it ended, and how long it was up (None: never)."""
        loop = asyncio.get_running_loop()
        try:
            async with connect(
                agent_url(self._hub_url),
                additional_headers={"Authorization": f"Bearer {token}"},
                ssl=tls_context(self._hub_url, self._ca_file),
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
                    self._sender.detach()
                    self._queries.connection_lost()
                return ending, loop.time() - started
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed) as error:
            ending = ending_for_error(error)
            log.info("connection attempt failed: %s", ending)
            return ending, None
        except Exception as error:  # a bug must not kill the engine: log it, back off, retry
            log.exception("unexpected error in the connection")
            return Ending(Why.INTERNAL, type(error).__name__), None

    async def _session(self, ws: ClientConnection) -> Ending:
        """Greet, resume, and apply what the hub sends until the session ends."""
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), self._open_timeout_s))
        except ValueError:
            hello = None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            return Ending(Why.NO_GREETING)
        greeted = self._greeted(hello)
        if isinstance(greeted, Ending):
            return greeted
        viewer, epoch = greeted
        cache = self._cache
        same_view = cache.viewer_key == viewer_key(viewer)
        last_epoch, last_seq = (cache.epoch, cache.last_seq) if same_view else (None, None)
        resume_id = uuid.uuid4().hex
        self._sender.attach(ws)
        await ws.send(
            encode(
                {
                    "type": "resume",
                    "id": resume_id,
                    "protocol": PROTOCOL_VERSION,
                    "client_id": cache.client_id,
                    "epoch": last_epoch,
                    "last_seq": last_seq,
                }
            )
        )
        inbound = Inbound(
            cache,
            viewer,
            epoch,
            resume_id=resume_id,
            on_resumed=self._resumed,
            reports=self._reports,
            presence=self._presence,
            sender=self._sender,
            queries=self._queries,
            committer=self._committer,
            gc_pause=self._gc,
            route=self._route_result,
            on_canned_changed=lambda: self.on_canned_changed(),
        )
        self.inbound = inbound
        backlog = Backlog()
        reader = asyncio.create_task(receive(ws, backlog))
        try:
            stop = await inbound.run(backlog)
            if stop is not None:
                await ws.close(1000, stop.close_reason)
                return stop.ending
            await ws.wait_closed()
            return ending_for_close(ws.close_code, ws.close_reason)
        finally:
            reader.cancel()
            self.inbound = None

    def _greeted(self, hello: Mapping[str, Any]) -> tuple[Viewer, str] | Ending:
        """Take the hub's ``hello``: whom the session shows handoffs to, and the hub's epoch.

        Returns an Ending instead when the session cannot go on (the sign-in belongs to
        someone else).
        """
        user = hello.get("user")
        me = user_info(user if isinstance(user, dict) else {})
        if me.id != self._user:
            return Ending(Why.WRONG_USER, me.id, final=True)
        users = tuple(user_info(u) for u in hello.get("users") or () if isinstance(u, dict))
        self._presence.greeted(me, users)
        given = hello.get("sla_targets_s")
        targets: Mapping[str, Any] = given if isinstance(given, dict) else {}
        session = Session(
            user=me,
            queues=tuple(str(q) for q in hello.get("queues") or ()),
            sla_targets_s=MappingProxyType({int(k): int(v) for k, v in targets.items()}),
            users=users,
            server_time=str(hello.get("server_time", "")),
            hub_url=self._hub_url,
            features=tuple(str(f) for f in hello.get("features") or () if isinstance(f, str)),
        )
        self.session = session
        self._reports.emit("on_session", session)
        return Viewer.of(me.id, me.role, me.queues, me.languages), str(hello.get("epoch", ""))

    def _resumed(self, frame: Mapping[str, Any]) -> Ending | None:
        """The hub's answer to ``resume``: online, and the outbox is sent; or the session ends."""
        if not frame.get("ok"):
            return Ending(Why.NOT_RESUMED, str(frame.get("message", "")) or None)
        if not self._cache.unsaved:
            self._reports.storage_problem = None
        self._reports.set_status(Link.ONLINE)
        self._sender.start()
        if self.session is not None:
            self.on_online(self.session)
        return None
