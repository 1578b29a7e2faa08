"""The agent talks to the customer: replies, notes and saved replies, against a real hub on 127.0.0.1."""

from __future__ import annotations

import json

from tests.support.hubs import restart
from tests.support.peers import Peer, escalate_body, message, rid

FEATURES = ["reply", "notes", "canned", "source_events", "series", "bot_csat", "targets"]
OUTCOME = {"resolution": "resolved", "csat": 5}
MAX_HANDOFF_BYTES = 512 * 1024


async def escalate(bot: Peer, queue: str = "billing", **extra) -> str:
    result = await bot.call("escalate", **escalate_body(queue=queue, priority=2, **extra))
    assert result["ok"], result
    return result["data"]["handoff_id"]


async def claimed(bot: Peer, agent: Peer, **extra) -> dict:
    """A new handoff claimed by ``agent``, as the claim's result gives it."""
    handoff_id = await escalate(bot, **extra)
    result = await agent.call("claim", handoff_id=handoff_id)
    assert result["ok"], result
    return result["data"]["handoff"]


def encoded_size(handoff: dict) -> int:
    return len(json.dumps(handoff, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


async def test_hello_lists_the_additions_the_hub_speaks_on_both_paths(hub):
    ana = await hub.peer("ana", resume=False)
    lea = await hub.peer("lea", resume=False)
    bot = await hub.peer("bot")
    assert ana.hello["features"] == FEATURES
    assert lea.hello["features"] == FEATURES
    assert bot.hello["features"] == FEATURES


async def test_the_assignee_replies_and_agents_who_see_the_handoff_get_the_message(hub):
    bot, ana, lea, tom = [await hub.peer(n) for n in ("bot", "ana", "lea", "tom")]
    handoff = await claimed(bot, ana)
    request_id = rid()
    await ana.send({"type": "reply", "id": request_id, "handoff_id": handoff["id"], "text": "Hi Dana, I'm on it."})
    event, result = await ana.recv(), await ana.recv()
    assert event["type"] == "event" and event["kind"] == "message.added"
    assert result["type"] == "result" and result["id"] == request_id and result["ok"]
    sent = result["data"]["message"]
    assert result["data"] == {"handoff_id": handoff["id"], "version": handoff["version"] + 1, "message": sent}
    assert sent == {
        "index": len(handoff["transcript"]),
        "role": "agent",
        "text": "Hi Dana, I'm on it.",
        "at": sent["at"],
        "author": "ana",
        "author_name": "ana",
        "delivered_at": None,
    }
    assert sent["at"].endswith("Z")
    assert event["data"] == result["data"]
    assert (await lea.next_event("message.added"))["data"] == result["data"]
    # tom works another queue: the next event it gets is its own queue's, not the reply.
    technical = await escalate(bot, queue="technical")
    assert (await tom.next_event())["data"]["id"] == technical
    assert [e["kind"] for e in tom.events] == ["handoff.created"]


async def test_only_the_assignee_replies_and_never_to_a_resolved_handoff(hub):
    bot, ana, ben, lea = [await hub.peer(n) for n in ("bot", "ana", "ben", "lea")]
    waiting = await escalate(bot)
    unclaimed = await ana.call("reply", handoff_id=waiting, text="Hello?")
    assert unclaimed["ok"] is False and unclaimed["code"] == "not_assignee"
    handoff = await claimed(bot, ana)
    by_ben = await ben.call("reply", handoff_id=handoff["id"], text="Hello from ben")
    assert by_ben["code"] == "not_assignee" and "data" not in by_ben  # ben cannot see ana's handoff
    by_lead = await lea.call("reply", handoff_id=handoff["id"], text="Hello from the lead")
    assert by_lead["code"] == "not_assignee" and by_lead["data"]["handoff"]["assignee"] == "ana"
    missing = await ana.call("reply", handoff_id="h_nope", text="Hello")
    assert missing["code"] == "not_found"
    assert (await ana.call("resolve", handoff_id=handoff["id"], outcome=OUTCOME))["ok"]
    late = await ana.call("reply", handoff_id=handoff["id"], text="One more thing")
    assert late["code"] == "conflict" and late["data"]["handoff"]["status"] == "resolved"
    fresh = await hub.peer("lea")
    stored = {h["id"]: h for h in fresh.sync["frames"][0]["handoffs"]}[handoff["id"]]
    assert [m["role"] for m in stored["transcript"]] == ["customer", "bot"]


async def test_replies_and_notes_are_held_to_the_size_limits(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    handoff = await claimed(bot, ana)
    for kind in ("reply", "note"):
        for text in ("", "x" * 10_001, 42, None):
            refused = await ana.call(kind, handoff_id=handoff["id"], text=text)
            assert refused["ok"] is False and refused["code"] == "invalid", (kind, text)
        assert (await ana.call(kind, handoff_id=handoff["id"], text="y" * 10_000))["ok"]
    # A transcript holds at most 500 messages.
    full = await claimed(bot, ana, messages=[message(f"message {i}") for i in range(500)])
    assert len(full["transcript"]) == 500
    for kind in ("reply", "note"):
        refused = await ana.call(kind, handoff_id=full["id"], text="Hello")
        assert refused["code"] == "invalid", kind
    # No request may make a handoff's encoding larger than 512 KiB.
    big = await claimed(bot, ana, messages=[message("x" * 9_000 + f" {i}") for i in range(57)])
    room = MAX_HANDOFF_BYTES - encoded_size(big)
    assert 500 < room < 10_000
    refused = await ana.call("reply", handoff_id=big["id"], text="z" * room)
    assert refused["code"] == "invalid"
    assert (await ana.call("reply", handoff_id=big["id"], text="Short and sweet"))["ok"]


async def test_a_repeated_reply_returns_the_stored_result_and_appends_once(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    handoff = await claimed(bot, ana)
    first = await ana.call("reply", request_id="reply-1", handoff_id=handoff["id"], text="On it")
    await ana.close()
    ana = await hub.peer("ana")  # the reply was lost with the connection; the desktop sends it again
    again = await ana.call("reply", request_id="reply-1", handoff_id=handoff["id"], text="On it")
    assert first["ok"] and again == first
    note = await ana.call("note", request_id="note-1", handoff_id=handoff["id"], text="Refund approved")
    assert await ana.call("note", request_id="note-1", handoff_id=handoff["id"], text="Refund approved") == note
    different = await ana.call("reply", request_id="reply-1", handoff_id=handoff["id"], text="Something else")
    assert different["ok"] is False and different["code"] == "invalid"
    lea = await hub.peer("lea")
    stored = {h["id"]: h for h in lea.sync["frames"][0]["handoffs"]}[handoff["id"]]
    assert [(m["role"], m["text"]) for m in stored["transcript"][2:]] == [
        ("agent", "On it"),
        ("note", "Refund approved"),
    ]
    assert stored["version"] == note["data"]["version"] == first["data"]["version"] + 1


async def test_notes_reach_the_agents_who_see_the_handoff(hub):
    bot, ana, ben, tom, lea = [await hub.peer(n) for n in ("bot", "ana", "ben", "tom", "lea")]
    handoff_id = await escalate(bot)
    by_ben = await ben.call("note", handoff_id=handoff_id, text="Customer called twice about this")
    assert by_ben["ok"]
    written = by_ben["data"]["message"]
    assert written == {
        "index": 2,
        "role": "note",
        "text": "Customer called twice about this",
        "at": written["at"],
        "author": "ben",
        "author_name": "ben",
    }
    for peer in (ana, lea):
        added = await peer.next_event("message.added")
        assert added["data"] == by_ben["data"]
    unseen = await tom.call("note", handoff_id=handoff_id, text="Not my queue")
    assert unseen["code"] == "not_found"
    assert (await tom.call("note", handoff_id="h_nope", text="Nothing here"))["code"] == "not_found"
    # A lead writes on a handoff someone holds; the holder sees it.
    assert (await ana.call("claim", handoff_id=handoff_id))["ok"]
    by_lead = await lea.call("note", handoff_id=handoff_id, text="Offer a goodwill credit")
    assert (await ana.next_event("message.added"))["data"] == by_lead["data"]


async def test_leads_keep_the_saved_replies_and_every_desktop_hears_when_they_change(hub):
    lea, ana, ana_laptop, tom = [await hub.peer(n) for n in ("lea", "ana", "ana", "tom")]
    assert (await ana.call("canned_list"))["data"] == {"responses": []}
    text = "Hi {customer_first_name}, your refund for {order} is on its way. {agent_name}"
    saved = await lea.call("canned_save", response={"title": "Refund sent", "text": text, "queues": ["billing"]})
    response = saved["data"]["response"]
    assert response == {"id": response["id"], "title": "Refund sent", "text": text, "queues": ["billing"]}
    assert (await ana.call("canned_list"))["data"] == {"responses": [response]}
    edited = {"id": response["id"], "title": "Refund on its way", "text": "Your refund is on its way."}
    replaced = await lea.call("canned_save", response=edited)
    assert replaced["data"]["response"] == {**edited, "queues": []}
    assert (await tom.call("canned_list"))["data"]["responses"] == [replaced["data"]["response"]]
    for refused in (
        await ana.call("canned_save", response={"title": "Mine", "text": "Agents may not"}),
        await ana.call("canned_delete", response_id=response["id"]),
    ):
        assert refused["ok"] is False and refused["code"] == "forbidden"
    assert (await lea.call("canned_delete", response_id="cr_nope"))["code"] == "not_found"
    unknown = await lea.call("canned_save", response={"id": "cr_nope", "title": "T", "text": "x"})
    assert unknown["code"] == "not_found"
    for bad in ({"title": "", "text": "x"}, {"title": "t" * 81, "text": "x"}, {"title": "T", "text": "x" * 5_001}):
        assert (await lea.call("canned_save", response=bad))["code"] == "invalid", bad
    assert (await lea.call("canned_save", response={"title": "t" * 80, "text": "x" * 5_000}))["ok"]
    deleted = await lea.call("canned_delete", request_id="delete-1", response_id=response["id"])
    assert deleted["ok"]
    assert await lea.call("canned_delete", request_id="delete-1", response_id=response["id"]) == deleted
    assert [r["title"] for r in (await ana.call("canned_list"))["data"]["responses"]] == ["t" * 80]
    # Every change reached every desktop connection as canned.changed {}, and nothing else did.
    changes = [e for e in lea.events if e["kind"] == "canned.changed"]
    assert len(changes) == 4 and all(e["data"] == {} for e in changes)
    for peer in (ana, ana_laptop, tom):
        while len(heard := [e for e in peer.events if e["kind"] == "canned.changed"]) < len(changes):
            await peer.next_event("canned.changed")
        assert [e["seq"] for e in heard] == [e["seq"] for e in changes]


async def test_saved_replies_and_their_changes_survive_a_restart(hub):
    lea, ana = await hub.peer("lea"), await hub.peer("ana")
    epoch, last_seq = ana.hello["epoch"], ana.sync["synced"]["seq"]
    await ana.close()
    saved = await lea.call("canned_save", response={"title": "Greeting", "text": "Hello {customer_name}"})
    await restart(hub)
    ana = await hub.peer("ana", epoch=epoch, last_seq=last_seq)
    assert ana.sync["result"]["data"]["replayed"] is True
    assert [f["kind"] for f in ana.sync["frames"]] == ["canned.changed"]
    assert (await ana.call("canned_list"))["data"]["responses"] == [saved["data"]["response"]]


async def test_a_reason_found_after_replies_points_at_its_message_in_the_transcript(hub):
    bot, ana = await hub.peer("bot"), await hub.peer("ana")
    conversation_id = rid()
    reasons = [{"trigger": "source_decision", "detail": "Handed over by the bot"}]
    body = escalate_body(conversation_id, queue="billing", reasons=reasons)
    handoff_id = (await bot.call("escalate", **body))["data"]["handoff_id"]
    await ana.call("claim", handoff_id=handoff_id)
    await ana.call("reply", handoff_id=handoff_id, text="I'm looking at your order now.")
    await ana.call("note", handoff_id=handoff_id, text="Second charge visible in the ledger")
    said = message("This is unacceptable, I am calling my lawyer and I will sue you", at="2026-11-20T10:05:00Z")
    result = await bot.call("observe", conversation={"id": conversation_id}, message=said)
    assert result["ok"], result
    updated = await ana.next_event("handoff.updated")
    transcript = updated["data"]["transcript"]
    assert [m["role"] for m in transcript] == ["customer", "bot", "agent", "note", "customer"]
    found = [r for r in updated["data"]["reasons"] if "message_index" in r]
    assert found and all(transcript[r["message_index"]]["role"] == "customer" for r in found)
    legal = next(r for r in found if r.get("topic") == "legal")
    assert transcript[legal["message_index"]]["text"] == said["text"]
