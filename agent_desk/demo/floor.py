"""The demo's floor: the bot platform, its customers, and the colleagues of the person at the desk.

A :class:`Floor` runs, on the embedded hub's event loop, everything that makes the demo alive:
the simulator of bot conversations and the bot platform that relays agents' replies to the
customers (one ``/v1/source`` connection), and the simulated agents (one ``/v1/agent``
connection each), who pick from the queue or, on a hub that routes by offers, take the cases
it offers them. One speed factor paces them all; :meth:`Floor.stop` ends them at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from agent_desk.demo.agents import AgentSpec, SimulatedAgent
from agent_desk.demo.bot_platform import BotPlatform
from agent_desk.demo.floor_view import FloorView
from agent_desk.demo.link import HubRefused, LinkClosed, SourceClient
from agent_desk.demo.simulator import Simulator

log = logging.getLogger(__name__)

EVERY_QUEUE = ("billing", "orders", "technical", "general", "retention", "compliance", "vip")
#: The simulated agents. Between them they cover every queue in every language; under routing
#: by offers the hub holds each to its capacity.
AGENTS: tuple[AgentSpec, ...] = (
    AgentSpec("ben", "Ben", ("billing", "orders"), ("en", "de"), arrives_after_s=0, capacity=3),
    AgentSpec("chloe", "Chloé", ("technical", "general", "retention"), ("en", "fr"), arrives_after_s=4, capacity=3),
    AgentSpec("dev", "Dev", ("vip", "retention", "compliance", "billing"), ("en",), arrives_after_s=8, capacity=2),
    AgentSpec("ines", "Inês", ("billing", "orders", "general", "retention"), ("en", "es", "pt", "it"), 12, capacity=4),
    AgentSpec(
        "marek", "Marek", ("technical", "orders", "general", "compliance"), ("en", "de", "nl", "it"), 18, capacity=3
    ),
    AgentSpec("sofia", "Sofia", EVERY_QUEUE, (), arrives_after_s=25, capacity=4),
)
#: The bot platform's user.
SOURCE = "demo-bot"


class Floor:
    """Conversations, the bot platform and the simulated agents, on one hub.

    Args:
        hub_url: the hub's base address.
        tokens: user id -> token, for ``SOURCE`` and every agent in ``agents``.
        rate: new conversations per second at speed 1.
        pace: seconds between a conversation's turns at speed 1 (0: no pauses).
        speed: how many times faster than real life everything happens.
        agents: who works the floor (empty: nobody but the person at the desk).
        low, high: the waiting queue the agents keep to.
        seed: makes conversations and agents' choices repeatable.
    """

    def __init__(
        self,
        hub_url: str,
        tokens: Mapping[str, str],
        *,
        rate: float = 0.5,
        pace: float = 2.5,
        speed: float = 1.0,
        agents: Sequence[AgentSpec] = AGENTS,
        low: int = 5,
        high: int = 40,
        seed: int | None = None,
    ) -> None:
        self.view = FloorView(low, high, speed)
        self.client = SourceClient(hub_url, tokens[SOURCE])
        self.platform = BotPlatform(self.client)
        self.simulator = Simulator(self.client, rate=rate * speed, pace=pace / speed, seed=seed, platform=self.platform)
        self.agents = [
            SimulatedAgent(spec, hub_url, tokens[spec.id], self.view, speed, None if seed is None else seed * 31 + i)
            for i, spec in enumerate(agents)
        ]
        self._tasks: list[asyncio.Task[Any]] = []

    async def run(self, warm_up: int = 12, count: int | None = None) -> None:
        """Run until cancelled (or until ``count`` conversations have played out)."""
        subscribed = await self.platform.start()
        log.info("demo floor: %d agents; customers hear agents: %s", len(self.agents), subscribed)
        self._tasks = [asyncio.create_task(self._work(agent), name=f"agent {agent.spec.id}") for agent in self.agents]
        self._tasks.append(asyncio.create_task(self.simulator.run(count=count, burst=warm_up), name="conversations"))
        try:
            await asyncio.gather(*self._tasks)
        finally:
            for task in self._tasks:
                task.cancel()

    @staticmethod
    async def _work(agent: SimulatedAgent) -> None:
        try:
            await agent.run()
        except HubRefused as refused:  # its user revoked, say: the others carry on
            log.warning("simulated agent %s left the floor: %s", agent.spec.id, refused)
        except LinkClosed:
            pass

    async def stop(self) -> None:
        """Stop everything and close every connection; quick, and safe to call twice."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.simulator.stop()
        await self.platform.stop()
        await asyncio.gather(*(agent.stop() for agent in self.agents), self.client.close(), return_exceptions=True)
