"""Stored handoffs: load, insert, compare-and-set saves, and the reads built on them.

Each handoff is kept whole as JSON, beside the columns queries filter on. Functions take an open
connection; the caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from agent_desk.hub import users
from agent_desk.hub.models import HANDOFFS
from agent_desk.protocol.codes import MAX_HANDOFF_BYTES, MAX_TRANSCRIPT_MESSAGES, Code, Status
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.messages import encode, handoff_size

# Statements of the hot path, built once: rebuilding ``insert(...).values(...)`` per request
# cost more CPU than the SQLite work itself.
INSERT_HANDOFF = HANDOFFS.insert()
SAVE_HANDOFF = HANDOFFS.update().where(
    HANDOFFS.c.id == bindparam("match_id"), HANDOFFS.c.version == bindparam("match_version")
)
SELECT_HANDOFF = select(HANDOFFS.c.data).where(HANDOFFS.c.id == bindparam("handoff_id"))
SELECT_FIRST_CLAIM = select(HANDOFFS.c.first_claimed_at).where(HANDOFFS.c.id == bindparam("handoff_id"))


def check_size(handoff: dict[str, Any]) -> None:
    """Refuse a handoff that would outgrow the protocol's limits (so it always fits a frame).

    Raises:
        RequestError: ``invalid``: too many transcript messages, or larger than 512 KiB.
    """
    if len(handoff["transcript"]) > MAX_TRANSCRIPT_MESSAGES:
        raise RequestError(Code.INVALID, f"a transcript holds at most {MAX_TRANSCRIPT_MESSAGES} messages")
    if handoff_size(handoff) > MAX_HANDOFF_BYTES:
        raise RequestError(Code.INVALID, "the handoff would grow beyond 512 KiB")


def _columns(handoff: dict[str, Any]) -> dict[str, Any]:
    """The columns copied from the handoff on every write: the ranking's, and its offer's."""
    offer = handoff.get("offer") or {}
    return {
        "priority": int(handoff.get("priority", 4)),
        "tier": str(handoff.get("tier", "standard")),
        "offer_to": offer.get("to"),
        "offer_expires_at": offer.get("expires_at"),
    }


def load(conn: Connection, handoff_id: str) -> dict[str, Any] | None:
    """The handoff with this id as it now stands, or None."""
    data = conn.execute(SELECT_HANDOFF, {"handoff_id": handoff_id}).scalar()
    return json.loads(data) if data is not None else None


def insert(conn: Connection, handoff: dict[str, Any]) -> None:
    """Store a new handoff, after checking its size.

    Raises:
        RequestError: ``invalid`` when it is too large (nothing is written).
    """
    check_size(handoff)
    conn.execute(
        INSERT_HANDOFF,
        {
            "id": handoff["id"],
            "source": handoff["source"],
            "conversation_id": handoff["conversation_id"],
            "status": handoff["status"],
            "queue": handoff["queue"],
            "language": handoff["language"],
            "assignee": handoff["assignee"],
            "version": handoff["version"],
            "escalated_at": handoff["escalated_at"],
            "first_claimed_at": None,
            "resolved_at": None,
            "resolved_by": None,
            "data": encode(handoff),
            "routing": "{}",
            **_columns(handoff),
        },
    )


def save(conn: Connection, handoff: dict[str, Any], expected_version: int, **extra: Any) -> None:
    """Write a changed handoff, compare-and-set on the version it was read at.

    ``extra`` sets columns that are not part of the handoff (``first_claimed_at``,
    ``resolved_by``, ``routing``).

    Raises:
        RequestError: ``invalid`` when it grew too large; ``conflict`` when it changed meanwhile.
    """
    check_size(handoff)
    done = conn.execute(
        SAVE_HANDOFF,
        {
            "match_id": handoff["id"],
            "match_version": expected_version,
            "status": handoff["status"],
            "queue": handoff["queue"],
            "language": handoff["language"],
            "assignee": handoff["assignee"],
            "version": handoff["version"],
            "resolved_at": handoff.get("resolved_at"),
            "data": encode(handoff),
            **_columns(handoff),
            **extra,
        },
    )
    if done.rowcount != 1:
        raise RequestError(Code.CONFLICT, "the handoff changed meanwhile; try again")


def first_claimed_at(conn: Connection, handoff_id: str) -> str | None:
    """When the handoff was first claimed (kept across releases), or None."""
    value: str | None = conn.execute(SELECT_FIRST_CLAIM, {"handoff_id": handoff_id}).scalar()
    return value


def queue_names(conn: Connection, extra: Iterable[str] = ()) -> list[str]:
    """Every queue name: ``extra`` (the triage rules' queues), those of handoffs and of users."""
    names = set(extra)
    names.update(r[0] for r in conn.execute(select(HANDOFFS.c.queue).distinct()))
    names.update(users.queues_in_use(conn))
    return sorted(names)


def active_counts(conn: Connection) -> dict[str, int]:
    """Handoffs claimed now, by assignee."""
    rows = conn.execute(
        select(HANDOFFS.c.assignee, func.count())
        .where(HANDOFFS.c.status == Status.CLAIMED)
        .group_by(HANDOFFS.c.assignee)
    )
    return {r[0]: int(r[1]) for r in rows}


def active_count(conn: Connection, user_id: str) -> int:
    """Handoffs claimed now by one user."""
    count = conn.execute(
        select(func.count()).where(HANDOFFS.c.status == Status.CLAIMED, HANDOFFS.c.assignee == user_id)
    ).scalar()
    return int(count or 0)


def snapshot_candidates(
    conn: Connection, since: str, user_id: str | None, queues: Iterable[str]
) -> list[dict[str, Any]]:
    """Handoffs a snapshot may hold, oldest escalation first: a superset, not the decision.

    Waiting and claimed handoffs, and those resolved at ``since`` or later. With ``user_id``
    (anyone but a lead) only those assigned to that user or waiting in one of ``queues``: the
    indexed part of the visibility rule, which the caller applies in full.
    """
    query = select(HANDOFFS.c.data).where(
        HANDOFFS.c.status.in_([Status.WAITING, Status.CLAIMED])
        | ((HANDOFFS.c.status == Status.RESOLVED) & (HANDOFFS.c.resolved_at >= since))
    )
    if user_id is not None:
        query = query.where(
            (HANDOFFS.c.assignee == user_id)
            | ((HANDOFFS.c.status == Status.WAITING) & HANDOFFS.c.queue.in_(list(queues)))
        )
    return [json.loads(row.data) for row in conn.execute(query.order_by(HANDOFFS.c.escalated_at))]


def open_of_source(conn: Connection, source: str) -> list[dict[str, Any]]:
    """The source's waiting and claimed handoffs, oldest escalation first."""
    query = select(HANDOFFS.c.data).where(
        HANDOFFS.c.source == source, HANDOFFS.c.status.in_([Status.WAITING, Status.CLAIMED])
    )
    return [json.loads(row.data) for row in conn.execute(query.order_by(HANDOFFS.c.escalated_at, HANDOFFS.c.id))]


def escalated_between(
    conn: Connection, since: str, until: str, assignee: str | None = None
) -> list[tuple[dict[str, Any], str | None]]:
    """Handoffs escalated in ``[since, until)``, each with when it was first claimed.

    With ``assignee``, only the handoffs assigned to that user.
    """
    query = select(HANDOFFS.c.data, HANDOFFS.c.first_claimed_at).where(
        HANDOFFS.c.escalated_at >= since, HANDOFFS.c.escalated_at < until
    )
    if assignee is not None:
        query = query.where(HANDOFFS.c.assignee == assignee)
    return [(json.loads(r.data), r.first_claimed_at) for r in conn.execute(query)]


def escalated_count(conn: Connection, since: str, until: str) -> int:
    """How many handoffs escalated in ``[since, until)``."""
    count = conn.execute(
        select(func.count()).where(HANDOFFS.c.escalated_at >= since, HANDOFFS.c.escalated_at < until)
    ).scalar()
    return int(count or 0)


# -- routing by offers -------------------------------------------------------------------------

SELECT_ROUTING = select(HANDOFFS.c.routing).where(HANDOFFS.c.id == bindparam("handoff_id"))
SET_ROUTING = HANDOFFS.update().where(HANDOFFS.c.id == bindparam("match_id"))
SELECT_WAITING = select(
    HANDOFFS.c.id,
    HANDOFFS.c.queue,
    HANDOFFS.c.language,
    HANDOFFS.c.priority,
    HANDOFFS.c.tier,
    HANDOFFS.c.escalated_at,
    HANDOFFS.c.offer_to,
    HANDOFFS.c.offer_expires_at,
    HANDOFFS.c.routing,
).where(HANDOFFS.c.status == Status.WAITING)
SELECT_EXPIRED = select(HANDOFFS.c.id).where(HANDOFFS.c.offer_expires_at <= bindparam("now"))
SELECT_OFFERED = select(HANDOFFS.c.id).where(HANDOFFS.c.offer_to.is_not(None))
SELECT_PENDING = select(HANDOFFS.c.id, HANDOFFS.c.offer_to, HANDOFFS.c.offer_expires_at).where(
    HANDOFFS.c.offer_expires_at.is_not(None)
)
SELECT_UNOFFERED = (
    select(HANDOFFS.c.id).where(HANDOFFS.c.status == Status.WAITING, HANDOFFS.c.offer_to.is_(None)).limit(1)
)


def waiting_for_routing(conn: Connection) -> list[Any]:
    """Every waiting handoff's routing columns (``id``, ``queue``, ``language``, ``priority``,
    ``tier``, ``escalated_at``, ``offer_to``, ``offer_expires_at``, ``routing``)."""
    return list(conn.execute(SELECT_WAITING))


def routing_state(conn: Connection, handoff_id: str) -> dict[str, Any]:
    """A handoff's round state (``round``, ``offered``, ``exhausted``; empty when never routed)."""
    text = conn.execute(SELECT_ROUTING, {"handoff_id": handoff_id}).scalar()
    state: dict[str, Any] = json.loads(text) if text else {}
    return state


def set_routing_state(conn: Connection, handoff_id: str, state: dict[str, Any]) -> None:
    """Store a handoff's round state (agents never see it; the handoff's version stays)."""
    conn.execute(SET_ROUTING, {"match_id": handoff_id, "routing": encode(state)})


def pending_offers(conn: Connection) -> dict[str, tuple[str, str]]:
    """Each pending offer, by handoff id: the agent it is offered to, and when it expires."""
    return {row.id: (row.offer_to, row.offer_expires_at) for row in conn.execute(SELECT_PENDING)}


def any_unoffered_waiting(conn: Connection) -> bool:
    """Whether some waiting handoff is offered to nobody now."""
    return conn.execute(SELECT_UNOFFERED).first() is not None


def expired_offers(conn: Connection, now: str) -> list[str]:
    """Ids of the handoffs whose offer expired at ``now`` or before."""
    return [row.id for row in conn.execute(SELECT_EXPIRED, {"now": now})]


def offered(conn: Connection) -> list[str]:
    """Ids of the handoffs offered to someone now."""
    return [row.id for row in conn.execute(SELECT_OFFERED)]
