"""The demo simulator streams realistic conversations; the hub's triage picks what reaches people."""

from __future__ import annotations

import random

from agent_desk.demo.scenarios import SCENARIOS, make_conversation
from agent_desk.demo.simulator import Simulator, SourceClient


async def test_simulated_conversations_are_triaged_live(hub):
    lea = await hub.peer("lea")
    client = SourceClient(hub.url, hub.tokens["bot"])
    simulator = Simulator(client, rate=0, pace=0, seed=7)
    played = {}
    for _ in range(len(SCENARIOS) * 2):
        conversation = simulator.next_conversation()
        played[conversation.id] = (conversation, await simulator.play(conversation))
    await client.close()
    escalated = {cid for cid, (_, went) in played.items() if went}
    by_scenario = {}
    for conversation, went in played.values():
        by_scenario.setdefault(conversation.scenario.name, set()).add(went)
    # What a bot does well stays with the bot; what needs a person reaches one.
    for calm in ("order_status", "password_reset", "faq_hours", "mild_annoyance_solved", "german_status", "spanish_faq"):
        assert by_scenario.get(calm, {False}) == {False}, calm
    for urgent in ("billing_dispute", "product_defect_safety", "explicit_request", "german_request", "french_cancel"):
        assert by_scenario.get(urgent, {True}) == {True}, urgent
    assert simulator.stats.escalated == len(escalated) and simulator.stats.ended_by_bot == len(played) - len(escalated)
    created = {}
    added = 0
    while len(created) < len(escalated) or added < sum(len(played[c][0].after_handoff) for c in escalated):
        event = await lea.next_event()
        if event["kind"] == "handoff.created":
            created[event["data"]["conversation_id"]] = event["data"]
        elif event["kind"] == "message.added":
            added += 1
    assert set(created) == escalated
    for handoff in created.values():
        assert handoff["customer"]["name"] and handoff["brief"].endswith(".") and handoff["reasons"]


def test_conversations_are_varied_and_repeatable():
    rng, rng_again = random.Random(3), random.Random(3)
    first = [make_conversation(rng, i) for i in range(40)]
    again = [make_conversation(rng_again, i) for i in range(40)]
    assert [c.turns for c in first] == [c.turns for c in again]
    assert len({c.scenario.name for c in first}) >= 8
    assert len({c.customer["name"] for c in first}) >= 8
    assert {c.language for c in first} >= {"en", "de"}
    assert all("{" not in t.text for c in first for t in c.turns)
