"""The small typed surface between the desktop engine and the Qt layer.

The engine (``agent_desk.client.engine.Engine``) runs on its own asyncio loop in a worker
thread. It reports to one :class:`EngineListener`, always calling it from the engine thread
with immutable values; the Qt bridge turns each call into a queued signal. The GUI calls the
engine's command methods from its own thread; they only schedule work on the engine loop and
return at once (never blocking on network or disk).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

#: A handoff exactly as the protocol describes it (see docs/protocol.md, "The handoff"),
#: plus the local key ``"_sync"`` holding a :class:`SyncState` value. Treat as read-only.
Handoff = Mapping[str, Any]


class Link(StrEnum):
    """Connection state, shown at all times in the desktop."""

    CONNECTING = "connecting"
    ONLINE = "online"  # resumed and synced
    RECONNECTING = "reconnecting"  # waiting ``retry_in_s`` before the next attempt
    OFFLINE = "offline"  # stopped: signed out, token revoked (4004), protocol too old (4010)


class SyncState(StrEnum):
    """What the person recorded on an item, as far as the hub knows."""

    SYNCED = "synced"
    PENDING = "pending"  # in the outbox, not yet confirmed by the hub
    ATTENTION = "needs_attention"  # the hub refused it finally; see AttentionItem


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    link: Link
    retry_in_s: float | None = None  # RECONNECTING: seconds until the next attempt
    pending: int = 0  # outbox entries not yet confirmed
    reason: str | None = None  # human text: why offline/reconnecting, e.g. "token revoked"
    final: bool = False  # True when the engine stopped and will not reconnect by itself


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    name: str
    role: str  # agent | lead
    queues: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    presence: str = "available"
    active: int = 0


@dataclass(frozen=True, slots=True)
class Session:
    """What ``hello`` told the engine about this user and hub."""

    user: UserInfo
    queues: tuple[str, ...]
    sla_targets_s: Mapping[int, int]
    users: tuple[UserInfo, ...] = ()  # leads only
    server_time: str = ""
    hub_url: str = ""


@dataclass(frozen=True, slots=True)
class HandoffDelta:
    """A batch of changes to the handoffs this user holds, in the order they happened.

    ``reset`` True means: replace everything held with ``upserts`` (a snapshot was applied).
    """

    upserts: tuple[Handoff, ...] = ()
    removed: tuple[str, ...] = ()
    reset: bool = False


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """A recorded action the hub refused finally; kept until the person dismisses it."""

    request_id: str
    kind: str  # claim | release | resolve | reassign | presence
    handoff_id: str | None
    code: str
    message: str
    payload: Mapping[str, Any] = field(default_factory=dict)  # e.g. the outcome that was kept
    at: str = ""


@dataclass(frozen=True, slots=True)
class TokenNotice:
    """Where the token lives. ``persisted`` False: no OS keyring; kept in memory only."""

    persisted: bool
    message: str


class EngineListener(Protocol):
    """Receives everything the engine reports. Called on the engine thread only."""

    def on_status(self, status: ConnectionStatus) -> None: ...
    def on_session(self, session: Session) -> None: ...
    def on_handoffs(self, delta: HandoffDelta) -> None: ...
    def on_presence(self, user: UserInfo) -> None: ...
    def on_attention(self, items: tuple[AttentionItem, ...]) -> None: ...
    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None: ...
    def on_notice(self, text: str) -> None: ...  # one-off human message (refused claim, etc.)
    def on_token(self, notice: TokenNotice) -> None: ...
