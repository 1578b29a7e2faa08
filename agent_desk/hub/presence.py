"""Presence: who is online, and the one place ``presence.changed`` is emitted.

A user's effective presence changes when it sets one (``presence`` request), when its first
connection resumes (back to what it last set) and when its last one closes (``offline``).
Every one of these goes through :func:`record`, which leads receive as ``presence.changed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_desk.hub import handoffs, users
from agent_desk.hub.store import Outcome, Store, Tx
from agent_desk.protocol.codes import EventKind, Presence

#: The presence of a user whose last connection closed.
OFFLINE = Presence.OFFLINE.value


def record(tx: Tx, user_id: str, presence: str | None, chosen: bool) -> str:
    """Emit ``presence.changed`` (to leads) for a user; returns the presence announced.

    Args:
        presence: the new presence; None for what the user last set (a user coming online).
        chosen: the user set it itself, so it is also remembered for its next connection.
    """
    if presence is None:
        user = users.get(tx.conn, user_id)
        presence = user.presence if user is not None else "available"
    elif chosen:
        users.set_presence(tx.conn, user_id, presence)
    active = handoffs.active_count(tx.conn, user_id)
    tx.emit(EventKind.PRESENCE_CHANGED, {"user": user_id, "presence": presence, "active": active}, lead_only=True)
    return presence


def announce_in(tx: Tx, user_id: str, presence: str | None, then: Callable[[Tx], object] | None = None) -> None:
    """Record a presence the hub observed (coming online, going offline) in ``tx``.

    Args:
        then: what else the change means, in the same transaction (routing by offers).
    """
    record(tx, user_id, presence, chosen=False)
    if then is not None:
        then(tx)


def announce(store: Store, user_id: str, presence: str | None) -> Outcome:
    """Record a presence the hub observed (coming online, going offline) in a transaction.

    Runs on the storage thread.

    Raises:
        StoreUnavailable: storage failed; nothing was announced.
    """

    def work(tx: Tx) -> dict[str, Any]:
        announce_in(tx, user_id, presence)
        return {}

    return store.write(work)


class Online:
    """Counts each user's resumed connections, to tell its first one and its last one."""

    def __init__(self) -> None:
        self._count: dict[str, int] = {}

    def join(self, user_id: str) -> bool:
        """A connection of the user resumed; True when it is the user's only one."""
        first = not self._count.get(user_id)
        self._count[user_id] = self._count.get(user_id, 0) + 1
        return first

    def leave(self, user_id: str) -> bool:
        """A resumed connection of the user closed; True when it was the user's last one."""
        left = self._count.get(user_id, 1) - 1
        if left > 0:
            self._count[user_id] = left
            return False
        self._count.pop(user_id, None)
        return True

    def ids(self) -> set[str]:
        """The users online now."""
        return set(self._count)
