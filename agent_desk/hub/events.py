"""The durable event log: appending events, reading them back for a replay, restore markers.

``seq`` is global and strictly increasing. Beside each event the log keeps the visibility-relevant
state of its handoff before and after the change, so who may see it can be decided later (a
replay) exactly as it was live. Functions take an open connection; the caller owns the
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from agent_desk.hub.models import EVENTS
from agent_desk.hub.wire import wire_frame
from agent_desk.protocol.messages import encode

#: The kind of the marker a restore from backup leaves in the log; no one ever receives it.
RESTORE_KIND = "hub.restored"

INSERT_EVENT = EVENTS.insert()


def visible_state(handoff: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The visibility-relevant part of a handoff, as kept beside each event (None: no handoff)."""
    if handoff is None:
        return None
    return {
        "status": handoff["status"],
        "queue": handoff["queue"],
        "language": handoff.get("language"),
        "assignee": handoff.get("assignee"),
    }


@dataclass(slots=True)
class Event:
    """One committed event, encoded once for every audience.

    Attributes:
        before, after: :func:`visible_state` of the handoff before and after the change.
        lead_only: for leads alone, whatever the handoff (``presence.changed``).
        source: for that source's subscribed connections alone (no desktop gets it).
        everyone: for every desktop connection, whatever it sees (``canned.changed``, ``targets.changed``).
    """

    seq: int
    kind: str
    frame: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    lead_only: bool = False
    source: str | None = None
    everyone: bool = False
    _wire: bytes | None = field(default=None, repr=False)
    #: The handoff the event is about, while the change that made it is in hand (not stored).
    handoff_id: str | None = field(default=None, repr=False)
    #: Routing by offers: the agent the change offers the handoff to, whose connections get it
    #: first (in memory only).
    offered_to: str | None = field(default=None, repr=False)

    @property
    def wire(self) -> bytes:
        """The event's websocket frame, serialised once for every connection that gets it."""
        if self._wire is None:
            self._wire = wire_frame(self.frame)
        return self._wire


def append(
    conn: Connection,
    seq: int,
    at: str,
    kind: str,
    data: dict[str, Any],
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    lead_only: bool = False,
    *,
    source: str | None = None,
    everyone: bool = False,
) -> Event:
    """Write event ``seq`` to the log; returns it with its frame encoded."""
    frame = encode({"type": "event", "seq": seq, "kind": kind, "at": at, "data": data})
    b, a = visible_state(before), visible_state(after)
    conn.execute(
        INSERT_EVENT,
        {
            "seq": seq,
            "at": at,
            "kind": kind,
            "before": json.dumps(b) if b else None,
            "after": json.dumps(a) if a else None,
            "lead_only": lead_only,
            "gap_from": None,
            "frame": frame,
            "source": source,
            "everyone": everyone,
        },
    )
    handoff = after if after is not None else before
    handoff_id = handoff.get("id") if handoff is not None else None
    offer = after.get("offer") if after is not None else None
    offered_to = offer.get("to") if offer and offer != (before or {}).get("offer") else None
    return Event(seq, kind, frame, b, a, lead_only, source, everyone, handoff_id=handoff_id, offered_to=offered_to)


def head(conn: Connection) -> int:
    """The highest seq in the log (0 when it is empty)."""
    return int(conn.execute(select(func.max(EVENTS.c.seq))).scalar() or 0)


def _replayable(conn: Connection, last_seq: int) -> bool:
    """Whether the log still holds every event after ``last_seq``.

    It does not when events after ``last_seq`` were pruned, or when a restore from backup took
    away events the holder of ``last_seq`` may have seen (a restore marker covers it).
    """
    oldest = conn.execute(select(func.min(EVENTS.c.seq))).scalar()
    if oldest is None or oldest > last_seq + 1:
        return False
    lost = conn.execute(
        select(func.count()).where(
            EVENTS.c.kind == RESTORE_KIND,
            EVENTS.c.gap_from < last_seq,
            EVENTS.c.seq >= last_seq,
        )
    ).scalar()
    return not lost


_SELECT_EVENTS = select(
    EVENTS.c.seq,
    EVENTS.c.kind,
    EVENTS.c.before,
    EVENTS.c.after,
    EVENTS.c.lead_only,
    EVENTS.c.frame,
    EVENTS.c.source,
    EVENTS.c.everyone,
)


def after(conn: Connection, last_seq: int, source: str | None = None) -> list[Event] | None:
    """Every event after ``last_seq``, in order; None when the log can no longer replay them.

    With ``source``, only the events for that source (what a source's ``subscribe`` replays).
    The log can no longer replay them when events after ``last_seq`` were pruned, or when a
    restore from backup took away events the holder of ``last_seq`` may have seen.
    """
    if not _replayable(conn, last_seq):
        return None
    query = _SELECT_EVENTS.where(EVENTS.c.seq > last_seq)
    if source is not None:
        query = query.where(EVENTS.c.source == source)
    return [
        Event(
            row.seq,
            row.kind,
            row.frame,
            json.loads(row.before) if row.before else None,
            json.loads(row.after) if row.after else None,
            bool(row.lead_only),
            row.source,
            bool(row.everyone),
        )
        for row in conn.execute(query.order_by(EVENTS.c.seq))
    ]


def append_restore_marker(conn: Connection, at: str, old_head: int | None) -> int:
    """Make every seq the replaced store may have issued unreusable; returns the new head.

    The log jumps past anything the replaced store could have issued (``old_head``, or 2**32
    when it is not known), and the marker records the gap so resumes inside it get a snapshot.
    """
    current = head(conn)
    jump = max(current, old_head or 0) + (1 if old_head is not None else 2**32)
    conn.execute(
        insert(EVENTS).values(
            seq=jump, at=at, kind=RESTORE_KIND, gap_from=current, frame="{}", lead_only=True, everyone=False
        )
    )
    return jump


def prune_before(conn: Connection, cutoff: str, keep_from: int) -> int:
    """Drop events logged before ``cutoff`` whose seq is below ``keep_from``; returns how many."""
    return int(conn.execute(delete(EVENTS).where(EVENTS.c.at < cutoff, EVENTS.c.seq < keep_from)).rowcount)
