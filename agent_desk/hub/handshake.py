"""Opening a session: the HTTP upgrade's checks (path, origin, token, role) and ``hello``.

``/healthz`` is answered here too, before any upgrade. A request that passes every check
leaves its authenticated user behind for the connection handler (:meth:`Handshake.user_of`).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from sqlalchemy import Connection
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from agent_desk.hub import handoffs, users
from agent_desk.hub.auth import bearer_token
from agent_desk.hub.config import AGENT_PATH, HEALTH_PATH, SOURCE_PATH
from agent_desk.hub.store import Store, StoreUnavailable
from agent_desk.hub.users import User
from agent_desk.protocol.codes import PROTOCOL_VERSION, Role
from agent_desk.protocol.timefmt import now_str


def request_path(ws: ServerConnection) -> str:
    """The path of a connection's upgrade request, without its query."""
    return ws.request.path.split("?", 1)[0] if ws.request else AGENT_PATH


class Handshake:
    """Admits or refuses each upgrade request, and remembers whom it admitted.

    Args:
        allow_origins: ``Origin`` values allowed (requests without one always are).
        authenticate: the user holding a token, or None (runs on the storage thread).
        closing: whether the hub is shutting down.
    """

    def __init__(
        self,
        allow_origins: Collection[str],
        authenticate: Callable[[str], Awaitable[User | None]],
        closing: Callable[[], bool],
    ) -> None:
        self.allow_origins = allow_origins
        self.authenticate = authenticate
        self.closing = closing
        # Who a handshake authenticated, until its handler runs; weak, so a handshake that
        # fails after authentication (the peer vanished) leaves nothing behind.
        self._admitted: weakref.WeakKeyDictionary[ServerConnection, User] = weakref.WeakKeyDictionary()

    async def process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """websockets' ``process_request`` hook: an HTTP response refuses, None upgrades."""
        path = request.path.split("?", 1)[0]
        if path == HEALTH_PATH:
            return _respond(ws, HTTPStatus.OK, json.dumps({"status": "ok"}), "application/json")
        if path not in (AGENT_PATH, SOURCE_PATH):
            return _respond(ws, HTTPStatus.NOT_FOUND, "no such path\n")
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.allow_origins:
            return _respond(ws, HTTPStatus.FORBIDDEN, "origin not allowed\n")
        if self.closing():
            return _respond(ws, HTTPStatus.SERVICE_UNAVAILABLE, "hub is shutting down\n")
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            return _respond(ws, HTTPStatus.UNAUTHORIZED, "missing bearer token\n")
        try:
            user = await self.authenticate(token)
        except StoreUnavailable:
            return _respond(ws, HTTPStatus.SERVICE_UNAVAILABLE, "storage unavailable\n")
        if user is None:
            return _respond(ws, HTTPStatus.UNAUTHORIZED, "unknown or revoked token\n")
        wants_source = path == SOURCE_PATH
        if wants_source != (user.role == Role.SOURCE):
            return _respond(ws, HTTPStatus.FORBIDDEN, f"role {user.role} may not use {path}\n")
        self._admitted[ws] = user
        return None

    def user_of(self, ws: ServerConnection) -> User | None:
        """The user the handshake of ``ws`` authenticated (once; None if it did not)."""
        return self._admitted.pop(ws, None)


def _respond(ws: ServerConnection, status: HTTPStatus, body: str, content_type: str = "text/plain") -> Response:
    response = ws.respond(status, body)
    response.headers = Headers([(k, v) for k, v in response.headers.raw_items() if k.lower() != "content-type"])
    response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
    return response


def hello(
    store: Store,
    user: User,
    online: Collection[str],
    known_queues: Collection[str],
    sla_targets_s: Mapping[int, int],
    features: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``hello`` frame for ``user``; a lead's also lists the team. Runs on the storage thread.

    Args:
        online: ids of the users connected now (the others are shown ``offline``).
        known_queues: queues that exist even with no handoff or user in them (triage's).
        features: the additions to version 1 the hub speaks (:mod:`~agent_desk.hub.features`).

    Raises:
        StoreUnavailable: storage failed.
    """

    def work(conn: Connection) -> dict[str, Any]:
        fresh = users.get(conn, user.id) or user
        frame: dict[str, Any] = {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "epoch": store.epoch,
            "server_time": now_str(),
            "user": fresh.to_wire(),
            "queues": handoffs.queue_names(conn, known_queues),
            "sla_targets_s": {str(k): v for k, v in sorted(sla_targets_s.items())},
            "features": list(features),
        }
        if user.role == Role.LEAD:
            active = handoffs.active_counts(conn)
            frame["users"] = [
                {
                    "id": u.id,
                    "name": u.id,
                    "role": u.role,
                    "queues": list(u.queues),
                    "presence": u.presence if u.id in online else "offline",
                    "active": active.get(u.id, 0),
                    "capacity": u.capacity,
                }
                for u in users.everyone(conn)
                if u.role != Role.SOURCE and not u.revoked
            ]
        return frame

    return store.read(work)
