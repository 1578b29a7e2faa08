"""The /v1/agent session: hello, resume, replay, snapshots, synced."""

from __future__ import annotations

import json

from tests.support.peers import Peer, escalate_body, message, rid


async def make_handoffs(hub, n: int, queue: str = "billing") -> list[str]:
    bot = await hub.peer("bot")
    ids = []
    for _ in range(n):
        result = await bot.call("escalate", **escalate_body(queue=queue, priority=3))
        ids.append(result["data"]["handoff_id"])
    await bot.close()
    return ids


async def test_requests_before_resume_are_not_ready(hub):
    ana = await hub.peer("ana", resume=False)
    refused = await ana.call("presence", status="busy")
    assert refused["ok"] is False and refused["code"] == "not_ready"
    sync = await ana.resume()
    assert sync["result"]["ok"]
    assert (await ana.call("presence", status="busy"))["ok"]


async def test_no_resume_in_time_closes_4009(hub_factory):
    running = await hub_factory(resume_timeout_s=0.3)
    running.add_user("ana", "agent", ("billing",))
    ana = await running.peer("ana", resume=False)
    assert await ana.closed() == 4009


async def test_unsupported_protocol_closes_4010(hub):
    ana = await hub.peer("ana", resume=False)
    await ana.send({"type": "resume", "id": rid(), "protocol": 2, "client_id": "x", "epoch": None, "last_seq": None})
    assert await ana.closed() == 4010


async def test_first_resume_gets_a_snapshot_of_what_the_user_sees(hub):
    billing = await make_handoffs(hub, 3, "billing")
    await make_handoffs(hub, 2, "technical")
    ana = await hub.peer("ana")
    parts = ana.sync["frames"]
    assert [p["type"] for p in parts] == ["snapshot"] and parts[-1]["final"] is True
    assert sorted(h["id"] for h in parts[0]["handoffs"]) == sorted(billing)
    assert ana.sync["synced"]["seq"] == parts[0]["seq"]
    lea = await hub.peer("lea")
    assert len(lea.sync["frames"][0]["handoffs"]) == 5


async def test_resume_replays_exactly_the_missed_visible_events_in_order(hub):
    await make_handoffs(hub, 2)
    ana = await hub.peer("ana")
    epoch, head = ana.hello["epoch"], ana.sync["synced"]["seq"]
    await ana.close()
    missed = await make_handoffs(hub, 3)
    await make_handoffs(hub, 2, "technical")  # not visible to ana
    lea = await hub.peer("lea")
    await lea.call("reassign", handoff_id=missed[0], to_queue="technical")  # visible before
    again = await hub.peer("ana", epoch=epoch, last_seq=head)
    replay = again.sync["frames"]
    assert all(f["type"] == "event" for f in replay)
    seqs = [f["seq"] for f in replay]
    assert seqs == sorted(set(seqs)) and seqs[0] > head
    assert [f["data"]["id"] for f in replay if f["kind"] == "handoff.created"] == missed
    assert replay[-1]["kind"] == "handoff.updated" and replay[-1]["data"]["queue"] == "technical"
    assert len(replay) == 4
    assert again.sync["synced"]["seq"] >= seqs[-1]
    assert again.sync["result"]["data"]["replayed"] is True


async def test_resume_at_head_replays_nothing(hub):
    ana = await hub.peer("ana")
    epoch, head = ana.hello["epoch"], ana.sync["synced"]["seq"]
    await ana.close()
    again = await hub.peer("ana", epoch=epoch, last_seq=head)
    # The head moved (ana's presence events, which only leads see), but nothing ana sees.
    assert again.sync["frames"] == [] and again.sync["synced"]["seq"] >= head
    assert again.sync["result"]["data"]["replayed"] is True


async def test_wrong_epoch_or_a_seq_beyond_the_head_gets_a_snapshot(hub):
    ids = await make_handoffs(hub, 2)
    ana = await hub.peer("ana", epoch="not-this-hub", last_seq=1)
    assert [f["type"] for f in ana.sync["frames"]] == ["snapshot"]
    assert {h["id"] for h in ana.sync["frames"][0]["handoffs"]} == set(ids)
    ahead = await hub.peer("ana", epoch=ana.hello["epoch"], last_seq=10_000)
    assert [f["type"] for f in ahead.sync["frames"]] == ["snapshot"]
    assert ahead.sync["result"]["data"]["replayed"] is False


async def test_large_snapshots_come_in_parts_under_the_frame_limit(hub):
    bot = await hub.peer("bot")
    text = "x" * 9_000
    for i in range(40):
        msgs = [message(f"{text} {i} {j}") for j in range(20)]
        result = await bot.call("escalate", **escalate_body(queue="billing", messages=msgs))
        assert result["ok"], result
    lea = await hub.peer("lea")
    parts = lea.sync["frames"]
    assert len(parts) > 3 and [p["final"] for p in parts] == [False] * (len(parts) - 1) + [True]
    assert len({p["seq"] for p in parts}) == 1
    assert sum(len(p["handoffs"]) for p in parts) == 40
    sizes = [len(json.dumps(p, ensure_ascii=False, separators=(",", ":")).encode()) for p in parts]
    assert max(sizes) <= 1024 * 1024


async def test_snapshot_holds_recent_resolved_handoffs_of_the_user(hub):
    ids = await make_handoffs(hub, 2)
    ana = await hub.peer("ana")
    ben = await hub.peer("ben")
    await ana.call("claim", handoff_id=ids[0])
    await ana.call("resolve", handoff_id=ids[0], outcome={"resolution": "resolved", "csat": 4})
    await ben.call("claim", handoff_id=ids[1])
    fresh = await hub.peer("ana")
    seen = {h["id"]: h["status"] for h in fresh.sync["frames"][0]["handoffs"]}
    assert seen == {ids[0]: "resolved"}  # ben's claim is invisible to ana


async def test_events_during_a_resume_are_neither_lost_nor_duplicated(hub):
    await make_handoffs(hub, 5)
    bot = await hub.peer("bot")
    ana = await Peer.open(hub.url, hub.tokens["ana"], resume=False)
    resume_id = rid()
    await ana.send(
        {"type": "resume", "id": resume_id, "protocol": 1, "client_id": "c", "epoch": None, "last_seq": None}
    )
    for _ in range(10):  # escalations racing the snapshot
        await bot.send({"type": "escalate", "id": rid(), **escalate_body(queue="billing")})
    created_ids = set()
    for _ in range(10):
        created_ids.add((await bot.recv())["data"]["handoff_id"])
    held: set[str] = set()
    synced = None
    while len(held) < 15:
        frame = await ana.recv()
        if frame["type"] == "snapshot":
            held.update(h["id"] for h in frame["handoffs"])
        elif frame["type"] == "synced":
            synced = frame["seq"]
        elif frame["type"] == "event":
            assert synced is not None and frame["seq"] > synced
            assert frame["data"]["id"] not in held
            held.add(frame["data"]["id"])
    assert created_ids <= held
