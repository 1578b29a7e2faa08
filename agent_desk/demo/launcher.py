"""``agent-desk demo``: an embedded hub, the simulator, and the desktop signed in as a lead
(or as one more agent of the team)."""

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

from agent_desk.demo.floor import AGENTS, EVERY_QUEUE, SOURCE, Floor
from agent_desk.demo.saved_replies import seed_saved_replies
from agent_desk.hub.server import Hub, HubConfig
from agent_desk.protocol.codes import DEFAULT_CAPACITY, DEFAULT_OFFER_TIMEOUT_S, Routing

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class DemoUser:
    """One of the demo hub's users, as ``hub user add`` would create it."""

    id: str
    role: str
    queues: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    capacity: int = DEFAULT_CAPACITY


#: The team lead: who the desktop signs in as unless told otherwise.
DEMO_LEAD = "anna"
#: The agent the desktop signs in as with ``--as agent``: every queue, every language.
DEMO_AGENT = "lena"
#: The shortest an offer stands in the demo (seconds): enough for a person to notice it.
MIN_OFFER_TIMEOUT_S = 5.0

_LEAD = DemoUser(DEMO_LEAD, "lead")
_DESK_AGENT = DemoUser(DEMO_AGENT, "agent", EVERY_QUEUE, (), DEFAULT_CAPACITY)
_SIMULATED = tuple(DemoUser(spec.id, "agent", spec.queues, spec.languages, spec.capacity) for spec in AGENTS)
_SOURCE = DemoUser(SOURCE, "source")
#: The demo's people when the desktop signs in as the lead: the lead, the simulated agents
#: (see ``floor.AGENTS``), and the simulated bot platform.
DEMO_USERS: tuple[DemoUser, ...] = (_LEAD, *_SIMULATED, _SOURCE)


def desk_user(role: str) -> DemoUser:
    """The user the desktop signs in as: ``lead`` (the team lead, who watches the floor) or
    ``agent`` (one more agent, offered cases like the simulated ones).

    Raises:
        ValueError: another role.
    """
    if role == "lead":
        return _LEAD
    if role == "agent":
        return _DESK_AGENT
    raise ValueError(f"the desktop signs in as lead or agent, not {role!r}")


def demo_users(desk: str = "lead") -> tuple[DemoUser, ...]:
    """Everyone on the demo hub when the desktop signs in as ``desk`` (the lead is always there:
    the team's saved replies are hers)."""
    person = desk_user(desk)
    return DEMO_USERS if person == _LEAD else (_LEAD, person, *_SIMULATED, _SOURCE)


def offer_timeout(speed: float) -> float:
    """How long an offer stands on the demo's hub: the hub's default, at the demo's speed, but
    never less than :data:`MIN_OFFER_TIMEOUT_S`."""
    return max(DEFAULT_OFFER_TIMEOUT_S / speed, MIN_OFFER_TIMEOUT_S)


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


def issue_tokens(embedded: EmbeddedHub, people: tuple[DemoUser, ...] = DEMO_USERS) -> dict[str, str]:
    """Create the demo users (fresh tokens each run, also on a kept data folder, where a desk
    agent of an earlier run is revoked unless it is one of ``people``)."""
    assert embedded.hub is not None
    store = embedded.hub.store
    tokens = {}
    embedded.call(store.revoke_user, DEMO_AGENT)
    for user in people:
        embedded.call(store.revoke_user, user.id)
        tokens[user.id] = embedded.call(store.add_user, user.id, user.role, user.queues, user.languages, user.capacity)
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
    routing: str = Routing.OFFER.value,
    desk: str = "lead",
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
        routing: ``offer`` (the hub offers each waiting handoff to one agent at a time, for
            :func:`offer_timeout` seconds) or ``pull`` (agents pick from their queues).
        desk: who the desktop signs in as (see :func:`desk_user`); its token is issued too.

    Returns:
        The hub, its URL, the users' tokens, the floor's running future and the floor (stop it
        with ``Floor.stop`` on the hub's loop before closing the hub).
    """
    data_dir = data or Path(tempfile.mkdtemp(prefix="agent-desk-demo-"))
    config = HubConfig(
        data_dir=data_dir,
        host="127.0.0.1",
        port=port,
        routing=Routing(routing).value,
        offer_timeout_s=offer_timeout(speed),
    )
    people = demo_users(desk)
    embedded = EmbeddedHub(config)
    url = embedded.start()
    tokens = issue_tokens(embedded, people)
    embedded.submit(seed_saved_replies(url, tokens[DEMO_LEAD])).result(timeout=30)
    floor = Floor(url, tokens, rate=rate, pace=pace, speed=speed, agents=AGENTS if agents else (), seed=seed)
    running = embedded.submit(floor.run(warm_up=warm_up))
    log.info("demo hub on %s, routing by %s (data in %s)", url, config.routing, data_dir)
    return embedded, url, tokens, running, floor


def stop_demo_backend(embedded: EmbeddedHub, running: Future[Any], floor: Floor) -> None:
    """Stop the floor, then the hub and its thread."""
    running.cancel()
    try:
        embedded.submit(floor.stop()).result(timeout=30)
    finally:
        embedded.close()


def run_demo(
    data: Path | None,
    rate: float,
    port: int = 0,
    desktop: bool = True,
    speed: float = 1.0,
    agents: bool = True,
    routing: str = Routing.OFFER.value,
    desk: str = "lead",
) -> int:
    """Run the demo until the window closes (or Ctrl+C without a desktop); the desktop signs in
    as ``desk`` (see :func:`desk_user`)."""
    person = desk_user(desk)
    embedded, url, tokens, running, floor = start_demo_backend(
        data, rate, port, speed=speed, agents=agents, routing=routing, desk=desk
    )
    try:
        if desktop:
            from agent_desk.ui.app import run_demo_desktop

            return run_demo_desktop(url, person.id, tokens[person.id])
        print(f"demo hub on {url}, routing by {routing}; press Ctrl+C to stop", flush=True)
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
