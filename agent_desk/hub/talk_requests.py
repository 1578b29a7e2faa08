"""The agent talks to the customer: ``reply`` and ``note`` on /v1/agent, ``delivered`` on /v1/source.

A reply is a transcript message of role ``agent`` that the conversation's source relays to the
customer (``agent.message``) and confirms with ``delivered``; a note, of role ``note``, stays
with the agents. Both name their author and count towards the transcript's limits (500
messages, 512 KiB), and each is a change of the handoff (version +1, ``message.added``). Each
handler runs inside the request's transaction on the storage thread; its return value is the
result's ``data``.
"""

from __future__ import annotations

from typing import Any

from agent_desk.hub import handoffs, source_events
from agent_desk.hub.store import Tx
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol import transitions
from agent_desk.protocol.codes import Code, EventKind, MessageRole
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.transitions import Refusal
from agent_desk.protocol.visibility import can_see


def _load(tx: Tx, handoff_id: str) -> dict[str, Any]:
    handoff = handoffs.load(tx.conn, handoff_id)
    if handoff is None:
        raise RequestError(Code.NOT_FOUND, f"no handoff {handoff_id!r}")
    return handoff


def _added(handoff: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of ``message.added``, and of a ``reply``, ``note`` or ``delivered`` result."""
    return {"handoff_id": handoff["id"], "version": handoff["version"], "message": message}


def _append(tx: Tx, user: User, before: dict[str, Any], kind: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append the sender's ``reply`` or ``note`` to the transcript (version +1) and send
    ``message.added``, by the rule the desktop applies too (:mod:`agent_desk.protocol.transitions`).

    Returns the handoff as it now stands and the new transcript entry.

    Raises:
        RequestError: ``invalid`` when the transcript would outgrow its limits.
    """
    message = transitions.agent_message(before, kind, text, user.id, user.id, tx.now_s)
    after = transitions.with_message(before, message)
    after["version"] = before["version"] + 1
    handoffs.save(tx.conn, after, before["version"])
    tx.emit(EventKind.MESSAGE_ADDED, _added(after, message), before, after)
    return after, message


def _refused(refusal: Refusal, user: User, handoff: dict[str, Any]) -> RequestError:
    """A refusal that carries the handoff as it now stands, when the sender may see it."""
    return RequestError(refusal.code, refusal.message, {"handoff": handoff} if can_see(user.viewer, handoff) else None)


def reply(tx: Tx, user: User, req: m.Reply) -> dict[str, Any]:
    """A message to the customer from the person who holds the handoff.

    A resolved handoff: ``conflict``; one the sender does not hold (waiting, or claimed by
    someone else, a lead's included): ``not_assignee``.
    """
    before = _load(tx, req.handoff_id)
    refusal = transitions.refuse_reply(before, user.id)
    if refusal is not None:
        raise _refused(refusal, user, before)
    after, message = _append(tx, user, before, "reply", req.text)
    source_events.relay_message(tx, after, message)
    return _added(after, message)


def note(tx: Tx, user: User, req: m.Note) -> dict[str, Any]:
    """An internal note by anyone who can see the handoff; its source never hears of it."""
    before = handoffs.load(tx.conn, req.handoff_id)
    if before is None or not can_see(user.viewer, before):
        raise RequestError(Code.NOT_FOUND, f"no handoff {req.handoff_id!r} that you can see")
    after, message = _append(tx, user, before, "note", req.text)
    return _added(after, message)


def delivered(tx: Tx, user: User, req: m.Delivered) -> dict[str, Any]:
    """A source confirms an agent's message reached the customer: its ``delivered_at`` is set.

    Agents get ``handoff.updated`` (version +1; ``message.added`` is not repeated). A message
    confirmed before stays as it is, and the result says how it stands. Another source's
    handoff, or an index that is not an agent message: ``not_found``.
    """
    before = handoffs.load(tx.conn, req.handoff_id)
    if before is None or before["source"] != user.id:
        raise RequestError(Code.NOT_FOUND, f"no handoff {req.handoff_id!r} of yours")
    transcript: list[dict[str, Any]] = before["transcript"]
    position = next((i for i, msg in enumerate(transcript) if msg["index"] == req.index), None)
    if position is None or transcript[position]["role"] != MessageRole.AGENT:
        raise RequestError(Code.NOT_FOUND, f"message {req.index} of handoff {req.handoff_id!r} is not an agent's")
    message = transcript[position]
    if message.get("delivered_at") is not None:
        return _added(before, message)
    message = {**message, "delivered_at": tx.now_s}
    after = {
        **before,
        "transcript": [*transcript[:position], message, *transcript[position + 1 :]],
        "version": before["version"] + 1,
    }
    handoffs.save(tx.conn, after, before["version"])
    tx.emit(EventKind.HANDOFF_UPDATED, after, before, after)
    return _added(after, message)
