"""How the engine reaches the hub: address, TLS, and what each way of failing means.

Kept apart from the engine so the rules (which failures are final, what to tell the person)
can be read and tested without a socket.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from agent_desk.client.surface import Why
from agent_desk.client.tokens import normalise_hub_url
from agent_desk.protocol.codes import CloseCode
from agent_desk.protocol.redact import redacted_logger

AGENT_PATH = "/v1/agent"


#: The logger handed to websockets for the engine's connections: tokens in its header dumps
#: are redacted, so no log ever carries one.
wire_log = redacted_logger("agent_desk.client.wire")


def agent_url(hub_url: str) -> str:
    """The websocket address of the desktop endpoint of a hub given by its base address."""
    return normalise_hub_url(hub_url) + AGENT_PATH


def tls_context(hub_url: str, ca_file: str | Path | None = None) -> ssl.SSLContext | None:
    """A verifying TLS context for ``wss://`` (None for ``ws://``).

    The system's trusted certificates are always loaded; ``ca_file`` adds one more authority
    (a company CA, or a hub's self-signed certificate).
    """
    if not normalise_hub_url(hub_url).startswith("wss://"):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@dataclass(frozen=True, slots=True)
class Ending:
    """Why a connection attempt or a session ended.

    Attributes:
        why: the state the desktop words for the person.
        detail: what goes with it (a code, the OS's or the hub's words).
        final: True when the engine must stop and not reconnect on its own.
    """

    why: Why
    detail: str | None = None
    final: bool = False

    def __str__(self) -> str:  # for the log
        return f"{self.why.value}: {self.detail}" if self.detail else self.why.value


_CLOSE_REASONS: dict[int, Ending] = {
    CloseCode.TOKEN_REVOKED: Ending(Why.TOKEN_REVOKED, final=True),
    CloseCode.PROTOCOL_UNSUPPORTED: Ending(Why.PROTOCOL_UNSUPPORTED, final=True),
    CloseCode.GOING_AWAY: Ending(Why.HUB_RESTARTING),
    CloseCode.NORMAL: Ending(Why.HUB_CLOSED),
    CloseCode.MESSAGE_TOO_BIG: Ending(Why.MESSAGE_TOO_BIG),
    CloseCode.TOO_MANY_BAD_FRAMES: Ending(Why.TOO_MANY_BAD_FRAMES),
    CloseCode.NO_RESUME: Ending(Why.NO_RESUME),
    1013: Ending(Why.TOO_SLOW),
}


def ending_for_close(code: int | None, hub_reason: str | None = None) -> Ending:
    """What a close code means for the person and the engine (PROTOCOL.md, Close codes)."""
    if code is not None and code in _CLOSE_REASONS:
        return _CLOSE_REASONS[code]
    if code in (None, 1006):
        return Ending(Why.LOST)
    return Ending(Why.CLOSED, f"{code}: {hub_reason}" if hub_reason else str(code))


def ending_for_error(error: BaseException) -> Ending:
    """What a failed connection attempt means."""
    if isinstance(error, InvalidStatus):
        status = error.response.status_code
        if status == 401:
            return Ending(Why.SIGN_IN_REFUSED, final=True)
        if status == 403:
            return Ending(Why.NOT_ALLOWED, final=True)
        if status == 404:
            return Ending(Why.NO_HUB_HERE, final=True)
        return Ending(Why.HUB_NOT_READY, f"HTTP {status}")
    if isinstance(error, InvalidURI):
        return Ending(Why.BAD_ADDRESS, str(error), final=True)
    if isinstance(error, ssl.SSLCertVerificationError):
        return Ending(Why.CERTIFICATE, str(error.verify_message))
    if isinstance(error, ConnectionClosed):
        return ending_for_close(error.rcvd.code if error.rcvd else None, error.rcvd.reason if error.rcvd else None)
    if isinstance(error, InvalidHandshake):
        return Ending(Why.NOT_UNDERSTOOD, str(error))
    if isinstance(error, TimeoutError):
        return Ending(Why.TIMEOUT)
    if isinstance(error, ConnectionRefusedError):
        return Ending(Why.REFUSED)
    if isinstance(error, OSError):
        return Ending(Why.UNREACHABLE, str(error.strerror or error))
    return Ending(Why.INTERNAL, str(error))
