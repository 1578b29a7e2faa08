"""Bad input: malformed frames, oversized frames, rate limits, hostile payloads, storage faults."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_desk.hub import db
from tests.support.peers import Peer, escalate_body, message, rid

MALFORMED = [
    "not json",
    "[1, 2, 3]",
    '"a string"',
    "{}",
    '{"type": "claim"}',
    '{"type": 5, "id": "x"}',
    '{"type": "claim", "id": ""}',
    '{"type": "claim", "id": 12}',
    '{"type": "claim", "id": "' + "x" * 65 + '"}',
    '{"type": "claim", "id": null}',
    b'{"type": "claim", "id": "binary"}',
]


@pytest.mark.parametrize("frame", MALFORMED, ids=range(len(MALFORMED)))
async def test_malformed_frame_gets_an_error_and_the_connection_stays_open(hub, frame):
    ana = await hub.peer("ana")
    await ana.send(frame)
    error = await ana.recv()
    assert error["type"] == "error" and error["code"] == "malformed" and error["message"]
    assert (await ana.call("presence", status="busy"))["ok"]


async def test_invalid_fields_are_named(hub):
    ana = await hub.peer("ana")
    result = await ana.call("claim")
    assert result["code"] == "invalid" and "handoff_id" in result["message"]
    result = await ana.call("metrics", since="yesterday")
    assert result["code"] == "invalid" and "since" in result["message"]


async def test_more_than_twenty_bad_frames_a_minute_closes_4008(hub):
    ana = await hub.peer("ana")
    for i in range(20):
        await ana.send("garbage" if i % 2 else json.dumps({"type": "nope", "id": rid()}))
        assert (await ana.recv())["type"] in ("error", "result")
    assert (await ana.call("presence", status="busy"))["ok"]  # still open after 20
    await ana.send("one too many")
    assert await ana.closed() == 4008


async def test_a_frame_over_one_mebibyte_closes_1009(hub):
    ana = await hub.peer("ana")
    await ana.send(json.dumps({"type": "presence", "id": rid(), "pad": "x" * (1024 * 1024)}))
    assert await ana.closed() == 1009
    again = await hub.peer("ana")  # the hub keeps serving
    assert again.sync["result"]["ok"]


async def test_rate_limit_answers_rate_limited_with_retry_after(hub_factory):
    running = await hub_factory(rate_agent=5)
    running.add_user("ana", "agent", ("billing",))
    ana = await running.peer("ana")  # resume is frame 1 of 5
    results = [await ana.call("presence", status="busy") for _ in range(6)]
    assert [r["ok"] for r in results] == [True] * 4 + [False] * 2
    assert results[-1]["code"] == "rate_limited" and 0 < results[-1]["retry_after_ms"] <= 10_000


async def test_sizes_beyond_the_limits_are_invalid(hub):
    bot = await hub.peer("bot")
    long_text = await bot.call("escalate", **escalate_body(messages=[message("x" * 10_001)]))
    assert long_text["code"] == "invalid"
    too_many = await bot.call("escalate", **escalate_body(messages=[message("hi")] * 501))
    assert too_many["code"] == "invalid"
    # 60 messages of 9,000 characters: each fine, the handoff over 512 KiB.
    too_big = await bot.call("escalate", **escalate_body(messages=[message("y" * 9_000)] * 60))
    assert too_big["code"] == "invalid" and "512 KiB" in too_big["message"]
    conv = {"id": "grow", "started_at": "2026-11-20T10:00:00Z"}
    esc = await bot.call("escalate", **escalate_body("grow", queue="billing", messages=[message("z" * 9_000)] * 57))
    assert esc["ok"]
    over = None
    for _ in range(5):
        over = await bot.call("observe", conversation=conv, message=message("w" * 9_000))
        if not over["ok"]:
            break
    assert over["code"] == "invalid"


async def test_hostile_text_is_stored_and_returned_verbatim(hub):
    bot = await hub.peer("bot")
    lea = await hub.peer("lea")
    hostile = '<script>alert(1)</script><b>bold</b>\x00\x1b[31m\u202etxt.exe\u202c "quoted"'
    await bot.call("escalate", **escalate_body(queue="billing", messages=[message(hostile)]))
    created = await lea.next_event("handoff.created")
    assert created["data"]["transcript"][0]["text"] == hostile


request_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
request_types = st.sampled_from(
    [
        "claim",
        "release",
        "resolve",
        "reassign",
        "presence",
        "metrics",
        "escalate",
        "observe",
        "end",
        "status",
        "resume",
        "bogus",
    ]
)


async def test_generated_payloads_all_get_answers_and_no_traceback(hub, caplog):
    bot = await hub.peer("bot")
    lea = await hub.peer("lea")
    witness = await hub.peer("ana")
    frames: list[dict] = []

    @settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
    @given(
        kind=request_types,
        fields=st.dictionaries(
            st.sampled_from(
                [
                    "handoff_id",
                    "outcome",
                    "to_user",
                    "to_queue",
                    "status",
                    "since",
                    "until",
                    "conversation",
                    "customer",
                    "message",
                    "attempt",
                    "attempts",
                    "priority",
                    "queue",
                    "reasons",
                    "brief",
                    "conversation_id",
                    "resolved_by_bot",
                    "expected_version",
                    "category",
                ]
            ),
            request_values,
            max_size=6,
        ),
    )
    def collect(kind, fields):
        frames.append({**fields, "type": kind, "id": rid()})

    collect()
    with caplog.at_level(logging.WARNING, logger="agent_desk"):
        for i, frame in enumerate(frames):
            peer = bot if i % 2 else lea
            result = await peer.call(
                frame["type"], request_id=frame["id"], **{k: v for k, v in frame.items() if k not in ("type", "id")}
            )
            assert result["type"] == "result"
            assert result["ok"] or result["code"] in {
                "invalid",
                "unknown_type",
                "not_found",
                "conflict",
                "forbidden",
                "not_assignee",
            }
            if peer.ws.close_code is not None:  # 4008 for too many rejections: open a new one
                break
            if i % 15 == 14:  # stay under the bad-frame limit with fresh connections
                bot, lea = await hub.peer("bot"), await hub.peer("lea")
    assert not [r for r in caplog.records if r.exc_info], "the hub logged a traceback"
    assert (await witness.call("presence", status="away"))["ok"]


@pytest.mark.logs_errors
async def test_a_store_that_cannot_be_written_answers_unavailable_and_keeps_nothing(hub):
    bot = await hub.peer("bot")
    ana = await hub.peer("ana")
    lea = await hub.peer("lea")
    ok = await bot.call("escalate", **escalate_body(queue="billing"))
    handoff_id = ok["data"]["handoff_id"]
    head = hub.hub.store.head
    db.set_page_limit(hub.hub.store.engine, 0)  # the file may not grow: a full disk
    big = [message("q" * 9_000) for _ in range(30)]
    failed = await bot.call("escalate", request_id="esc-full", **escalate_body(queue="billing", messages=big))
    assert failed["ok"] is False and failed["code"] == "unavailable"
    claim = await ana.call("claim", request_id="claim-full", handoff_id=handoff_id)
    if not claim["ok"]:
        assert claim["code"] == "unavailable"
    db.set_page_limit(hub.hub.store.engine, 1_000_000)
    if not claim["ok"]:
        assert hub.hub.store.head == head  # no event of a failed request was kept
        claim = await ana.call("claim", request_id="claim-full", handoff_id=handoff_id)
    assert claim["ok"] and claim["data"]["handoff"]["version"] == 2
    retried = await bot.call("escalate", request_id="esc-full", **escalate_body(queue="billing", messages=big))
    assert retried["ok"]
    fresh = await Peer.open(hub.url, hub.tokens["lea"])
    ids = {h["id"] for h in fresh.sync["frames"][0]["handoffs"]}
    assert ids == {handoff_id, retried["data"]["handoff_id"]}
    await lea.close()
