"""Routing by offers in the hub: who is on the floor, and routing's plan applied in each change.

Everything here runs on the storage thread, inside the transaction of the change that calls for
it, so an offer, its ``handoff.updated`` and the change that caused it commit together (and an
offer that moves on is one change: version +1, never null in between). :class:`Router` follows
each committed change by its events (:meth:`Router.follow`):

- a handoff created, released or moved to a queue: offer it (one back in a queue goes on with
  its round, and whoever held it counts as offered in it);
- a claim: the offer is withdrawn (the claim's own transition does it), and the claimer's last
  activity is now; when the offer was someone else's, that agent has room for another;
- a resolve, release or reassign away: its former holder frees capacity (a new round may start
  for handoffs nobody was left for);
- ``presence.changed``: an agent that connects or turns available may start a new round; one
  that goes busy, away or offline sees its offers move on.

The decisions are :func:`agent_desk.hub.routing.plan`'s; this module gathers its inputs (the
waiting handoffs' routing columns, claimed counts, the connected agents, held in memory as
*seats*) and writes its moves. Offers expire by their stored ``expires_at``: the hub's loop is
told the earliest one (``notify``) and calls :meth:`Router.expire` then, and at start.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent_desk.hub import handoffs, offer_log, users
from agent_desk.hub.offer_log import Ending
from agent_desk.hub.routing import Agent, Move, Offer, Waiting, plan
from agent_desk.hub.store import Tx
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import Code, EventKind, Presence, Role, Status
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.timefmt import format_time
from agent_desk.protocol.visibility import can_see, rank_key

_HANDOFF_EVENTS = frozenset({EventKind.HANDOFF_CREATED, EventKind.HANDOFF_UPDATED, EventKind.MESSAGE_ADDED})


@dataclass(slots=True)
class Seat:
    """An agent as routing sees it: its stored settings and whether it is on the floor now."""

    user: User
    connected: bool = False
    presence: str = Presence.AVAILABLE.value
    last_active: str | None = None
    _agent: Agent | None = None  # the last one made, reused while nothing changed

    @property
    def available(self) -> bool:
        """Connected with presence ``available``."""
        return self.connected and self.presence == Presence.AVAILABLE

    def agent(self, claimed: int) -> Agent:
        """The agent as :func:`~agent_desk.hub.routing.plan` takes it, holding ``claimed`` handoffs."""
        made = self._agent
        if (
            made is None
            or made.claimed != claimed
            or made.connected != self.connected
            or made.presence != self.presence
            or made.last_active != self.last_active
            or made.capacity != self.user.capacity
        ):
            made = self._agent = Agent(
                id=self.user.id,
                queues=frozenset(self.user.queues),
                languages=frozenset(self.user.languages),
                role=self.user.role,
                connected=self.connected,
                presence=self.presence,
                capacity=self.user.capacity,
                claimed=claimed,
                last_active=self.last_active,
            )
        return made


@dataclass(slots=True)
class _Change:
    """What one change means for routing, read from its events."""

    ending_agents: dict[str, Ending] = field(default_factory=dict)
    became: set[str] = field(default_factory=set)
    let_go: dict[str, str] = field(default_factory=dict)  # handoff id -> the holder it left
    requeued: set[str] = field(default_factory=set)  # back in a queue, or moved to another
    route: bool = False


def _state(move: Move) -> dict[str, Any]:
    return {"round": move.round, "offered": sorted(move.offered), "exhausted": move.exhausted}


def _waiting(row: Any, ending: bool) -> Waiting:
    """A waiting handoff's routing columns as :func:`~agent_desk.hub.routing.plan` takes them.

    An offer that stands only counts towards its agent's load, so its round state is not read.
    """
    rank = rank_key({"priority": row.priority, "tier": row.tier, "escalated_at": row.escalated_at, "id": row.id})
    if row.offer_to is not None and not ending:
        return Waiting(row.id, row.queue, row.language, rank, Offer(row.offer_to, 1), 1, frozenset({row.offer_to}))
    state = json.loads(row.routing or "{}")
    offer = None
    if row.offer_to is not None:
        offer = Offer(row.offer_to, int(state.get("round") or 1))
    return Waiting(
        id=row.id,
        queue=row.queue,
        language=row.language,
        rank=rank,
        offer=offer,
        round=int(state.get("round") or 0),
        offered=frozenset(state.get("offered") or ()),
        exhausted=bool(state.get("exhausted")),
    )


class Router:
    """Offers waiting handoffs to agents. Used on the storage thread only.

    Args:
        timeout_s: how long an offer stands (``--offer-timeout``).
        clock: the store's clock.

    Attributes:
        notify: told the earliest ``expires_at`` of the pending offers (None: none) whenever it
            may have changed; the hub's loop sets it (it must be safe to call from this thread).
    """

    def __init__(self, timeout_s: float, clock: Callable[[], datetime]) -> None:
        self.timeout = timedelta(seconds=timeout_s)
        self.clock = clock
        self.notify: Callable[[str | None], None] = lambda _when: None
        self.seats: dict[str, Seat] = {}
        self._others: set[str] = set()  # users that are not agents
        self._stale = False
        self._told: str | None = None
        # Read from the store once, then kept up to date by each change's events (read again
        # after a change was undone): the pending offers, by handoff, as (agent, expires_at),
        # and the handoffs claimed now, by agent.
        self._offers: dict[str, tuple[str, str]] | None = None
        self._claimed: dict[str, int] | None = None

    # -- entry points, each inside a transaction --------------------------------------------

    def follow(self, tx: Tx) -> dict[str, dict[str, Any]]:
        """Route after a change, by its events; returns the handoffs routing changed, by id."""
        if self._stale:
            self._reload(tx)
        change = self._read(tx)  # before the memory is read: the store holds this change already
        self._memory(tx)
        changed: dict[str, dict[str, Any]] = {}
        if change.route:
            changed = self._route(tx, {}, change)
        self._tell(tx)
        return changed

    def decline(self, tx: Tx, user: User, req: m.Decline) -> dict[str, Any]:
        """The agent a handoff is offered to refuses it: it moves on to the next agent.

        Raises:
            RequestError: ``not_found`` (no such handoff), ``not_assignee`` (not offered to the
                sender; with the handoff when the sender can see it).
        """
        self._memory(tx)
        handoff = handoffs.load(tx.conn, req.handoff_id)
        if handoff is None:
            raise RequestError(Code.NOT_FOUND, f"no handoff {req.handoff_id!r}")
        offer = handoff.get("offer")
        if not offer or offer.get("to") != user.id:
            data = {"handoff": handoff} if can_see(user.viewer, handoff) else None
            raise RequestError(Code.NOT_ASSIGNEE, "this handoff is not offered to you", data)
        changed = self._route(tx, {handoff["id"]: Ending.DECLINED}, _Change())
        return {"handoff": changed.get(handoff["id"], handoff)}

    def expire(self, tx: Tx) -> None:
        """Move on every offer whose ``expires_at`` has passed (at start too)."""
        self._memory(tx)
        due = handoffs.expired_offers(tx.conn, tx.now_s)
        if due:
            self._route(tx, dict.fromkeys(due, Ending.EXPIRED), _Change())
        self._told = "rang"  # perhaps a little early: set the alarm again in any case
        self._tell(tx)

    def invalidate(self) -> None:
        """A change routing followed was undone: re-read the agents, re-tell the next expiry."""
        self._stale = True
        self._offers = self._claimed = None
        self._told = "stale"
        self.notify(format_time(self.clock() + timedelta(seconds=1)))

    def _memory(self, tx: Tx) -> tuple[dict[str, tuple[str, str]], dict[str, int]]:
        """The pending offers and the claimed counts, read from the store when not in memory."""
        if self._offers is None or self._claimed is None:
            self._offers = handoffs.pending_offers(tx.conn)
            self._claimed = handoffs.active_counts(tx.conn)
        return self._offers, self._claimed

    # -- reading a change -------------------------------------------------------------------

    def _seat(self, tx: Tx, user_id: str, fresh: bool) -> Seat | None:
        """The seat of an agent (None for anyone else), re-read from the store when ``fresh``."""
        if user_id in self._others:
            return None
        seat = self.seats.get(user_id)
        if seat is None or fresh:
            user = users.get(tx.conn, user_id)
            if user is None or user.role != Role.AGENT:
                self._others.add(user_id)
                return None
            if seat is None:
                seat = self.seats[user_id] = Seat(user)
            seat.user = user
            seat.presence = user.presence
            seat.last_active = user.last_active_at
        return seat

    def _reload(self, tx: Tx) -> None:
        for user_id in list(self.seats):
            if self._seat(tx, user_id, fresh=True) is None:
                del self.seats[user_id]
        self._stale = False

    def _read(self, tx: Tx) -> _Change:
        change = _Change()
        for event in tx.events:
            if event.kind == EventKind.PRESENCE_CHANGED:
                data = json.loads(event.frame)["data"]
                self._presence(tx, str(data["user"]), str(data["presence"]), change)
            elif event.kind in _HANDOFF_EVENTS and event.after is not None and event.handoff_id is not None:
                self._handoff(tx, event.handoff_id, event.before, event.after, change)
        return change

    def _presence(self, tx: Tx, user_id: str, presence: str, change: _Change) -> None:
        seat = self.seats.get(user_id)
        coming = presence != Presence.OFFLINE and (seat is None or not seat.connected)
        seat = self._seat(tx, user_id, fresh=coming)
        if seat is None:
            return
        was = seat.available
        if presence == Presence.OFFLINE:
            seat.connected = False
        else:
            seat.connected, seat.presence = True, presence
        if was and not seat.available:
            change.ending_agents[user_id] = Ending.MOVED
            change.route = True
        elif seat.available and not was:
            change.became.add(user_id)
            change.route = True

    def _handoff(
        self, tx: Tx, handoff_id: str, before: Mapping[str, Any] | None, after: Mapping[str, Any], change: _Change
    ) -> None:
        status = after["status"]
        was = before["status"] if before is not None else None
        offers, claimed = self._offers, self._claimed  # None: read after this change
        holder = after.get("assignee") if status == Status.CLAIMED else None
        former = before.get("assignee") if before is not None and was == Status.CLAIMED else None
        if holder == former:
            holder = former = None
        requeued = status == Status.WAITING and (was != Status.WAITING or _moved(before, after))
        if requeued:
            change.route = True
            if before is not None:
                change.requeued.add(handoff_id)
        withdrawn = offers.pop(handoff_id, None) if offers is not None and (requeued or holder) else None
        if holder:
            self._active(tx, holder)
            if claimed is not None:
                claimed[holder] = claimed.get(holder, 0) + 1
            if offers is None or (withdrawn is not None and withdrawn[0] != holder):
                change.route = True  # someone else's offer was withdrawn: it has room again
        if former:
            if claimed is not None:
                claimed[former] = max(0, claimed.get(former, 0) - 1)
            change.became.add(former)
            change.route = True
            if status == Status.RESOLVED:
                self._active(tx, former)
            else:
                change.let_go[handoff_id] = former

    def _active(self, tx: Tx, user_id: str) -> None:
        """A user claimed or resolved a handoff now."""
        users.set_last_active(tx.conn, user_id, tx.now_s)
        seat = self.seats.get(user_id)
        if seat is not None:
            seat.last_active = tx.now_s

    # -- routing ----------------------------------------------------------------------------

    def _route(self, tx: Tx, ending: dict[str, Ending], change: _Change) -> dict[str, dict[str, Any]]:
        """Plan and apply; returns the handoffs whose offer changed, as they now stand."""
        for handoff_id, former in change.let_go.items():  # whoever held it counts as offered
            state = handoffs.routing_state(tx.conn, handoff_id)
            state["offered"] = sorted({*state.get("offered", ()), former})
            state["exhausted"] = False
            handoffs.set_routing_state(tx.conn, handoff_id, state)
        on_floor = [seat for seat in self.seats.values() if seat.connected]
        if not ending and not change.ending_agents:
            if not any(seat.available for seat in on_floor):
                self._exhaust(tx, change.requeued)  # nobody can be offered anything now
                return {}
            if not change.requeued and not handoffs.any_unoffered_waiting(tx.conn):
                return {}  # every waiting handoff is offered and stays so
        rows = handoffs.waiting_for_routing(tx.conn)
        for row in rows:
            why = change.ending_agents.get(row.offer_to) if row.offer_to is not None else None
            if why is not None and row.id not in ending:
                ending[row.id] = why
        _offers, claimed = self._memory(tx)
        agents = [seat.agent(claimed.get(seat.user.id, 0)) for seat in on_floor]
        moves = plan([_waiting(row, row.id in ending) for row in rows], agents, ending, change.became)
        return self._apply(tx, moves, ending)

    def _exhaust(self, tx: Tx, requeued: Collection[str]) -> None:
        """Handoffs back in a queue with nobody to offer them to: their round is over."""
        for handoff_id in requeued:
            state = handoffs.routing_state(tx.conn, handoff_id)
            if (state.get("round") or state.get("offered")) and not state.get("exhausted"):
                handoffs.set_routing_state(tx.conn, handoff_id, {**state, "exhausted": True})

    def _apply(self, tx: Tx, moves: list[Move], ending: Mapping[str, Ending]) -> dict[str, dict[str, Any]]:
        changed: dict[str, dict[str, Any]] = {}
        expires_at = format_time(tx.now + self.timeout)
        for move in moves:
            if not move.changes_offer:
                handoffs.set_routing_state(tx.conn, move.handoff_id, _state(move))
                continue
            before = handoffs.load(tx.conn, move.handoff_id)
            assert before is not None
            offer = None
            if move.offer is not None:
                offer = {"to": move.offer.to, "expires_at": expires_at, "round": move.offer.round}
            after = {**before, "offer": offer, "version": before["version"] + 1}
            handoffs.save(tx.conn, after, before["version"], routing=json.dumps(_state(move)))
            tx.emit(EventKind.HANDOFF_UPDATED, after, before, after)
            offers, _claimed = self._memory(tx)
            if move.offer is None:
                offers.pop(move.handoff_id, None)
            else:
                offers[move.handoff_id] = (move.offer.to, expires_at)
            if move.previous is not None:
                why = ending.get(move.handoff_id, Ending.WITHDRAWN)
                offer_log.ended(tx.conn, move.handoff_id, move.previous.to, why, tx.now_s)
            if move.offer is not None:
                offer_log.made(tx.conn, move.handoff_id, move.offer.to, tx.now_s)
            changed[move.handoff_id] = after
        return changed

    def _tell(self, tx: Tx) -> None:
        """Tell the loop when the earliest pending offer expires, when that changed."""
        offers, _claimed = self._memory(tx)
        when = min((expires_at for _to, expires_at in offers.values()), default=None)
        if when != self._told:
            self._told = when
            self.notify(when)


def _moved(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    """Whether a waiting handoff moved to another queue or language (other agents see it)."""
    return before is not None and (before["queue"] != after["queue"] or before.get("language") != after.get("language"))


def withdraw_all(tx: Tx) -> None:
    """Withdraw every pending offer (a hub served with pull routing over a store that has some)."""
    for handoff_id in handoffs.offered(tx.conn):
        before = handoffs.load(tx.conn, handoff_id)
        if before is None or not before.get("offer"):
            continue
        after = {**before, "offer": None, "version": before["version"] + 1}
        handoffs.save(tx.conn, after, before["version"])
        tx.emit(EventKind.HANDOFF_UPDATED, after, before, after)
        offer_log.ended(tx.conn, handoff_id, before["offer"]["to"], Ending.WITHDRAWN, tx.now_s)
