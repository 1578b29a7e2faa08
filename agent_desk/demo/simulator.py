"""A simulator of bot conversations streaming into the hub through ``/v1/source``.

Conversations start at a configurable rate and unfold turn by turn with human-like pauses;
every turn is an ``observe``, so the hub's triage decides live which ones reach a person.
Customers whose conversation was handed over wait for a person and answer what they are told
(:mod:`~agent_desk.demo.live_customer`); the rest ``end``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from dataclasses import dataclass
from typing import Any

from agent_desk.demo.bot_platform import BotPlatform
from agent_desk.demo.customers import CUSTOMERS
from agent_desk.demo.link import HubRefused, LinkClosed, SourceClient
from agent_desk.demo.live_customer import LiveCustomer
from agent_desk.demo.live_customer import now as _now
from agent_desk.demo.scenarios import Conversation, make_conversation

log = logging.getLogger(__name__)

#: A final refusal of a source request (see ``link.HubRefused``).
SourceError = HubRefused
__all__ = ["Simulator", "SimulatorStats", "SourceClient", "SourceError"]


@dataclass
class SimulatorStats:
    started: int = 0
    escalated: int = 0
    ended_by_bot: int = 0
    failed: int = 0


class Simulator:
    """Streams conversations to the hub at ``rate`` new conversations per second.

    Args:
        client: the source connection.
        rate: new conversations per second.
        pace: seconds between turns of one conversation (scaled randomly 0.5-1.5x); 0 for
            tests and benchmarks.
        seed: makes the sequence of conversations repeatable.
        platform: relays what people write to the customers, who answer; without it (or when
            the hub relays nothing) handed-over customers only write while they wait.
    """

    def __init__(
        self,
        client: SourceClient,
        rate: float = 0.5,
        pace: float = 2.0,
        seed: int | None = None,
        platform: BotPlatform | None = None,
    ) -> None:
        self.client = client
        self.platform = platform
        self.rate = rate
        self.pace = pace
        self.rng = random.Random(seed)
        self.stats = SimulatorStats()
        #: The conversations handed over whose customer is still there, by id.
        self.handed_over: dict[str, Conversation] = {}
        #: Customers in a conversation now (id -> how many), left out of the next ones.
        self.talking: dict[str, int] = {}
        self._reserved: dict[str, str] = {}  # conversation id -> its customer, from pick to end
        self._serial = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    async def _pause(self) -> None:
        if self.pace > 0:
            await asyncio.sleep(self.pace * self.rng.uniform(0.5, 1.5))

    async def play(self, conversation: Conversation) -> bool:
        """Play one conversation to its end; returns True when it was handed over."""
        self.stats.started += 1
        who = str(conversation.customer.get("id", ""))
        if conversation.id not in self._reserved:
            self._reserve(conversation.id, who)
        try:
            return await self._play(conversation)
        finally:
            self._release(conversation.id)

    def _reserve(self, conversation_id: str, who: str) -> None:
        self._reserved[conversation_id] = who
        self.talking[who] = self.talking.get(who, 0) + 1

    def _release(self, conversation_id: str) -> None:
        who = self._reserved.pop(conversation_id, None)
        if who is not None:
            self.talking[who] -= 1
            if not self.talking[who]:
                del self.talking[who]

    async def _play(self, conversation: Conversation) -> bool:
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
            await self._after_handoff(conversation, conv)
        else:
            await self.client.call(
                "end",
                conversation_id=conversation.id,
                resolved_by_bot=conversation.scenario.resolved_by_bot,
            )
            self.stats.ended_by_bot += 1
        return escalated

    async def _after_handoff(self, conversation: Conversation, conv: dict[str, Any]) -> None:
        platform = self.platform if self.platform is not None and self.platform.subscribed else None
        mailbox = platform.mailbox(conversation.id) if platform is not None else None
        customer = LiveCustomer(self.client, conversation, conv, self.pace, self.rng, mailbox)
        self.handed_over[conversation.id] = conversation
        try:
            await customer.run()
        finally:
            del self.handed_over[conversation.id]
            if platform is not None:
                platform.forget(conversation.id)

    def discard(self, conversation: Conversation) -> None:
        """Give up a conversation from :meth:`next_conversation` without playing it."""
        self._release(conversation.id)

    def next_conversation(self) -> Conversation:
        conversation = make_conversation(self.rng, next(self._serial), self.talking)
        self._reserve(conversation.id, str(conversation.customer.get("id", "")))
        return conversation

    def _spawn(self) -> None:
        if len(self.talking) >= len(CUSTOMERS):
            return  # everyone is in a conversation already: nobody opens a second one
        task = asyncio.create_task(self._guarded(self.next_conversation()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, conversation: Conversation) -> None:
        try:
            await self.play(conversation)
        except HubRefused as error:
            self.stats.failed += 1
            log.warning("simulated conversation %s refused: %s", conversation.id, error)
        except LinkClosed:
            pass  # the demo is shutting down

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
