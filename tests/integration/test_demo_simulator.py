"""The demo simulator streams realistic conversations; the hub's triage picks what reaches people."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter

import pytest

from agent_desk.demo.floor import EVERY_QUEUE
from agent_desk.demo.followups import ANSWERS, THANKS
from agent_desk.demo.launcher import (
    DEMO_AGENT,
    DEMO_LEAD,
    MIN_OFFER_TIMEOUT_S,
    desk_user,
    offer_timeout,
    start_demo_backend,
    stop_demo_backend,
)
from agent_desk.demo.saved_replies import SAVED_REPLIES
from agent_desk.demo.scenarios import CUSTOMERS, SCENARIOS, make_conversation
from agent_desk.demo.simulator import Simulator, SourceClient
from tests.support.peers import Peer

STAYS_WITH_THE_BOT = (
    "order_status",
    "password_reset",
    "faq_hours",
    "mild_annoyance_solved",
    "cancel_an_order",
    "one_failed_step_then_fixed",
    "german_status",
    "spanish_faq",
    "vip_routine",
)


async def test_simulated_conversations_are_triaged_live(hub):
    lea = await hub.peer("lea")
    client = SourceClient(hub.url, hub.tokens["bot"])
    simulator = Simulator(client, rate=0, pace=0, seed=7)
    played = {}
    for scenario in SCENARIOS:  # every scenario once, then a random floor
        conversation = simulator.next_conversation()
        while conversation.scenario is not scenario:
            simulator.discard(conversation)
            conversation = simulator.next_conversation()
        played[conversation.id] = (conversation, await simulator.play(conversation))
    await client.close()
    escalated = {cid for cid, (_, went) in played.items() if went}
    by_scenario = {conversation.scenario.name: went for conversation, went in played.values()}
    # What a bot does well stays with the bot; what needs a person reaches one.
    assert [name for name in STAYS_WITH_THE_BOT if by_scenario[name]] == []
    assert [name for name, went in by_scenario.items() if not went and name not in STAYS_WITH_THE_BOT] == []
    assert simulator.stats.escalated == len(escalated) and simulator.stats.ended_by_bot == len(played) - len(escalated)
    created: dict[str, dict] = {}
    while len(created) < len(escalated):
        event = await lea.next_event("handoff.created")
        created[event["data"]["conversation_id"]] = event["data"]
    assert set(created) == escalated
    for handoff in created.values():
        assert handoff["customer"]["name"] and handoff["brief"].endswith(".") and handoff["reasons"]
    # The bot really tried before handing over: where it had a go first, the handoff shows what it
    # tried (a billing dispute, a privacy request or a bereavement goes to a person at once).
    tried = {played[h["conversation_id"]][0].scenario.name: h["attempts"] for h in created.values()}
    assert [
        name
        for name in (
            "loop",
            "two_failed_steps",
            "italian_failed",
            "explicit_request",
            "angry_delivery",
            "quote_request",
            "vip_outage",
        )
        if not tried[name]
    ] == []
    assert len(tried["loop"]) == 2 and sum(map(bool, tried.values())) >= len(created) / 2
    # Each kind of case gets the urgency it deserves.
    by_name = {played[h["conversation_id"]][0].scenario.name: h["priority"] for h in created.values()}
    assert by_name["product_defect_safety"] == 1 and by_name["legal_threat"] == 1 and by_name["vip_leaving"] == 1
    assert by_name["billing_dispute"] == 2 and by_name["privacy_request"] == 2 and by_name["bereaved"] == 2
    assert by_name["explicit_request"] == 3 and by_name["loop"] == 3 and by_name["two_failed_steps"] == 3
    assert by_name["quote_request"] == 4


def test_the_floor_has_a_realistic_priority_mix():
    """Weighted by how often each scenario plays, priority 1 is rare and 3 the most common."""
    expected = {
        "product_defect_safety": 1,
        "legal_threat": 1,
        "vip_leaving": 1,
        "billing_dispute": 2,
        "spanish_billing": 2,
        "privacy_request": 2,
        "bereaved": 2,
        "quote_request": 4,
    }
    weights: Counter[int] = Counter()
    for scenario in SCENARIOS:
        if scenario.name in STAYS_WITH_THE_BOT:
            continue
        weights[expected.get(scenario.name, 3)] += scenario.weight
    total = sum(weights.values())
    assert weights[1] / total <= 0.12 and weights[3] == max(weights.values()) and weights[4] > 0


def test_conversations_are_varied_repeatable_and_each_customer_is_one_person():
    rng, rng_again = random.Random(3), random.Random(3)
    first = [make_conversation(rng, i) for i in range(80)]
    again = [make_conversation(rng_again, i) for i in range(80)]
    assert [c.turns for c in first] == [c.turns for c in again]
    assert len({c.scenario.name for c in first}) >= 12
    assert len({c.customer["name"] for c in first}) >= 10
    assert {c.language for c in first} >= {"en", "de"}
    assert all("{" not in t.text for c in first for t in c.turns)
    profiles: dict[object, dict] = {}
    for conversation in first:
        seen = profiles.setdefault(conversation.customer["id"], conversation.customer)
        assert seen == conversation.customer  # same tier, value, email, locale and history every time
        assert conversation.language == conversation.customer["locale"]
    assert len(CUSTOMERS) == len({c.id for c in CUSTOMERS})
    loops = [c for c in first if c.scenario.name == "loop"]
    assert loops and all(c.turns[1].text == c.turns[3].text for c in loops)


def test_every_handed_over_conversation_has_answers_for_the_person_who_takes_it():
    rng = random.Random(5)
    conversations = [make_conversation(rng, i) for i in range(300)]
    for scenario in SCENARIOS:
        if scenario.name not in STAYS_WITH_THE_BOT:
            assert 2 <= len(ANSWERS[scenario.name]) <= 3, scenario.name
    for conversation in conversations:
        answers = conversation.answers
        assert answers[-1] == THANKS[conversation.language]  # scripted answers first, then thanks
        assert len(answers) >= 3 and all(a and "{" not in a for a in answers)
        assert len(set(answers)) == len(answers)


async def first_claim(lead: Peer) -> dict:
    while True:
        event = await lead.next_event("handoff.updated")
        if event["data"]["status"] == "claimed":
            return event["data"]


def test_the_demo_backend_serves_the_lead_and_shuts_down_cleanly(tmp_path):
    """What `agent-desk demo` starts: a hub on a thread, its users, the simulator feeding it and
    colleagues working it; and it all stops at once when the window closes."""
    threads = set(threading.enumerate())
    embedded, url, tokens, running, floor = start_demo_backend(tmp_path / "hub", rate=0.5, warm_up=10, speed=40)
    try:
        lead = embedded.run(Peer.open(url, tokens[DEMO_LEAD]))
        assert lead.hello["user"]["role"] == "lead"
        assert "offers" in lead.hello["features"]  # the hub offers cases to agents unless told to let them pick
        capacities = {u["id"]: u["capacity"] for u in lead.hello["users"] if u["role"] == "agent"}
        assert set(capacities) == {agent.spec.id for agent in floor.agents}
        assert all(2 <= c <= 4 for c in capacities.values()) and len(set(capacities.values())) > 1
        created = embedded.run(lead.next_event("handoff.created"))  # the warm-up reaches the floor
        assert created["data"]["customer"]["name"]
        claimed = embedded.run(asyncio.wait_for(first_claim(lead), 30))  # a colleague takes one
        assert claimed["assignee"] in {agent.spec.id for agent in floor.agents}
        listed = embedded.run(lead.call("canned_list"))  # the team's saved replies are set up
        assert [r["title"] for r in listed["data"]["responses"]] == sorted(t for t, _, _ in SAVED_REPLIES)
        embedded.run(lead.close())
    finally:
        began = time.monotonic()
        stop_demo_backend(embedded, running, floor)
        took = time.monotonic() - began
    assert embedded.hub is None and running.done()
    assert took < 5, f"the demo took {took:.1f} s to stop"
    assert set(threading.enumerate()) <= threads


def test_a_customer_in_a_conversation_is_not_picked_for_another_while_others_are_free() -> None:
    rng = random.Random(7)
    first = make_conversation(rng, 1)
    busy = {str(first.customer["id"])}
    for serial in range(2, 200):
        assert str(make_conversation(rng, serial, busy).customer["id"]) not in busy


def test_a_warm_up_burst_of_conversations_has_no_customer_twice() -> None:
    simulator = Simulator(SourceClient("ws://127.0.0.1:1", "unused"), rate=0, pace=0, seed=3)
    ids = [simulator.next_conversation().customer["id"] for _ in range(12)]
    assert len(set(ids)) == len(ids)


async def first_offer_to(peer: Peer, user: str) -> dict:
    while True:
        event = await peer.next_event()
        offer = event["data"].get("offer") if event["kind"] in ("handoff.created", "handoff.updated") else None
        if offer and offer["to"] == user:
            return event["data"]


def test_the_desk_signs_in_as_the_lead_unless_told_to_be_an_agent():
    assert desk_user("lead").id == DEMO_LEAD and desk_user("lead").role == "lead"
    agent = desk_user("agent")
    assert agent.id == DEMO_AGENT and agent.role == "agent"
    assert agent.queues == EVERY_QUEUE and agent.languages == () and agent.capacity == 3
    with pytest.raises(ValueError, match="lead or agent"):
        desk_user("source")


def test_offers_stand_long_enough_for_a_person_at_any_speed():
    assert offer_timeout(1) == 30
    assert offer_timeout(2) == 15
    assert offer_timeout(100) == MIN_OFFER_TIMEOUT_S >= 3


def test_as_an_agent_the_desk_is_offered_cases_like_its_colleagues(tmp_path):
    """`agent-desk demo --as agent`: the desktop's user is an agent of every queue, whom the hub
    offers cases as it does the simulated ones."""
    embedded, url, tokens, running, floor = start_demo_backend(
        tmp_path / "hub", rate=0.5, warm_up=10, speed=40, desk="agent"
    )
    try:
        person = desk_user("agent")
        desk = embedded.run(Peer.open(url, tokens[person.id]))
        assert desk.hello["user"]["id"] == DEMO_AGENT and desk.hello["user"]["role"] == "agent"
        assert "offers" in desk.hello["features"]
        offered = embedded.run(asyncio.wait_for(first_offer_to(desk, DEMO_AGENT), 30))
        claimed = embedded.run(desk.call("claim", handoff_id=offered["id"]))
        assert claimed["ok"] and claimed["data"]["handoff"]["assignee"] == DEMO_AGENT
        lead = embedded.run(Peer.open(url, tokens[DEMO_LEAD]))  # the lead is there too, and sees her
        assert DEMO_AGENT in {u["id"] for u in lead.hello["users"]}
        embedded.run(desk.close())
        embedded.run(lead.close())
    finally:
        stop_demo_backend(embedded, running, floor)


def test_the_demo_can_still_let_agents_pick_from_the_queue(tmp_path):
    embedded, url, tokens, running, floor = start_demo_backend(
        tmp_path / "hub", rate=0.5, warm_up=10, speed=40, routing="pull"
    )
    try:
        lead = embedded.run(Peer.open(url, tokens[DEMO_LEAD]))
        assert "offers" not in lead.hello["features"]
        claimed = embedded.run(asyncio.wait_for(first_claim(lead), 30))
        assert claimed["assignee"] in {agent.spec.id for agent in floor.agents} and claimed["offer"] is None
        embedded.run(lead.close())
    finally:
        stop_demo_backend(embedded, running, floor)


def test_when_every_customer_is_in_a_conversation_no_new_one_starts() -> None:
    simulator = Simulator(SourceClient("ws://127.0.0.1:1", "unused"), rate=0, pace=0, seed=3)
    simulator.talking.update({c.id: 1 for c in CUSTOMERS})
    simulator._spawn()
    assert not simulator._tasks


def test_a_scenario_whose_speakers_are_all_busy_gives_way_to_one_with_a_free_customer() -> None:
    rng = random.Random(11)
    german = {c.id for c in CUSTOMERS if c.language == "de"}
    for serial in range(100):
        picked = make_conversation(rng, serial, german)
        assert picked.customer["id"] not in german
