"""How the engine reaches the hub: address, TLS, and what each way of failing means.

Kept apart from the engine so the rules (which failures are final, what to tell the person)
can be read and tested without a socket.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

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
        reason: human words for the status line.
        final: True when the engine must stop and not reconnect on its own.
    """

    reason: str
    final: bool = False


_CLOSE_REASONS: dict[int, Ending] = {
    CloseCode.TOKEN_REVOKED: Ending("Your sign-in was revoked on the hub; sign in again.", final=True),
    CloseCode.PROTOCOL_UNSUPPORTED: Ending(
        "The hub no longer speaks this version of Agent Desk's protocol; please update Agent Desk.",
        final=True,
    ),
    CloseCode.GOING_AWAY: Ending("The hub is restarting."),
    CloseCode.NORMAL: Ending("The hub closed the connection."),
    CloseCode.MESSAGE_TOO_BIG: Ending("A message was too large for the connection."),
    CloseCode.TOO_MANY_BAD_FRAMES: Ending("The hub closed the connection after too many rejected requests."),
    CloseCode.NO_RESUME: Ending("The connection timed out while starting."),
    1013: Ending("The connection could not keep up with the hub."),
}


def ending_for_close(code: int | None, hub_reason: str | None = None) -> Ending:
    """What a close code means for the person and the engine (PROTOCOL.md, Close codes)."""
    if code is not None and code in _CLOSE_REASONS:
        return _CLOSE_REASONS[code]
    if code in (None, 1006):
        return Ending("The connection to the hub was lost.")
    detail = f": {hub_reason}" if hub_reason else ""
    return Ending(f"The hub closed the connection ({code}{detail}).")


def ending_for_error(error: BaseException) -> Ending:
    """What a failed connection attempt means."""
    if isinstance(error, InvalidStatus):
        status = error.response.status_code
        if status == 401:
            return Ending(
                "The hub did not accept your sign-in (unknown or revoked token); sign in again.",
                final=True,
            )
        if status == 403:
            return Ending("The hub refused this connection (HTTP 403: not allowed for this user).", final=True)
        if status == 404:
            return Ending("There is no Agent Desk hub at this address (HTTP 404).", final=True)
        return Ending(f"The hub is not ready (HTTP {status}).")
    if isinstance(error, InvalidURI):
        return Ending(f"The hub address is not valid: {error}", final=True)
    if isinstance(error, ssl.SSLCertVerificationError):
        return Ending(f"The hub's certificate could not be verified: {error.verify_message}.")
    if isinstance(error, ConnectionClosed):
        return ending_for_close(error.rcvd.code if error.rcvd else None, error.rcvd.reason if error.rcvd else None)
    if isinstance(error, InvalidHandshake):
        return Ending(f"The hub's answer was not understood: {error}.")
    if isinstance(error, TimeoutError):
        return Ending("The hub did not answer in time.")
    if isinstance(error, ConnectionRefusedError):
        return Ending("The hub cannot be reached (connection refused).")
    if isinstance(error, OSError):
        return Ending(f"The hub cannot be reached ({error.strerror or error}).")
    return Ending(f"The connection failed: {error}.")
