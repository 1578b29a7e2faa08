"""Where the desktop keeps a user's hub token: the OS keyring, or memory for this session.

A token is stored per hub URL and user name. It is never written to a file or a log: with no
usable keyring backend (``NoKeyringError``, a locked or broken backend), the token is kept in
memory until the program ends, and :attr:`TokenStore.notice` says so, so the UI can tell the
person that they will have to sign in again next time. A token once known (typed in, or read
from the keyring) is kept in memory for the session either way: reconnecting never depends on
the keyring answering again.
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors
from keyring.backends import fail, null

from agent_desk.client.surface import TokenNotice

log = logging.getLogger(__name__)

#: What a keyring backend may raise when it cannot be used (no backend, locked, D-Bus down).
KEYRING_ERRORS = (keyring.errors.KeyringError, RuntimeError, OSError)

#: Keyring service name prefix; the hub URL follows it, the user name is the keyring user.
SERVICE_PREFIX = "agent-desk"


def service_name(hub_url: str) -> str:
    """The keyring service under which tokens for ``hub_url`` are stored."""
    return f"{SERVICE_PREFIX}:{normalise_hub_url(hub_url)}"


def keyring_available() -> bool:
    """Whether a keyring backend that can keep a token is installed (none: memory only).

    Asks only which backend keyring chose, never for a password, so it does not wait for a
    locked wallet; a backend that is there but fails still shows when the token is saved.
    """
    try:
        backend = keyring.get_keyring()
    except KEYRING_ERRORS:
        return False
    return not isinstance(backend, fail.Keyring | null.Keyring)


def normalise_hub_url(hub_url: str) -> str:
    """The hub's base address without trailing slashes or the ``/v1/agent`` path."""
    return hub_url.strip().rstrip("/").removesuffix("/v1/agent")


class TokenStore:
    """The token of one user on one hub.

    Attributes:
        hub_url: the hub's base address.
        user: the user name on that hub.
        notice: where the token lives now (persisted in the keyring, or memory only).
    """

    def __init__(self, hub_url: str, user: str) -> None:
        self.hub_url = normalise_hub_url(hub_url)
        self.user = user
        self._memory: str | None = None
        self.notice = TokenNotice(True)

    def _memory_only(self, error: Exception) -> None:
        # Only the error's class goes to the log: its text could in theory echo arguments.
        log.warning("no usable keyring (%s); keeping the token in memory", type(error).__name__)
        self.notice = TokenNotice(False)

    def load(self) -> str | None:
        """The token: the one known this session, else the keyring's; None when there is none."""
        if self._memory is not None:
            return self._memory
        try:
            token = keyring.get_password(service_name(self.hub_url), self.user)
        except KEYRING_ERRORS as error:
            self._memory_only(error)
            return None
        self._memory = token or None
        return self._memory

    def save(self, token: str) -> TokenNotice:
        """Store ``token``; returns where it went (keyring, or memory for this session)."""
        self._memory = token  # for this session, whatever the keyring does with it
        try:
            keyring.set_password(service_name(self.hub_url), self.user, token)
        except KEYRING_ERRORS as error:
            self._memory_only(error)
            return self.notice
        self.notice = TokenNotice(True)
        return self.notice

    def forget(self) -> None:
        """Remove the token (sign out, or a token the hub revoked)."""
        self._memory = None
        try:
            keyring.delete_password(service_name(self.hub_url), self.user)
        except keyring.errors.PasswordDeleteError:
            log.debug("no token stored for %s on %s", self.user, self.hub_url)
        except KEYRING_ERRORS as error:
            self._memory_only(error)
