"""GUI test fixtures: isolated settings, the bridge with a fake engine, and a real hub that runs
on its own event loop in a background thread (pytest-qt tests are synchronous)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QSettings

from agent_desk.client.surface import Link
from agent_desk.demo.launcher import EmbeddedHub
from agent_desk.hub.server import HubConfig
from agent_desk.ui.app import DeskApp
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.icons import Icons
from agent_desk.ui.settings import DeskSettings
from agent_desk.ui.theme import ThemeManager
from tests.gui.factories import FakeEngine
from tests.support.peers import Peer, escalate_body

T = TypeVar("T")
WAIT_MS = 15_000


class ThreadedHub(EmbeddedHub):
    """The demo's embedded hub with what GUI tests ask of it: users, and a bot that escalates.

    Attributes:
        tokens: user -> token.
    """

    def __init__(self, data_dir: Path) -> None:
        super().__init__(HubConfig(data_dir=data_dir, port=0, ping_interval_s=None, ping_timeout_s=None))
        self.tokens: dict[str, str] = {}
        self._bot: Peer | None = None

    @property
    def port(self) -> int:
        return self.config.port

    def stop(self) -> None:
        bot, self._bot = self._bot, None
        if bot is not None:
            self.run(bot.close())
        super().stop()

    def add_user(self, name: str, role: str, queues: tuple[str, ...] = ()) -> str:
        assert self.hub is not None
        token = self.call(self.hub.store.add_user, name, role, queues, ())
        self.tokens[name] = token
        return token

    def escalate(self, **overrides: Any) -> dict[str, Any]:
        """Hand a conversation over from the bot; returns the result's data."""

        async def call() -> dict[str, Any]:
            if self._bot is None:
                self._bot = await Peer.open(self.url, self.tokens["bot"], "/v1/source")
            result = await self._bot.call("escalate", **escalate_body(**overrides))
            assert result["ok"], result
            return result["data"]

        return self.run(call())


@pytest.fixture
def live_hub(tmp_path: Path) -> Iterator[ThreadedHub]:
    """A running hub with a lead (lea), a billing agent (ana) and a bot source."""
    running = ThreadedHub(tmp_path / "hub")
    running.start()
    running.add_user("lea", "lead")
    running.add_user("ana", "agent", ("billing", "vip"))
    running.add_user("bot", "source")
    yield running
    running.close()


@pytest.fixture
def desk_for(qtbot: Any, settings: DeskSettings, tmp_path: Path) -> Iterator[Callable[[ThreadedHub, str], DeskApp]]:
    """Open real desktops (real engine, own cache each) signed in to a hub, once online; shut
    down after the test."""
    made: list[DeskApp] = []

    def start(hub: ThreadedHub, user: str) -> DeskApp:
        app = DeskApp(settings=settings, cache_dir=str(tmp_path / f"cache-{user}"))
        qtbot.addWidget(app.window)
        app.start_direct(hub.url, user, hub.tokens[user])
        made.append(app)
        qtbot.waitExposed(app.window)
        qtbot.waitUntil(
            lambda: (
                app.window.session is not None
                and app.bridge.status is not None
                and app.bridge.status.link == Link.ONLINE
            ),
            timeout=WAIT_MS,
        )
        return app

    yield start
    for app in made:
        app.shutdown()


@pytest.fixture
def settings(tmp_path: Path) -> DeskSettings:
    return DeskSettings(QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def themes(qapp: Any) -> ThemeManager:
    return ThemeManager("light")


@pytest.fixture
def icons(themes: ThemeManager) -> Icons:
    return Icons(themes)


@pytest.fixture
def bridge(qapp: Any) -> Iterator[Bridge]:
    made = Bridge()
    yield made
    made.shutdown()
    made.deleteLater()


@pytest.fixture
def fake_engine(bridge: Bridge) -> FakeEngine:
    engine = FakeEngine(bridge)
    bridge.attach(engine)
    return engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform plugin warns whenever a top-level window gets size constraints
    (any window with a layout), is raised, or a popup grabs the keyboard or mouse: limits of
    that plugin, not of the desktop. Only those messages are let through; any other Qt warning
    still fails the test (qt_log_level_fail = WARNING)."""
    marker = pytest.mark.qt_log_ignore(
        r"This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the (keyboard|mouse))"
    )
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(marker)
