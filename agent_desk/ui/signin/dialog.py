"""Sign in: hub address, user name and token, with plain words when it cannot work."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from agent_desk.ui.widgets import plain_label, set_tip


def check_hub_url(url: str) -> str | None:
    """None when ``url`` looks like a hub base address, else what is wrong with it, in words."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("ws", "wss"):
        return QCoreApplication.translate(
            "SignInDialog", "The hub address starts with ws:// or wss://, for example wss://desk.example.com:8765"
        )
    if not parts.hostname:
        return QCoreApplication.translate(
            "SignInDialog", "The hub address needs a host name, for example wss://desk.example.com:8765"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return QCoreApplication.translate(
            "SignInDialog", "The port in the hub address is not a number between 1 and 65535"
        )
    return None


class SignInDialog(QDialog):
    """Asks for the hub, the user and the token; stays open while the first connection is tried.

    Signals:
        signInRequested(str, str, str, bool): hub URL, user, token ("" to use the saved one),
            and whether to keep the token in the keyring.
        offlineRequested(): open the desk with what this computer holds.
        quitRequested(): the person chose Quit: Agent Desk closes (Esc only closes the dialog).
    """

    signInRequested = Signal(str, str, str, bool)
    offlineRequested = Signal()
    quitRequested = Signal()

    def __init__(
        self,
        hub: str = "",
        user: str = "",
        keyring_ok: bool = True,
        parent: QWidget | None = None,
        token_known: bool = False,
    ) -> None:
        """Build the dialog.

        Args:
            keyring_ok: a system keyring can keep the token (else the option is off, and says why).
            token_known: a token for this hub and user was entered earlier in this session.
        """
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign in to Agent Desk"))
        self.setObjectName("SignInDialog")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        # The dialog grows with its messages instead of squeezing the fields.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(12)
        layout.addWidget(plain_label(self.tr("Sign in"), "PanelTitle"))
        self._token_known = token_known
        self.intro = plain_label(self._intro(keyring_ok), "DialogInfo", wrap=True)
        layout.addWidget(self.intro)

        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.hub = QLineEdit(hub)
        self.hub.setPlaceholderText("wss://desk.example.com:8765")
        set_tip(self.hub, self.tr("The hub's address: ws://host:port or wss://host:port"), self.tr("Hub address"))
        self.user = QLineEdit(user)
        self.user.setPlaceholderText(self.tr("e.g. ana"))
        set_tip(self.user, self.tr("Your user name on the hub"), self.tr("User name"))
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(self.tr("Paste your token"))
        set_tip(self.token, self.tr("The token your lead gave you; it is never shown again"), self.tr("Token"))
        for field in (self.hub, self.user, self.token):
            field.setMinimumWidth(330)
        form.addRow(self.tr("&Hub"), self.hub)
        form.addRow(self.tr("&User"), self.user)
        form.addRow(self.tr("&Token"), self.token)
        layout.addLayout(form)

        self.remember = QCheckBox(self.tr("Keep the token in this computer's keyring"))
        self.remember.setChecked(keyring_ok)
        self.remember.setEnabled(keyring_ok)
        self.remember.setVisible(keyring_ok)  # no keyring: the note below says so instead
        set_tip(self.remember, self.tr("So you are not asked again on this computer"), self.tr("Remember token"))
        layout.addWidget(self.remember)
        self.keyring_note = plain_label(
            self.tr(
                "This computer has no keyring to keep the token in: it is kept only while Agent Desk runs, "
                "and you sign in again after closing it."
            ),
            "DialogInfo",
            wrap=True,
        )
        self.keyring_note.setVisible(not keyring_ok)
        layout.addWidget(self.keyring_note)

        self.message = plain_label("", "DialogInfo", wrap=True)
        self.message.setAccessibleName(self.tr("Sign-in status"))
        self.message.setVisible(False)
        layout.addWidget(self.message)

        buttons = self._buttons = QDialogButtonBox()
        self.sign_in_button = buttons.addButton(self.tr("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setProperty("primary", True)
        set_tip(self.sign_in_button, self.tr("Connect to the hub (Enter)"), self.tr("Sign in"))
        self.offline_button = buttons.addButton(self.tr("Work offline"), QDialogButtonBox.ButtonRole.ActionRole)
        set_tip(
            self.offline_button,
            self.tr("Open the desk with what this computer holds; it keeps trying to connect"),
            self.tr("Work offline"),
        )
        self.offline_button.hide()
        self.quit_button = buttons.addButton(self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        set_tip(self.quit_button, self.tr("Close Agent Desk"), self.tr("Quit"))
        layout.addWidget(buttons)
        self._connect_signals()
        (self.token if hub and user else self.hub if not hub else self.user).setFocus()

    def _connect_signals(self) -> None:
        self.offline_button.clicked.connect(self.offlineRequested.emit)
        self._buttons.accepted.connect(self.on_sign_in)
        self.quit_button.clicked.connect(self.quitRequested.emit)

    def _intro(self, keyring_ok: bool) -> str:
        intro = self.tr("Your team lead gives you the hub address, your user name and a token.")
        if self._token_known:
            return intro + " " + self.tr("Leave the token empty to use the one you entered earlier.")
        if keyring_ok:
            return intro + " " + self.tr("Leave the token empty to use the one saved on this computer.")
        return intro

    def set_icon(self, icon: QIcon) -> None:
        self.setWindowIcon(icon)

    def _say(self, text: str, kind: str) -> None:
        self.message.setObjectName("DialogError" if kind == "error" else "DialogInfo")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_error(self, text: str) -> None:
        """Say what went wrong and let the person try again."""
        self._say(text, "error")
        self.set_busy(False)

    def show_info(self, text: str) -> None:
        self._say(text, "info")

    def allow_offline(self, allowed: bool) -> None:
        """Offer "Work offline" (the hub is unreachable, but this computer may hold the desk)."""
        self.offline_button.setVisible(allowed)

    def show_keyring_missing(self) -> None:
        """Say that no keyring keeps the token, instead of offering one."""
        self.intro.setText(self._intro(False))
        self.keyring_note.show()
        self.remember.setChecked(False)
        self.remember.setEnabled(False)
        self.remember.hide()

    def set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        for field in (self.hub, self.user, self.token):
            field.setEnabled(not busy)
        if busy:
            self._say(self.tr("Connecting…"), "info")

    def on_sign_in(self) -> None:
        hub, user, token = self.hub.text().strip(), self.user.text().strip(), self.token.text().strip()
        problem = check_hub_url(hub)
        if problem is None and not user:
            problem = self.tr("Enter your user name.")
        if problem:
            self.show_error(problem)
            return
        self.set_busy(True)
        self.signInRequested.emit(hub.rstrip("/"), user, token, self.remember.isChecked())
