"""What each request does: authorization, the effect, its events and its result.

Runs on the hub's storage thread. Every handler checks everything before it writes, and a
handler's writes, events and stored result share one transaction (see :meth:`Store.write`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update

from agent_desk.hub.metrics import HandoffFacts, compute_metrics
from agent_desk.hub.store import (
    CONVERSATIONS,
    HANDOFFS,
    Store,
    Tx,
    User,
)
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import (
    DEFAULT_SLA_TARGETS_S,
    MAX_HANDOFF_BYTES,
    MAX_TRANSCRIPT_MESSAGES,
    STORED_REQUESTS,
    Code,
    EventKind,
    Role,
    Status,
)
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.messages import encode, handoff_size, result_error, result_ok
from agent_desk.protocol.timefmt import format_time, parse_time
from agent_desk.protocol.visibility import can_see
from agent_desk.triage import Attempt as TAttempt
from agent_desk.triage import ConversationTriage, Decision, Triage, pair_attempts
from agent_desk.triage import Customer as TCustomer
from agent_desk.triage import Message as TMessage

log = logging.getLogger(__name__)

#: Conversations whose incremental triage state is kept in memory (rebuilt when evicted).
TRIAGE_CACHE_SIZE = 20_000

SELECT_CONVERSATION = select(CONVERSATIONS).where(
    CONVERSATIONS.c.source == bindparam("source"), CONVERSATIONS.c.id == bindparam("conversation_id")
)
INSERT_CONVERSATION = CONVERSATIONS.insert()


def request_hash(body: Mapping[str, Any]) -> str:
    """Fingerprint of a request, to tell a retry from a different request with the same id."""
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def _t_customer(customer: Mapping[str, Any]) -> TCustomer:
    return TCustomer(
        id=str(customer["id"]),
        name=str(customer["name"]),
        tier=str(customer.get("tier", "standard")),
        lifetime_value=customer.get("lifetime_value"),
        email=customer.get("email"),
        locale=customer.get("locale"),
    )


def _t_message(message: Mapping[str, Any]) -> TMessage:
    return TMessage(role=message["role"], text=message["text"], at=message["at"])


def _t_attempt(attempt: Mapping[str, Any]) -> TAttempt:
    return TAttempt(step=attempt["step"], result=attempt["result"], at=attempt["at"], detail=attempt.get("detail"))


def _t_turns(messages: list[dict[str, Any]], attempts: list[dict[str, Any]]) -> list[tuple[TMessage, TAttempt | None]]:
    """Stored messages with the bot step each came with, as triage takes them.

    Messages keep the step they arrived with (``attempt``). Stores written before that kept
    steps apart; those steps are paired by time, within the watched messages only.
    """
    turns = [(_t_message(m), _t_attempt(m["attempt"]) if m.get("attempt") else None) for m in messages]
    if attempts and messages and not any(m.get("attempt") for m in messages):
        first = messages[0]["at"]
        loose = [_t_attempt(a) for a in attempts if a.get("at", "") >= first]
        return pair_attempts([t for t, _ in turns], loose)
    return turns


#: A handoff's sentiment is re-sent (``handoff.updated``) when it moves by at least this much.
SENTIMENT_STEP = 0.1


class HubService:
    """The request handlers over a :class:`Store`."""

    def __init__(
        self,
        store: Store,
        triage: Triage,
        sla_targets_s: Mapping[int, int] | None = None,
    ) -> None:
        self.store = store
        self.triage = triage
        self.sla_targets_s = dict(sla_targets_s or DEFAULT_SLA_TARGETS_S)
        self._sessions: OrderedDict[tuple[str, str], ConversationTriage] = OrderedDict()
        self._handlers: dict[str, Callable[[Tx, User, Any], dict[str, Any]]] = {
            "claim": self._claim,
            "release": self._release,
            "resolve": self._resolve,
            "reassign": self._reassign,
            "presence": self._presence,
            "escalate": self._escalate,
            "observe": self._observe,
            "end": self._end,
        }

    # -- entry -----------------------------------------------------------------------------

    def read_request(self, user: User, request: m.Request) -> dict[str, Any]:
        """The result of a request that changes nothing (``metrics``, ``status``)."""
        if isinstance(request, m.Metrics):
            return self._metrics(user, request)
        if isinstance(request, m.ConversationStatus):
            return self._status(user, request)
        raise RequestError(Code.UNKNOWN_TYPE, f"unknown request type {request.type!r}")

    def work_for(self, user: User, request: m.Request, body: Mapping[str, Any]) -> Work | None:
        """The transaction work of a state-changing request, or None for a read.

        The work is self-contained: it answers a repeated id from the stored result, runs the
        handler in a savepoint, and stores the result (ok or a final failure) in the same
        transaction, so many requests' work can share one commit.
        """
        if request.type not in STORED_REQUESTS:
            return None
        digest = request_hash(body)
        handler = self._handlers[request.type]
        session_key = (user.id, request.conversation.id) if isinstance(request, m.Observe | m.Escalate) else None

        def abort() -> None:  # the conversation's triage state may be ahead of the store
            if session_key is not None:
                self._sessions.pop(session_key, None)

        def work(tx: Tx) -> dict[str, Any]:
            stored = self.store.stored_result(tx.conn, user.id, request.id)
            if stored is not None:
                if stored[0] != digest:
                    return result_error(
                        request.id, Code.INVALID, "this request id was already used for a different request"
                    )
                answered: dict[str, Any] = json.loads(stored[1])
                return answered
            try:
                with tx.attempt():
                    result = result_ok(request.id, handler(tx, user, request))
            except RequestError as error:
                abort()
                result = result_error(request.id, error.code, error.message, error.data)
            self.store.store_result(tx.conn, user.id, request.id, digest, result)
            return result

        return Work(work, abort)

    # -- agent requests --------------------------------------------------------------------

    def _get(self, tx: Tx, handoff_id: str) -> dict[str, Any]:
        handoff = self.store.load_handoff(tx.conn, handoff_id)
        if handoff is None:
            raise RequestError(Code.NOT_FOUND, f"no handoff {handoff_id!r}")
        return handoff

    @staticmethod
    def _conflict(message: str, handoff: dict[str, Any]) -> RequestError:
        return RequestError(Code.CONFLICT, message, {"handoff": handoff})

    def _change(self, tx: Tx, before: dict[str, Any], after: dict[str, Any], **extra: Any) -> dict[str, Any]:
        after["version"] = before["version"] + 1
        self._check_size(after)
        self.store.save_handoff(tx.conn, after, before["version"], **extra)
        tx.emit(EventKind.HANDOFF_UPDATED, after, before, after)
        return {"handoff": after}

    def _claim_fields(self, tx: Tx, handoff: dict[str, Any], assignee: str) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.store.first_claimed_at(tx.conn, handoff["id"]) is None:
            extra["first_claimed_at"] = tx.now_s
        handoff.update(status=Status.CLAIMED.value, assignee=assignee, claimed_at=tx.now_s)
        return extra

    def _claim(self, tx: Tx, user: User, req: m.Claim) -> dict[str, Any]:
        before = self._get(tx, req.handoff_id)
        if req.expected_version is not None and req.expected_version != before["version"]:
            raise self._conflict("the handoff changed since you saw it", before)
        if before["status"] == Status.CLAIMED:
            who = "you" if before["assignee"] == user.id else before["assignee"]
            raise self._conflict(f"already claimed by {who}", before)
        if before["status"] == Status.RESOLVED:
            raise self._conflict("already resolved", before)
        if not can_see(user.viewer, before):
            raise RequestError(Code.FORBIDDEN, "this handoff is not in your queues")
        after = dict(before)
        extra = self._claim_fields(tx, after, user.id)
        return self._change(tx, before, after, **extra)

    def _check_assignee(self, user: User, handoff: dict[str, Any]) -> None:
        if user.role != Role.LEAD and handoff["assignee"] != user.id:
            raise RequestError(Code.NOT_ASSIGNEE, "this handoff is no longer assigned to you", {"handoff": handoff})

    def _release(self, tx: Tx, user: User, req: m.Release) -> dict[str, Any]:
        before = self._get(tx, req.handoff_id)
        self._check_assignee(user, before)
        if before["status"] != Status.CLAIMED:
            raise self._conflict(f"the handoff is {before['status']}, not claimed", before)
        after = dict(before, status=Status.WAITING.value, assignee=None, claimed_at=None)
        return self._change(tx, before, after)

    def _resolve(self, tx: Tx, user: User, req: m.Resolve) -> dict[str, Any]:
        before = self._get(tx, req.handoff_id)
        self._check_assignee(user, before)
        if before["status"] != Status.CLAIMED:
            raise self._conflict(f"the handoff is {before['status']}, not claimed", before)
        outcome = req.outcome.model_dump(mode="json")
        outcome.update(recorded_by=user.id, recorded_at=tx.now_s)
        after = dict(before, status=Status.RESOLVED.value, resolved_at=tx.now_s, outcome=outcome)
        return self._change(tx, before, after, resolved_by=user.id)

    def _reassign(self, tx: Tx, user: User, req: m.Reassign) -> dict[str, Any]:
        before = self._get(tx, req.handoff_id)
        if user.role != Role.LEAD:
            holds = before["assignee"] == user.id and before["status"] == Status.CLAIMED
            if req.to_user is not None or not holds:
                raise RequestError(
                    Code.FORBIDDEN,
                    "agents may only transfer a handoff they hold to a queue",
                )
        if req.expected_version is not None and req.expected_version != before["version"]:
            raise self._conflict("the handoff changed since you saw it", before)
        if before["status"] == Status.RESOLVED:
            raise self._conflict("already resolved", before)
        after = dict(before)
        extra: dict[str, Any] = {}
        if req.to_user is not None:
            target = self.store.get_user(tx.conn, req.to_user)
            if target is None or target.revoked or target.role == Role.SOURCE:
                raise RequestError(Code.NOT_FOUND, f"no agent or lead named {req.to_user!r}")
            if before["status"] == Status.CLAIMED and before["assignee"] == target.id:
                return {"handoff": before}
            extra = self._claim_fields(tx, after, target.id)
        else:
            queues = self.store.queue_names(tx.conn, self.triage.queues)
            if req.to_queue not in queues:
                raise RequestError(Code.NOT_FOUND, f"no queue named {req.to_queue!r}")
            if before["status"] == Status.WAITING and before["queue"] == req.to_queue:
                return {"handoff": before}
            after.update(status=Status.WAITING.value, queue=req.to_queue, assignee=None, claimed_at=None)
        return self._change(tx, before, after, **extra)

    def _presence(self, tx: Tx, user: User, req: m.SetPresence) -> dict[str, Any]:
        from agent_desk.hub.store import USERS

        tx.conn.execute(update(USERS).where(USERS.c.id == user.id).values(presence=req.status))
        active = self.store.active_counts(tx.conn).get(user.id, 0)
        tx.emit(
            EventKind.PRESENCE_CHANGED,
            {"user": user.id, "presence": req.status, "active": active},
            lead_only=True,
        )
        return {"presence": req.status}

    # -- metrics ---------------------------------------------------------------------------

    def _metrics(self, user: User, req: m.Metrics) -> dict[str, Any]:
        now = self.store.clock()
        until = parse_time(req.until) if req.until else now
        since = parse_time(req.since) if req.since else until - timedelta(hours=24)
        if since > until:
            raise RequestError(Code.INVALID, "since is after until")
        since_s, until_s = format_time(since), format_time(until)

        def work(conn: Any) -> dict[str, Any]:
            query = select(HANDOFFS.c.data, HANDOFFS.c.first_claimed_at).where(
                HANDOFFS.c.escalated_at >= since_s, HANDOFFS.c.escalated_at < until_s
            )
            if user.role != Role.LEAD:
                query = query.where(HANDOFFS.c.assignee == user.id)
            facts = [HandoffFacts.of(json.loads(r.data), r.first_claimed_at) for r in conn.execute(query)]
            ended = None
            if user.role == Role.LEAD:
                ended = int(
                    conn.execute(
                        select(func.count()).where(
                            CONVERSATIONS.c.ended_at >= since_s,
                            CONVERSATIONS.c.ended_at < until_s,
                            CONVERSATIONS.c.escalated_at.is_(None),
                        )
                    ).scalar()
                    or 0
                )
            return compute_metrics(facts, ended, now, self.sla_targets_s, since_s, until_s)

        return result_ok(req.id, self.store.read(work))

    # -- source requests -------------------------------------------------------------------

    def _status(self, user: User, req: m.ConversationStatus) -> dict[str, Any]:
        def work(conn: Any) -> dict[str, Any]:
            row = conn.execute(
                select(CONVERSATIONS.c.handoff_id).where(
                    CONVERSATIONS.c.source == user.id, CONVERSATIONS.c.id == req.conversation_id
                )
            ).first()
            if row is None:
                return result_error(req.id, Code.NOT_FOUND, f"no conversation {req.conversation_id!r}")
            if row.handoff_id is None:
                return result_ok(req.id, {"escalated": False})
            handoff = self.store.load_handoff(conn, row.handoff_id)
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

        return self.store.read(work)

    def _conversation(self, tx: Tx, source: str, conversation_id: str) -> Any:
        return tx.conn.execute(SELECT_CONVERSATION, {"source": source, "conversation_id": conversation_id}).first()

    @staticmethod
    def _update_conversation(tx: Tx, source: str, conversation_id: str, values: dict[str, Any]) -> None:
        tx.conn.execute(
            CONVERSATIONS.update().where(
                CONVERSATIONS.c.source == bindparam("match_source"),
                CONVERSATIONS.c.id == bindparam("match_id"),
            ),
            {"match_source": source, "match_id": conversation_id, **values},
        )

    def _open_handoff(self, tx: Tx, row: Any) -> dict[str, Any] | None:
        if row is None or row.handoff_id is None:
            return None
        handoff = self.store.load_handoff(tx.conn, row.handoff_id)
        if handoff is None or handoff["status"] == Status.RESOLVED:
            return None
        return handoff

    @staticmethod
    def _check_size(handoff: dict[str, Any]) -> None:
        if len(handoff["transcript"]) > MAX_TRANSCRIPT_MESSAGES:
            raise RequestError(Code.INVALID, f"a transcript holds at most {MAX_TRANSCRIPT_MESSAGES} messages")
        if handoff_size(handoff) > MAX_HANDOFF_BYTES:
            raise RequestError(Code.INVALID, "the handoff would grow beyond 512 KiB")

    def _new_handoff(
        self,
        tx: Tx,
        source: str,
        conversation: Mapping[str, Any],
        customer: Mapping[str, Any],
        messages: list[dict[str, Any]],
        attempts: list[dict[str, Any]],
        session: ConversationTriage,
        overrides: Mapping[str, Any],
    ) -> dict[str, Any]:
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
        }
        self._check_size(handoff)
        self.store.insert_handoff(tx.conn, handoff)
        tx.emit(EventKind.HANDOFF_CREATED, handoff, None, handoff)
        return handoff

    def _escalate(self, tx: Tx, user: User, req: m.Escalate) -> dict[str, Any]:
        conv = req.conversation
        row = self._conversation(tx, user.id, conv.id)
        existing = self._open_handoff(tx, row)
        if existing is None:
            messages = [msg.model_dump(mode="json") for msg in conv.messages]
            attempts = [a.model_dump(mode="json", exclude_none=True) for a in req.attempts]
            customer = req.customer.model_dump(mode="json", exclude_none=True)
            steps = [_t_attempt(a) for a in attempts]
            raw_step = {id(step): a for step, a in zip(steps, attempts, strict=True)}
            session = self.triage.conversation(_t_customer(customer), conv.language, conv.channel)
            for stored, (message, step) in zip(
                messages, pair_attempts([_t_message(x) for x in messages], steps), strict=True
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
                tx.conn.execute(
                    INSERT_CONVERSATION,
                    {"source": user.id, "id": conv.id, "resolved_by_bot": None, **values},
                )
            else:
                self._update_conversation(tx, user.id, conv.id, values)
            self._keep_session((user.id, conv.id), session)
        return {
            "handoff_id": existing["id"],
            "priority": existing["priority"],
            "queue": existing["queue"],
            "reasons": existing["reasons"],
            "brief": existing["brief"],
        }

    def _keep_session(self, key: tuple[str, str], session: ConversationTriage) -> None:
        self._sessions[key] = session
        self._sessions.move_to_end(key)
        while len(self._sessions) > TRIAGE_CACHE_SIZE:
            self._sessions.popitem(last=False)

    def _session(
        self,
        source: str,
        row: Any,
        customer: dict[str, Any],
        watched: list[dict[str, Any]],
        attempts: list[dict[str, Any]],
    ) -> ConversationTriage:
        """The conversation's incremental triage over ``watched``, rebuilt when not cached."""
        key = (source, row.id)
        session = self._sessions.get(key)
        if session is not None:
            self._sessions.move_to_end(key)
            return session
        session = self.triage.conversation(_t_customer(customer), row.language, row.channel)
        for message, attempt in _t_turns(watched, attempts):
            session.add_message(message, attempt)
        self._keep_session(key, session)
        return session

    def _observe(self, tx: Tx, user: User, req: m.Observe) -> dict[str, Any]:
        conv = req.conversation
        message = req.message.model_dump(mode="json")
        attempt = req.attempt.model_dump(mode="json", exclude_none=True) if req.attempt else None
        row = self._conversation(tx, user.id, conv.id)
        if row is None:
            customer = (
                req.customer.model_dump(mode="json", exclude_none=True)
                if req.customer
                else {"id": f"conversation:{conv.id}", "name": "Customer", "tier": "standard"}
            )
            tx.conn.execute(
                INSERT_CONVERSATION,
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
            row = self._conversation(tx, user.id, conv.id)
        elif row.ended_at is not None and row.handoff_id is None:
            raise RequestError(Code.CONFLICT, "this conversation has ended")
        customer = json.loads(row.customer)
        if req.customer is not None:
            customer = req.customer.model_dump(mode="json", exclude_none=True)
        messages = json.loads(row.messages)
        attempts = json.loads(row.attempts)
        if len(messages) >= MAX_TRANSCRIPT_MESSAGES * 4:
            raise RequestError(Code.INVALID, "this conversation holds too many messages")
        handoff = self._open_handoff(tx, row)
        watch_from = row.watch_from
        changes: dict[str, Any] = {"customer": encode(customer)}
        if handoff is None and row.handoff_id is not None:  # its handoff was resolved: watch afresh
            watch_from = len(messages)
            changes.update(watch_from=watch_from, handoff_id=None, escalated_at=None, overrides="[]")
            self._sessions.pop((user.id, conv.id), None)
        key = (user.id, conv.id)
        session = self._session(user.id, row, customer, messages[watch_from:], attempts)
        decision = session.add_message(_t_message(message), _t_attempt(attempt) if attempt else None)
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
        self._keep_session(key, session)
        self._update_conversation(tx, user.id, conv.id, changes)
        return data

    def _append_to_handoff(
        self,
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
            # The transcript starts where triage's watch starts, so message indexes agree.
            have = {(r.get("trigger"), r.get("topic")) for r in before["reasons"]}
            new = [r.to_dict() for r in decision.reasons if (r.trigger, r.topic) not in have]
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
        self._check_size(after)
        self.store.save_handoff(tx.conn, after, before["version"])
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

    def _end(self, tx: Tx, user: User, req: m.End) -> dict[str, Any]:
        row = self._conversation(tx, user.id, req.conversation_id)
        if row is None:
            raise RequestError(Code.NOT_FOUND, f"no conversation {req.conversation_id!r}")
        if row.ended_at is None:
            tx.conn.execute(
                update(CONVERSATIONS)
                .where(CONVERSATIONS.c.source == user.id, CONVERSATIONS.c.id == req.conversation_id)
                .values(ended_at=tx.now_s, resolved_by_bot=req.resolved_by_bot)
            )
        self._sessions.pop((user.id, req.conversation_id), None)
        return {"ended": True, "escalated": row.handoff_id is not None}


class Work:
    """One request's transaction work, and what to undo in memory if it is rolled back."""

    __slots__ = ("abort", "run")

    def __init__(self, run: Callable[[Tx], dict[str, Any]], abort: Callable[[], None]) -> None:
        self.run = run
        self.abort = abort

    def __call__(self, tx: Tx) -> dict[str, Any]:
        return self.run(tx)
