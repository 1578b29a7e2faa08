"""What the desktop shows before the hub answers is what the hub then does."""

from __future__ import annotations

from typing import Any

from agent_desk.client.outbox import apply_entry, build_entry
from tests.support.peers import escalate_body

TIMES = ("claimed_at", "resolved_at", "version")


def same(local: dict[str, Any], hub: dict[str, Any]) -> bool:
    """Equal but for the times each side stamps and the version the hub counts."""

    def shape(h: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in h.items() if k not in TIMES and not k.startswith("_")}
        if out.get("outcome"):
            out["outcome"] = {k: v for k, v in out["outcome"].items() if k != "recorded_at"}
        return out

    return shape(local) == shape(hub)


async def test_each_action_shows_locally_as_the_hub_then_records_it(hub):
    bot, lea = await hub.peer("bot"), await hub.peer("lea")
    handoff_id = (await bot.call("escalate", **escalate_body()))["data"]["handoff_id"]
    current = (await lea.next_event("handoff.created"))["data"]
    steps = [
        ("claim", {}),
        ("reassign", {"to_user": "ana"}),
        ("reassign", {"to_queue": "vip"}),
        ("claim", {}),
        ("release", {}),
        ("claim", {}),
        ("resolve", {"outcome": {"resolution": "follow_up", "csat": 4, "notes": "Call back Monday."}}),
    ]
    for number, (kind, fields) in enumerate(steps):
        entry = build_entry(kind, f"r{number}", "2026-11-20T10:00:00.000Z", handoff_id=handoff_id, **fields)
        shown = apply_entry(current, entry, "lea")
        result = await lea.call(kind, request_id=f"r{number}", handoff_id=handoff_id, **fields)
        assert result["ok"], result
        current = result["data"]["handoff"]
        assert same(shown, current), (kind, shown, current)
    assert current["status"] == "resolved" and current["outcome"]["recorded_by"] == "lea"
