"""What claim, release, resolve and reassign do to a handoff, and when each is refused.

The one statement of the handoff's life: the hub applies these to its stored handoffs, and the
desktop applies the same functions to show a person's action before the hub has answered
(``client/outbox.py``), so the two cannot drift apart. Pure: each function returns a new dict
and changes nothing it is given.

A handoff is ``waiting`` (in a queue), ``claimed`` (held by one person) or ``resolved`` (final):

- claim: waiting -> claimed by the claimer;
- release: claimed -> waiting, in the same queue;
- resolve: claimed -> resolved, with the outcome, who recorded it and when;
- reassign to a person: waiting or claimed -> claimed by that person;
- reassign to a queue: waiting or claimed -> waiting in that queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent_desk.protocol.codes import Code, Status
from agent_desk.protocol.timefmt import format_time, parse_time

#: The outcome's fields, as a resolve that leaves one out records it.
OUTCOME_DEFAULTS: Mapping[str, Any] = {
    "resolution": None,
    "csat": None,
    "disposition": None,
    "notes": None,
    "escalation_feedback": None,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a transition may not happen: the error code and message the hub answers with."""

    code: Code
    message: str


# -- effects ---------------------------------------------------------------------------------


def _no_offer(handoff: Mapping[str, Any]) -> dict[str, Any]:
    """An offer of the handoff to one agent (routing by offers) ends when its holder changes."""
    return {"offer": None} if "offer" in handoff else {}


def claimed(handoff: Mapping[str, Any], assignee: str, at: str) -> dict[str, Any]:
    """The handoff held by ``assignee`` from ``at`` (a claim, or a reassign to a person).

    A pending offer is withdrawn, whoever claims it.
    """
    return {**handoff, "status": Status.CLAIMED.value, "assignee": assignee, "claimed_at": at, **_no_offer(handoff)}


def released(handoff: Mapping[str, Any]) -> dict[str, Any]:
    """The handoff back in its queue, held by nobody (and offered to nobody yet)."""
    return {**handoff, "status": Status.WAITING.value, "assignee": None, "claimed_at": None, **_no_offer(handoff)}


def resolved(handoff: Mapping[str, Any], outcome: Mapping[str, Any], by: str, at: str) -> dict[str, Any]:
    """The handoff resolved with ``outcome`` (missing fields recorded as None), by ``by`` at ``at``.

    The outcome's ``recorded_at`` is when the person recorded it, as their desk gave it (a
    resolve recorded offline reaches the hub later), kept between the claim and ``at``; ``at``
    when none is given.
    """
    when = recorded_time(outcome.get("recorded_at"), handoff.get("claimed_at"), at)
    recorded = {**OUTCOME_DEFAULTS, **outcome, "recorded_by": by, "recorded_at": when}
    return {**handoff, "status": Status.RESOLVED.value, "resolved_at": at, "outcome": recorded}


def recorded_time(given: Any, claimed_at: Any, at: str) -> str:
    """``given`` (a protocol time), no later than ``at`` and no earlier than ``claimed_at``."""
    try:
        moment, latest = parse_time(given), parse_time(at)
    except ValueError:
        return at
    if moment >= latest:
        return at
    try:
        if moment < parse_time(claimed_at):
            return str(claimed_at)
    except ValueError:
        pass  # no claim time to hold it to
    return format_time(moment)


def moved_to_queue(handoff: Mapping[str, Any], queue: str) -> dict[str, Any]:
    """The handoff waiting in ``queue``, held by nobody."""
    return {**released(handoff), "queue": queue}


def reassigned(handoff: Mapping[str, Any], to_user: str | None, to_queue: str | None, at: str) -> dict[str, Any]:
    """The handoff after a reassign to a person (``to_user``) or else to a queue (``to_queue``)."""
    if to_user is not None:
        return claimed(handoff, to_user, at)
    if to_queue is None:
        raise ValueError("a reassign names a person or a queue")
    return moved_to_queue(handoff, to_queue)


def unchanged_by_reassign(handoff: Mapping[str, Any], to_user: str | None, to_queue: str | None) -> bool:
    """Whether the reassign asks for what already holds (the hub answers it without a change)."""
    status = handoff.get("status")
    if to_user is not None:
        return status == Status.CLAIMED and handoff.get("assignee") == to_user
    return status == Status.WAITING and handoff.get("queue") == to_queue


def agent_message(
    handoff: Mapping[str, Any], kind: str, text: str, author: str, author_name: str | None, at: str
) -> dict[str, Any]:
    """The transcript entry a ``reply`` (role ``agent``) or a ``note`` (role ``note``) appends.

    A reply carries ``delivered_at`` (None until the source confirms it); a note never leaves
    the hub, so it has none.
    """
    transcript = handoff.get("transcript") or ()
    message: dict[str, Any] = {
        "index": len(transcript),
        "role": "agent" if kind == "reply" else "note",
        "text": text,
        "at": at,
        "author": author,
        "author_name": author_name if author_name is not None else author,
    }
    if kind == "reply":
        message["delivered_at"] = None
    return message


def with_message(handoff: Mapping[str, Any], message: Mapping[str, Any]) -> dict[str, Any]:
    """The handoff with ``message`` appended to its transcript (the version is the hub's to set)."""
    return {**handoff, "transcript": [*(handoff.get("transcript") or ()), dict(message)]}


def refuse_reply(handoff: Mapping[str, Any], user_id: str) -> Refusal | None:
    """Why ``user_id`` may not reply to the customer of ``handoff`` now, or None."""
    if handoff.get("status") == Status.RESOLVED:
        return Refusal(Code.CONFLICT, "the handoff is resolved")
    if handoff.get("status") != Status.CLAIMED or handoff.get("assignee") != user_id:
        return Refusal(Code.NOT_ASSIGNEE, "only the person holding the handoff replies to the customer")
    return None


# -- refusals --------------------------------------------------------------------------------


def _stale(handoff: Mapping[str, Any], expected_version: int | None) -> Refusal | None:
    if expected_version is not None and expected_version != handoff.get("version"):
        return Refusal(Code.CONFLICT, "the handoff changed since you saw it")
    return None


def refuse_claim(handoff: Mapping[str, Any], user_id: str, expected_version: int | None = None) -> Refusal | None:
    """Why ``user_id`` may not claim the handoff now, or None (visibility is checked apart)."""
    stale = _stale(handoff, expected_version)
    if stale is not None:
        return stale
    status = handoff.get("status")
    if status == Status.CLAIMED:
        who = "you" if handoff.get("assignee") == user_id else handoff.get("assignee")
        return Refusal(Code.CONFLICT, f"already claimed by {who}")
    if status == Status.RESOLVED:
        return Refusal(Code.CONFLICT, "already resolved")
    return None


def refuse_holder_change(handoff: Mapping[str, Any], user_id: str, is_lead: bool) -> Refusal | None:
    """Why ``user_id`` may not release or resolve the handoff now, or None.

    Only the person who holds it (or a lead) may, and only while it is claimed.
    """
    if not is_lead and handoff.get("assignee") != user_id:
        return Refusal(Code.NOT_ASSIGNEE, "this handoff is no longer assigned to you")
    status = handoff.get("status")
    if status != Status.CLAIMED:
        return Refusal(Code.CONFLICT, f"the handoff is {status}, not claimed")
    return None


def refuse_reassign(
    handoff: Mapping[str, Any],
    user_id: str,
    is_lead: bool,
    to_user: str | None,
    expected_version: int | None = None,
) -> Refusal | None:
    """Why ``user_id`` may not reassign the handoff now, or None (targets are checked apart).

    A lead moves any open handoff to a person or a queue; an agent may only transfer a handoff
    it holds to a queue.
    """
    if not is_lead:
        holds = handoff.get("assignee") == user_id and handoff.get("status") == Status.CLAIMED
        if to_user is not None or not holds:
            return Refusal(Code.FORBIDDEN, "agents may only transfer a handoff they hold to a queue")
    stale = _stale(handoff, expected_version)
    if stale is not None:
        return stale
    if handoff.get("status") == Status.RESOLVED:
        return Refusal(Code.CONFLICT, "already resolved")
    return None
