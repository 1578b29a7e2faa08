"""One websocket connection to the hub, shared by the demo's many callers.

A :class:`HubLink` connects on first use, sends each request with a fresh id (kept across
retries, so the hub's idempotency holds), hands every result to its caller and every other frame
(events, snapshots, ``synced``) to ``on_frame``. After each (re)connection it runs ``on_connect``
before anyone else may send: that is where an agent resumes and a bot platform subscribes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agent_desk.protocol.codes import MAX_FRAME_BYTES, RETRYABLE_CODES

log = logging.getLogger(__name__)

Frame = dict[str, Any]


class HubRefused(Exception):
    """The hub refused a request finally (a failure that retrying will not change)."""

    def __init__(self, result: Frame) -> None:
        super().__init__(f"{result.get('code')}: {result.get('message')}")
        self.result = result

    @property
    def code(self) -> str:
        return str(self.result.get("code", ""))


class LinkClosed(ConnectionError):
    """The link was closed on purpose; nothing more is sent on it."""


class HubLink:
    """One connection to ``<hub>/<path>``, (re)opened on demand.

    Args:
        hub_url: the hub's base address (``ws://host:port``).
        path: ``/v1/agent`` or ``/v1/source``.
        token: the user's token.
        ssl_context: for ``wss://`` hubs.
        on_frame: called with every frame that is not a result (and not ``hello``), in order.
        on_connect: awaited after each connection, before other requests go out; it may use
            :meth:`exchange` on the connection it is given.

    Attributes:
        hello: the last ``hello`` the hub sent.
    """

    def __init__(
        self,
        hub_url: str,
        path: str,
        token: str,
        ssl_context: ssl.SSLContext | None = None,
        *,
        on_frame: Callable[[Frame], None] | None = None,
        on_connect: Callable[[ClientConnection], Awaitable[None]] | None = None,
    ) -> None:
        self.url = hub_url.rstrip("/") + path
        self.hello: Frame = {}
        self.on_frame = on_frame
        self.on_connect = on_connect
        self._token = token
        self._ssl = ssl_context
        self._ws: ClientConnection | None = None
        self._waiting: dict[str, asyncio.Future[Frame]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closing = False

    @property
    def alive(self) -> bool:
        """Whether the connection is open and read."""
        return self._reader is not None and not self._reader.done()

    @property
    def features(self) -> frozenset[str] | None:
        """The additions this hub speaks, from ``hello``; None when its ``hello`` does not say."""
        listed = self.hello.get("features")
        return frozenset(listed) if isinstance(listed, list) else None

    async def connection(self) -> ClientConnection:
        """The open connection; connects (and runs ``on_connect``) when there is none.

        Raises:
            LinkClosed: :meth:`close` was called.
            OSError, InvalidStatus, ConnectionClosed: the hub could not be reached.
        """
        async with self._lock:
            if self._closing:
                raise LinkClosed("the link is closed")
            if self._ws is not None and self.alive:
                return self._ws
            kwargs: dict[str, Any] = {"ssl": self._ssl} if self.url.startswith("wss") else {}
            ws = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self._token}"},
                max_size=MAX_FRAME_BYTES,
                **kwargs,
            )
            try:
                if self._closing:
                    raise LinkClosed("the link is closed")
                self.hello = json.loads(await ws.recv())
                self._ws = ws
                self._reader = asyncio.create_task(self._read(ws))
                if self.on_connect is not None:
                    await self.on_connect(ws)
            except BaseException:
                await ws.close()
                raise
            log.debug("%s connected as %s", self.url, self.hello.get("user", {}).get("id"))
            return ws

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                frame = json.loads(text)
                if frame.get("type") == "result":
                    waiter = self._waiting.pop(str(frame.get("id", "")), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(frame)
                elif self.on_frame is not None:
                    self.on_frame(frame)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("%s: a frame could not be handled; reconnecting", self.url)
            await ws.close()
        finally:
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("connection to the hub closed"))
            self._waiting.clear()

    async def exchange(self, ws: ClientConnection, type_: str, request_id: str | None = None, **fields: Any) -> Frame:
        """Send one request on ``ws`` and return its result frame as it is (ok or not).

        Raises:
            ConnectionError, ConnectionClosed: the connection closed first.
        """
        request_id = request_id or uuid.uuid4().hex
        waiter: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = waiter
        try:
            await ws.send(json.dumps({"type": type_, "id": request_id, **fields}))
            return await waiter
        finally:
            self._waiting.pop(request_id, None)

    async def request(self, type_: str, **fields: Any) -> Frame:
        """Send a request (one id across retries) until it gets a final result frame, ok or not.

        Lost connections and ``rate_limited``/``unavailable`` are retried with backoff.

        Raises:
            HubRefused: the hub refused the user's token (HTTP 401 or 403).
            LinkClosed: the link was closed meanwhile.
        """
        request_id = uuid.uuid4().hex
        delay = 0.5
        while True:
            try:
                ws = await self.connection()
                result = await self.exchange(ws, type_, request_id, **fields)
            except LinkClosed:
                raise
            except InvalidStatus as error:
                status = error.response.status_code
                if status in (401, 403):  # revoked, or not this path's role: no retry will do
                    raise HubRefused(
                        {"code": "forbidden", "message": f"the hub refused the user (HTTP {status})"}
                    ) from error
                await self._backoff(error, delay)
                delay = min(delay * 2, 10.0)
                continue
            except (ConnectionError, ConnectionClosed, OSError) as error:
                await self._backoff(error, delay)
                delay = min(delay * 2, 10.0)
                continue
            if not result.get("ok") and result.get("code") in RETRYABLE_CODES:
                await asyncio.sleep(result.get("retry_after_ms", 500) / 1000)
                continue
            return result

    async def _backoff(self, error: Exception, delay: float) -> None:
        if self._closing:
            raise LinkClosed("the link is closed") from error
        log.info("%s: hub not reachable (%s); retrying in %.1f s", self.url, error, delay)
        await asyncio.sleep(delay)

    async def call(self, type_: str, **fields: Any) -> Frame:
        """Like :meth:`request`; returns the result's ``data``.

        Raises:
            HubRefused: a final failure.
            LinkClosed: the link was closed meanwhile.
        """
        result = await self.request(type_, **fields)
        if not result.get("ok"):
            raise HubRefused(result)
        return dict(result.get("data") or {})

    async def close(self) -> None:
        """Close the connection for good; requests in flight fail with :class:`LinkClosed`."""
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


class SourceClient(HubLink):
    """A bot platform's connection: ``/v1/source``."""

    def __init__(self, hub_url: str, token: str, ssl_context: ssl.SSLContext | None = None, **hooks: Any) -> None:
        super().__init__(hub_url, "/v1/source", token, ssl_context, **hooks)


class AgentClient(HubLink):
    """A person's connection: ``/v1/agent`` (``on_connect`` must send ``resume``)."""

    def __init__(self, hub_url: str, token: str, ssl_context: ssl.SSLContext | None = None, **hooks: Any) -> None:
        super().__init__(hub_url, "/v1/agent", token, ssl_context, **hooks)
