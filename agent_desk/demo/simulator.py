"""A simulator of bot conversations streaming into the hub through ``/v1/source``.

Conversations start at a configurable rate and unfold turn by turn with human-like pauses;
every turn is an ``observe``, so the hub's triage decides live which ones reach a person.
Customers whose conversation was handed over keep writing for a while; the rest ``end``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agent_desk.demo.scenarios import Conversation, make_conversation
from agent_desk.protocol.codes import MAX_FRAME_BYTES, RETRYABLE_CODES
from agent_desk.protocol.timefmt import format_time

log = logging.getLogger(__name__)


class SourceError(Exception):
    """The hub refused a source request finally."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(f"{result.get('code')}: {result.get('message')}")
        self.result = result


class SourceClient:
    """One ``/v1/source`` connection shared by many conversations; retries what may pass later."""

    def __init__(self, hub_url: str, token: str, ssl_context: ssl.SSLContext | None = None) -> None:
        self.url = hub_url.rstrip("/") + "/v1/source"
        self._token = token
        self._ssl = ssl_context
        self._ws: ClientConnection | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> ClientConnection:
        async with self._lock:
            if self._ws is not None and self._reader is not None and not self._reader.done():
                return self._ws
            kwargs: dict[str, Any] = {"ssl": self._ssl} if self.url.startswith("wss") else {}
            self._ws = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self._token}"},
                max_size=MAX_FRAME_BYTES,
                **kwargs,
            )
            hello = json.loads(await self._ws.recv())
            log.debug("simulator connected as %s", hello.get("user", {}).get("id"))
            self._reader = asyncio.create_task(self._read(self._ws))
            return self._ws

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                message = json.loads(frame)
                waiter = self._waiting.pop(message.get("id", ""), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)
        except ConnectionClosed:
            pass
        finally:
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("connection to the hub closed"))
            self._waiting.clear()

    async def call(self, type_: str, **fields: Any) -> dict[str, Any]:
        """Send a request with a fresh id (kept across retries); return its ``data``.

        Raises:
            SourceError: a final failure.
        """
        request_id = uuid.uuid4().hex
        frame = json.dumps({"type": type_, "id": request_id, **fields})
        delay = 0.5
        while True:
            try:
                ws = await self._connection()
                waiter = asyncio.get_running_loop().create_future()
                self._waiting[request_id] = waiter
                await ws.send(frame)
                result = await waiter
            except (ConnectionError, ConnectionClosed, OSError, InvalidStatus) as error:
                log.info("simulator: hub not reachable (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            if result.get("ok"):
                return dict(result.get("data") or {})
            if result.get("code") in RETRYABLE_CODES:
                await asyncio.sleep(result.get("retry_after_ms", 500) / 1000)
                continue
            raise SourceError(result)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


@dataclass
class SimulatorStats:
    started: int = 0
    escalated: int = 0
    ended_by_bot: int = 0
    failed: int = 0


def _now() -> str:
    return format_time(datetime.now(UTC))


class Simulator:
    """Streams conversations to the hub at ``rate`` new conversations per second.

    Args:
        client: the source connection.
        rate: new conversations per second.
        pace: seconds between turns of one conversation (scaled randomly 0.5-1.5x); 0 for
            tests and benchmarks.
        seed: makes the sequence of conversations repeatable.
    """

    def __init__(self, client: SourceClient, rate: float = 0.5, pace: float = 2.0, seed: int | None = None) -> None:
        self.client = client
        self.rate = rate
        self.pace = pace
        self.rng = random.Random(seed)
        self.stats = SimulatorStats()
        self._serial = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    async def _pause(self) -> None:
        if self.pace > 0:
            await asyncio.sleep(self.pace * self.rng.uniform(0.5, 1.5))

    async def play(self, conversation: Conversation) -> bool:
        """Play one conversation to its end; returns True when it was handed over."""
        self.stats.started += 1
        conv = {
            "id": conversation.id,
            "started_at": _now(),
            "language": conversation.language,
            "channel": conversation.channel,
        }
        escalated = False
        for index, turn in enumerate(conversation.turns):
            fields: dict[str, Any] = {
                "conversation": conv,
                "message": {"role": turn.role, "text": turn.text, "at": _now()},
            }
            if index == 0:
                fields["customer"] = conversation.customer
            if turn.step:
                fields["attempt"] = {"step": turn.step, "result": turn.result or "unknown", "at": _now()}
            data = await self.client.call("observe", **fields)
            if data.get("escalated"):
                escalated = True
                break
            await self._pause()
        if escalated:
            self.stats.escalated += 1
            for text in conversation.after_handoff:
                await self._pause()
                await self._pause()
                await self.client.call(
                    "observe",
                    conversation=conv,
                    message={"role": "customer", "text": text, "at": _now()},
                )
        else:
            await self.client.call(
                "end",
                conversation_id=conversation.id,
                resolved_by_bot=conversation.scenario.resolved_by_bot,
            )
            self.stats.ended_by_bot += 1
        return escalated

    def next_conversation(self) -> Conversation:
        return make_conversation(self.rng, next(self._serial))

    def _spawn(self) -> None:
        task = asyncio.create_task(self._guarded(self.next_conversation()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, conversation: Conversation) -> None:
        try:
            await self.play(conversation)
        except SourceError as error:
            self.stats.failed += 1
            log.warning("simulated conversation %s refused: %s", conversation.id, error)

    async def run(self, count: int | None = None, burst: int = 0) -> SimulatorStats:
        """Start ``burst`` conversations at once, then one every 1/rate s (``count`` in all)."""
        started = 0
        for _ in range(burst):
            self._spawn()
            started += 1
        while count is None or started < count:
            await asyncio.sleep(self.rng.expovariate(self.rate) if self.rate > 0 else 0)
            self._spawn()
            started += 1
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        return self.stats

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
