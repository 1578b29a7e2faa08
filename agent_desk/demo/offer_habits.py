"""How a simulated agent answers an offer from the hub (routing by offers).

Mostly it takes the case, after the moment a person needs to notice it and open it. Now and
then it declines: more often when its hands are nearly full, or when the case is a stretch (a
queue outside its own team, or a language it speaks less well). And once in a while it does
not answer at all, and the offer lapses to the next colleague.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

#: How often an agent declines an offer, and how much more often when it is a stretch or busy.
DECLINE_CHANCE = 0.04
STRETCH_DECLINE = 0.05
BUSY_DECLINE = 0.05
#: How often an offer is left to lapse (the agent is on the phone, reading, away from the screen).
LAPSE_CHANCE = 0.05


class Answer(StrEnum):
    """What an agent does with an offer."""

    ACCEPT = "accept"  # claims it
    DECLINE = "decline"  # refuses it: it moves on to the next agent at once
    LAPSE = "lapse"  # lets it expire


def is_stretch(queues: tuple[str, ...], languages: tuple[str, ...], handoff: Mapping[str, Any]) -> bool:
    """Whether a case is outside what the agent does best: not one of its two main queues, or
    not in its first language (English for an agent who takes every language)."""
    language = str(handoff.get("language") or "en").split("-")[0]
    first = languages[0] if languages else "en"
    return handoff.get("queue") not in queues[:2] or language != first


def answer_offer(rng: random.Random, *, stretch: bool, holding: int, capacity: int) -> Answer:
    """Decide what to do with an offer.

    Args:
        rng: where the choice's chance comes from.
        stretch: the case is outside what the agent does best (see :func:`is_stretch`).
        holding: the cases the agent works now.
        capacity: the most cases it holds at once.
    """
    roll = rng.random()
    if roll < LAPSE_CHANCE:
        return Answer.LAPSE
    decline = DECLINE_CHANCE + (STRETCH_DECLINE if stretch else 0.0)
    if holding >= capacity - 1:
        decline += BUSY_DECLINE
    if roll < LAPSE_CHANCE + decline:
        return Answer.DECLINE
    return Answer.ACCEPT
