"""Requests on /v1/agent and /v1/source against a real hub on 127.0.0.1."""

from __future__ import annotations

import asyncio

from tests.support.peers import Peer, escalate_body, message, rid

OUTCOME = {"resolution": "resolved", "csat": 5, "escalation_feedback": "appropriate"}


async def escalate(bot: Peer, **extra) -> str:
    result = await bot.call("escalate", **escalate_body(**{"queue": "billing", "priority": 2, **extra}))
    assert result["ok"], result
    return result["data"]["handoff_id"]


async def test_hello_describes_user_queues_and_sla_targets(hub):
    ana = await hub.peer("ana", resume=False)
    hello = ana.hello
    assert hello["type"] == "hello" and hello["protocol"] == 1
    assert hello["user"]["id"] == "ana" and hello["user"]["role"] == "agent"
    assert hello["user"]["queues"] == ["billing", "vip"]
    assert {"billing", "technical", "vip"} <= set(hello["queues"])
    assert hello["sla_targets_s"] == {"1": 60, "2": 180, "3": 600, "4": 1800}
    assert hello["server_time"].endswith("Z") and "users" not in hello
    lea = await hub.peer("lea", resume=False)
    assert {u["id"] for u in lea.hello["users"]} == {"lea", "ana", "ben", "tom"}


async def test_eight_agents_racing_for_one_handoff_exactly_one_wins(hub):
    names = [f"a{i}" for i in range(8)]
    for name in names:
        hub.add_user(name, "agent", ("billing",))
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    agents = [await hub.peer(n) for n in names]
    results = await asyncio.gather(*(a.call("claim", handoff_id=handoff_id) for a in agents))
    winners = [r for r in results if r["ok"]]
    losers = [r for r in results if not r["ok"]]
    assert len(winners) == 1 and len(losers) == 7
    winner = winners[0]["data"]["handoff"]["assignee"]
    for lost in losers:
        assert lost["code"] == "conflict"
        assert lost["data"]["handoff"]["assignee"] == winner
        assert lost["data"]["handoff"]["status"] == "claimed"


async def test_repeated_request_id_returns_the_stored_result_and_changes_nothing(hub):
    bot = await hub.peer("bot")
    ana = await hub.peer("ana")
    lea = await hub.peer("lea")
    handoff_id = await escalate(bot)
    first = await ana.call("claim", request_id="claim-1", handoff_id=handoff_id)
    again = await ana.call("claim", request_id="claim-1", handoff_id=handoff_id)
    assert first == again and first["ok"]
    assert first["data"]["handoff"]["version"] == 2
    # The lead saw exactly one update: the second claim had no effect.
    await lea.call("presence", status="busy")
    kinds = [e["kind"] for e in lea.events if e["kind"] != "presence.changed"]
    assert kinds == ["handoff.created", "handoff.updated"]
    different = await ana.call("release", request_id="claim-1", handoff_id=handoff_id)
    assert different["ok"] is False and different["code"] == "invalid"


async def test_source_escalation_repeated_after_lost_reply_creates_one_handoff(hub):
    bot = await hub.peer("bot")
    body = escalate_body("conv-7", queue="billing")
    one = await bot.call("escalate", request_id="esc-1", **body)
    await bot.close()
    bot = await hub.peer("bot")
    two = await bot.call("escalate", request_id="esc-1", **body)
    three = await bot.call("escalate", **body)  # new id, same open conversation
    assert one == two
    assert three["data"]["handoff_id"] == one["data"]["handoff_id"]


async def test_requests_own_events_arrive_before_its_result(hub):
    bot = await hub.peer("bot")
    ana = await hub.peer("ana")
    handoff_id = await escalate(bot)
    await ana.next_event("handoff.created")
    request_id = rid()
    await ana.send({"type": "claim", "id": request_id, "handoff_id": handoff_id})
    first = await ana.recv()
    second = await ana.recv()
    assert first["type"] == "event" and first["kind"] == "handoff.updated"
    assert first["data"]["assignee"] == "ana"
    assert second["type"] == "result" and second["id"] == request_id


async def test_claim_release_resolve_and_their_refusals(hub):
    bot = await hub.peer("bot")
    ana, ben, tom, lea = [await hub.peer(n) for n in ("ana", "ben", "tom", "lea")]
    handoff_id = await escalate(bot)
    stale = await ana.call("claim", handoff_id=handoff_id, expected_version=7)
    assert stale["code"] == "conflict" and stale["data"]["handoff"]["version"] == 1
    wrong_queue = await tom.call("claim", handoff_id=handoff_id)
    assert wrong_queue["code"] == "forbidden"
    missing = await ana.call("claim", handoff_id="h_nope")
    assert missing["code"] == "not_found"
    assert (await ana.call("claim", handoff_id=handoff_id, expected_version=1))["ok"]
    not_mine = await ben.call("release", handoff_id=handoff_id)
    assert not_mine["code"] == "not_assignee" and not_mine["data"]["handoff"]["assignee"] == "ana"
    not_mine = await ben.call("resolve", handoff_id=handoff_id, outcome=OUTCOME)
    assert not_mine["code"] == "not_assignee"
    released = await ana.call("release", handoff_id=handoff_id)
    assert released["ok"] and released["data"]["handoff"]["status"] == "waiting"
    assert released["data"]["handoff"]["assignee"] is None
    not_claimed = await lea.call("resolve", handoff_id=handoff_id, outcome=OUTCOME)
    assert not_claimed["code"] == "conflict"
    await ben.call("claim", handoff_id=handoff_id)
    done = await ben.call("resolve", handoff_id=handoff_id, outcome=OUTCOME)
    handoff = done["data"]["handoff"]
    assert handoff["status"] == "resolved" and handoff["outcome"]["csat"] == 5
    assert handoff["outcome"]["recorded_by"] == "ben" and handoff["resolved_at"].endswith("Z")
    again = await ben.call("resolve", handoff_id=handoff_id, outcome=OUTCOME)
    assert again["code"] == "conflict"
    bad_outcome = await ben.call("resolve", handoff_id=handoff_id, outcome={"resolution": "meh"})
    assert bad_outcome["code"] == "invalid"


async def test_reassign_rules_for_leads_and_agents(hub):
    bot = await hub.peer("bot")
    ana, tom, lea = [await hub.peer(n) for n in ("ana", "tom", "lea")]
    handoff_id = await escalate(bot)
    forbidden = await ana.call("reassign", handoff_id=handoff_id, to_queue="technical")
    assert forbidden["code"] == "forbidden"  # an agent transfers only what it holds
    to_user = await lea.call("reassign", handoff_id=handoff_id, to_user="tom")
    assert to_user["ok"] and to_user["data"]["handoff"]["assignee"] == "tom"
    assert to_user["data"]["handoff"]["status"] == "claimed"
    assert (await tom.call("reassign", handoff_id=handoff_id, to_user="ana"))["code"] == "forbidden"
    transfer = await tom.call("reassign", handoff_id=handoff_id, to_queue="billing")
    assert transfer["ok"] and transfer["data"]["handoff"]["status"] == "waiting"
    assert transfer["data"]["handoff"]["queue"] == "billing"
    assert (await lea.call("reassign", handoff_id=handoff_id, to_user="nobody"))["code"] == "not_found"
    assert (await lea.call("reassign", handoff_id=handoff_id, to_queue="nowhere"))["code"] == "not_found"
    both = await lea.call("reassign", handoff_id=handoff_id, to_queue="billing", to_user="tom")
    assert both["code"] == "invalid"


async def test_events_reach_only_users_who_see_the_handoff(hub):
    bot = await hub.peer("bot")
    ana, tom, lea = [await hub.peer(n) for n in ("ana", "tom", "lea")]
    handoff_id = await escalate(bot)
    await ana.next_event("handoff.created")
    await lea.next_event("handoff.created")
    # A lead moves it to technical: ana saw it before, tom sees it after; both are told.
    await lea.call("reassign", handoff_id=handoff_id, to_queue="technical")
    moved = await ana.next_event("handoff.updated")
    assert moved["data"]["queue"] == "technical"
    seen_by_tom = await tom.next_event("handoff.updated")
    assert seen_by_tom["seq"] == moved["seq"]
    assert [e for e in tom.events if e["kind"] == "handoff.created"] == []
    # Tom claims it; ana no longer sees it before or after, so hears nothing.
    await tom.call("claim", handoff_id=handoff_id)
    await lea.next_event("handoff.updated")
    await ana.call("presence", status="away")  # a round trip: anything pending has arrived
    assert [e["seq"] for e in ana.events] == [ana.events[0]["seq"], moved["seq"]]


async def test_agent_language_list_limits_what_it_sees(hub):
    hub.add_user("dora", "agent", ("billing",), ("de",))
    bot = await hub.peer("bot")
    dora = await hub.peer("dora")
    english = await escalate(bot)
    german = escalate_body(queue="billing")
    german["conversation"]["language"] = "de-AT"
    german_id = (await bot.call("escalate", **german))["data"]["handoff_id"]
    seen = await dora.next_event("handoff.created")
    assert seen["data"]["id"] == german_id != english


async def presence_of(lead: Peer, user: str) -> dict:
    while True:
        event = await lead.next_event("presence.changed")
        if event["data"]["user"] == user:
            return event["data"]


async def test_presence_is_reported_to_leads_and_restored_on_reconnect(hub):
    lea = await hub.peer("lea")
    assert (await presence_of(lea, "lea"))["presence"] == "available"  # a lead sees itself too
    ana = await hub.peer("ana")
    assert await presence_of(lea, "ana") == {"user": "ana", "presence": "available", "active": 0}
    assert (await ana.call("presence", status="busy"))["ok"]
    assert (await presence_of(lea, "ana"))["presence"] == "busy"
    assert (await ana.call("presence", status="asleep"))["code"] == "invalid"
    await ana.close()
    assert (await presence_of(lea, "ana"))["presence"] == "offline"
    ana = await hub.peer("ana")
    assert (await presence_of(lea, "ana"))["presence"] == "busy"
    lea2 = await hub.peer("lea", resume=False)
    assert {u["id"]: u["presence"] for u in lea2.hello["users"]}["ana"] == "busy"


async def test_observe_escalates_when_triage_says_so_then_streams_messages(hub):
    bot = await hub.peer("bot")
    lea = await hub.peer("lea")
    conv = {"id": "live-1", "started_at": "2026-11-20T10:00:00Z", "language": "en"}
    customer = {"id": "c-9", "name": "Omar Haddad", "tier": "standard"}
    calm = await bot.call(
        "observe",
        conversation=conv,
        customer=customer,
        message=message("Where is my order #A-5531?", at="2026-11-20T10:00:01Z"),
    )
    assert calm["ok"] and calm["data"] == {"escalated": False}
    await bot.call(
        "observe", conversation=conv, message=message("It is out for delivery today.", "bot", "2026-11-20T10:00:02Z")
    )
    angry = await bot.call(
        "observe",
        conversation=conv,
        message=message("This is useless. Let me talk to a real person right now!", at="2026-11-20T10:00:30Z"),
    )
    assert angry["data"]["escalated"] is True
    triggers = {r["trigger"] for r in angry["data"]["reasons"]}
    assert "explicit_request" in triggers
    created = await lea.next_event("handoff.created")
    handoff = created["data"]
    assert handoff["id"] == angry["data"]["handoff_id"]
    assert handoff["transcript"][0]["text"] == "Where is my order #A-5531?"
    assert handoff["customer"]["name"] == "Omar Haddad" and handoff["brief"]
    more = await bot.call(
        "observe", conversation=conv, message=message("ok, I will wait here.", at="2026-11-20T10:01:00Z")
    )
    assert more["data"]["escalated"] is True
    # The message joins the handoff: as message.added, or within handoff.updated when triage,
    # judging the conversation again, changed more than the transcript.
    added = await lea.next_event()
    assert added["kind"] in ("message.added", "handoff.updated")
    data = added["data"]
    entry = data["message"] if added["kind"] == "message.added" else data["transcript"][-1]
    assert data.get("handoff_id", data.get("id")) == handoff["id"]
    assert data["version"] == handoff["version"] + 1
    assert entry["index"] == 3 and entry["text"] == "ok, I will wait here."
    status = await bot.call("status", conversation_id="live-1")
    assert status["data"]["escalated"] and status["data"]["status"] == "waiting"
    assert status["data"]["version"] == data["version"]


async def test_end_and_status_of_a_conversation_the_bot_resolved(hub):
    bot = await hub.peer("bot")
    conv = {"id": "faq-1", "started_at": "2026-11-20T10:00:00Z"}
    await bot.call(
        "observe", conversation=conv, message=message("What are your opening hours?", at="2026-11-20T10:00:01Z")
    )
    assert (await bot.call("status", conversation_id="faq-1"))["data"] == {"escalated": False}
    ended = await bot.call("end", conversation_id="faq-1", resolved_by_bot=True)
    assert ended["ok"]
    assert (await bot.call("end", conversation_id="nope", resolved_by_bot=True))["code"] == "not_found"
    assert (await bot.call("status", conversation_id="nope"))["code"] == "not_found"
    late = await bot.call("observe", conversation=conv, message=message("hello?"))
    assert late["code"] == "conflict"


async def test_escalate_fills_priority_queue_reasons_and_brief_from_triage(hub):
    bot = await hub.peer("bot")
    body = escalate_body(tier="vip")
    result = await bot.call("escalate", **body)
    data = result["data"]
    # A disputed double charge: priority 2, whatever the tier; a VIP's goes to the vip queue.
    assert data["queue"] == "vip" and data["priority"] == 2
    assert data["reasons"] and data["brief"].endswith(".") and len(data["brief"]) <= 160
    given = await bot.call(
        "escalate",
        **escalate_body(
            queue="technical",
            priority=4,
            brief="Given brief.",
            reasons=[{"trigger": "source_decision", "detail": "bot gave up"}],
        ),
    )
    assert given["data"]["queue"] == "technical" and given["data"]["priority"] == 4
    assert given["data"]["brief"] == "Given brief."
    assert given["data"]["reasons"] == [{"trigger": "source_decision", "detail": "bot gave up"}]


async def test_sources_and_agents_are_refused_each_others_requests(hub):
    bot = await hub.peer("bot")
    ana = await hub.peer("ana")
    assert (await bot.call("claim", handoff_id="x"))["code"] == "unknown_type"
    assert (await ana.call("escalate", **escalate_body()))["code"] == "unknown_type"
    assert (await ana.call("teleport"))["code"] == "unknown_type"


async def test_requests_in_flight_take_effect_in_order_and_fail_alone(hub):
    bot = await hub.peer("bot")
    lea = await hub.peer("lea")
    sent = []
    for i in range(30):  # no waiting between requests: they share transactions
        conversation_id = f"burst-{i:02d}"
        request_id = rid()
        sent.append((request_id, conversation_id))
        await bot.send({"type": "escalate", "id": request_id, **escalate_body(conversation_id, queue="billing")})
        if i == 12:
            await bot.send({"type": "end", "id": "end-unknown", "conversation_id": "nope", "resolved_by_bot": True})
            await bot.send({"type": "escalate", "id": sent[0][0], **escalate_body(sent[0][1], queue="billing")})
    results = {}
    while len(results) < 31:
        frame = await bot.recv()
        results.setdefault(frame["id"], frame)
    assert results["end-unknown"]["code"] == "not_found"
    assert all(results[request_id]["ok"] for request_id, _ in sent)
    created = [await lea.next_event("handoff.created") for _ in range(30)]
    assert [e["data"]["conversation_id"] for e in created] == [c for _, c in sent]
    seqs = [e["seq"] for e in created]
    assert seqs == sorted(seqs) and len(set(seqs)) == 30
    assert {results[r]["data"]["handoff_id"] for r, _ in sent} == {e["data"]["id"] for e in created}
