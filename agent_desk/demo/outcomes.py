"""How the simulated agents close a handoff: resolution, CSAT, disposition, notes, feedback.

Most cases end resolved with a good rating; some need a follow-up, a few stay unresolved, and
an unhappy customer rates lower. The feedback on the escalation follows the case: a calm request
that only asked for a person was sometimes premature, an urgent case the bot kept trying on
sometimes late.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

DISPOSITIONS: dict[str, tuple[str, ...]] = {
    "billing_dispute": ("refund issued", "duplicate charge reversed"),
    "billing": ("invoice corrected", "charge explained"),
    "orders": ("replacement sent", "delivery upgraded", "carrier claim opened"),
    "technical": ("fixed remotely", "escalated to engineering", "workaround applied"),
    "account": ("account updated",),
    "cancellation": ("subscription cancelled", "retained with a pause"),
    "privacy": ("erasure request opened",),
    "compliance": ("passed to compliance",),
    "legal": ("refund confirmed in writing",),
    "safety": ("return and refund arranged", "product safety report filed"),
    "bereavement": ("account closed",),
    "general": ("question answered", "information sent"),
}
NOTES: dict[str, str] = {
    "resolved": "Sorted in chat; customer confirmed.",
    "follow_up": "Needs a check in two days; reminder set.",
    "unresolved": "Could not fix in chat; customer unhappy.",
    "transferred": "Handed to the specialist team by email.",
}
RESOLUTIONS = (("resolved", 78), ("follow_up", 12), ("unresolved", 6), ("transferred", 4))
CSAT_WEIGHTS: dict[str, tuple[int, int, int, int, int]] = {  # weights of 1..5
    "resolved": (3, 5, 12, 30, 50),
    "follow_up": (5, 10, 30, 35, 20),
    "unresolved": (30, 30, 25, 10, 5),
    "transferred": (10, 15, 35, 25, 15),
}


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in weighted], weights=[w for _, w in weighted])[0]


def csat(rng: random.Random, resolution: str, mood: float) -> int | None:
    """The customer's rating, or None when they skipped the survey (about a quarter do)."""
    if rng.random() < 0.25:
        return None
    score = rng.choices((1, 2, 3, 4, 5), weights=CSAT_WEIGHTS.get(resolution, CSAT_WEIGHTS["resolved"]))[0]
    if mood < -0.5 and score > 1 and rng.random() < 0.3:
        score -= 1  # an angry start leaves a mark
    return score


def feedback(rng: random.Random, handoff: Mapping[str, Any]) -> str | None:
    """Whether the bot handed this over at the right time, as the agent sees it."""
    if rng.random() < 0.1:
        return None
    triggers = {str(r.get("trigger")) for r in handoff.get("reasons") or ()}
    priority = int(handoff.get("priority", 3))
    if triggers <= {"explicit_request"} and priority >= 3 and rng.random() < 0.35:
        return "premature"
    if priority <= 2 and len(handoff.get("attempts") or ()) >= 2 and rng.random() < 0.3:
        return "late"
    return "appropriate"


def outcome_for(rng: random.Random, handoff: Mapping[str, Any]) -> dict[str, Any]:
    """An outcome for ``resolve``."""
    resolution = _pick(rng, RESOLUTIONS)
    mood = float((handoff.get("sentiment") or {}).get("compound", 0.0))
    category = str(handoff.get("category") or "general")
    outcome: dict[str, Any] = {
        "resolution": resolution,
        "csat": csat(rng, resolution, mood),
        "disposition": rng.choice(DISPOSITIONS.get(category, DISPOSITIONS["general"])),
        "escalation_feedback": feedback(rng, handoff),
    }
    if resolution != "resolved" or rng.random() < 0.3:
        outcome["notes"] = NOTES[resolution]
    return outcome
