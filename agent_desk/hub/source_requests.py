"""What AI platforms (sources) send: ``escalate``, ``observe``, ``end`` and ``status``.

Triage runs inside the request's transaction: ``observe`` feeds one message to the
conversation's incremental triage and escalates in the same transaction that stores the
message, so a decision and its handoff are never separated. After the handoff every new message
is judged again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from agent_desk.hub import conversations, handoffs
from agent_desk.hub.store import Tx
from agent_desk.hub.triage_sessions import TriageSessions, t_attempt, t_message
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import MAX_TRANSCRIPT_MESSAGES, Code, EventKind, MessageRole, Status
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.messages import encode, result_error, result_ok
from agent_desk.triage import ConversationTriage, Decision, pair_attempts

#: A handoff's sentiment is re-sent (``handoff.updated``) when it moves by at least this much.
SENTIMENT_STEP = 0.1


def _open_handoff(conn: Connection, row: Any) -> dict[str, Any] | None:
    """The conversation's handoff while it is not resolved, else None."""
    if row is None or row.handoff_id is None:
        return None
    handoff = handoffs.load(conn, row.handoff_id)
    if handoff is None or handoff["status"] == Status.RESOLVED:
        return None
    return handoff


def _numbered_in(transcript: list[dict[str, Any]], reason: dict[str, Any]) -> dict[str, Any]:
    """A triage reason with its ``message_index`` in the transcript's numbering.

    Triage counts the conversation's own messages (customer and bot); the transcript also
    holds the agents' replies and notes between them, which move the later indexes on.
    """
    index = reason.get("message_index")
    if index is None:
        return reason
    own = [m["index"] for m in transcript if m["role"] not in (MessageRole.AGENT, MessageRole.NOTE)]
    return {**reason, "message_index": own[index]} if index < len(own) else reason


def status(conn: Connection, user: User, req: m.ConversationStatus) -> dict[str, Any]:
    """The result of ``status``: whether a conversation escalated, and how its handoff stands."""
    known, handoff_id = conversations.handoff_id(conn, user.id, req.conversation_id)
    if not known:
        return result_error(req.id, Code.NOT_FOUND, f"no conversation {req.conversation_id!r}")
    if handoff_id is None:
        return result_ok(req.id, {"escalated": False})
    handoff = handoffs.load(conn, handoff_id)
    assert handoff is not None
    return result_ok(
        req.id,
        {
            "escalated": True,
            "handoff_id": handoff["id"],
            "status": handoff["status"],
            "assignee_name": handoff["assignee"],
            "version": handoff["version"],
        },
    )


class SourceRequests:
    """The handlers of the state-changing source requests, over the conversations' triage."""

    def __init__(self, sessions: TriageSessions) -> None:
        self.sessions = sessions

    def escalate(self, tx: Tx, user: User, req: m.Escalate) -> dict[str, Any]:
        """Create a handoff (triage fills what the source left out), or return the open one."""
        conv = req.conversation
        row = conversations.get(tx.conn, user.id, conv.id)
        existing = _open_handoff(tx.conn, row)
        if existing is None:
            messages = [msg.model_dump(mode="json") for msg in conv.messages]
            attempts = [a.model_dump(mode="json", exclude_none=True) for a in req.attempts]
            customer = req.customer.model_dump(mode="json", exclude_none=True)
            steps = [t_attempt(a) for a in attempts]
            raw_step = {id(step): a for step, a in zip(steps, attempts, strict=True)}
            session = self.sessions.start(customer, conv.language, conv.channel)
            for stored, (message, step) in zip(
                messages, pair_attempts([t_message(x) for x in messages], steps), strict=True
            ):
                session.add_message(message, step)
                if step is not None:  # kept with its message, so a rebuilt triage is the same
                    stored["attempt"] = raw_step[id(step)]
            overrides = {
                "priority": req.priority,
                "queue": req.queue,
                "category": req.category,
                "brief": req.brief,
                "reasons": [r.to_wire() for r in req.reasons] if req.reasons else None,
            }
            conv_dict = conv.model_dump(mode="json", exclude_none=True)
            existing = self._new_handoff(tx, user.id, conv_dict, customer, messages, attempts, session, overrides)
            values = {
                "started_at": conv.started_at,
                "language": conv.language,
                "channel": conv.channel,
                "customer": encode(customer),
                "messages": encode(messages),
                "attempts": encode(attempts),
                "escalated_at": tx.now_s,
                "handoff_id": existing["id"],
                "ended_at": None,
                "watch_from": 0,
                "overrides": encode(sorted(k for k, v in overrides.items() if v)),
                "segments": encode([{"from": 0, "at": len(messages) - 1, "handoff_id": existing["id"]}]),
            }
            if row is None:
                conversations.insert(tx.conn, {"source": user.id, "id": conv.id, "resolved_by_bot": None, **values})
            else:
                conversations.update(tx.conn, user.id, conv.id, values)
            self.sessions.keep((user.id, conv.id), session)
        return {
            "handoff_id": existing["id"],
            "priority": existing["priority"],
            "queue": existing["queue"],
            "reasons": existing["reasons"],
            "brief": existing["brief"],
        }

    def observe(self, tx: Tx, user: User, req: m.Observe) -> dict[str, Any]:
        """Add one message (and bot step) to a watched conversation; escalate when triage says so."""
        conv = req.conversation
        message = req.message.model_dump(mode="json")
        attempt = req.attempt.model_dump(mode="json", exclude_none=True) if req.attempt else None
        row = conversations.get(tx.conn, user.id, conv.id)
        if row is None:
            customer = (
                req.customer.model_dump(mode="json", exclude_none=True)
                if req.customer
                else {"id": f"conversation:{conv.id}", "name": "Customer", "tier": "standard"}
            )
            conversations.insert(
                tx.conn,
                {
                    "source": user.id,
                    "id": conv.id,
                    "started_at": conv.started_at or message["at"],
                    "language": conv.language,
                    "channel": conv.channel,
                    "customer": encode(customer),
                    "messages": "[]",
                    "attempts": "[]",
                    "watch_from": 0,
                    "ended_at": None,
                    "resolved_by_bot": None,
                    "escalated_at": None,
                    "handoff_id": None,
                    "overrides": "[]",
                    "segments": "[]",
                },
            )
            row = conversations.get(tx.conn, user.id, conv.id)
        elif row.ended_at is not None and row.handoff_id is None:
            raise RequestError(Code.CONFLICT, "this conversation has ended")
        customer = json.loads(row.customer)
        if req.customer is not None:
            customer = req.customer.model_dump(mode="json", exclude_none=True)
        messages = json.loads(row.messages)
        attempts = json.loads(row.attempts)
        if len(messages) >= MAX_TRANSCRIPT_MESSAGES * 4:
            raise RequestError(Code.INVALID, "this conversation holds too many messages")
        handoff = _open_handoff(tx.conn, row)
        watch_from = row.watch_from
        changes: dict[str, Any] = {"customer": encode(customer)}
        key = (user.id, conv.id)
        if handoff is None and row.handoff_id is not None:  # its handoff was resolved: watch afresh
            watch_from = len(messages)
            changes.update(watch_from=watch_from, handoff_id=None, escalated_at=None, overrides="[]")
            self.sessions.forget(key)
        session = self.sessions.of(key, row, customer, messages[watch_from:], attempts)
        decision = session.add_message(t_message(message), t_attempt(attempt) if attempt else None)
        stored = {**message, "attempt": attempt} if attempt is not None else message
        messages.append(stored)
        if attempt is not None:
            attempts.append(attempt)
        changes.update(messages=encode(messages), attempts=encode(attempts))
        if handoff is not None:
            overrides = set(json.loads(row.overrides or "[]"))
            data = self._append_to_handoff(tx, handoff, message, attempt, session, decision, overrides)
        else:
            data = {"escalated": False}
            if decision.escalate:
                watched = messages[watch_from:]
                watched_attempts = [w["attempt"] for w in watched if w.get("attempt")]
                conv_dict = {
                    "id": conv.id,
                    "started_at": row.started_at,
                    "language": row.language or conv.language,
                    "channel": row.channel or conv.channel,
                }
                handoff = self._new_handoff(tx, user.id, conv_dict, customer, watched, watched_attempts, session, {})
                segments = [
                    *json.loads(row.segments or "[]"),
                    {"from": watch_from, "at": len(messages) - 1, "handoff_id": handoff["id"]},
                ]
                changes.update(escalated_at=tx.now_s, handoff_id=handoff["id"], segments=encode(segments))
                data = {"escalated": True, "handoff_id": handoff["id"], "reasons": handoff["reasons"]}
        self.sessions.keep(key, session)
        conversations.update(tx.conn, user.id, conv.id, changes)
        return data

    def end(self, tx: Tx, user: User, req: m.End) -> dict[str, Any]:
        """Close a watched conversation (it then counts for the handoff rate), with the
        customer's rating when the bot resolved it.

        A conversation that ended already keeps its ending; one the bot resolved takes a rating
        sent with a later ``end`` (the latest rating counts).
        """
        row = conversations.get(tx.conn, user.id, req.conversation_id)
        if row is None:
            raise RequestError(Code.NOT_FOUND, f"no conversation {req.conversation_id!r}")
        if row.ended_at is None:
            conversations.update(
                tx.conn,
                user.id,
                req.conversation_id,
                {"ended_at": tx.now_s, "resolved_by_bot": req.resolved_by_bot, "csat": req.csat},
            )
        elif row.resolved_by_bot and req.resolved_by_bot and req.csat is not None:
            conversations.update(tx.conn, user.id, req.conversation_id, {"csat": req.csat})
        self.sessions.forget((user.id, req.conversation_id))
        return {"ended": True, "escalated": row.handoff_id is not None}

    @staticmethod
    def _new_handoff(
        tx: Tx,
        source: str,
        conversation: Mapping[str, Any],
        customer: Mapping[str, Any],
        messages: list[dict[str, Any]],
        attempts: list[dict[str, Any]],
        session: ConversationTriage,
        overrides: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Store a new waiting handoff built from the conversation and triage's decision."""
        decision = session.decision
        sentiments = [record.sentiment for record in session.records]
        reasons = overrides.get("reasons") or [r.to_dict() for r in decision.reasons]
        if not reasons:
            reasons = [{"trigger": "source_decision", "detail": "The bot platform handed this conversation over."}]
        transcript = []
        for index, msg in enumerate(messages):
            entry = {"index": index, "role": msg["role"], "text": msg["text"], "at": msg["at"]}
            score = sentiments[index] if index < len(sentiments) else None
            if score is not None:
                entry["sentiment"] = round(score, 3)
            transcript.append(entry)
        handoff: dict[str, Any] = {
            "id": "h_" + uuid.uuid4().hex[:16],
            "conversation_id": conversation["id"],
            "source": source,
            "version": 1,
            "status": Status.WAITING.value,
            "queue": overrides.get("queue") or decision.queue,
            "priority": overrides.get("priority") or decision.priority,
            "tier": customer.get("tier", "standard"),
            "language": conversation.get("language") or decision.language,
            "channel": conversation.get("channel"),
            "conversation_started_at": conversation["started_at"],
            "escalated_at": tx.now_s,
            "claimed_at": None,
            "resolved_at": None,
            "assignee": None,
            "category": overrides.get("category") or decision.category,
            "brief": overrides.get("brief") or decision.brief,
            "sentiment": decision.sentiment.to_dict(),
            "reasons": reasons,
            "customer": dict(customer),
            "attempts": [
                {k: a[k] for k in ("step", "result", "at", "detail") if a.get(k) is not None} for a in attempts
            ],
            "transcript": transcript,
            "outcome": None,
            "offer": None,
        }
        handoffs.insert(tx.conn, handoff)
        tx.emit(EventKind.HANDOFF_CREATED, handoff, None, handoff)
        return handoff

    @staticmethod
    def _append_to_handoff(
        tx: Tx,
        handoff: dict[str, Any],
        message: dict[str, Any],
        attempt: dict[str, Any] | None,
        session: ConversationTriage,
        decision: Decision,
        overrides: set[str],
    ) -> dict[str, Any]:
        """Add a message to an open handoff and judge the conversation again.

        Priority can only rise; new reasons are added; the sentiment follows the customer, and
        the brief is rewritten when the reasons change (unless the source wrote it). A change
        beyond the message itself is sent as ``handoff.updated``, otherwise ``message.added``.
        """
        before = handoff
        after = dict(before)
        entry = {
            "index": len(before["transcript"]),
            "role": message["role"],
            "text": message["text"],
            "at": message["at"],
        }
        record = session.records[-1]
        if record.sentiment is not None:
            entry["sentiment"] = round(record.sentiment, 3)
        after["transcript"] = [*before["transcript"], entry]
        after["version"] = before["version"] + 1
        changed = attempt is not None
        if attempt is not None:
            after["attempts"] = [*before["attempts"], attempt]
        if decision.escalate:
            # The transcript starts where triage's watch starts; triage numbers the
            # conversation's messages alone, the transcript also holds replies and notes.
            have = {(r.get("trigger"), r.get("topic")) for r in before["reasons"]}
            new = [
                _numbered_in(after["transcript"], r.to_dict())
                for r in decision.reasons
                if (r.trigger, r.topic) not in have
            ]
            if new:
                after["reasons"] = [*before["reasons"], *new]
                if "brief" not in overrides:
                    after["brief"] = decision.brief
                changed = True
            if decision.priority < before["priority"]:
                after["priority"] = decision.priority
                changed = True
        sentiment = decision.sentiment.to_dict()
        old = (before.get("sentiment") or {}).get("compound", 0.0)
        if record.sentiment is not None and abs(sentiment["compound"] - old) >= SENTIMENT_STEP:
            after["sentiment"] = sentiment
            changed = True
        handoffs.save(tx.conn, after, before["version"])
        if changed:
            tx.emit(EventKind.HANDOFF_UPDATED, after, before, after)
        else:
            tx.emit(
                EventKind.MESSAGE_ADDED,
                {"handoff_id": after["id"], "version": after["version"], "message": entry},
                before,
                after,
            )
        return {"escalated": True, "handoff_id": after["id"], "reasons": after["reasons"]}
