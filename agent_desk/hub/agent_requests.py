"""What agents and leads do to a handoff: ``claim``, ``release``, ``resolve``, ``reassign``.

Each handler runs inside the request's transaction on the storage thread. It checks
authorization and state first, then saves the handoff (compare-and-set on its version) and
emits ``handoff.updated``; its return value is the result's ``data``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent_desk.hub import handoffs, users
from agent_desk.hub.store import Tx
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import Code, EventKind, Role, Status
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.visibility import can_see


def _get(tx: Tx, handoff_id: str) -> dict[str, Any]:
    handoff = handoffs.load(tx.conn, handoff_id)
    if handoff is None:
        raise RequestError(Code.NOT_FOUND, f"no handoff {handoff_id!r}")
    return handoff


def _conflict(message: str, handoff: dict[str, Any]) -> RequestError:
    return RequestError(Code.CONFLICT, message, {"handoff": handoff})


def _change(tx: Tx, before: dict[str, Any], after: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Save ``after`` as the next version of ``before`` and tell everyone who sees either."""
    after["version"] = before["version"] + 1
    handoffs.save(tx.conn, after, before["version"], **extra)
    tx.emit(EventKind.HANDOFF_UPDATED, after, before, after)
    return {"handoff": after}


def _claim_fields(tx: Tx, handoff: dict[str, Any], assignee: str) -> dict[str, Any]:
    """Make ``handoff`` claimed by ``assignee``; returns the extra columns to save with it."""
    extra: dict[str, Any] = {}
    if handoffs.first_claimed_at(tx.conn, handoff["id"]) is None:
        extra["first_claimed_at"] = tx.now_s
    handoff.update(status=Status.CLAIMED.value, assignee=assignee, claimed_at=tx.now_s)
    return extra


def _check_assignee(user: User, handoff: dict[str, Any]) -> None:
    if user.role != Role.LEAD and handoff["assignee"] != user.id:
        raise RequestError(Code.NOT_ASSIGNEE, "this handoff is no longer assigned to you", {"handoff": handoff})


def claim(tx: Tx, user: User, req: m.Claim) -> dict[str, Any]:
    """Waiting -> claimed by the sender; exactly one of racing claims wins."""
    before = _get(tx, req.handoff_id)
    if req.expected_version is not None and req.expected_version != before["version"]:
        raise _conflict("the handoff changed since you saw it", before)
    if before["status"] == Status.CLAIMED:
        who = "you" if before["assignee"] == user.id else before["assignee"]
        raise _conflict(f"already claimed by {who}", before)
    if before["status"] == Status.RESOLVED:
        raise _conflict("already resolved", before)
    if not can_see(user.viewer, before):
        raise RequestError(Code.FORBIDDEN, "this handoff is not in your queues")
    after = dict(before)
    extra = _claim_fields(tx, after, user.id)
    return _change(tx, before, after, **extra)


def release(tx: Tx, user: User, req: m.Release) -> dict[str, Any]:
    """Claimed -> waiting, assignee cleared (the assignee or a lead)."""
    before = _get(tx, req.handoff_id)
    _check_assignee(user, before)
    if before["status"] != Status.CLAIMED:
        raise _conflict(f"the handoff is {before['status']}, not claimed", before)
    after = dict(before, status=Status.WAITING.value, assignee=None, claimed_at=None)
    return _change(tx, before, after)


def resolve(tx: Tx, user: User, req: m.Resolve) -> dict[str, Any]:
    """Claimed -> resolved with its outcome (the assignee or a lead)."""
    before = _get(tx, req.handoff_id)
    _check_assignee(user, before)
    if before["status"] != Status.CLAIMED:
        raise _conflict(f"the handoff is {before['status']}, not claimed", before)
    outcome = req.outcome.model_dump(mode="json")
    outcome.update(recorded_by=user.id, recorded_at=tx.now_s)
    after = dict(before, status=Status.RESOLVED.value, resolved_at=tx.now_s, outcome=outcome)
    return _change(tx, before, after, resolved_by=user.id)


def reassign(tx: Tx, user: User, req: m.Reassign, known_queues: Iterable[str]) -> dict[str, Any]:
    """To a user (claimed by it) or to a queue (waiting there).

    A lead may do either; an agent only moves a handoff it holds to a queue (a transfer).

    Args:
        known_queues: queues that exist even with no handoff or user in them (triage's).
    """
    before = _get(tx, req.handoff_id)
    if user.role != Role.LEAD:
        holds = before["assignee"] == user.id and before["status"] == Status.CLAIMED
        if req.to_user is not None or not holds:
            raise RequestError(Code.FORBIDDEN, "agents may only transfer a handoff they hold to a queue")
    if req.expected_version is not None and req.expected_version != before["version"]:
        raise _conflict("the handoff changed since you saw it", before)
    if before["status"] == Status.RESOLVED:
        raise _conflict("already resolved", before)
    after = dict(before)
    extra: dict[str, Any] = {}
    if req.to_user is not None:
        target = users.get(tx.conn, req.to_user)
        if target is None or target.revoked or target.role == Role.SOURCE:
            raise RequestError(Code.NOT_FOUND, f"no agent or lead named {req.to_user!r}")
        if before["status"] == Status.CLAIMED and before["assignee"] == target.id:
            return {"handoff": before}
        extra = _claim_fields(tx, after, target.id)
    else:
        if req.to_queue not in handoffs.queue_names(tx.conn, known_queues):
            raise RequestError(Code.NOT_FOUND, f"no queue named {req.to_queue!r}")
        if before["status"] == Status.WAITING and before["queue"] == req.to_queue:
            return {"handoff": before}
        after.update(status=Status.WAITING.value, queue=req.to_queue, assignee=None, claimed_at=None)
    return _change(tx, before, after, **extra)
