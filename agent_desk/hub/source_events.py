"""What a source hears about the conversations it handed over, and the state a ``subscribe`` brings.

A source that subscribed hears, about each of its own handoffs:

- ``handoff.claimed``: a person has taken over (a claim, or a reassign to a person);
- ``handoff.requeued``: released or moved to a queue, so nobody holds it;
- ``agent.message``: a reply to relay to the customer;
- ``handoff.resolved``: the resolution alone (no CSAT, notes or feedback).

Each is an event of the one global log, appended in the transaction of the change, so a source
that reconnects replays what it missed by ``seq``; each is addressed to the source that owns
the handoff and reaches no one else. A note never becomes one: notes stay with the agents, and
nothing here ever hands a source a transcript, only agent messages picked out of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from agent_desk.hub import handoffs
from agent_desk.hub.store import Tx
from agent_desk.protocol.codes import EventKind, MessageRole, Status


def _ids(handoff: Mapping[str, Any]) -> dict[str, Any]:
    return {"conversation_id": handoff["conversation_id"], "handoff_id": handoff["id"]}


def relay_change(tx: Tx, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Tell the handoff's source what a change of holder or status means for it.

    Taken by a person (or by another one): ``handoff.claimed``; back in a queue, or moved to
    another one: ``handoff.requeued``; resolved: ``handoff.resolved``. Other changes say nothing
    to the source.
    """
    status, was = after["status"], before["status"]
    source = after["source"]
    if status == Status.CLAIMED and (was != Status.CLAIMED or before.get("assignee") != after.get("assignee")):
        tx.emit(EventKind.HANDOFF_CLAIMED, {**_ids(after), "assignee_name": after["assignee"]}, source=source)
    elif status == Status.WAITING and (was != Status.WAITING or before["queue"] != after["queue"]):
        tx.emit(EventKind.HANDOFF_REQUEUED, _ids(after), source=source)
    elif status == Status.RESOLVED and was != Status.RESOLVED:
        resolution = (after.get("outcome") or {}).get("resolution")
        tx.emit(EventKind.HANDOFF_RESOLVED, {**_ids(after), "resolution": resolution}, source=source)


def relay_message(tx: Tx, handoff: Mapping[str, Any], message: Mapping[str, Any]) -> None:
    """Queue an agent's reply for the handoff's source (``agent.message``); a note never is."""
    if message["role"] != MessageRole.AGENT:
        return
    tx.emit(EventKind.AGENT_MESSAGE, {**_ids(handoff), "message": dict(message)}, source=handoff["source"])


def undelivered(handoff: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The handoff's agent messages the source has not confirmed yet (never a note)."""
    return [
        dict(message)
        for message in handoff["transcript"]
        if message["role"] == MessageRole.AGENT and message.get("delivered_at") is None
    ]


def conversation(handoff: Mapping[str, Any]) -> dict[str, Any]:
    """A handoff as a source's snapshot lists it."""
    return {
        **_ids(handoff),
        "status": handoff["status"],
        "assignee_name": handoff.get("assignee"),
        "undelivered": undelivered(handoff),
    }


def open_conversations(conn: Connection, source: str) -> list[dict[str, Any]]:
    """The source's unresolved handoffs as its snapshot lists them, oldest escalation first."""
    return [conversation(handoff) for handoff in handoffs.open_of_source(conn, source)]
