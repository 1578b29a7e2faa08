"""``agent-desk demo``: an embedded hub, the simulator, and the desktop signed in as a lead."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

from agent_desk.demo.floor import AGENTS, SOURCE, Floor
from agent_desk.demo.saved_replies import seed_saved_replies
from agent_desk.hub.server import Hub, HubConfig

log = logging.getLogger(__name__)
T = TypeVar("T")

DEMO_LEAD = "anna"
#: The demo's people: (id, role, queues, languages). The desktop signs in as the lead; the
#: agents are simulated (see ``floor.AGENTS``), and the source is the simulated bot platform.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (DEMO_LEAD, "lead", (), ()),
    *((spec.id, "agent", spec.queues, spec.languages) for spec in AGENTS),
    (SOURCE, "source", (), ()),
)


class EmbeddedHub:
    """A hub on its own asyncio loop in a background thread, for callers that are not async
    (the demo's desktop, GUI tests). It can be stopped and started again on the same port.

    Attributes:
        config: what the hub is started with (its port is the one it got once started).
        hub: the running hub, or None while stopped.
    """

    def __init__(self, config: HubConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.hub: Hub | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, name="embedded-hub", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://{self.config.host}:{self.config.port}"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the hub's loop and wait for its result."""
        return self.submit(coro).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Run a coroutine on the hub's loop; returns its future at once."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def start(self) -> str:
        """Start the hub; returns its base URL. Raises what the hub raised while starting."""

        async def start() -> int:
            hub = Hub(self.config)
            port = await hub.start()
            self.hub = hub
            return port

        self.config = dataclasses.replace(self.config, port=self.run(start()))
        return self.url

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store function on the hub's storage thread and wait for it."""
        hub = self.hub
        assert hub is not None, "the hub is not running"
        return self.run(hub.run_storage(fn, *args))

    def stop(self) -> None:
        """Stop the hub (its loop keeps running, so it can start again)."""
        hub, self.hub = self.hub, None
        if hub is not None:
            self.run(hub.stop())

    def close(self) -> None:
        """Stop the hub and its loop and thread."""
        try:
            self.stop()
            self.run(self.loop.shutdown_default_executor())  # its name lookups' threads
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            if not self._thread.is_alive():
                self.loop.close()


def issue_tokens(embedded: EmbeddedHub) -> dict[str, str]:
    """Create the demo users (fresh tokens each run, also on a kept data folder)."""
    assert embedded.hub is not None
    store = embedded.hub.store
    tokens = {}
    for user_id, role, queues, languages in DEMO_USERS:
        embedded.call(store.revoke_user, user_id)
        tokens[user_id] = embedded.call(store.add_user, user_id, role, queues, languages)
    return tokens


def start_demo_backend(
    data: Path | None,
    rate: float,
    port: int = 0,
    pace: float = 2.5,
    warm_up: int = 12,
    *,
    speed: float = 1.0,
    agents: bool = True,
    seed: int | None = None,
) -> tuple[EmbeddedHub, str, dict[str, str], Future[Any], Floor]:
    """Start the embedded hub and the floor on the hub's loop.

    Args:
        data: the hub's data folder (None: a temporary one).
        rate: new conversations per second at speed 1.
        port: the hub's port (0: any free one).
        pace: seconds between a conversation's turns at speed 1.
        warm_up: conversations started at once, so the floor is not empty at first.
        speed: how many times faster than real life the floor lives.
        agents: whether simulated agents work the floor.
        seed: makes conversations and agents' choices repeatable.

    Returns:
        The hub, its URL, the users' tokens, the floor's running future and the floor (stop it
        with ``Floor.stop`` on the hub's loop before closing the hub).
    """
    data_dir = data or Path(tempfile.mkdtemp(prefix="agent-desk-demo-"))
    embedded = EmbeddedHub(HubConfig(data_dir=data_dir, host="127.0.0.1", port=port))
    url = embedded.start()
    tokens = issue_tokens(embedded)
    embedded.submit(seed_saved_replies(url, tokens[DEMO_LEAD])).result(timeout=30)
    floor = Floor(url, tokens, rate=rate, pace=pace, speed=speed, agents=AGENTS if agents else (), seed=seed)
    running = embedded.submit(floor.run(warm_up=warm_up))
    log.info("demo hub on %s (data in %s)", url, data_dir)
    return embedded, url, tokens, running, floor


def stop_demo_backend(embedded: EmbeddedHub, running: Future[Any], floor: Floor) -> None:
    """Stop the floor, then the hub and its thread."""
    running.cancel()
    try:
        embedded.submit(floor.stop()).result(timeout=30)
    finally:
        embedded.close()


def run_demo(
    data: Path | None, rate: float, port: int = 0, desktop: bool = True, speed: float = 1.0, agents: bool = True
) -> int:
    """Run the demo until the window closes (or Ctrl+C without a desktop)."""
    embedded, url, tokens, running, floor = start_demo_backend(data, rate, port, speed=speed, agents=agents)
    try:
        if desktop:
            from agent_desk.ui.app import run_demo_desktop

            return run_demo_desktop(url, DEMO_LEAD, tokens[DEMO_LEAD])
        print(f"demo hub on {url}; lead token: (in memory); press Ctrl+C to stop", flush=True)
        try:
            while not running.done():  # wake up now and then, so Ctrl+C is seen at once
                with contextlib.suppress(FutureTimeout):
                    running.result(timeout=0.5)
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        stop_demo_backend(embedded, running, floor)
        if data is None:  # a folder of our own making: nothing in it is worth keeping
            shutil.rmtree(embedded.config.data_dir, ignore_errors=True)
