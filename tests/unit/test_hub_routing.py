"""Routing by offers, the pure rule: properties on generated floors, and the cases by name."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from agent_desk.hub.routing import Agent, Move, Offer, Waiting, can_take, plan

AGENT_IDS = [f"a{i}" for i in range(6)]
QUEUES = ["billing", "technical"]


@st.composite
def agents(draw: st.DrawFn) -> list[Agent]:
    chosen = draw(st.lists(st.sampled_from(AGENT_IDS), unique=True, max_size=len(AGENT_IDS)))
    return [
        Agent(
            id=agent_id,
            queues=frozenset(draw(st.sets(st.sampled_from(QUEUES), max_size=2))),
            languages=frozenset(draw(st.sets(st.sampled_from(["en", "de"]), max_size=2))),
            role=draw(st.sampled_from(["agent", "agent", "agent", "lead"])),
            connected=draw(st.booleans() | st.just(True)),
            presence=draw(st.sampled_from(["available", "available", "busy", "away"])),
            capacity=draw(st.integers(0, 3)),
            claimed=draw(st.integers(0, 3)),
            last_active=draw(st.none() | st.sampled_from(["2026-11-20T10:00:00.000Z", "2026-11-20T11:00:00.000Z"])),
        )
        for agent_id in chosen
    ]


@st.composite
def floors(draw: st.DrawFn) -> tuple[list[Waiting], list[Agent], set[str], set[str]]:
    team = draw(agents())
    handoffs = []
    for number in range(draw(st.integers(0, 8))):
        round_ = draw(st.integers(0, 3))
        offered = set(draw(st.sets(st.sampled_from(AGENT_IDS), max_size=3))) if round_ else set()
        offer = None
        if round_ and draw(st.booleans()):
            offer = Offer(draw(st.sampled_from(AGENT_IDS)), round_)
            offered.add(offer.to)
        handoffs.append(
            Waiting(
                id=f"h{number}",
                queue=draw(st.sampled_from(QUEUES)),
                language=draw(st.sampled_from(["en", "de", "fr"])),
                rank=(
                    draw(st.integers(1, 4)),
                    draw(st.integers(0, 3)),
                    f"2026-11-20T10:{number:02d}:00Z",
                    f"h{number}",
                ),
                offer=offer,
                round=round_,
                offered=frozenset(offered),
                exhausted=offer is None and round_ > 0 and draw(st.booleans()),
            )
        )
    ending = set(draw(st.sets(st.sampled_from([h.id for h in handoffs if h.offer] or ["-"]))))
    became = set(draw(st.sets(st.sampled_from(AGENT_IDS), max_size=3)))
    return handoffs, team, ending, became


def pending_after(handoffs: list[Waiting], moves: list[Move]) -> dict[str, Offer | None]:
    offers: dict[str, Offer | None] = {h.id: h.offer for h in handoffs}
    for move in moves:
        offers[move.handoff_id] = move.offer
    return offers


@settings(max_examples=200, deadline=None)
@given(floors())
def test_an_offer_is_only_ever_made_to_an_eligible_agent(floor):
    handoffs, team, ending, became = floor
    by_id = {a.id: a for a in team}
    waiting = {h.id: h for h in handoffs}
    for move in plan(handoffs, team, ending, became):
        if move.offer is None or not move.changes_offer:
            continue
        agent, handoff = by_id[move.offer.to], waiting[move.handoff_id]
        assert can_take(agent, handoff), (agent, handoff)
        if move.round == handoff.round or handoff.round == 0:  # the same round goes on
            held = handoff.offered | ({handoff.offer.to} if handoff.offer else set())
            assert agent.id not in held
        else:  # a new round, for an exhausted handoff an agent just became eligible for
            assert handoff.exhausted and move.round == handoff.round + 1
            assert any(can_take(by_id[a], handoff) for a in became if a in by_id)


@settings(max_examples=200, deadline=None)
@given(floors())
def test_no_agent_is_offered_beyond_its_capacity(floor):
    handoffs, team, ending, became = floor
    moves = plan(handoffs, team, ending, became)
    offers = pending_after(handoffs, moves)
    holding = Counter(offer.to for offer in offers.values() if offer is not None)
    for move in moves:
        if move.offer is not None and move.changes_offer:
            agent = next(a for a in team if a.id == move.offer.to)
            assert agent.claimed + holding[agent.id] <= agent.capacity


@settings(max_examples=200, deadline=None)
@given(floors())
def test_a_handoff_is_offered_to_one_agent_at_a_time_and_an_ending_offer_moves_in_one_change(floor):
    handoffs, team, ending, became = floor
    moves = plan(handoffs, team, ending, became)
    assert len({m.handoff_id for m in moves}) == len(moves)  # one change per handoff
    waiting = {h.id: h for h in handoffs}
    for handoff_id in ending:
        if handoff_id not in waiting:
            continue
        move = next(m for m in moves if m.handoff_id == handoff_id)  # every ending offer moves
        assert move.offer is None or move.offer.to != waiting[handoff_id].offer.to
        assert move.offer is None or move.offer.round == waiting[handoff_id].round  # same round
    for move in moves:  # an offer that stands is never replaced
        before = waiting[move.handoff_id]
        assert before.offer is None or move.handoff_id in ending


@settings(max_examples=200, deadline=None)
@given(floors())
def test_a_higher_ranked_handoff_is_never_passed_over_for_a_lower_one(floor):
    handoffs, team, ending, became = floor
    moves = plan(handoffs, team, ending, became)
    offers = pending_after(handoffs, moves)
    ranked = sorted(handoffs, key=lambda h: h.rank)
    new = {m.handoff_id: m.offer for m in moves if m.offer is not None and m.changes_offer}
    for i, high in enumerate(ranked):
        if offers[high.id] is not None or high.exhausted:
            continue
        passed_over = set(high.offered | ({high.offer.to} if high.offer else set()))
        for low in ranked[i + 1 :]:
            taker = new.get(low.id)
            if taker is None:
                continue
            agent = next(a for a in team if a.id == taker.to)
            assert not can_take(agent, high) or agent.id in passed_over, (high, low, agent)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10), st.lists(st.integers(0, 3), min_size=1, max_size=5), st.randoms())
def test_with_one_kind_of_agent_the_top_of_the_ranking_is_offered(count, capacities, rnd):
    team = [Agent(f"a{i}", frozenset({"billing"}), capacity=c) for i, c in enumerate(capacities)]
    ranks = [(rnd.randint(1, 4), rnd.randint(0, 3), f"2026-11-20T10:{n:02d}:00Z", f"h{n}") for n in range(count)]
    handoffs = [Waiting(f"h{n}", "billing", "en", rank=ranks[n]) for n in range(count)]
    moves = plan(handoffs, team)
    expected = [h.id for h in sorted(handoffs, key=lambda h: h.rank)][: min(count, sum(capacities))]
    assert [m.handoff_id for m in moves] == expected


# -- the rules by name ---------------------------------------------------------------------------

ANA = Agent("ana", frozenset({"billing"}))
BEN = Agent("ben", frozenset({"billing"}))


def test_the_agent_with_fewest_claimed_handoffs_is_chosen_then_the_longest_idle():
    busy = Agent("ana", frozenset({"billing"}), claimed=1)
    idle = Agent("ben", frozenset({"billing"}), claimed=0, last_active="2026-11-20T12:00:00.000Z")
    assert plan([Waiting("h1", "billing", "en")], [busy, idle])[0].offer == Offer("ben", 1)
    recent = Agent("ana", frozenset({"billing"}), last_active="2026-11-20T12:00:00.000Z")
    longer = Agent("ben", frozenset({"billing"}), last_active="2026-11-20T09:00:00.000Z")
    assert plan([Waiting("h1", "billing", "en")], [recent, longer])[0].offer == Offer("ben", 1)


def test_a_declined_offer_moves_to_the_next_agent_of_the_round_then_to_nobody():
    offered = Waiting("h1", "billing", "en", offer=Offer("ana", 1), round=1, offered=frozenset({"ana"}))
    [move] = plan([offered], [ANA, BEN], ending={"h1"})
    assert move.offer == Offer("ben", 1) and move.offered == {"ana", "ben"} and move.changes_offer
    last = Waiting("h1", "billing", "en", offer=Offer("ben", 1), round=1, offered=frozenset({"ana", "ben"}))
    [move] = plan([last], [ANA, BEN], ending={"h1"})
    assert move.offer is None and move.exhausted and move.round == 1


def test_an_exhausted_handoff_gets_a_new_round_only_when_an_agent_becomes_eligible():
    done = Waiting("h1", "billing", "en", round=1, offered=frozenset({"ana", "ben"}), exhausted=True)
    assert plan([done], [ANA, BEN]) == []
    [move] = plan([done], [ANA, BEN], became_eligible={"ben"})
    assert move.offer is not None and move.round == 2 and move.offered == {move.offer.to}


def test_an_away_lead_or_full_agent_is_never_offered_anything():
    team = [
        Agent("away", frozenset({"billing"}), presence="away"),
        Agent("lead", frozenset({"billing"}), role="lead"),
        Agent("full", frozenset({"billing"}), capacity=2, claimed=2),
        Agent("gone", frozenset({"billing"}), connected=False),
        Agent("german", frozenset({"billing"}), languages=frozenset({"de"})),
    ]
    assert plan([Waiting("h1", "billing", "en")], team) == []


def test_an_agent_holds_several_offers_within_its_capacity():
    moves = plan([Waiting(f"h{n}", "billing", "en", rank=(2, 2, f"t{n}", f"h{n}")) for n in range(4)], [ANA])
    assert [m.handoff_id for m in moves] == ["h0", "h1", "h2"]
    assert all(m.offer == Offer("ana", 1) for m in moves)
