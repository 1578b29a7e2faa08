"""Routing by offers, as a pure function: which waiting handoff to offer to which agent.

Nothing here reads the store, the clock or the network: :func:`plan` is given the waiting
handoffs, the agents and what just happened, and returns the changes to make. The hub
(:mod:`~agent_desk.hub.offers`) applies them in the transaction of the change that called for
them. The rules (PROTOCOL.md, "Routing: offers"):

- **Eligible** for a handoff: an agent (not a lead), connected now, presence ``available``,
  whose queues hold the handoff's queue and whose languages (when it lists any) hold its
  language, whose claimed handoffs plus the offers pending to it are fewer than its capacity,
  and who was not yet offered this handoff in the current round.
- **Chosen** among the eligible: the fewest claimed handoffs, then the longest since its last
  claim or resolve (never: longest of all), then the fewest offers pending, then by id.
- Handoffs are offered in ranking order (priority, tier, age), each to at most one agent at a
  time; an agent may hold several offers within its capacity.
- An offer that ends (a decline, an expiry, its agent going busy, away or offline) moves to the
  next eligible agent of the same round in one change; when nobody is left, the handoff is
  offered to nobody and its round is *exhausted*. An exhausted handoff gets a new round (a
  fresh set of agents) when an agent becomes eligible for it: it connects, turns available or
  frees capacity (``became_eligible``).
- A handoff that comes back to its queue (released, or moved to a queue) goes on with its
  round; whoever held it counts as offered in it, so it is not offered straight back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from agent_desk.protocol.codes import Presence, Role
from agent_desk.protocol.visibility import language_matches


@dataclass(frozen=True, slots=True)
class Agent:
    """What routing needs to know of a user.

    Attributes:
        claimed: handoffs it holds now (claimed by it).
        last_active: when it last claimed or resolved a handoff (a protocol time; None: never).
    """

    id: str
    queues: frozenset[str]
    languages: frozenset[str] = frozenset()
    role: str = Role.AGENT.value
    connected: bool = True
    presence: str = Presence.AVAILABLE.value
    capacity: int = 3
    claimed: int = 0
    last_active: str | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A handoff offered to agent ``to`` in round ``round`` (the hub adds ``expires_at``)."""

    to: str
    round: int


@dataclass(frozen=True, slots=True)
class Waiting:
    """A waiting handoff and its routing state.

    Attributes:
        rank: its place in every queue view (:func:`agent_desk.protocol.visibility.rank_key`).
        offer: the offer pending now, or None.
        round: its current round (0: never offered).
        offered: the agents offered it (or holding it) in the current round.
        exhausted: nobody was left in its round; it waits for a new one.
    """

    id: str
    queue: str
    language: str | None
    rank: tuple[int, int, str, str] = (4, 2, "", "")
    offer: Offer | None = None
    round: int = 0
    offered: frozenset[str] = frozenset()
    exhausted: bool = False


@dataclass(frozen=True, slots=True)
class Move:
    """A change of one handoff's routing: its new offer (None: nobody) and round state."""

    handoff_id: str
    offer: Offer | None
    round: int
    offered: frozenset[str]
    exhausted: bool
    #: The offer it had before this change (so the caller knows whether the wire changes).
    previous: Offer | None = None

    @property
    def changes_offer(self) -> bool:
        """Whether the handoff's ``offer`` changes (a new version), not only its round state."""
        return self.offer != self.previous


_AGENT, _AVAILABLE = Role.AGENT.value, Presence.AVAILABLE.value


class _Floor:
    """The agents that could be offered anything now, by queue, and each agent's load (claimed
    handoffs plus offers pending to it) as the plan goes on."""

    def __init__(self, agents: Iterable[Agent]) -> None:
        agents = list(agents)
        self.load: dict[str, int] = {a.id: a.claimed for a in agents}
        self.pending: dict[str, int] = {}
        self.by_queue: dict[str, list[Agent]] = {}
        ready = [a for a in agents if a.role == _AGENT and a.connected and a.presence == _AVAILABLE]
        self._ready: dict[str, Agent] = {a.id: a for a in ready}
        for agent in ready:
            for queue in agent.queues:
                self.by_queue.setdefault(queue, []).append(agent)
        self.spare = sum(a.capacity - a.claimed for a in ready if a.capacity > a.claimed)

    def add_offer(self, agent_id: str) -> None:
        before = self.load.get(agent_id, 0)
        self.load[agent_id] = before + 1
        self.pending[agent_id] = self.pending.get(agent_id, 0) + 1
        agent = self._ready.get(agent_id)
        if agent is not None and before < agent.capacity:
            self.spare -= 1

    def eligible(self, handoff: Waiting, offered: Collection[str]) -> list[Agent]:
        """The agents eligible for ``handoff`` now, when ``offered`` were offered it this round."""
        if self.spare <= 0:
            return []
        load, language = self.load, handoff.language
        # :func:`eligible`, less what every agent here already meets (role, presence, queue).
        return [
            a
            for a in self.by_queue.get(handoff.queue, ())
            if load[a.id] < a.capacity
            and a.id not in offered
            and (not a.languages or language_matches(language, a.languages))
        ]

    def choose(self, candidates: Iterable[Agent]) -> Agent | None:
        """The fewest claimed, then the longest since a claim or resolve, then the fewest offers."""
        return min(
            candidates,
            key=lambda a: (a.claimed, a.last_active or "", self.pending.get(a.id, 0), a.id),
            default=None,
        )


def can_take(agent: Agent, handoff: Waiting) -> bool:
    """Whether ``agent`` could be offered ``handoff`` at all, capacity and round aside."""
    return (
        agent.role == Role.AGENT
        and agent.connected
        and agent.presence == Presence.AVAILABLE
        and handoff.queue in agent.queues
        and language_matches(handoff.language, agent.languages)
    )


def eligible(agent: Agent, handoff: Waiting, load: int, offered: Collection[str]) -> bool:
    """Whether ``agent`` is eligible for ``handoff`` with ``load`` (claimed + pending offers),
    when ``offered`` were offered it in the current round."""
    return can_take(agent, handoff) and load < agent.capacity and agent.id not in offered


def plan(
    waiting: Sequence[Waiting],
    agents: Iterable[Agent],
    ending: Collection[str] = (),
    became_eligible: Collection[str] = (),
) -> list[Move]:
    """The offers to make, move on and withdraw now.

    Args:
        waiting: every waiting handoff with its routing state (any order; ranked here).
        agents: every agent that might be offered something (others are never eligible).
        ending: ids of handoffs whose pending offer ends now (declined, expired, or its agent
            went busy, away or offline); each moves on in one change.
        became_eligible: agents that just connected, turned available or freed capacity; an
            exhausted handoff one of them is eligible for starts a new round.

    Returns:
        One :class:`Move` per handoff whose routing changes, in ranking order.
    """
    ordered = sorted(waiting, key=lambda h: h.rank)
    floor = _Floor(agents)
    for handoff in ordered:
        if handoff.offer is not None and handoff.id not in ending:
            floor.add_offer(handoff.offer.to)
    became = set(became_eligible)
    moves: list[Move] = []
    for handoff in ordered:
        if handoff.offer is not None and handoff.id not in ending:
            continue  # its offer stands
        if handoff.offer is not None or not handoff.exhausted:
            move = _go_on(handoff, floor)
        else:
            move = _new_round(handoff, floor, became)
        if move is not None:
            moves.append(move)
    return moves


def _go_on(handoff: Waiting, floor: _Floor) -> Move | None:
    """Offer the handoff within its round (the first offer starts round 1); nobody left in the
    round: offered to nobody, the round exhausted."""
    offered = handoff.offered | {handoff.offer.to} if handoff.offer is not None else handoff.offered
    chosen = floor.choose(floor.eligible(handoff, offered))
    if chosen is not None:
        round_ = max(handoff.round, 1)
        floor.add_offer(chosen.id)
        return Move(handoff.id, Offer(chosen.id, round_), round_, offered | {chosen.id}, False, handoff.offer)
    if handoff.round == 0 and not offered:
        return None  # never offered nor held: it waits for a first eligible agent
    return Move(handoff.id, None, handoff.round, offered, True, handoff.offer)


def _new_round(handoff: Waiting, floor: _Floor, became: set[str]) -> Move | None:
    """A new round for an exhausted handoff, when an agent just became eligible for it."""
    if not became:
        return None
    eligible_now = floor.eligible(handoff, frozenset())
    if not any(a.id in became for a in eligible_now):
        return None
    chosen = floor.choose(eligible_now)
    assert chosen is not None
    floor.add_offer(chosen.id)
    round_ = handoff.round + 1
    return Move(handoff.id, Offer(chosen.id, round_), round_, frozenset({chosen.id}), False, handoff.offer)
