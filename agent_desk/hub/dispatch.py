"""From a frame to its result: check it, submit its storage work, fan out its events, reply.

Storage work is submitted the moment a frame is read, so it runs in arrival order; the storage
thread settles it in that order and fan-out happens without awaiting, so events leave the hub
in ``seq`` order and a request's own events reach the requester before its result.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from agent_desk.hub.audience import Audience
from agent_desk.hub.connection import Conn
from agent_desk.hub.events import Event
from agent_desk.hub.service import HubService
from agent_desk.hub.store import Outcome, StoreUnavailable
from agent_desk.hub.worker import StorageWorker
from agent_desk.protocol.codes import BAD_FRAME_CODES, Code
from agent_desk.protocol.frames import Envelope, Malformed, RequestError, parse_request, read_envelope
from agent_desk.protocol.messages import Resume, Subscribe, encode, error_frame, result_error

log = logging.getLogger(__name__)


def unavailable(request_id: str, error: Exception) -> dict[str, Any]:
    """The result of a request that storage could not serve; nothing changed, retry later."""
    return result_error(
        request_id, Code.UNAVAILABLE, f"storage unavailable, nothing changed: {error}", retry_after_ms=1000
    )


class Dispatcher:
    """Handles every frame a connection sends after ``hello``.

    Args:
        storage: the running storage thread.
        resume: answers a ``resume`` request.
        subscribe: answers a source's ``subscribe`` request.
        closing: whether the hub is shutting down (new work is refused as ``unavailable``).
    """

    def __init__(
        self,
        service: HubService,
        storage: Callable[[], StorageWorker],
        audience: Audience,
        resume: Callable[[Conn, Resume], Awaitable[None]],
        subscribe: Callable[[Conn, Subscribe], Awaitable[None]],
        closing: Callable[[], bool],
    ) -> None:
        self.service = service
        self.storage = storage
        self.audience = audience
        self.resume = resume
        self.subscribe = subscribe
        self.closing = closing

    async def on_frame(self, conn: Conn, frame: str | bytes) -> None:
        """Handle one frame of a desktop connection, to its result."""
        pending = self._begin(conn, frame)
        if pending is not None:
            await pending

    async def pipeline(self, conn: Conn, frame: str | bytes) -> None:
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

    def _begin(self, conn: Conn, frame: str | bytes) -> Coroutine[Any, Any, None] | None:
        """Check a frame and submit its storage work at once (so work keeps arrival order).

        Returns what is left to do (await the work, fan out, reply), or None when done.
        """
        now = time.monotonic()
        envelope = read_envelope(frame)
        if isinstance(envelope, Malformed):
            conn.send(encode(error_frame(Code.MALFORMED, envelope.message)))
            return conn.count_bad(now)
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
            if isinstance(request, Resume):
                return self._resume(conn, request)
            if self.closing():
                raise StoreUnavailable("the hub is shutting down")
            if isinstance(request, Subscribe):
                return self._subscribe(conn, request)
            worker = self.storage()
            work = self.service.work_for(conn.user, request, envelope.body)
            future: asyncio.Future[Outcome] | asyncio.Future[dict[str, Any]]
            if work is not None:
                future = worker.write(work)
            else:
                future = worker.call(self.service.read_request, conn.user, request)
        except RequestError as error:
            return self._finish(conn, envelope, now, result_error(envelope.id, error.code, error.message, error.data))
        except StoreUnavailable as error:
            return self._finish(conn, envelope, now, unavailable(envelope.id, error))
        return self._finish(conn, envelope, now, future)

    async def _resume(self, conn: Conn, request: Resume) -> None:
        await self.resume(conn, request)

    async def _subscribe(self, conn: Conn, request: Subscribe) -> None:
        await self.subscribe(conn, request)

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
                result = unavailable(envelope.id, error)
            except Exception:
                log.exception("internal error handling %s", envelope.type)
                result = result_error(envelope.id, Code.INTERNAL, "internal error; nothing was changed")
        self.audience.deliver(events)
        conn.send(encode(result))
        if not result["ok"] and result["code"] in BAD_FRAME_CODES:
            await conn.count_bad(now)
