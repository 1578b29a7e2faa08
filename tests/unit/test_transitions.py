"""The handoff's life, stated once: what each action does, and when it is refused."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agent_desk.protocol.codes import Code
from agent_desk.protocol.transitions import (
    claimed,
    reassigned,
    refuse_claim,
    refuse_holder_change,
    refuse_reassign,
    released,
    resolved,
    unchanged_by_reassign,
)

AT = "2026-11-20T10:05:00.000Z"


def waiting(**extra: Any) -> dict[str, Any]:
    return {
        "id": "h1",
        "version": 3,
        "status": "waiting",
        "queue": "billing",
        "assignee": None,
        "claimed_at": None,
        "resolved_at": None,
        "outcome": None,
        "brief": "Charged twice.",
        **extra,
    }


def test_claim_release_resolve_change_only_what_they_say():
    start = waiting()
    held = claimed(start, "ana", AT)
    assert held == {**start, "status": "claimed", "assignee": "ana", "claimed_at": AT}
    assert released(held) == start
    done = resolved(held, {"resolution": "resolved", "csat": 5}, "ana", AT)
    assert done["status"] == "resolved" and done["resolved_at"] == AT and done["assignee"] == "ana"
    assert done["outcome"] == {
        "resolution": "resolved",
        "csat": 5,
        "disposition": None,
        "notes": None,
        "escalation_feedback": None,
        "recorded_by": "ana",
        "recorded_at": AT,
    }
    assert start == waiting()  # nothing given is changed


def test_reassign_to_a_person_holds_it_and_to_a_queue_puts_it_back():
    held = claimed(waiting(), "ana", AT)
    assert reassigned(held, "ben", None, AT)["assignee"] == "ben"
    moved = reassigned(held, None, "vip", AT)
    assert (moved["status"], moved["queue"], moved["assignee"], moved["claimed_at"]) == ("waiting", "vip", None, None)
    assert unchanged_by_reassign(held, "ana", None) and not unchanged_by_reassign(held, "ben", None)
    assert unchanged_by_reassign(waiting(), None, "billing") and not unchanged_by_reassign(held, None, "billing")


def test_a_second_claim_is_refused_with_who_holds_it():
    held = claimed(waiting(), "ana", AT)
    assert refuse_claim(waiting(), "ben") is None
    refusal = refuse_claim(held, "ben")
    assert refusal is not None and refusal.code == Code.CONFLICT and refusal.message == "already claimed by ana"
    assert refuse_claim(held, "ana").message == "already claimed by you"
    assert refuse_claim(waiting(), "ben", expected_version=2).message == "the handoff changed since you saw it"


def test_only_the_holder_or_a_lead_releases_or_resolves():
    held = claimed(waiting(), "ana", AT)
    assert refuse_holder_change(held, "ana", is_lead=False) is None
    assert refuse_holder_change(held, "lea", is_lead=True) is None
    assert refuse_holder_change(held, "ben", is_lead=False).code == Code.NOT_ASSIGNEE
    assert refuse_holder_change(waiting(), "lea", is_lead=True).message == "the handoff is waiting, not claimed"


def test_agents_transfer_only_what_they_hold_and_only_to_a_queue():
    held = claimed(waiting(), "ana", AT)
    assert refuse_reassign(held, "ana", False, None) is None
    assert refuse_reassign(held, "ana", False, "ben").code == Code.FORBIDDEN
    assert refuse_reassign(waiting(), "ana", False, None).code == Code.FORBIDDEN
    assert refuse_reassign(waiting(), "lea", True, "ben") is None
    done = resolved(held, {}, "ana", AT)
    assert refuse_reassign(done, "lea", True, "ben").message == "already resolved"


ACTIONS = st.lists(
    st.sampled_from(["claim", "release", "resolve", "to_ben", "to_vip"]),
    max_size=8,
)


@given(ACTIONS)
def test_whatever_happens_the_handoff_stays_consistent(actions):
    """A handoff is held exactly when it is claimed; a resolved one never changes again."""
    handoff = waiting()
    for action in actions:
        if handoff["status"] == "resolved":
            assert refuse_claim(handoff, "ana") is not None and refuse_reassign(handoff, "lea", True, "ben") is not None
            break
        if action == "claim" and refuse_claim(handoff, "ana") is None:
            handoff = claimed(handoff, "ana", AT)
        elif action in ("release", "resolve") and refuse_holder_change(handoff, "lea", True) is None:
            handoff = released(handoff) if action == "release" else resolved(handoff, {}, "lea", AT)
        elif action == "to_ben" and refuse_reassign(handoff, "lea", True, "ben") is None:
            handoff = reassigned(handoff, "ben", None, AT)
        elif action == "to_vip" and refuse_reassign(handoff, "lea", True, None) is None:
            handoff = reassigned(handoff, None, "vip", AT)
        assert (handoff["assignee"] is not None) == (handoff["status"] in ("claimed", "resolved"))
        assert (handoff["claimed_at"] is not None) == (handoff["assignee"] is not None)


def test_an_outcome_keeps_when_the_person_recorded_it_within_the_claim():
    held = claimed(waiting(), "ana", "2026-11-20T10:00:00.000Z")
    offline = {"resolution": "resolved", "recorded_at": "2026-11-20T10:03:00Z"}
    done = resolved(held, offline, "ana", AT)  # it reached the hub at 10:05
    assert done["outcome"]["recorded_at"] == "2026-11-20T10:03:00.000Z" and done["resolved_at"] == AT
    early = resolved(held, {**offline, "recorded_at": "2026-11-20T09:00:00.000Z"}, "ana", AT)
    assert early["outcome"]["recorded_at"] == "2026-11-20T10:00:00.000Z"  # not before the claim
    late = resolved(held, {**offline, "recorded_at": "2026-11-20T11:00:00.000Z"}, "ana", AT)
    assert late["outcome"]["recorded_at"] == AT  # not after the hub took it
    assert resolved(held, {"resolution": "resolved", "recorded_at": None}, "ana", AT)["outcome"]["recorded_at"] == AT
