"""Starting the desktop: the QApplication, sign-in (dialog or command line), the engine's life.

``agent-desk [--hub URL --user NAME]`` calls :func:`run_desktop`; ``agent-desk demo`` calls
:func:`run_demo_desktop`. Both build one :class:`DeskApp`, which owns the bridge, the window
and the sign-in dialog, and starts or replaces the engine when the person signs in.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QLocale, QObject, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QWidget

from agent_desk.client.surface import ConnectionStatus, EngineListener, HandoffDelta, Link, Session, TokenNotice, Why
from agent_desk.client.tokens import TokenStore, keyring_available, normalise_hub_url
from agent_desk.ui.bridge import Bridge, EngineCommands
from agent_desk.ui.icons import Icons
from agent_desk.ui.resources import resource
from agent_desk.ui.settings import APPLICATION, ORGANIZATION, DeskSettings
from agent_desk.ui.shell.window import DeskWindow
from agent_desk.ui.signin.dialog import SignInDialog, check_hub_url
from agent_desk.ui.sync.connection import status_words
from agent_desk.ui.theme import ThemeManager

log = logging.getLogger(__name__)

TOKEN_ENV = "AGENT_DESK_TOKEN"

#: Endings that say the token itself is no good: one typed this session is forgotten.
BAD_TOKEN = (Why.SIGN_IN_REFUSED, Why.TOKEN_REVOKED, Why.WRONG_USER)

#: Builds an engine: (hub URL, user, token or token store, listener, CA file, cache folder).
EngineFactory = Callable[[str, str, "str | TokenStore", EngineListener, "str | None", "str | None"], EngineCommands]


def default_engine_factory(
    hub: str, user: str, token: str | TokenStore, listener: EngineListener, ca_file: str | None, cache_dir: str | None
) -> EngineCommands:
    from agent_desk.client.engine import Engine

    return Engine(hub, user, token, listener, cache_dir=cache_dir, ca_file=ca_file)


class HeapKeeper(QObject):
    """Keeps the cycle collector's pauses short while thousands of handoffs are held.

    Held handoffs are long-lived and make up most of the heap. A full cycle collection walks
    all of it while holding the GIL, whichever thread triggers it, and the window freezes for
    as long (about 200 ms with a few thousand handoffs). After each large batch has settled,
    the objects that exist are moved out of the collector's sight with ``gc.freeze()``; they are
    still freed by reference counting (handoffs hold no cycles), only exempt from cycle scans,
    so later collections look at new objects only.
    """

    FREEZE_AFTER = 500  # handoffs applied since the last freeze

    def __init__(self, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._since = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.freeze)
        bridge.handoffsChanged.connect(self.on_handoffs)

    def on_handoffs(self, delta: HandoffDelta) -> None:
        self._since += len(delta.upserts)
        if self._since >= self.FREEZE_AFTER and not self._timer.isActive():
            self._timer.start()

    def freeze(self) -> None:
        self._since = 0
        gc.freeze()


class NewTokenStore(TokenStore):
    """A token just typed in: saved to the keyring on first use, on the engine thread.

    The keyring can be slow (D-Bus, a locked wallet), so the GUI thread never calls it; the
    engine reads the token on its own thread and reports where it went (``on_token``).
    """

    def __init__(self, hub_url: str, user: str, token: str) -> None:
        super().__init__(hub_url, user)
        self._fresh: str | None = token

    def load(self) -> str | None:
        if self._fresh is not None:
            token, self._fresh = self._fresh, None
            self.save(token)
            return token
        return super().load()


def ensure_application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one named for Agent Desk."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationDisplayName("Agent Desk")
    app.setDesktopFileName("agent-desk")
    install_translations(app)
    return app


def install_translations(app: QApplication) -> QTranslator | None:
    """Load ``resources/translations/agent_desk_<locale>.qm`` for the system's languages, if any.

    Every visible string goes through ``tr()``; without a translation the English text shows.
    """
    translator = QTranslator(app)
    if translator.load(QLocale.system(), "agent_desk", "_", str(resource("translations"))):
        app.installTranslator(translator)
        return translator
    return None


def direct_token(hub: str, user: str, token: str | None = None) -> str | TokenStore:
    """The token for a command-line sign-in: given, else ``$AGENT_DESK_TOKEN``, else the keyring."""
    given = token or os.environ.get(TOKEN_ENV) or None
    return given if given else TokenStore(hub, user)


class DeskApp(QObject):
    """Owns the bridge, the window and sign-in; starts and replaces the engine.

    Attributes:
        bridge, window, themes, icons, settings: the desktop's parts.
        dialog: the sign-in dialog while it is open.
        hub, user: who is signed in (or trying to).
    """

    def __init__(
        self,
        settings: DeskSettings | None = None,
        engine_factory: EngineFactory = default_engine_factory,
        ca_file: str | None = None,
        cache_dir: str | None = None,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
        early_start: tuple[str, str, str | TokenStore] | None = None,
    ) -> None:
        """Build the desktop.

        Args:
            early_start: (hub, user, token) to start the engine before the window is built,
                so the cache is read while the widgets are made (command line and demo
                sign-in; the address must already be checked). The window is not shown yet.
        """
        super().__init__(parent)
        self.settings = settings or DeskSettings()
        self.engine_factory = engine_factory
        self.ca_file = ca_file
        self.cache_dir = cache_dir
        self.hub = ""
        self.user = ""
        self.bridge = Bridge(self)
        #: Tokens typed in this session, by (hub, user): never written anywhere, gone at exit.
        self._typed: dict[tuple[str, str], str] = {}
        self._keyring_ok: bool | None = None  # asked once a dialog needs it; a report may say no
        # Before the window's own slot, which may open the sign-in dialog on the same status.
        self.bridge.statusChanged.connect(self.on_status_for_token)
        if early_start is not None:
            # Reports wait in the bridge until the event loop runs, by then the window listens.
            self.connect_engine(*early_start)
        self.themes = ThemeManager(self.settings.theme, self)
        self.themes.apply()
        self.icons = Icons(self.themes, self)
        QApplication.setWindowIcon(self.icons.app_icon())
        self.heap = HeapKeeper(self.bridge, self)
        self.window = DeskWindow(self.bridge, self.themes, self.icons, self.settings, clock)
        self.window.connection.hub = normalise_hub_url(self.hub)
        self.dialog: SignInDialog | None = None
        self._awaiting_session = False
        self._closed = False
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.bridge.sessionStarted.connect(self.on_session)
        self.bridge.statusChanged.connect(self.on_status)
        self.bridge.tokenNoticed.connect(self.on_token)
        self.window.signInAgainRequested.connect(self.show_sign_in)
        self.window.signOutRequested.connect(self.sign_out)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ---- engine life --------------------------------------------------------------------------

    def connect_engine(self, hub: str, user: str, token: str | TokenStore) -> None:
        """Stop any running engine (without waiting for it) and start one for ``user`` on ``hub``."""
        self.bridge.shutdown(wait=False)
        self.hub, self.user = hub, user
        window: DeskWindow | None = getattr(self, "window", None)  # None while early_start builds
        if window is not None:
            window.connection.hub = normalise_hub_url(hub)
        engine = self.engine_factory(hub, user, token, self.bridge.listener(), self.ca_file, self.cache_dir)
        self.bridge.attach(engine)
        self.bridge.start()

    def start_direct(self, hub: str, user: str, token: str | None = None) -> None:
        """Sign in from the command line: token given, else ``$AGENT_DESK_TOKEN``, else keyring.

        The window opens at once with what the cache holds; if the hub refuses the sign-in,
        the sign-in dialog opens over it with the reason.
        """
        problem = check_hub_url(hub)
        if problem is not None:
            self.show_sign_in(problem, hub=hub, user=user)
            return
        self.settings.remember_sign_in(hub, user)
        self.connect_engine(hub, user, direct_token(hub, user, token or self.typed_token(hub, user)))
        self.window.show()

    def shutdown(self) -> None:
        """Stop the engine (quitting)."""
        if self._closed:
            return
        self._closed = True
        self.bridge.shutdown()

    def quit(self) -> None:
        """Close Agent Desk: the dialog, the window and the engine (Quit in the sign-in dialog)."""
        self._close_dialog()
        self.window.close()
        self.shutdown()
        QApplication.quit()

    def typed_token(self, hub: str, user: str) -> str | None:
        """The token typed in this session for ``user`` on ``hub``, if any."""
        return self._typed.get((normalise_hub_url(hub), user))

    def sign_out(self) -> None:
        """Stop the engine (it closes its connection and cache on its own thread) and ask for
        a sign-in again."""
        self._typed.clear()
        self.bridge.shutdown(wait=False)
        self.window.hide()
        self.show_sign_in("")

    # ---- sign-in dialog ------------------------------------------------------------------------

    def show_sign_in(self, message: str = "", hub: str | None = None, user: str | None = None) -> SignInDialog:
        """Open (or reuse) the sign-in dialog, showing ``message`` when there is one."""
        if self.dialog is None:
            parent: QWidget | None = self.window if self.window.isVisible() else None
            hub = hub or self.hub or self.settings.last_hub
            user = user or self.user or self.settings.last_user
            if self._keyring_ok is None:
                self._keyring_ok = keyring_available()
            known = bool(hub and user and self.typed_token(hub, user))
            dialog = SignInDialog(hub, user, self._keyring_ok, parent, token_known=known)
            dialog.setWindowIcon(self.icons.app_icon())
            dialog.signInRequested.connect(self.on_sign_in_requested)
            dialog.rejected.connect(self.on_sign_in_rejected)
            dialog.offlineRequested.connect(self.on_work_offline)
            dialog.quitRequested.connect(self.quit)
            self.dialog = dialog
            dialog.show()
        elif not self.dialog.isVisible():
            self.dialog.show()
        if message:
            self.dialog.show_error(message)
        return self.dialog

    def on_sign_in_requested(self, hub: str, user: str, token: str, remember: bool) -> None:
        store: str | TokenStore
        if token:
            self._typed[(normalise_hub_url(hub), user)] = token  # for this session, in memory
            store = NewTokenStore(hub, user, token) if remember else token
        else:
            store = self.typed_token(hub, user) or TokenStore(hub, user)
        self._awaiting_session = True
        self.connect_engine(hub, user, store)

    def on_sign_in_rejected(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()
        if not self.window.isVisible():
            self.bridge.shutdown()
            QApplication.quit()

    def on_work_offline(self) -> None:
        """Open the window with what the cache holds while the engine keeps trying."""
        self._close_dialog()
        self.window.show()

    def _close_dialog(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.rejected.disconnect(self.on_sign_in_rejected)
            dialog.accept()
            dialog.deleteLater()

    # ---- bridge slots --------------------------------------------------------------------------

    def on_session(self, session: Session) -> None:
        if self.dialog is not None:
            self.settings.remember_sign_in(self.hub, self.user)
            self._close_dialog()
        self._awaiting_session = False
        if not self.window.isVisible():
            self.window.show()

    def on_status(self, status: ConnectionStatus) -> None:
        dialog = self.dialog
        if dialog is None or not self._awaiting_session:
            return
        if status.link == Link.OFFLINE and status.final:
            self._awaiting_session = False
            dialog.show_error(status_words(status, self.hub) or dialog.tr("The hub refused the sign-in."))
        elif status.link == Link.CONNECTING and status.why is not None:
            dialog.show_info(status_words(status, self.hub))  # e.g. waiting for the previous sign-in to close
        elif status.link == Link.RECONNECTING:
            retry = (
                f" {dialog.tr('Trying again in %1 s.').replace('%1', str(max(1, round(status.retry_in_s or 0))))}"
                if status.retry_in_s
                else ""
            )
            dialog.show_error((status_words(status, self.hub) or dialog.tr("The hub cannot be reached.")) + retry)
            dialog.allow_offline(True)

    def on_status_for_token(self, status: ConnectionStatus) -> None:
        """A token the hub refused is not offered again."""
        if status.final and status.why in BAD_TOKEN:
            self._typed.pop((normalise_hub_url(self.hub), self.user), None)

    def on_token(self, notice: TokenNotice) -> None:
        if notice.persisted:
            return
        self._keyring_ok = False
        if self.dialog is not None:
            self.dialog.show_keyring_missing()


def _run(desk: DeskApp, app: QApplication) -> int:
    # Ctrl+C in the terminal closes the desk cleanly (Python sees the signal between Qt events;
    # the wait tick and this timer give it a turn at least every half second).
    previous = signal.signal(signal.SIGINT, lambda *_args: QApplication.quit())
    heartbeat = QTimer()
    heartbeat.start(500)
    heartbeat.timeout.connect(lambda: None)
    try:
        code = app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
        heartbeat.stop()
        desk.shutdown()
    return int(code)


def run_desktop(hub: str | None = None, user: str | None = None, ca_file: str | None = None) -> int:
    """``agent-desk [--hub URL --user NAME]``: sign in directly when both are given, else ask.

    Returns:
        The process exit code.
    """
    app = ensure_application()
    if hub and user and check_hub_url(hub) is None:
        desk = DeskApp(ca_file=ca_file, early_start=(hub, user, direct_token(hub, user)))
        desk.settings.remember_sign_in(hub, user)
        desk.window.show()
    else:
        desk = DeskApp(ca_file=ca_file)
        if hub and user:
            desk.start_direct(hub, user)  # says what is wrong with the address
        else:
            desk.show_sign_in("", hub=hub, user=user)
    return _run(desk, app)


def run_demo_desktop(hub_url: str, user: str, token: str, on_quit: Callable[[], Any] | None = None) -> int:
    """``agent-desk demo``: the window signed in directly (no dialog), with a throwaway cache.

    Args:
        hub_url: the embedded hub's base address.
        user: the user to sign in as (the demo uses a lead).
        token: that user's token (kept in memory only).
        on_quit: called once the window has closed and the engine has stopped.
    """
    app = ensure_application()
    cache = tempfile.mkdtemp(prefix="agent-desk-demo-")
    desk = DeskApp(cache_dir=cache, early_start=(hub_url, user, token))
    desk.window.show()
    try:
        return _run(desk, app)
    finally:
        if on_quit is not None:
            on_quit()
        shutil.rmtree(cache, ignore_errors=True)
