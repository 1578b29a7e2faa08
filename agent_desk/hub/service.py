"""Every request's work, as the storage thread runs it: stored once, answered again on a repeat.

A state-changing request becomes a :class:`Work`: it answers a repeated id from the stored
result, runs the request's handler in a savepoint, and stores the result in the same
transaction, so many requests' work can share one commit (see :meth:`Store.write_batch`).
The handlers live with their requests: :mod:`~agent_desk.hub.agent_requests`,
:mod:`~agent_desk.hub.source_requests`, :mod:`~agent_desk.hub.talk_requests`,
:mod:`~agent_desk.hub.canned`, :mod:`~agent_desk.hub.targets`, :mod:`~agent_desk.hub.presence`,
:mod:`~agent_desk.hub.metrics`,
and ``decline`` :mod:`~agent_desk.hub.offers`. Under ``--routing offer`` every change is also
followed by routing (:class:`~agent_desk.hub.offers.Router`) in its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from agent_desk.hub import (
    agent_requests,
    canned,
    offers,
    presence,
    results,
    source_requests,
    talk_requests,
    targets,
)
from agent_desk.hub.metrics import metrics_result
from agent_desk.hub.offers import Router
from agent_desk.hub.source_requests import SourceRequests
from agent_desk.hub.store import Outcome, Store, StoreUnavailable, Tx
from agent_desk.hub.triage_sessions import TriageSessions
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import DEFAULT_OFFER_TIMEOUT_S, DEFAULT_SLA_TARGETS_S, STORED_REQUESTS, Code, Routing
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.messages import result_error, result_ok
from agent_desk.protocol.timefmt import format_time, utc_now
from agent_desk.triage import Triage

#: A request handler: runs in the request's transaction, returns the result's ``data``.
Handler = Callable[[Tx, User, Any], dict[str, Any]]


class Work:
    """One request's transaction work, and what to undo in memory if it is rolled back."""

    __slots__ = ("abort", "run")

    def __init__(self, run: Callable[[Tx], dict[str, Any]], abort: Callable[[], None]) -> None:
        self.run = run
        self.abort = abort

    def __call__(self, tx: Tx) -> dict[str, Any]:
        """Run the work in ``tx``; returns the request's result frame."""
        return self.run(tx)


def _set_presence(tx: Tx, user: User, req: m.SetPresence) -> dict[str, Any]:
    return {"presence": presence.record(tx, user.id, req.status, chosen=True)}


class HubService:
    """The request handlers over a :class:`Store`.

    Attributes:
        sessions: every watched conversation's triage (kept in memory).
    """

    def __init__(
        self,
        store: Store,
        triage: Triage,
        sla_targets_s: Mapping[int, int] | None = None,
        routing: str = Routing.PULL.value,
        offer_timeout_s: float = DEFAULT_OFFER_TIMEOUT_S,
    ) -> None:
        self.store = store
        self.triage = triage
        self.sla_targets_s = dict(sla_targets_s or DEFAULT_SLA_TARGETS_S)
        self.sessions = TriageSessions(triage)
        #: Routing by offers (``--routing offer``); None under pull routing.
        self.router = Router(offer_timeout_s, store.clock) if routing == Routing.OFFER else None
        sources = SourceRequests(self.sessions)
        self._handlers: dict[str, Handler] = {
            "claim": agent_requests.claim,
            "release": agent_requests.release,
            "resolve": agent_requests.resolve,
            "reassign": partial(agent_requests.reassign, known_queues=triage.queues),
            "presence": _set_presence,
            "escalate": sources.escalate,
            "observe": sources.observe,
            "end": sources.end,
            "reply": talk_requests.reply,
            "note": talk_requests.note,
            "delivered": talk_requests.delivered,
            "canned_save": canned.save,
            "canned_delete": canned.remove,
            "targets_set": targets.set_targets,
        }
        if self.router is not None:
            self._handlers["decline"] = self.router.decline

    # -- routing by offers -------------------------------------------------------------------

    def _follow(self, tx: Tx, data: dict[str, Any]) -> dict[str, Any]:
        """Route after a change in its transaction; a handoff in ``data`` that routing changed
        is given as it now stands."""
        assert self.router is not None
        changed = self.router.follow(tx)
        handoff = data.get("handoff")
        if isinstance(handoff, dict) and handoff.get("id") in changed:
            return {**data, "handoff": changed[handoff["id"]]}
        return data

    def _routed(self, work: Callable[[Tx], None]) -> Outcome:
        """Run routing work in a transaction of its own. Runs on the storage thread.

        Raises:
            StoreUnavailable: storage failed; nothing changed.
        """

        def run(tx: Tx) -> dict[str, Any]:
            work(tx)
            return {}

        try:
            return self.store.write(run)
        except StoreUnavailable:
            if self.router is not None:
                self.router.invalidate()
            raise

    def announce(self, user_id: str, status: str | None) -> Outcome:
        """Record a presence the hub observed (a user's first connection resumed, its last one
        closed), and route after it. Runs on the storage thread.

        Raises:
            StoreUnavailable: storage failed.
        """
        router = self.router
        if router is None:
            return presence.announce(self.store, user_id, status)
        return self._routed(lambda tx: presence.announce_in(tx, user_id, status, router.follow))

    def open_routing(self) -> Outcome:
        """At start: move on the offers that expired while the hub was down (or, under pull
        routing, withdraw any offer a store still holds). Runs on the storage thread."""
        router = self.router
        return self._routed(router.expire if router is not None else offers.withdraw_all)

    def expire_offers(self) -> Outcome:
        """Move on the offers whose time is up. Runs on the storage thread."""
        assert self.router is not None
        return self._routed(self.router.expire)

    def read_request(self, user: User, request: m.Request) -> dict[str, Any]:
        """The result of a request that changes nothing (``metrics``, ``status``, ``canned_list``).

        Runs on the storage thread.

        Raises:
            RequestError: the request is refused (its code says why).
            StoreUnavailable: storage failed.
        """
        if isinstance(request, m.Metrics):
            return metrics_result(self.store, user, request, self.sla_targets_s)
        if isinstance(request, m.ConversationStatus):
            return self.store.read(partial(source_requests.status, user=user, req=request))
        if isinstance(request, m.CannedList):
            return self.store.read(partial(canned.listing, req=request))
        raise RequestError(Code.UNKNOWN_TYPE, f"unknown request type {request.type!r}")

    def work_for(self, user: User, request: m.Request, body: Mapping[str, Any]) -> Work | None:
        """The transaction work of a state-changing request, or None for a read.

        The work is self-contained: it answers a repeated id from the stored result, runs the
        handler in a savepoint, and stores the result (ok or a final failure) in the same
        transaction, so many requests' work can share one commit.
        """
        if request.type not in STORED_REQUESTS:
            return None
        digest = results.request_hash(body)
        handler = self._handlers.get(request.type)
        if handler is None:
            return None
        session_key = (user.id, request.conversation.id) if isinstance(request, m.Observe | m.Escalate) else None
        router = self.router
        followed = False

        def abort() -> None:  # the triage and routing state in memory may be ahead of the store
            if session_key is not None:
                self.sessions.forget(session_key)
            if followed and router is not None:
                router.invalidate()

        def work(tx: Tx) -> dict[str, Any]:
            stored = results.load(tx.conn, user.id, request.id)
            if stored is not None:
                if stored[0] != digest:
                    return result_error(
                        request.id, Code.INVALID, "this request id was already used for a different request"
                    )
                answered: dict[str, Any] = json.loads(stored[1])
                return answered
            nonlocal followed
            try:
                with tx.attempt():
                    data = handler(tx, user, request)
                    if router is not None:
                        followed = True
                        data = self._follow(tx, data)
                    result = result_ok(request.id, data)
            except RequestError as error:
                abort()
                result = result_error(request.id, error.code, error.message, error.data)
            results.save(tx.conn, user.id, request.id, digest, result, format_time(utc_now()))
            return result

        return Work(work, abort)
