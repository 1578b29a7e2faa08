"""The small typed surface between the desktop engine and the Qt layer.

The engine (``agent_desk.client.engine.Engine``) runs on its own asyncio loop in a worker
thread. It reports to one :class:`EngineListener`, always calling it from the engine thread
with immutable values (handoffs as :class:`HandoffView`); the Qt bridge turns each call into a
queued signal. The GUI calls the engine's command methods from its own thread; they only
schedule work on the engine loop and return at once (never blocking on network or disk).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from agent_desk.client.handoff_view import HandoffView
from agent_desk.client.handoff_view import SyncState as SyncState  # defined with the view; named here

#: A handoff as the protocol describes it (see docs/protocol.md, "The handoff"), plus the local
#: key ``"_sync"`` (its :class:`SyncState`): typed and read-only, made once when the engine
#: reports it. See :mod:`agent_desk.client.handoff_view`.
Handoff = HandoffView


class Link(StrEnum):
    """Connection state, shown at all times in the desktop."""

    CONNECTING = "connecting"
    ONLINE = "online"  # resumed and synced
    RECONNECTING = "reconnecting"  # waiting ``retry_in_s`` before the next attempt
    OFFLINE = "offline"  # stopped: signed out, token revoked (4004), protocol too old (4010)


class Why(StrEnum):
    """Why the link is as it is: the engine's state, which the desktop puts in words."""

    WAITING_FOR_PREVIOUS = "waiting_for_previous"  # the last sign-in is still closing
    SIGNED_OUT = "signed_out"
    NO_SIGN_IN = "no_sign_in"  # no token stored for this hub and user
    WRONG_USER = "wrong_user"  # the token belongs to someone else (detail: whose)
    SIGN_IN_REFUSED = "sign_in_refused"  # HTTP 401: unknown or revoked token
    TOKEN_REVOKED = "token_revoked"  # close 4004
    NOT_ALLOWED = "not_allowed"  # HTTP 403
    NO_HUB_HERE = "no_hub_here"  # HTTP 404
    HUB_NOT_READY = "hub_not_ready"  # another HTTP status (detail: which)
    BAD_ADDRESS = "bad_address"  # detail: why
    CERTIFICATE = "certificate"  # the hub's certificate could not be verified (detail: why)
    PROTOCOL_UNSUPPORTED = "protocol_unsupported"  # close 4010: this version is too old
    HUB_RESTARTING = "hub_restarting"  # close 1001
    HUB_CLOSED = "hub_closed"  # close 1000
    MESSAGE_TOO_BIG = "message_too_big"  # close 1009
    TOO_MANY_BAD_FRAMES = "too_many_bad_frames"  # close 4008
    NO_RESUME = "no_resume"  # close 4009
    TOO_SLOW = "too_slow"  # close 1013
    CLOSED = "closed"  # another close code (detail: code and the hub's words)
    LOST = "lost"  # the connection dropped
    NO_GREETING = "no_greeting"  # the hub did not send hello
    NOT_RESUMED = "not_resumed"  # the hub refused resume (detail: its message)
    NOT_UNDERSTOOD = "not_understood"  # the handshake failed (detail: how)
    TIMEOUT = "timeout"
    REFUSED = "refused"  # connection refused
    UNREACHABLE = "unreachable"  # detail: the OS's words
    CANNOT_SAVE = "cannot_save"  # updates from the hub cannot be written to the cache
    INTERNAL = "internal"  # a bug interrupted the connection (detail: the error's type)


@dataclass(frozen=True, slots=True)
class StorageProblem:
    """What keeps the local cache from being written.

    Attributes:
        cause: the cache's words for it, e.g. "the disk is full".
        unsaved: recorded actions kept in memory only (0: it is updates from the hub that
            cannot be saved).
    """

    cause: str
    unsaved: int = 0


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """The connection as the desktop shows it at all times.

    Attributes:
        retry_in_s: RECONNECTING: seconds until the next attempt.
        pending: outbox entries not yet confirmed.
        why: why the link is as it is (None: nothing to say).
        detail: what goes with ``why`` (a close code, the OS's or the hub's words), as is.
        final: the engine stopped and will not reconnect by itself.
        storage: what keeps the cache from being written, while it lasts.
    """

    link: Link
    retry_in_s: float | None = None
    pending: int = 0
    why: Why | None = None
    detail: str | None = None
    final: bool = False
    storage: StorageProblem | None = None


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    name: str
    role: str  # agent | lead
    queues: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    presence: str = "available"
    active: int = 0
    capacity: int | None = None  # handoffs held at once, claimed plus offered (None: not told)


@dataclass(frozen=True, slots=True)
class Session:
    """What ``hello`` told the engine about this user and hub."""

    user: UserInfo
    queues: tuple[str, ...]
    sla_targets_s: Mapping[int, int]
    users: tuple[UserInfo, ...] = ()  # leads only
    server_time: str = ""
    hub_url: str = ""
    features: tuple[str, ...] = ()  # the additions to version 1 the hub speaks (reply, canned, ...)


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
class CannedReply:
    """One saved reply. Empty ``queues``: it fits every queue."""

    id: str
    title: str
    text: str
    queues: tuple[str, ...] = ()

    def fits(self, queue: str) -> bool:
        """Whether the reply is meant for handoffs in ``queue``."""
        return not self.queues or queue in self.queues

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "text": self.text, "queues": list(self.queues)}


@dataclass(frozen=True, slots=True)
class TokenNotice:
    """Where the token lives. ``persisted`` False: no OS keyring; kept in memory only."""

    persisted: bool


class NoticeKind(StrEnum):
    """A one-off thing the engine tells the person; the desktop puts it in words."""

    CLAIM_NEEDS_HUB = "claim_needs_hub"  # a new claim while not online
    NOT_RECORDED = "not_recorded"  # refused before it was recorded (action; detail: why, as given)
    NOT_HELD = "not_held"  # an action on a handoff this desk no longer holds (action, handoff_id)
    NOT_RECORDED_AGAIN = "not_recorded_again"  # a "needs attention" item not recorded again (action; detail)
    NOT_SAVED = "not_saved"  # recorded and kept in memory: the disk refused it (action; detail: the cause)
    SAVED_LATER = "saved_later"  # actions kept in memory are saved to disk now (count)
    NOT_DISMISSED = "not_dismissed"  # a "needs attention" item was not dismissed (detail: the cause)
    CACHE_DAMAGED = "cache_damaged"  # set aside (path) and rebuilt (detail: the damage; count: actions kept)
    CACHE_NEWER = "cache_newer"  # a newer release's cache set aside (path; detail: its schema; count: kept)
    CACHE_IN_MEMORY = "cache_in_memory"  # the cache file cannot be used (path; detail: why): memory only
    SAVED_REPLY_NOT_CHANGED = "saved_reply_not_changed"  # action: save or delete; detail: the hub's words
    OFFER_NOT_DECLINED = "offer_not_declined"  # handoff_id; detail: the hub's words (or why it could not ask)


@dataclass(frozen=True, slots=True)
class Notice:
    """A one-off report for the person, as state: the desktop words it (never the engine).

    Attributes:
        kind: what happened.
        action: the request it concerns (claim, resolve, ...; save or delete for saved replies).
        handoff_id: the handoff it concerns.
        code: the hub's error code, when the hub refused something.
        detail: what goes with ``kind`` (a cause, the hub's or a check's words), as given.
        count: how many (actions kept, saved).
        path: a file it concerns (the cache, or where a damaged one was moved).
    """

    kind: NoticeKind
    action: str | None = None
    handoff_id: str | None = None
    code: str | None = None
    detail: str | None = None
    count: int = 0
    path: str | None = None


class EngineListener(Protocol):
    """Receives everything the engine reports. Called on the engine thread only."""

    def on_status(self, status: ConnectionStatus) -> None: ...
    def on_session(self, session: Session) -> None: ...
    def on_handoffs(self, delta: HandoffDelta) -> None: ...
    def on_presence(self, user: UserInfo) -> None: ...
    def on_attention(self, items: tuple[AttentionItem, ...]) -> None: ...
    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None: ...
    def on_notice(self, notice: Notice) -> None: ...  # a one-off report (a refused claim, ...)
    def on_token(self, notice: TokenNotice) -> None: ...
    def on_drafts(self, drafts: Mapping[str, tuple[str, str]]) -> None: ...  # id -> (kind, text), at start
    def on_canned(self, replies: tuple[CannedReply, ...]) -> None: ...  # the team's saved replies
    def on_targets(self, targets: Mapping[str, Any]) -> None: ...  # a lead changed the team's targets
