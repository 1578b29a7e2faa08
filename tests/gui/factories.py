"""Engine stand-ins for GUI tests (handoffs come from tests/support/handoffs.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from agent_desk.client.handoff_view import HandoffView
from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    EngineListener,
    HandoffDelta,
    Link,
    Session,
    UserInfo,
)


def view(handoff: Mapping[str, Any]) -> HandoffView:
    """``handoff`` as the engine reports it: wrapped once in a :class:`HandoffView`."""
    return handoff if isinstance(handoff, HandoffView) else HandoffView(handoff)


def delta(
    upserts: Iterable[Mapping[str, Any]] = (), removed: tuple[str, ...] = (), reset: bool = False
) -> HandoffDelta:
    """A :class:`HandoffDelta` as the engine reports it: every handoff a :class:`HandoffView`."""
    return HandoffDelta(upserts=tuple(view(h) for h in upserts), removed=removed, reset=reset)


def session(
    user_id: str = "ana",
    role: str = "agent",
    queues: tuple[str, ...] = ("billing", "vip"),
    users: tuple[UserInfo, ...] = (),
) -> Session:
    me = UserInfo(user_id, user_id.capitalize(), role, queues)
    return Session(
        user=me,
        queues=("billing", "technical", "orders", "vip"),
        sla_targets_s={1: 60, 2: 180, 3: 600, 4: 1800},
        users=users,
        server_time="",
        hub_url="ws://127.0.0.1:1",
    )


class FakeEngine:
    """Records commands and reports to the listener from its own thread, like the engine."""

    def __init__(self, listener: EngineListener) -> None:
        self.listener = listener
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.started = False
        self.stopped = False
        self.stop_requested = False
        self.after: Any = None

    def from_worker(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on another thread and wait for it (the engine's thread stand-in)."""
        thread = threading.Thread(target=fn, name="fake-engine")
        thread.start()
        thread.join(5)

    def report(self, method: str, *args: Any) -> None:
        """Call the listener from another thread; handoff dicts are wrapped as the engine does."""
        args = tuple(delta(a.upserts, a.removed, a.reset) if isinstance(a, HandoffDelta) else a for a in args)
        self.from_worker(lambda: getattr(self.listener, method)(*args))

    def start(self, after: Any = None) -> None:
        self.started = True
        self.after = after

    def request_stop(self) -> None:
        self.stop_requested = True

    def stop(self) -> None:
        self.stopped = True

    def _record(self, name: str, *args: Any, **kwargs: Any) -> str:
        self.calls.append((name, args, kwargs))
        return f"r{len(self.calls)}"

    def claim(self, handoff_id: str) -> str:
        return self._record("claim", handoff_id)

    def release(self, handoff_id: str) -> str:
        return self._record("release", handoff_id)

    def resolve(self, handoff_id: str, outcome: Mapping[str, Any]) -> str:
        return self._record("resolve", handoff_id, dict(outcome))

    def reassign(self, handoff_id: str, to_user: str | None = None, to_queue: str | None = None) -> str:
        return self._record("reassign", handoff_id, to_user=to_user, to_queue=to_queue)

    def set_presence(self, status: str) -> str:
        return self._record("set_presence", status)

    def request_metrics(self, since: str | None = None, until: str | None = None, bucket_s: int | None = None) -> str:
        return self._record("request_metrics", since=since, until=until, bucket_s=bucket_s)

    def set_targets(self, targets: Mapping[str, Any]) -> str:
        return self._record("set_targets", dict(targets))

    def dismiss_attention(self, request_id: str) -> None:
        self._record("dismiss_attention", request_id)

    def retry_attention(self, request_id: str) -> str:
        return self._record("retry_attention", request_id)

    def reconnect_now(self) -> None:
        self._record("reconnect_now")


__all__ = [
    "AttentionItem",
    "ConnectionStatus",
    "FakeEngine",
    "HandoffDelta",
    "Link",
    "UserInfo",
    "delta",
    "session",
    "view",
]
