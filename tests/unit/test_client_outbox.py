"""Recorded requests: validation before anything is stored, and their local effect."""

from __future__ import annotations

import pytest

from agent_desk.client.outbox import PRESENCE_LANE, RequestRefused, build_entry, replay
from tests.support.handoffs import make_handoff

AT = "2026-11-20T10:30:00.000Z"


def test_a_valid_request_becomes_the_frame_that_is_sent():
    entry = build_entry("resolve", "r-1", AT, handoff_id="h_1", outcome={"resolution": "follow_up", "csat": 3})
    assert entry.frame() == {
        "type": "resolve",
        "id": "r-1",
        "handoff_id": "h_1",
        "outcome": {"resolution": "follow_up", "csat": 3},
    }
    assert entry.lane == "h_1"
    assert build_entry("presence", "p-1", AT, status="away").lane == PRESENCE_LANE


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("resolve", {"handoff_id": "h_1", "outcome": {"resolution": "fixed"}}),
        ("resolve", {"handoff_id": "h_1", "outcome": {"resolution": "resolved", "csat": 6}}),
        (
            "resolve",
            {"handoff_id": "h_1", "outcome": {"resolution": "resolved", "notes": "x" * 10_001}},
        ),
        ("reassign", {"handoff_id": "h_1"}),
        ("reassign", {"handoff_id": "h_1", "to_user": "ben", "to_queue": "billing"}),
        ("presence", {"status": "offline"}),
        ("claim", {}),
        ("metrics", {}),
    ],
)
def test_invalid_requests_are_refused_before_they_are_recorded(kind, fields):
    with pytest.raises(RequestRefused):
        build_entry(kind, "r-1", AT, **fields)


def test_replay_applies_each_pending_request_in_order():
    base = make_handoff(1)
    claim = build_entry("claim", "c", AT, handoff_id="h_0001")
    transfer = build_entry("reassign", "t", AT, handoff_id="h_0001", to_queue="vip")
    shown = replay(base, [claim], "ana")
    assert (shown["status"], shown["assignee"], shown["claimed_at"]) == ("claimed", "ana", AT)
    moved = replay(base, [claim, transfer], "ana")
    assert (moved["status"], moved["queue"], moved["assignee"]) == ("waiting", "vip", None)
    resolve = build_entry("resolve", "r", AT, handoff_id="h_0001", outcome={"resolution": "resolved"})
    done = replay(base, [claim, resolve], "ana")
    assert done["status"] == "resolved" and done["outcome"]["recorded_by"] == "ana"
    assert base["status"] == "waiting"  # the hub's state itself is never changed
