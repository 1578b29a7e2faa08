"""What agents and leads do to a handoff: ``claim``, ``release``, ``resolve``, ``reassign``.

Each handler runs inside the request's transaction on the storage thread. It checks
authorization and state first (the refusals and effects are :mod:`agent_desk.protocol.transitions`,
the ones the desktop applies too), then saves the handoff (compare-and-set on its version) and
emits ``handoff.updated`` (and, to the handoff's source, what the change means for it:
:mod:`~agent_desk.hub.source_events`); its return value is the result's ``data``. A change of
holder withdraws a pending offer (routing by offers, :mod:`~agent_desk.hub.offers`); a claim by
the agent it was offered to accepts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent_desk.hub import handoffs, offer_log, source_events, users
from agent_desk.hub.offer_log import Ending
from agent_desk.hub.store import Tx
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol import transitions
from agent_desk.protocol.codes import Code, EventKind, Role
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.transitions import Refusal
from agent_desk.protocol.visibility import can_see


def _get(tx: Tx, handoff_id: str) -> dict[str, Any]:
    handoff = handoffs.load(tx.conn, handoff_id)
    if handoff is None:
        raise RequestError(Code.NOT_FOUND, f"no handoff {handoff_id!r}")
    return handoff


def _refused(refusal: Refusal | None, handoff: dict[str, Any]) -> None:
    """Raise the refusal as the request's error; a conflict or a lost assignment carries the
    handoff as it now stands."""
    if refusal is None:
        return
    data = {"handoff": handoff} if refusal.code in (Code.CONFLICT, Code.NOT_ASSIGNEE) else None
    raise RequestError(refusal.code, refusal.message, data)


def _change(
    tx: Tx, before: dict[str, Any], after: dict[str, Any], accepted: bool = False, **extra: Any
) -> dict[str, Any]:
    """Save ``after`` as the next version of ``before`` and tell everyone who sees either, and
    the handoff's source.

    A pending offer the change ends (routing by offers) is recorded as ``accepted`` when its
    agent claimed the handoff, else as withdrawn.
    """
    after["version"] = before["version"] + 1
    handoffs.save(tx.conn, after, before["version"], **extra)
    tx.emit(EventKind.HANDOFF_UPDATED, after, before, after)
    source_events.relay_change(tx, before, after)
    offer = before.get("offer")
    if offer and not after.get("offer"):
        ending = Ending.ACCEPTED if accepted and after.get("assignee") == offer["to"] else Ending.WITHDRAWN
        offer_log.ended(tx.conn, before["id"], offer["to"], ending, tx.now_s)
    return {"handoff": after}


def _first_claim(tx: Tx, handoff: dict[str, Any]) -> dict[str, Any]:
    """The extra columns to save with a claim: when the handoff was first claimed."""
    if handoffs.first_claimed_at(tx.conn, handoff["id"]) is None:
        return {"first_claimed_at": tx.now_s}
    return {}


def claim(tx: Tx, user: User, req: m.Claim) -> dict[str, Any]:
    """Waiting -> claimed by the sender; exactly one of racing claims wins."""
    before = _get(tx, req.handoff_id)
    _refused(transitions.refuse_claim(before, user.id, req.expected_version), before)
    if not can_see(user.viewer, before):
        raise RequestError(Code.FORBIDDEN, "this handoff is not in your queues")
    after = transitions.claimed(before, user.id, tx.now_s)
    return _change(tx, before, after, accepted=True, **_first_claim(tx, before))


def release(tx: Tx, user: User, req: m.Release) -> dict[str, Any]:
    """Claimed -> waiting, assignee cleared (the assignee or a lead)."""
    before = _get(tx, req.handoff_id)
    _refused(transitions.refuse_holder_change(before, user.id, user.role == Role.LEAD), before)
    return _change(tx, before, transitions.released(before))


def resolve(tx: Tx, user: User, req: m.Resolve) -> dict[str, Any]:
    """Claimed -> resolved with its outcome (the assignee or a lead)."""
    before = _get(tx, req.handoff_id)
    _refused(transitions.refuse_holder_change(before, user.id, user.role == Role.LEAD), before)
    after = transitions.resolved(before, req.outcome.model_dump(mode="json"), user.id, tx.now_s)
    return _change(tx, before, after, resolved_by=user.id)


def reassign(tx: Tx, user: User, req: m.Reassign, known_queues: Iterable[str]) -> dict[str, Any]:
    """To a user (claimed by it) or to a queue (waiting there).

    A lead may do either; an agent only moves a handoff it holds to a queue (a transfer).

    Args:
        known_queues: queues that exist even with no handoff or user in them (triage's).
    """
    before = _get(tx, req.handoff_id)
    refusal = transitions.refuse_reassign(before, user.id, user.role == Role.LEAD, req.to_user, req.expected_version)
    _refused(refusal, before)
    extra: dict[str, Any] = {}
    if req.to_user is not None:
        target = users.get(tx.conn, req.to_user)
        if target is None or target.revoked or target.role == Role.SOURCE:
            raise RequestError(Code.NOT_FOUND, f"no agent or lead named {req.to_user!r}")
        extra = _first_claim(tx, before)
    elif req.to_queue not in handoffs.queue_names(tx.conn, known_queues):
        raise RequestError(Code.NOT_FOUND, f"no queue named {req.to_queue!r}")
    if transitions.unchanged_by_reassign(before, req.to_user, req.to_queue):
        return {"handoff": before}
    after = transitions.reassigned(before, req.to_user, req.to_queue, tx.now_s)
    return _change(tx, before, after, **extra)
