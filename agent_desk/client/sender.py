"""Sending the outbox to the hub: lanes, the window, and the hub's ``retry_after``.

Requests of one lane (one handoff, or presence) go one at a time, in order, so a request
never overtakes an earlier one for the same handoff; different lanes may overtake each
other. At most ``window`` requests are in flight. ``rate_limited`` and ``unavailable`` pause
all sending for the hub's ``retry_after_ms`` (1 s when none is given). Everything unanswered
is sent again, with the same id, after every reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from agent_desk.client.cache import Cache
from agent_desk.client.outbox import OutboxEntry
from agent_desk.protocol.messages import encode

log = logging.getLogger(__name__)

#: Requests sent and not yet answered, at most.
SEND_WINDOW = 32
#: Wait before re-sending after ``unavailable`` without ``retry_after_ms``.
DEFAULT_RETRY_S = 1.0


def retry_delay(frame: Mapping[str, Any]) -> float:
    """Seconds to wait before sending again after a retryable failure ``frame``."""
    retry_ms = frame.get("retry_after_ms")
    return retry_ms / 1000 if isinstance(retry_ms, int) else DEFAULT_RETRY_S


class Sender:
    """Sends the outbox over the session's connection; lives on the engine thread.

    Attributes:
        inflight: request ids sent on this connection and not answered yet.
    """

    def __init__(self, cache: Cache, window: int = SEND_WINDOW) -> None:
        """Send ``cache``'s outbox, at most ``window`` requests in flight (at least one)."""
        self._cache = cache
        self._window = max(1, window)
        self.inflight: set[str] = set()
        self._pause_until = 0.0
        self._wake = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()  # started, not awaited: held until done

    @property
    def connected(self) -> bool:
        """True while a session's connection is attached."""
        return self._ws is not None

    def attach(self, ws: ClientConnection) -> None:
        """A session began on ``ws`` (texts may be sent; the outbox waits for :meth:`start`)."""
        self._ws = ws

    def start(self) -> None:
        """The session is resumed: start sending the outbox."""
        assert self._ws is not None
        self._task = asyncio.ensure_future(self._run(self._ws))

    def detach(self) -> None:
        """The session ended: stop sending; the next one sends everything unanswered again."""
        self._ws = None
        self.inflight.clear()
        self._pause_until = 0.0  # rate limits count per connection: a new one starts afresh
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def wake(self) -> None:
        """Something may be sendable now (recorded, answered, or a pause ended)."""
        self._wake.set()

    def answered(self, request_id: str) -> bool:
        """A result for ``request_id`` arrived; True when it was in flight here."""
        if request_id in self.inflight:
            self.inflight.discard(request_id)
            return True
        return False

    def retry_after(self, frame: Mapping[str, Any]) -> None:
        """The hub said to wait (``rate_limited``, ``unavailable``): nothing is sent meanwhile."""
        until = asyncio.get_running_loop().time() + retry_delay(frame)
        self._pause_until = max(self._pause_until, until)

    def send_soon(self, text: str) -> None:
        """Send ``text`` outside the outbox (e.g. a metrics request), without waiting for it."""
        self._in_background(self._send_text(text))

    def _in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` as a task held until it is done (nobody awaits it)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send_text(self, text: str) -> None:
        """Send ``text`` if connected; a connection closing meanwhile is not an error."""
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(text)
        except ConnectionClosed:
            log.debug("connection closed while sending; the request is retried after reconnecting")

    async def _run(self, ws: ClientConnection) -> None:
        """Send what is eligible whenever woken, until the connection closes or it is cancelled."""
        loop = asyncio.get_running_loop()
        cache = self._cache
        while True:
            self._wake.clear()
            wait = self._pause_until - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)  # the hub's retry_after_ms: nothing may be sent before
                continue
            batch = self.eligible()
            for entry in batch:
                self.inflight.add(entry.request_id)  # before sending: the result may come first
                try:
                    await ws.send(encode(entry.frame()))
                except ConnectionClosed:
                    return
            if batch:
                cache.mark_sent(e.request_id for e in batch)
            await self._wake.wait()

    def eligible(self) -> list[OutboxEntry]:
        """The next entries to send: the first unanswered one of each lane, within the window."""
        cache = self._cache
        room = self._window - len(self.inflight)
        if room <= 0:
            return []
        busy: set[str] = set()
        for request_id in self.inflight:
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
