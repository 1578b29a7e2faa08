"""Fixtures for the engine's tests; import them into a test module to use them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from agent_desk.client.engine import Engine
from agent_desk.client.tokens import TokenStore
from tests.client_support.listener import RecordingListener
from tests.client_support.proxy import Proxy
from tests.support.peers import Peer, escalate_body

OUTCOME = {"resolution": "resolved", "csat": 5, "escalation_feedback": "appropriate"}

EngineMaker = Callable[..., Awaitable[tuple[Engine, RecordingListener]]]


@pytest.fixture
async def engine_factory(tmp_path: Path) -> AsyncIterator[EngineMaker]:
    """Start engines (each on its own thread) with caches under tmp_path; stops them after."""
    started: list[Engine] = []

    async def make(
        url: str,
        user: str,
        token: str | TokenStore,
        cache_dir: Path | None = None,
        after: Engine | None = None,
        **kwargs: Any,
    ) -> tuple[Engine, RecordingListener]:
        listener = RecordingListener(asyncio.get_running_loop())
        engine = Engine(url, user, token, listener, cache_dir=cache_dir or tmp_path / "client", **kwargs)
        engine.start(after)
        started.append(engine)
        return engine, listener

    yield make
    for engine in started:
        await asyncio.to_thread(engine.stop)


@pytest.fixture
async def proxy_factory() -> AsyncIterator[Callable[[int], Awaitable[Proxy]]]:
    made: list[Proxy] = []

    async def make(port: int) -> Proxy:
        proxy = await Proxy(port).start()
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        await proxy.close()


def add_standard_users(running: Any) -> None:
    """The users of tests/conftest.py's ``hub`` fixture, for hubs made with ``hub_factory``."""
    running.add_user("lea", "lead")
    running.add_user("ana", "agent", ("billing", "vip"))
    running.add_user("ben", "agent", ("billing",))
    running.add_user("tom", "agent", ("technical",))
    running.add_user("bot", "source")


async def escalate(bot: Peer, queue: str = "billing", priority: int = 2, **extra: Any) -> str:
    """Escalate one conversation; returns the new handoff's id."""
    result = await bot.call("escalate", **escalate_body(**{"queue": queue, "priority": priority, **extra}))
    assert result["ok"], result
    return str(result["data"]["handoff_id"])


async def call_engine(engine: Engine, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the engine thread without blocking this (hub-serving) loop."""
    return await asyncio.to_thread(engine.call, fn)


async def held(engine: Engine) -> dict[str, Any]:
    """The engine's cache: handoff id -> handoff."""
    return {str(h["id"]): h for h in await asyncio.to_thread(engine.snapshot)}


async def hub_view(running: Any, user: str) -> dict[str, dict[str, Any]]:
    """What a fresh connection of ``user`` gets in its snapshot: handoff id -> handoff."""
    peer = await running.peer(user)
    try:
        out: dict[str, dict[str, Any]] = {}
        for frame in peer.sync["frames"]:
            if frame["type"] == "snapshot":
                out.update({h["id"]: h for h in frame["handoffs"]})
        return out
    finally:
        await peer.close()


async def processed(engine: Engine) -> None:
    """Wait until the engine thread has handled every command given before this call."""
    await asyncio.to_thread(engine.call, lambda: None)
