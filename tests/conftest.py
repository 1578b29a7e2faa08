"""Shared fixtures: a real hub on 127.0.0.1 with users, in this test's event loop."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from agent_desk.hub import db
from agent_desk.hub.server import Hub, HubConfig
from agent_desk.hub.store import Store
from tests.support.peers import Peer


@dataclass
class RunningHub:
    hub: Hub
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.hub.port}"

    def add_user(self, name: str, role: str, queues: tuple[str, ...] = (), languages: tuple[str, ...] = ()) -> str:
        """Add a user the way `hub user add` does: through a connection of its own."""
        admin = Store(db.open_engine(self.data_dir))
        try:
            token = admin.add_user(name, role, queues, languages)
        finally:
            admin.close()
        self.tokens[name] = token
        return token

    async def peer(self, name: str, **kwargs: Any) -> Peer:
        path = "/v1/source" if name.startswith("bot") else "/v1/agent"
        return await Peer.open(self.url, self.tokens[name], path, **kwargs)


async def start_hub(data_dir: Path, **overrides: Any) -> RunningHub:
    config = HubConfig(data_dir=data_dir, port=0, **overrides)
    hub = Hub(config)
    await hub.start()
    return RunningHub(hub, data_dir)


@pytest.fixture
async def hub_factory(tmp_path: Path) -> AsyncIterator[Any]:
    started: list[RunningHub] = []

    async def make(**overrides: Any) -> RunningHub:
        running = await start_hub(tmp_path / f"hub{len(started)}", **overrides)
        started.append(running)
        return running

    yield make
    for running in started:
        await running.hub.stop()


@pytest.fixture
async def hub(hub_factory: Any) -> RunningHub:
    """A hub with a lead, two billing agents, a technical agent and a bot source."""
    running: RunningHub = await hub_factory()
    running.add_user("lea", "lead")
    running.add_user("ana", "agent", ("billing", "vip"))
    running.add_user("ben", "agent", ("billing",))
    running.add_user("tom", "agent", ("technical",))
    running.add_user("bot", "source")
    return running


# -- an ERROR in the log fails the test --------------------------------------------------------


class _ErrorRecords(logging.Handler):
    """Keeps the records at ERROR or above that are logged while a test runs, on any thread."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Fail a test that logged at ERROR, unless it is marked ``logs_errors`` (it provokes them).

    Something the product logs as an error is either a bug the test just found or a fault the
    test set up on purpose; the mark says which.
    """
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        result = yield  # a test that failed already raises here, and keeps its own failure
    finally:
        root.removeHandler(handler)
    if handler.records and item.get_closest_marker("logs_errors") is None:
        logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in handler.records[:5])
        pytest.fail(f"logged at ERROR (mark the test logs_errors if it provokes this on purpose):\n{logged}")
    return result
