"""A listener that records every engine report and lets async tests await conditions."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from agent_desk.client.surface import (
    AttentionItem,
    CannedReply,
    ConnectionStatus,
    Handoff,
    HandoffDelta,
    Link,
    Notice,
    Session,
    TokenNotice,
    UserInfo,
)

WAIT_S = 15.0


class RecordingListener:
    """Records every call (made on the engine thread) and mirrors the held handoffs like a UI.

    ``await wait_for(predicate)`` wakes on every report, so a test waits for exactly the state
    it needs, never for a fixed time. Safe to wait from an asyncio test (the hub may share its
    loop) or, with :meth:`wait_for_sync`, from a plain thread.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self._changed = asyncio.Event()
        self.statuses: list[ConnectionStatus] = []
        self.sessions: list[Session] = []
        self.deltas: list[HandoffDelta] = []
        self.presence: list[UserInfo] = []
        self.attention: tuple[AttentionItem, ...] = ()
        self.attention_calls = 0
        self.metrics: dict[str, tuple[Mapping[str, Any] | None, str | None]] = {}
        self.notices: list[Notice] = []
        self.tokens: list[TokenNotice] = []
        self.drafts: dict[str, tuple[str, str]] = {}
        self.canned: list[tuple[CannedReply, ...]] = []
        self.targets: list[Mapping[str, Any]] = []
        self.view: dict[str, Handoff] = {}
        self.threads: set[str] = set()

    # -- EngineListener ------------------------------------------------------------------

    def _note(self, fn: Callable[[], None]) -> None:
        with self.cond:
            self.threads.add(threading.current_thread().name)
            fn()
            self.cond.notify_all()
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._changed.set)

    def on_status(self, status: ConnectionStatus) -> None:
        self._note(lambda: self.statuses.append(status))

    def on_session(self, session: Session) -> None:
        self._note(lambda: self.sessions.append(session))

    def on_handoffs(self, delta: HandoffDelta) -> None:
        def apply() -> None:
            self.deltas.append(delta)
            if delta.reset:
                self.view = {}
            for handoff in delta.upserts:
                self.view[str(handoff["id"])] = handoff
            for handoff_id in delta.removed:
                self.view.pop(handoff_id, None)

        self._note(apply)

    def on_presence(self, user: UserInfo) -> None:
        self._note(lambda: self.presence.append(user))

    def on_attention(self, items: tuple[AttentionItem, ...]) -> None:
        def apply() -> None:
            self.attention = items
            self.attention_calls += 1

        self._note(apply)

    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None:
        self._note(lambda: self.metrics.__setitem__(request_id, (data, error)))

    def on_notice(self, notice: Notice) -> None:
        self._note(lambda: self.notices.append(notice))

    def on_token(self, notice: TokenNotice) -> None:
        self._note(lambda: self.tokens.append(notice))

    def on_drafts(self, drafts: Mapping[str, tuple[str, str]]) -> None:
        self._note(lambda: self.drafts.update(drafts))

    def on_canned(self, replies: tuple[CannedReply, ...]) -> None:
        self._note(lambda: self.canned.append(replies))

    def on_targets(self, targets: Mapping[str, Any]) -> None:
        self._note(lambda: self.targets.append(targets))

    # -- reading -------------------------------------------------------------------------

    @property
    def status(self) -> ConnectionStatus | None:
        return self.statuses[-1] if self.statuses else None

    @property
    def link(self) -> Link | None:
        status = self.status
        return status.link if status is not None else None

    @property
    def online(self) -> bool:
        status = self.status
        return status is not None and status.link is Link.ONLINE

    def handoff(self, handoff_id: str) -> Handoff | None:
        with self.lock:
            return self.view.get(handoff_id)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> None:
        """Wait until ``predicate()`` holds, re-checking after every report."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()
            with self.lock:
                if predicate():
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what or predicate}; last status {self.status}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    def wait_for_sync(self, predicate: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> None:
        """The same from a plain thread (no event loop)."""
        with self.cond:
            if not self.cond.wait_for(predicate, timeout):
                raise AssertionError(f"timed out waiting for {what or predicate}; last status {self.status}")

    async def until_online(self, timeout: float = WAIT_S) -> None:
        await self.wait_for(lambda: self.online, timeout, "online")

    async def until_synced(self, pending: int = 0, timeout: float = WAIT_S) -> None:
        """Online with no outbox entry left (or ``pending`` left)."""
        await self.wait_for(
            lambda: self.online and self.status is not None and self.status.pending == pending,
            timeout,
            f"online with {pending} pending",
        )
