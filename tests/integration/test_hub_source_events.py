"""What a source hears about its conversations (``subscribe``) and confirms (``delivered``), over the wire."""

from __future__ import annotations

import sqlite3

from agent_desk.hub import db
from agent_desk.hub.models import SCHEMA_VERSION
from agent_desk.protocol.server_frames import (
    AgentMessage,
    Event,
    Handoff,
    HandoffClaimed,
    HandoffRequeued,
    HandoffResolved,
    Hello,
    MessageAdded,
    ResultOk,
    SourceSnapshot,
    Synced,
    event_data,
    parse_server_frame,
)
from tests.support.hubs import restart
from tests.support.peers import Peer, escalate_body, rid

OUTCOME = {"resolution": "follow_up", "csat": 2, "notes": "Internal: refund pending", "escalation_feedback": "late"}


async def escalate(bot: Peer, conversation_id: str | None = None, queue: str = "billing") -> tuple[str, str]:
    """A new handoff of ``bot``'s: (conversation id, handoff id)."""
    body = escalate_body(conversation_id or rid(), queue=queue)
    result = await bot.call("escalate", **body)
    assert result["ok"], result
    return body["conversation"]["id"], result["data"]["handoff_id"]


def source_events(peer: Peer) -> list[tuple[str, dict]]:
    return [(e["kind"], e["data"]) for e in peer.events]


async def test_subscribe_answers_with_a_snapshot_then_synced_then_its_result(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    waiting_conv, waiting = await escalate(bot)
    held_conv, held = await escalate(bot)
    done_conv, done = await escalate(bot)
    await ana.call("claim", handoff_id=held)
    reply = await ana.call("reply", handoff_id=held, text="Hello, I'm Ana.")
    await ana.call("claim", handoff_id=done)
    await ana.call("resolve", handoff_id=done, outcome=OUTCOME)
    sync = await bot.subscribe()
    assert [f["type"] for f in bot.frames[-3:]] == ["snapshot", "synced", "result"]
    (part,) = sync["frames"]
    assert part["final"] is True and part["seq"] == sync["synced"]["seq"]
    assert part["conversations"] == [
        {
            "conversation_id": waiting_conv,
            "handoff_id": waiting,
            "status": "waiting",
            "assignee_name": None,
            "undelivered": [],
        },
        {
            "conversation_id": held_conv,
            "handoff_id": held,
            "status": "claimed",
            "assignee_name": "ana",
            "undelivered": [reply["data"]["message"]],
        },
    ]
    assert sync["result"]["ok"] and sync["result"]["data"] == {
        "epoch": bot.hello["epoch"],
        "seq": sync["synced"]["seq"],
        "replayed": False,
    }
    again = await bot.call("subscribe", epoch=None, last_seq=None)
    assert again["ok"] is False and again["code"] == "invalid"
    assert done_conv not in {c["conversation_id"] for c in part["conversations"]}


async def test_a_subscribed_source_hears_who_holds_its_conversation_what_to_relay_and_how_it_ended(hub):
    bot, ana, lea = await hub.peer("bot"), await hub.peer("ana"), await hub.peer("lea")
    await bot.subscribe()
    conversation_id, handoff_id = await escalate(bot)
    ids = {"conversation_id": conversation_id, "handoff_id": handoff_id}
    await ana.call("claim", handoff_id=handoff_id)
    assert (await bot.next_event())["data"] == {**ids, "assignee_name": "ana"}
    reply = await ana.call("reply", handoff_id=handoff_id, text="Hi Dana, I'll sort this out.")
    relay = await bot.next_event()
    assert relay["kind"] == "agent.message"
    assert relay["data"] == {**ids, "message": reply["data"]["message"]}
    await ana.call("release", handoff_id=handoff_id)
    await lea.call("reassign", handoff_id=handoff_id, to_user="ben")
    await lea.call("reassign", handoff_id=handoff_id, to_queue="vip")
    await lea.call("reassign", handoff_id=handoff_id, to_user="ana")
    await ana.call("resolve", handoff_id=handoff_id, outcome=OUTCOME)
    while bot.events[-1]["kind"] != "handoff.resolved":
        await bot.next_event()
    assert source_events(bot) == [
        ("handoff.claimed", {**ids, "assignee_name": "ana"}),
        ("agent.message", {**ids, "message": reply["data"]["message"]}),
        ("handoff.requeued", ids),
        ("handoff.claimed", {**ids, "assignee_name": "ben"}),
        ("handoff.requeued", ids),
        ("handoff.claimed", {**ids, "assignee_name": "ana"}),
        ("handoff.resolved", {**ids, "resolution": "follow_up"}),
    ]
    seqs = [e["seq"] for e in bot.events]
    assert seqs == sorted(set(seqs)) and seqs[0] > bot.sync["synced"]["seq"]


async def test_a_note_never_reaches_the_source(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    await bot.subscribe()
    conversation_id, handoff_id = await escalate(bot)
    await ana.call("claim", handoff_id=handoff_id)
    note = await ana.call("note", handoff_id=handoff_id, text="Internal: customer is on a watch list")
    assert note["ok"]
    reply = await ana.call("reply", handoff_id=handoff_id, text="Thanks for waiting.")
    # Events come in seq order: had the note gone out, it would come before the reply.
    await bot.next_event("agent.message")
    assert [e["kind"] for e in bot.events] == ["handoff.claimed", "agent.message"]
    assert bot.events[1]["data"]["message"] == reply["data"]["message"]
    status = await bot.call("status", conversation_id=conversation_id)
    assert "note" not in str(status) and "watch list" not in str(status)
    late = await hub.peer("bot")
    sync = await late.subscribe(epoch="another-hub", last_seq=3)
    (conversation,) = sync["frames"][0]["conversations"]
    assert conversation["undelivered"] == [reply["data"]["message"]]
    # Delivered cannot name the note either: it is not an agent message.
    refused = await bot.call("delivered", handoff_id=handoff_id, index=note["data"]["message"]["index"])
    assert refused["code"] == "not_found"
    assert "watch list" not in str(bot.frames + late.frames)


async def test_subscribe_replays_what_the_source_missed_by_last_seq(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    sync = await bot.subscribe()
    conversation_id, handoff_id = await escalate(bot)
    ids = {"conversation_id": conversation_id, "handoff_id": handoff_id}
    await ana.call("claim", handoff_id=handoff_id)
    last_seq = (await bot.next_event("handoff.claimed"))["seq"]
    await bot.close()
    reply = await ana.call("reply", handoff_id=handoff_id, text="Are you still there?")
    await ana.call("release", handoff_id=handoff_id)
    bot = await hub.peer("bot")
    sync = await bot.subscribe(epoch=bot.hello["epoch"], last_seq=last_seq)
    assert [(f["kind"], f["data"]) for f in sync["frames"]] == [
        ("agent.message", {**ids, "message": reply["data"]["message"]}),
        ("handoff.requeued", ids),
    ]
    assert sync["result"]["data"]["replayed"] is True
    assert sync["synced"]["seq"] >= sync["frames"][-1]["seq"] > last_seq
    await ana.call("claim", handoff_id=handoff_id)
    live = await bot.next_event()
    assert live["kind"] == "handoff.claimed" and live["seq"] > sync["synced"]["seq"]
    at_head = await hub.peer("bot")
    nothing = await at_head.subscribe(epoch=bot.hello["epoch"], last_seq=live["seq"])
    assert nothing["frames"] == [] and nothing["result"]["data"]["replayed"] is True


async def test_a_wrong_epoch_or_a_seq_beyond_the_head_gets_a_snapshot(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    conversation_id, handoff_id = await escalate(bot)
    await ana.call("claim", handoff_id=handoff_id)
    for epoch, last_seq in (("not-this-hub", 1), (bot.hello["epoch"], 10_000), (bot.hello["epoch"], None)):
        peer = await hub.peer("bot")
        sync = await peer.subscribe(epoch=epoch, last_seq=last_seq)
        assert [f["type"] for f in sync["frames"]] == ["snapshot"], (epoch, last_seq)
        assert sync["frames"][0]["conversations"] == [
            {
                "conversation_id": conversation_id,
                "handoff_id": handoff_id,
                "status": "claimed",
                "assignee_name": "ana",
                "undelivered": [],
            }
        ]
        assert sync["result"]["data"]["replayed"] is False


async def test_events_reach_only_the_source_that_owns_the_conversation(hub):
    hub.add_user("bot2", "source")
    bot, other, ana = await hub.peer("bot"), await hub.peer("bot2"), await hub.peer("ana")
    silent = await hub.peer("bot")  # a connection of the owner that never subscribes
    await bot.subscribe()
    start = (await other.subscribe())["synced"]["seq"]
    _, mine = await escalate(bot)
    await ana.call("claim", handoff_id=mine)
    await ana.call("reply", handoff_id=mine, text="Hello")
    await ana.call("resolve", handoff_id=mine, outcome=OUTCOME)
    _, theirs = await escalate(other)
    await ana.call("claim", handoff_id=theirs)
    # Events come in seq order: the other source's first event is about its own handoff.
    first = await other.next_event()
    assert first["kind"] == "handoff.claimed" and first["data"]["handoff_id"] == theirs
    assert [e["data"]["handoff_id"] for e in other.events] == [theirs]
    replay = await (await hub.peer("bot2")).subscribe(epoch=other.hello["epoch"], last_seq=start)
    assert [f["data"]["handoff_id"] for f in replay["frames"]] == [theirs]
    while len(bot.events) < 3:
        await bot.next_event()
    assert {e["data"]["handoff_id"] for e in bot.events} == {mine}
    status = await silent.call("status", conversation_id=first["data"]["conversation_id"])
    assert status["code"] == "not_found"  # another source's conversation is unknown to this one
    assert [f for f in silent.frames if f["type"] == "event"] == []


async def test_delivered_sets_delivered_at_once_and_agents_get_the_handoff(hub):
    bot, ana, lea = await hub.peer("bot"), await hub.peer("ana"), await hub.peer("lea")
    _, handoff_id = await escalate(bot)
    await ana.call("claim", handoff_id=handoff_id)
    reply = await ana.call("reply", handoff_id=handoff_id, text="Your refund is on its way.")
    index, version = reply["data"]["message"]["index"], reply["data"]["version"]
    confirmed = await bot.call("delivered", request_id="d-1", handoff_id=handoff_id, index=index)
    assert confirmed["ok"]
    delivered_at = confirmed["data"]["message"]["delivered_at"]
    assert delivered_at.endswith("Z")
    assert confirmed["data"] == {
        "handoff_id": handoff_id,
        "version": version + 1,
        "message": {**reply["data"]["message"], "delivered_at": delivered_at},
    }
    updated = await ana.next_event()
    assert updated["kind"] == "handoff.updated" and updated["data"]["version"] == version + 1
    assert updated["data"]["transcript"][index]["delivered_at"] == delivered_at
    assert await bot.call("delivered", request_id="d-1", handoff_id=handoff_id, index=index) == confirmed
    fresh = await bot.call("delivered", handoff_id=handoff_id, index=index)
    assert fresh["ok"] and fresh["data"] == confirmed["data"]
    # Neither repeat changed anything: the next thing ana hears is the next change.
    await lea.call("reassign", handoff_id=handoff_id, to_queue="vip")
    moved = await ana.next_event()
    assert moved["kind"] == "handoff.updated" and moved["data"]["version"] == version + 2
    assert [e["kind"] for e in lea.events if e["kind"] != "presence.changed"] == [
        "handoff.created",
        "handoff.updated",  # claimed
        "message.added",  # the reply
        "handoff.updated",  # delivered
        "handoff.updated",  # moved to vip
    ]
    late = await hub.peer("bot")
    snapshot = (await late.subscribe())["frames"][0]
    assert snapshot["conversations"][0]["undelivered"] == []


async def test_delivered_of_another_sources_handoff_or_of_no_agent_message_is_not_found(hub):
    hub.add_user("bot2", "source")
    bot, other, ana = await hub.peer("bot"), await hub.peer("bot2"), await hub.peer("ana")
    _, handoff_id = await escalate(bot)
    await ana.call("claim", handoff_id=handoff_id)
    reply = await ana.call("reply", handoff_id=handoff_id, text="Hello")
    index = reply["data"]["message"]["index"]
    assert (await other.call("delivered", handoff_id=handoff_id, index=index))["code"] == "not_found"
    for wrong in (0, 1, index + 1, 9_999):  # the customer's, the bot's, none at all
        assert (await bot.call("delivered", handoff_id=handoff_id, index=wrong))["code"] == "not_found", wrong
    assert (await bot.call("delivered", handoff_id="h_nope", index=index))["code"] == "not_found"
    assert (await bot.call("delivered", handoff_id=handoff_id, index=-1))["code"] == "invalid"
    assert (await bot.call("delivered", handoff_id=handoff_id, index=index))["ok"]


async def test_replay_survives_a_hub_restart(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    await bot.subscribe()
    conversation_id, handoff_id = await escalate(bot)
    ids = {"conversation_id": conversation_id, "handoff_id": handoff_id}
    epoch, last_seq = bot.hello["epoch"], bot.sync["synced"]["seq"]
    await bot.close()
    await ana.call("claim", handoff_id=handoff_id)
    reply = await ana.call("reply", handoff_id=handoff_id, text="Back in a moment")
    await ana.close()
    await restart(hub)
    bot = await hub.peer("bot")
    assert bot.hello["epoch"] == epoch
    sync = await bot.subscribe(epoch=epoch, last_seq=last_seq)
    assert sync["result"]["data"]["replayed"] is True
    assert [(f["kind"], f["data"]) for f in sync["frames"]] == [
        ("handoff.claimed", {**ids, "assignee_name": "ana"}),
        ("agent.message", {**ids, "message": reply["data"]["message"]}),
    ]
    confirmed = await bot.call("delivered", handoff_id=handoff_id, index=reply["data"]["message"]["index"])
    assert confirmed["ok"] and confirmed["data"]["version"] == reply["data"]["version"] + 1


async def test_a_store_of_the_previous_schema_is_upgraded_and_speaks_the_additions(hub_factory):
    running = await hub_factory()
    running.add_user("ana", "agent", ("billing",))
    running.add_user("lea", "lead")
    running.add_user("bot", "source")
    bot = await running.peer("bot")
    _, handoff_id = await escalate(bot)
    await running.hub.stop()
    with sqlite3.connect(db.database_path(running.data_dir)) as raw:  # as the previous release left it
        raw.execute("DROP TABLE canned_responses")
        raw.execute("DROP INDEX ix_events_source")
        raw.execute("ALTER TABLE events DROP COLUMN source")
        raw.execute("ALTER TABLE events DROP COLUMN everyone")
        raw.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    await restart(running)
    ana, lea, bot = await running.peer("ana"), await running.peer("lea"), await running.peer("bot")
    await bot.subscribe(epoch=bot.hello["epoch"], last_seq=0)
    assert (await ana.call("claim", handoff_id=handoff_id))["ok"]
    assert (await bot.next_event())["kind"] == "handoff.claimed"
    assert (await lea.call("canned_save", response={"title": "Hi", "text": "Hello"}))["ok"]
    assert (await ana.next_event("canned.changed"))["data"] == {}
    with sqlite3.connect(db.database_path(running.data_dir)) as raw:
        version = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert version == str(SCHEMA_VERSION)


async def test_every_frame_of_a_conversation_with_the_customer_reads_as_the_typed_protocol(hub):
    bot, ana, lea = await hub.peer("bot"), await hub.peer("ana"), await hub.peer("lea")
    await bot.subscribe()
    _, handoff_id = await escalate(bot)
    await ana.call("claim", handoff_id=handoff_id)
    reply = await ana.call("reply", handoff_id=handoff_id, text="Hello Dana")
    await ana.call("note", handoff_id=handoff_id, text="Asked for a callback")
    await bot.call("delivered", handoff_id=handoff_id, index=reply["data"]["message"]["index"])
    await lea.call("canned_save", response={"title": "Hi", "text": "Hello {customer_name}"})
    await ana.call("release", handoff_id=handoff_id)
    await ana.call("claim", handoff_id=handoff_id)
    await ana.call("resolve", handoff_id=handoff_id, outcome=OUTCOME)
    while bot.events[-1]["kind"] != "handoff.resolved":
        await bot.next_event()
    late = await hub.peer("bot")
    await late.subscribe()

    def typed(peer: Peer) -> list:
        return [parse_server_frame(peer.hello), *(parse_server_frame(frame) for frame in peer.frames)]

    source_side = [*typed(bot), *typed(late)]
    assert {type(f) for f in source_side} == {Hello, ResultOk, SourceSnapshot, Synced, Event}
    assert all(isinstance(f.features, tuple) and f.features for f in source_side if isinstance(f, Hello))
    heard = {type(event_data(f)) for f in source_side if isinstance(f, Event)}
    assert heard == {HandoffClaimed, AgentMessage, HandoffRequeued, HandoffResolved}
    desk_side = [event_data(f) for f in typed(ana) if isinstance(f, Event)]
    added = [d for d in desk_side if isinstance(d, MessageAdded)]
    assert [(d.message.role, d.message.author) for d in added] == [("agent", "ana"), ("note", "ana")]
    delivered = [d for d in desk_side if isinstance(d, Handoff) and d.transcript[-2].delivered_at is not None]
    assert delivered and {"canned.changed"} <= {f.kind for f in typed(ana) if isinstance(f, Event)}
