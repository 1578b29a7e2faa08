"""One open websocket and what the hub knows of it: its user, limits, state and outgoing frames."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from typing import Any

from websockets.asyncio.server import ServerConnection

from agent_desk.hub.config import SOURCE_PATH, HubConfig
from agent_desk.hub.events import Event
from agent_desk.hub.users import User
from agent_desk.hub.wire import Outgoing, Turn
from agent_desk.protocol.codes import AGENT_REQUESTS, OFFER_REQUESTS, SOURCE_REQUESTS, CloseCode, Role, Routing

log = logging.getLogger(__name__)

#: Requests of one source connection being stored at once.
MAX_IN_FLIGHT = 256
#: Close code for a connection too slow to follow (try again later); it catches up by resuming.
TRY_AGAIN_LATER = 1013
#: Tasks started and not awaited, held until done (the loop keeps only weak references).
_BACKGROUND: set[asyncio.Task[Any]] = set()


def in_background(work: Coroutine[Any, Any, Any]) -> None:
    """Run ``work`` as a task nobody awaits, kept alive until it is done."""
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


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
    """One open websocket and what the hub knows of it.

    Attributes:
        rate: the frames it sent in the rate-limit window.
        bad: its malformed and rejected frames in the bad-frame window.
        resumed: it may send requests (a source at once; a desktop after ``resume``).
        syncing: a resume (or a source's subscribe) is being answered; events meanwhile wait
            in ``buffer``.
        subscribed: a source connection that asked to hear about its conversations.
        gone: the connection has closed (work still in flight for it sends nothing more).
        allowed: the request types its path allows.
        slots, in_flight: a source's requests being stored at once.
    """

    def __init__(self, ws: ServerConnection, user: User, path: str, cfg: HubConfig, turn: Turn) -> None:
        self.ws = ws
        self.user = user
        self.viewer = user.viewer
        self.is_source = path == SOURCE_PATH
        self.out = Outgoing(ws, turn, self._too_slow)
        limit = {Role.AGENT: cfg.rate_agent, Role.LEAD: cfg.rate_lead}.get(Role(user.role), cfg.rate_source)
        self.rate = SlidingWindow(limit, cfg.rate_window_s)
        self.bad = SlidingWindow(cfg.bad_frame_limit, cfg.bad_frame_window_s)
        self.resumed = self.is_source
        self.syncing = False
        self.subscribed = False
        self.gone = False
        self.buffer: list[Event] = []
        self.allowed = SOURCE_REQUESTS if self.is_source else AGENT_REQUESTS
        if not self.is_source and cfg.routing == Routing.OFFER:
            self.allowed = AGENT_REQUESTS | OFFER_REQUESTS
        self.slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.in_flight: set[asyncio.Task[None]] = set()

    def send(self, text: str) -> None:
        """Queue a frame for this connection; it is written with the rest of this loop turn's."""
        self.out.send(text)

    def deliver(self, event: Event) -> None:
        """Queue an event, or hold it while a resume is being answered."""
        if self.syncing:
            self.buffer.append(event)
        else:
            self.out.push(event.wire, first=event.offered_to == self.user.id)

    def end_sync(self, head: int) -> None:
        """The resume is answered up to ``head``: queue the events held meanwhile beyond it."""
        for event in self.buffer:
            if event.seq > head:
                self.out.push(event.wire)
        self.buffer.clear()
        self.syncing = False

    async def close(self, code: int, reason: str) -> None:
        """Close after what was queued for it (an error frame, say) is written."""
        self.out.flush()
        await self.ws.close(code, reason)

    async def count_bad(self, now: float) -> None:
        """Count a malformed or rejected frame; too many in the window close it (4008)."""
        if self.bad.hit_exceeds(now):
            log.info("closing a connection of %s: too many bad frames", self.user.id)
            await self.close(CloseCode.TOO_MANY_BAD_FRAMES, "too many bad or rejected frames")

    def close_soon(self, code: int, reason: str) -> None:
        """Start closing without waiting for it."""
        in_background(self.close(code, reason))

    def done(self, task: asyncio.Task[None]) -> None:
        """A source request in flight finished: free its slot."""
        self.in_flight.discard(task)
        self.slots.release()

    def _too_slow(self) -> None:
        log.warning("closing a connection of %s that cannot keep up", self.user.id)
        in_background(self.ws.close(TRY_AGAIN_LATER, "too slow; resume to catch up"))
