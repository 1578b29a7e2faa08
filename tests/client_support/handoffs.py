"""Handoff dicts shaped like the hub's, for tests that need no hub."""

from __future__ import annotations

from typing import Any


def make_handoff(number: int, **changes: Any) -> dict[str, Any]:
    """A waiting billing handoff, version 1, with a short transcript."""
    handoff: dict[str, Any] = {
        "id": f"h_{number:04d}",
        "conversation_id": f"conv-{number}",
        "source": "bot",
        "version": 1,
        "status": "waiting",
        "queue": "billing",
        "priority": 2,
        "tier": "standard",
        "language": "en",
        "channel": "web",
        "conversation_started_at": "2026-11-20T09:58:00.000Z",
        "escalated_at": f"2026-11-20T10:{number % 60:02d}:00.000Z",
        "claimed_at": None,
        "resolved_at": None,
        "assignee": None,
        "category": "billing_dispute",
        "brief": "Charged twice for one order; wants the duplicate refunded.",
        "sentiment": {"compound": -0.42, "trend": -0.1},
        "reasons": [{"trigger": "explicit_request", "detail": "asked for a person", "message_index": 0}],
        "customer": {"id": f"c-{number}", "name": "Dana Whitfield", "tier": "standard"},
        "attempts": [{"step": "lookup_order", "result": "failed", "at": "2026-11-20T09:59:00.000Z"}],
        "transcript": [
            {
                "index": 0,
                "role": "customer",
                "text": "I was charged twice for order #A-1029, I want a person now",
                "at": "2026-11-20T09:58:00.000Z",
                "sentiment": -0.5,
            },
            {
                "index": 1,
                "role": "bot",
                "text": "I can help with billing. Could you confirm the order number?",
                "at": "2026-11-20T09:58:30.000Z",
            },
        ],
        "outcome": None,
    }
    handoff.update(changes)
    return handoff


def event(seq: int, handoff: dict[str, Any], kind: str = "handoff.updated") -> dict[str, Any]:
    """An ``event`` frame carrying a whole handoff."""
    return {
        "type": "event",
        "seq": seq,
        "kind": kind,
        "at": "2026-11-20T10:00:00.000Z",
        "data": handoff,
    }
