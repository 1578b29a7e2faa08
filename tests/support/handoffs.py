"""Handoffs shaped like the hub's, for tests that need no hub: the one factory for them all."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

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
    sync: str | None = "synced",
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
        **({"_sync": sync} if sync is not None else {}),
        **extra,
    }


def make_handoff(number: int, **changes: Any) -> dict[str, Any]:
    """Handoff ``h_0001``, ``h_0002``...: waiting in billing at priority 2, as the hub sends it
    (no local sync state), escalated ``number`` minutes after 10:00."""
    fields: dict[str, Any] = {"priority": 2, "escalated": float(number % 60 * 60), "sync": None, **changes}
    return handoff(id=f"h_{number:04d}", **fields)


def event(seq: int, handoff: dict[str, Any], kind: str = "handoff.updated") -> dict[str, Any]:
    """An ``event`` frame carrying a whole handoff."""
    return {
        "type": "event",
        "seq": seq,
        "kind": kind,
        "at": "2026-11-20T10:00:00.000Z",
        "data": handoff,
    }
