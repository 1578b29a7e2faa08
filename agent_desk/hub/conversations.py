"""Stored conversations: what each source escalated or asked the hub to watch.

A row keeps the conversation's messages and bot steps, its customer, where the current watch
starts, its current handoff and how it ended. Functions take an open connection; the caller
owns the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from agent_desk.hub.models import CONVERSATIONS

SELECT_CONVERSATION = select(CONVERSATIONS).where(
    CONVERSATIONS.c.source == bindparam("source"), CONVERSATIONS.c.id == bindparam("conversation_id")
)
INSERT_CONVERSATION = CONVERSATIONS.insert()
UPDATE_CONVERSATION = CONVERSATIONS.update().where(
    CONVERSATIONS.c.source == bindparam("match_source"),
    CONVERSATIONS.c.id == bindparam("match_id"),
)


def get(conn: Connection, source: str, conversation_id: str) -> Any:
    """The row of a source's conversation, or None."""
    return conn.execute(SELECT_CONVERSATION, {"source": source, "conversation_id": conversation_id}).first()


def insert(conn: Connection, values: dict[str, Any]) -> None:
    """Store a new conversation; ``values`` holds every column."""
    conn.execute(INSERT_CONVERSATION, values)


def update(conn: Connection, source: str, conversation_id: str, values: dict[str, Any]) -> None:
    """Change some columns of a source's conversation."""
    conn.execute(UPDATE_CONVERSATION, {"match_source": source, "match_id": conversation_id, **values})


def handoff_id(conn: Connection, source: str, conversation_id: str) -> tuple[bool, str | None]:
    """Whether the source has this conversation, and the id of its current handoff (or None)."""
    row = conn.execute(
        select(CONVERSATIONS.c.handoff_id).where(
            CONVERSATIONS.c.source == source, CONVERSATIONS.c.id == conversation_id
        )
    ).first()
    if row is None:
        return False, None
    return True, row.handoff_id


def ended_between(conn: Connection, since: str, until: str) -> list[Any]:
    """Conversations that ended in ``[since, until)``: rows of ``ended_at``, ``escalated_at``
    (None: it ended without escalating), ``resolved_by_bot`` and ``csat``."""
    query = select(
        CONVERSATIONS.c.ended_at,
        CONVERSATIONS.c.escalated_at,
        CONVERSATIONS.c.resolved_by_bot,
        CONVERSATIONS.c.csat,
    ).where(CONVERSATIONS.c.ended_at >= since, CONVERSATIONS.c.ended_at < until)
    return list(conn.execute(query))


def ended_without_escalation(conn: Connection, since: str, until: str) -> int:
    """How many conversations ended in ``[since, until)`` without escalating."""
    count = conn.execute(
        select(func.count()).where(
            CONVERSATIONS.c.ended_at >= since,
            CONVERSATIONS.c.ended_at < until,
            CONVERSATIONS.c.escalated_at.is_(None),
        )
    ).scalar()
    return int(count or 0)
