"""Stored offers: each offer the hub made (routing by offers) and how it ended, for the metrics.

An offer is *accepted* when the agent it was offered to claims the handoff while the offer
stands; it otherwise ends ``declined``, ``expired``, ``moved`` (its agent went busy, away or
offline) or ``withdrawn`` (someone else claimed it, a lead moved it, routing was turned off).
Functions take an open connection; the caller owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, bindparam, select

from agent_desk.hub.models import HANDOFFS, OFFERS


class Ending(StrEnum):
    """How an offer ended."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    MOVED = "moved"
    WITHDRAWN = "withdrawn"


INSERT_OFFER = OFFERS.insert()
END_OFFER = (
    OFFERS.update()
    .where(
        OFFERS.c.handoff_id == bindparam("match_handoff"),
        OFFERS.c.user_id == bindparam("match_user"),
        OFFERS.c.ended_at.is_(None),
    )
    .values(outcome=bindparam("outcome"), ended_at=bindparam("at"))
)


def made(conn: Connection, handoff_id: str, user_id: str, at: str) -> None:
    """Record an offer of a handoff to an agent."""
    conn.execute(INSERT_OFFER, {"handoff_id": handoff_id, "user_id": user_id, "offered_at": at})


def ended(conn: Connection, handoff_id: str, user_id: str, outcome: Ending, at: str) -> None:
    """Record how the pending offer of a handoff to an agent ended."""
    conn.execute(END_OFFER, {"match_handoff": handoff_id, "match_user": user_id, "outcome": outcome.value, "at": at})


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What the metrics need of one offer: its handoff's queue and triggers, and its times."""

    queue: str
    triggers: frozenset[str]
    offered_at: str
    accepted_at: str | None


def escalated_between(conn: Connection, since: str, until: str, user_id: str | None = None) -> list[OfferFacts]:
    """The offers of the handoffs escalated in ``[since, until)``; with ``user_id``, only
    those made to that agent."""
    query = (
        select(OFFERS.c.offered_at, OFFERS.c.outcome, OFFERS.c.ended_at, HANDOFFS.c.queue, HANDOFFS.c.data)
        .join(HANDOFFS, HANDOFFS.c.id == OFFERS.c.handoff_id)
        .where(HANDOFFS.c.escalated_at >= since, HANDOFFS.c.escalated_at < until)
    )
    if user_id is not None:
        query = query.where(OFFERS.c.user_id == user_id)
    facts = []
    for row in conn.execute(query):
        handoff: dict[str, Any] = json.loads(row.data)
        facts.append(
            OfferFacts(
                queue=row.queue,
                triggers=frozenset(str(r["trigger"]) for r in handoff.get("reasons") or ()),
                offered_at=row.offered_at,
                accepted_at=row.ended_at if row.outcome == Ending.ACCEPTED else None,
            )
        )
    return facts
