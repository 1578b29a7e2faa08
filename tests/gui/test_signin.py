"""Sign-in: from the dialog or the command line, with plain words when it cannot work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from agent_desk.client.surface import ConnectionStatus, Link, TokenNotice, Why
from agent_desk.client.tokens import TokenStore
from agent_desk.ui.app import DeskApp, NewTokenStore
from agent_desk.ui.signin.dialog import check_hub_url
from tests.gui.conftest import ThreadedHub
from tests.gui.desk_helpers import WAIT_MS, make_desk
from tests.gui.factories import session

HUB_WAIT_MS = 20_000


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No OS keyring, as on a desktop without one (keyring's own "no backend" backend)."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def real_desk(qtbot: Any, settings: Any, tmp_path: Path) -> Iterator[DeskApp]:
    """The desktop with the real engine (hub and user are given by each test)."""
    app = DeskApp(settings=settings, cache_dir=str(tmp_path / "cache"))
    qtbot.addWidget(app.window)
    yield app
    app.shutdown()


def link_is(app: DeskApp, link: Link) -> bool:
    return app.bridge.status is not None and app.bridge.status.link == link


def fill(dialog: Any, hub: str, user: str, token: str) -> None:
    dialog.hub.setText(hub)
    dialog.user.setText(user)
    dialog.token.setText(token)


def test_hub_address_is_checked_before_connecting() -> None:
    assert check_hub_url("wss://desk.example.com:8765") is None
    assert check_hub_url("ws://127.0.0.1:1") is None
    assert "ws://" in check_hub_url("http://desk.example.com")
    assert "port" in check_hub_url("ws://host:99999")


def test_bad_token_is_said_in_words_and_the_person_can_retry(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    dialog = desk.app.show_sign_in()
    qtbot.addWidget(dialog)
    fill(dialog, "ws://127.0.0.1:1", "ana", "wrong")
    dialog.sign_in_button.click()
    assert not dialog.sign_in_button.isEnabled()  # connecting
    reason = "The hub did not accept your sign-in (unknown or revoked token); sign in again."
    desk.status(ConnectionStatus(Link.OFFLINE, why=Why.SIGN_IN_REFUSED, final=True))
    assert dialog.message.text() == reason and dialog.message.objectName() == "DialogError"
    assert dialog.sign_in_button.isEnabled() and not desk.window.isVisible()


@pytest.mark.parametrize(
    ("why", "detail", "reason"),
    [
        (Why.REFUSED, None, "The hub at wss://desk.example.com:8765 cannot be reached (connection refused)."),
        (
            Why.CERTIFICATE,
            "self-signed certificate",
            "The hub's certificate could not be verified: self-signed certificate.",
        ),
    ],
)
def test_unreachable_hub_or_tls_failure_offers_to_work_offline(
    qtbot: Any, settings: Any, why: Why, detail: str | None, reason: str
) -> None:
    desk = make_desk(qtbot, settings)
    dialog = desk.app.show_sign_in()
    qtbot.addWidget(dialog)
    fill(dialog, "wss://desk.example.com:8765", "ana", "t")
    dialog.on_sign_in()
    desk.status(ConnectionStatus(Link.RECONNECTING, retry_in_s=1.5, why=why, detail=detail))
    assert reason in dialog.message.text() and "Trying again in 2 s" in dialog.message.text()
    assert dialog.offline_button.isVisible()
    dialog.offline_button.click()
    assert desk.window.isVisible() and desk.app.dialog is None


def test_a_session_closes_the_dialog_and_remembers_hub_and_user(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    dialog = desk.app.show_sign_in()
    qtbot.addWidget(dialog)
    fill(dialog, "ws://127.0.0.1:1", "ana", "secret")
    dialog.on_sign_in()
    desk.session(session())
    assert desk.app.dialog is None and desk.window.isVisible()
    assert (settings.last_hub, settings.last_user) == ("ws://127.0.0.1:1", "ana")
    assert "secret" not in Path(settings.store.fileName()).read_text()  # never the token


def test_remembered_token_goes_to_the_keyring_on_the_engine_thread(qtbot: Any, settings: Any) -> None:
    tokens: list[Any] = []
    desk = make_desk(qtbot, settings)
    original = desk.app.engine_factory

    def factory(hub: str, user: str, token: Any, *rest: Any) -> Any:
        tokens.append(token)
        return original(hub, user, token, *rest)

    desk.app.engine_factory = factory
    dialog = desk.app.show_sign_in()
    qtbot.addWidget(dialog)
    fill(dialog, "ws://127.0.0.1:1", "ana", "secret")
    dialog.remember.setChecked(True)
    dialog.on_sign_in()
    dialog.remember.setChecked(False)
    dialog.on_sign_in()
    fill(dialog, "ws://127.0.0.1:1", "ana", "")
    dialog.on_sign_in()
    fill(dialog, "ws://127.0.0.1:1", "ben", "")
    dialog.on_sign_in()
    assert isinstance(tokens[0], NewTokenStore) and tokens[1] == "secret"
    assert tokens[2] == "secret"  # empty: the one typed earlier in this session
    assert type(tokens[3]) is TokenStore  # none typed for ben: the saved one


def test_no_keyring_is_told_to_the_person(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    dialog = desk.app.show_sign_in()
    qtbot.addWidget(dialog)
    fill(dialog, "ws://127.0.0.1:1", "ana", "secret")
    dialog.on_sign_in()
    with qtbot.waitSignal(desk.app.bridge.tokenNoticed, timeout=WAIT_MS):
        desk.engine.report("on_token", TokenNotice(False))
    assert dialog.keyring_note.isVisible() and "no keyring" in dialog.keyring_note.text()
    assert not dialog.remember.isVisibleTo(dialog) and not dialog.remember.isEnabled()


def test_command_line_uses_the_environment_token(qtbot: Any, settings: Any, monkeypatch: Any) -> None:
    tokens: list[Any] = []
    desk = make_desk(qtbot, settings)
    original = desk.app.engine_factory
    desk.app.engine_factory = lambda hub, user, token, *rest: tokens.append(token) or original(hub, user, token, *rest)
    monkeypatch.setenv("AGENT_DESK_TOKEN", "from-env")
    desk.app.start_direct("ws://127.0.0.1:1", "ana")
    monkeypatch.delenv("AGENT_DESK_TOKEN")
    desk.app.start_direct("ws://127.0.0.1:1", "ana")
    assert tokens[0] == "from-env" and isinstance(tokens[1], TokenStore)
    assert desk.window.isVisible()  # the cache shows at once; the hub answers later


def test_revoked_token_brings_the_sign_in_dialog_back(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "t")
    desk.online()
    desk.session()
    desk.status(ConnectionStatus(Link.OFFLINE, why=Why.TOKEN_REVOKED, final=True))
    dialog = desk.app.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.addWidget(dialog)
    assert "revoked" in dialog.message.text()
    assert desk.window.sign_in_button.isVisible()


def test_sign_out_does_not_wait_for_the_engine_and_its_last_words_stay_out_of_the_next_session(
    qtbot: Any, settings: Any
) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "t")
    desk.online()
    desk.session()
    first = desk.engine
    desk.app.sign_out()
    # asked to stop, not waited for: closing may take long when the hub does not answer
    assert first.stop_requested and not first.stopped
    dialog = desk.app.dialog
    assert dialog is not None and dialog.isVisible() and not desk.window.isVisible()
    qtbot.addWidget(dialog)
    fill(dialog, "ws://127.0.0.1:1", "ana", "t")
    dialog.on_sign_in()
    second = desk.engine
    assert second is not first and second.after is first  # starts once the first let go
    waiting = "Waiting for the previous sign-in to close."
    desk.status(ConnectionStatus(Link.CONNECTING, why=Why.WAITING_FOR_PREVIOUS))
    assert dialog.message.text() == waiting and dialog.message.objectName() == "DialogInfo"
    seen: list[ConnectionStatus] = []
    desk.app.bridge.statusChanged.connect(seen.append)
    # the first engine, still closing, reports its end; then the second one connects
    first.report("on_status", ConnectionStatus(Link.OFFLINE, why=Why.SIGNED_OUT, final=True))
    desk.online()
    assert [s.link for s in seen] == [Link.ONLINE]
    assert "Signed out" not in dialog.message.text()
    desk.app.shutdown()  # quitting waits for the engine
    assert second.stopped


def test_without_a_keyring_the_dialog_says_so_instead_of_offering_one(
    qtbot: Any, settings: Any, no_keyring: None
) -> None:
    desk = make_desk(qtbot, settings)
    dialog = desk.app.show_sign_in()
    qtbot.addWidget(dialog)
    assert not dialog.remember.isVisibleTo(dialog)
    assert dialog.keyring_note.isVisibleTo(dialog) and "no keyring" in dialog.keyring_note.text()
    assert "saved on this computer" not in dialog.intro.text()


def test_without_a_keyring_a_typed_token_lasts_the_session(
    live_hub: ThreadedHub, real_desk: DeskApp, qtbot: Any, no_keyring: None
) -> None:
    app = real_desk
    app.start_direct(live_hub.url, "ana")  # nothing stored anywhere: the dialog asks
    qtbot.waitUntil(lambda: app.dialog is not None and app.dialog.message.isVisible(), timeout=HUB_WAIT_MS)
    dialog = app.dialog
    assert dialog is not None
    assert dialog.message.text() == f"No sign-in is stored for ana on {live_hub.url}; sign in."
    assert not dialog.remember.isVisibleTo(dialog) and dialog.keyring_note.isVisibleTo(dialog)
    dialog.token.setText(live_hub.tokens["ana"])
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: app.dialog is None and link_is(app, Link.ONLINE), timeout=HUB_WAIT_MS)

    for _restart in range(2):
        live_hub.stop()
        qtbot.waitUntil(lambda: not link_is(app, Link.ONLINE), timeout=HUB_WAIT_MS)
        live_hub.start()
        app.bridge.reconnect_now()
        qtbot.waitUntil(lambda: link_is(app, Link.ONLINE), timeout=HUB_WAIT_MS)
        assert app.dialog is None and not app.window.sign_in_button.isVisible()

    again = app.show_sign_in()  # e.g. Sign in again: the token need not be typed twice
    assert "Leave the token empty to use the one you entered earlier." in again.intro.text()
    again.sign_in_button.click()
    qtbot.waitUntil(lambda: app.dialog is None and link_is(app, Link.ONLINE), timeout=HUB_WAIT_MS)


def test_an_unreachable_hub_is_named_not_a_missing_sign_in(
    live_hub: ThreadedHub, real_desk: DeskApp, qtbot: Any, no_keyring: None
) -> None:
    url = live_hub.url
    live_hub.stop()
    real_desk.start_direct(url, "ana")
    qtbot.waitUntil(lambda: real_desk.dialog is not None and real_desk.dialog.message.isVisible(), timeout=HUB_WAIT_MS)
    reason = f"The hub at {url} cannot be reached (connection refused)."
    assert real_desk.dialog.message.text() == reason
    assert reason in real_desk.window.connection_indicator.toolTip()


def test_quit_in_the_dialog_over_the_window_quits_agent_desk(qtbot: Any, settings: Any, monkeypatch: Any) -> None:
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "t")
    desk.online()
    desk.session()
    desk.status(ConnectionStatus(Link.OFFLINE, why=Why.TOKEN_REVOKED, final=True))
    dialog = desk.app.dialog
    assert dialog is not None and dialog.parent() is desk.window and desk.window.isVisible()
    qtbot.addWidget(dialog)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Esc closes the dialog only
    assert desk.app.dialog is None and desk.window.isVisible() and quits == []
    dialog = desk.app.show_sign_in()
    qtbot.addWidget(dialog)
    QTest.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert quits == [True]
    assert desk.app.dialog is None and not desk.window.isVisible() and desk.engine.stopped
