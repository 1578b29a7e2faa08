"""Handoffs and engine stand-ins for GUI tests."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    EngineListener,
    HandoffDelta,
    Link,
    Session,
    UserInfo,
)
from agent_desk.protocol.timefmt import format_time

_ids = itertools.count(1)
BASE = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    """A protocol time ``seconds`` after BASE."""
    return format_time(BASE + timedelta(seconds=seconds))


def handoff(
    *,
    id: str | None = None,
    priority: int = 3,
    tier: str = "standard",
    escalated: float = 0.0,
    status: str = "waiting",
    queue: str = "billing",
    assignee: str | None = None,
    name: str = "Dana Whitfield",
    brief: str = "Charged twice for order A-1029 and wants a refund",
    language: str = "en",
    transcript: list[dict[str, Any]] | None = None,
    sync: str = "synced",
    version: int = 1,
    resolved: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    handoff_id = id or f"h_{next(_ids):06d}"
    return {
        "id": handoff_id,
        "conversation_id": f"c-{handoff_id}",
        "source": "bot",
        "version": version,
        "status": status,
        "queue": queue,
        "priority": priority,
        "tier": tier,
        "language": language,
        "conversation_started_at": at(escalated - 120),
        "escalated_at": at(escalated),
        "claimed_at": at(escalated + 30) if status != "waiting" else None,
        "resolved_at": at(resolved) if resolved is not None else None,
        "assignee": assignee,
        "category": "billing_dispute",
        "brief": brief,
        "sentiment": {"compound": -0.62, "trend": -0.2},
        "reasons": [
            {"trigger": "explicit_request", "detail": "Asked for a person", "message_index": 0},
            {"trigger": "negative_sentiment", "detail": "Sentiment fell to -0.62", "score": -0.62, "message_index": 0},
        ],
        "customer": {"id": f"cust-{handoff_id}", "name": name, "tier": tier, "lifetime_value": 18400},
        "attempts": [{"step": "Looked up the order", "result": "succeeded", "at": at(escalated - 60)}],
        "transcript": transcript
        if transcript is not None
        else [
            {
                "index": 0,
                "role": "customer",
                "text": "I was charged twice, I want a person now",
                "at": at(escalated - 90),
                "sentiment": -0.62,
            },
            {"index": 1, "role": "bot", "text": "Let me connect you with a colleague.", "at": at(escalated - 5)},
        ],
        "outcome": None,
        "_sync": sync,
        **extra,
    }


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

    def request_metrics(self, since: str | None = None, until: str | None = None) -> str:
        return self._record("request_metrics", since=since, until=until)

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
    "at",
    "handoff",
    "session",
]
