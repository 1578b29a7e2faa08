"""Every frame a real hub sends in a working session reads as the typed frames of the protocol."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agent_desk.protocol.server_frames import (
    ErrorFrame,
    Event,
    Handoff,
    Hello,
    MessageAdded,
    PresenceChanged,
    ResultError,
    ResultOk,
    Snapshot,
    Synced,
    event_data,
    parse_server_frame,
)
from tests.support.peers import Peer, escalate_body, message


def typed(peer: Peer) -> list[Any]:
    return [parse_server_frame(peer.hello), *(parse_server_frame(frame) for frame in peer.frames)]


async def test_a_whole_session_speaks_the_typed_protocol(hub):
    lea, ana, bot = await hub.peer("lea"), await hub.peer("ana"), await hub.peer("bot")
    escalated = await bot.call("escalate", **escalate_body("conv-1"))
    handoff_id = escalated["data"]["handoff_id"]
    await ana.next_event("handoff.created")
    claimed = await ana.call("claim", handoff_id=handoff_id)
    again = await lea.call("claim", handoff_id=handoff_id)  # refused: ana holds it
    await bot.call("observe", conversation={"id": "conv-1"}, message=message("are you there?"))
    await ana.call("presence", status="busy")
    await ana.send("not json at all")
    await ana.recv()
    await ana.call(
        "resolve", handoff_id=handoff_id, outcome={"resolution": "resolved", "csat": 5, "notes": "Refunded."}
    )
    await lea.next_event("handoff.updated")
    late = await hub.peer("lea")  # a snapshot holds the resolved handoff
    back = await hub.peer("ana", epoch=ana.hello["epoch"], last_seq=1)  # a replay from seq 1

    frames = [*typed(lea), *typed(ana), *typed(bot), *typed(late), *typed(back)]
    kinds = {type(frame) for frame in frames}
    assert kinds == {Hello, ResultOk, ResultError, ErrorFrame, Snapshot, Synced, Event}
    events = [frame for frame in frames if isinstance(frame, Event)]
    data = [event_data(event) for event in events]
    assert {type(d) for d in data} == {Handoff, MessageAdded, PresenceChanged}
    resolved = [d for d in data if isinstance(d, Handoff) and d.status == "resolved"]
    assert resolved and resolved[0].outcome is not None and resolved[0].outcome.recorded_by == "ana"
    assert Handoff.model_validate(claimed["data"]["handoff"]).assignee == "ana"
    refused = parse_server_frame(again)
    assert isinstance(refused, ResultError) and refused.code == "conflict"
    assert Handoff.model_validate(refused.data["handoff"]).version == 2  # type: ignore[index]
    snapshot = next(frame for frame in typed(late) if isinstance(frame, Snapshot))
    assert [h.id for h in snapshot.handoffs] == [handoff_id] and snapshot.handoffs[0].transcript[0].role == "customer"
    hello = parse_server_frame(lea.hello)
    assert isinstance(hello, Hello) and hello.users and {u.id for u in hello.users} >= {"ana", "ben"}


def test_a_frame_outside_the_protocol_is_refused_and_unknown_fields_pass_through():
    with pytest.raises(ValidationError):
        parse_server_frame({"type": "event", "seq": 0, "kind": "handoff.created", "at": "x", "data": {}})
    with pytest.raises(ValidationError):
        parse_server_frame({"type": "result", "id": "r1", "ok": False})  # a failure says why
    frame = parse_server_frame({"type": "synced", "seq": 7, "shard": "eu-1"})
    assert isinstance(frame, Synced) and frame.to_wire() == {"type": "synced", "seq": 7, "shard": "eu-1"}
