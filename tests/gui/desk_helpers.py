"""A DeskApp wired to a fake engine, and helpers to feed it like the engine would."""

from __future__ import annotations

from typing import Any

from agent_desk.client.surface import ConnectionStatus, Link, Session
from agent_desk.ui.app import DeskApp
from tests.gui.factories import FakeEngine, delta, session
from tests.support.handoffs import BASE

WAIT_MS = 5_000


class Desk:
    """The app under test, its fake engine(s) and qtbot."""

    def __init__(self, app: DeskApp, engines: list[FakeEngine], qtbot: Any) -> None:
        self.app = app
        self.engines = engines
        self.qtbot = qtbot

    @property
    def window(self) -> Any:
        return self.app.window

    @property
    def engine(self) -> FakeEngine:
        return self.engines[-1]

    def status(self, status: ConnectionStatus) -> None:
        with self.qtbot.waitSignal(self.app.bridge.statusChanged, timeout=WAIT_MS):
            self.engine.report("on_status", status)

    def session(self, value: Session | None = None) -> None:
        with self.qtbot.waitSignal(self.app.bridge.sessionStarted, timeout=WAIT_MS):
            self.engine.report("on_session", value or session())

    def handoffs(self, *items: dict[str, Any], reset: bool = False, removed: tuple[str, ...] = ()) -> None:
        with self.qtbot.waitSignal(self.app.bridge.handoffsChanged, timeout=WAIT_MS):
            self.engine.report("on_handoffs", delta(items, removed=removed, reset=reset))

    def online(self, pending: int = 0) -> None:
        self.status(ConnectionStatus(Link.ONLINE, pending=pending))


def make_desk(qtbot: Any, settings: Any, clock_offset: float = 200.0) -> Desk:
    engines: list[FakeEngine] = []

    def factory(hub: str, user: str, token: Any, listener: Any, ca_file: Any, cache_dir: Any) -> FakeEngine:
        engine = FakeEngine(listener)
        engines.append(engine)
        return engine

    app = DeskApp(settings=settings, engine_factory=factory, clock=lambda: BASE.timestamp() + clock_offset)
    qtbot.addWidget(app.window)
    return Desk(app, engines, qtbot)
