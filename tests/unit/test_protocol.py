"""The protocol layer alone: envelopes, request validation, visibility and ranking."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_desk.protocol import Malformed, RequestError, Viewer, can_see, rank_key, read_envelope
from agent_desk.protocol.codes import AGENT_REQUESTS, SOURCE_REQUESTS, Code
from agent_desk.protocol.frames import parse_request
from agent_desk.protocol.jsoncodec import decode, encode
from agent_desk.protocol.messages import (
    Escalate,
    Outcome,
    result_error,
    result_ok,
)
from agent_desk.protocol.timefmt import format_time, parse_time


def parse(frame: dict, allowed=AGENT_REQUESTS | SOURCE_REQUESTS):
    envelope = read_envelope(json.dumps(frame))
    assert not isinstance(envelope, Malformed), envelope
    return parse_request(envelope, allowed)


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "nul",
        "[]",
        "1",
        '"x"',
        "{}",
        '{"id":"a"}',
        '{"type":"claim"}',
        '{"type":1,"id":"a"}',
        '{"type":"claim","id":""}',
        '{"type":"claim","id":' + json.dumps("i" * 65) + "}",
        '{"type":"claim","id":["a"]}',
        b"{}",
    ],
)
def test_frames_that_are_not_envelopes_are_malformed(frame):
    assert isinstance(read_envelope(frame), Malformed)


def test_an_id_of_64_characters_and_unknown_fields_are_accepted():
    request = parse({"type": "claim", "id": "i" * 64, "handoff_id": "h1", "future_field": [1]})
    assert request.id == "i" * 64 and request.handoff_id == "h1"


def test_unknown_type_and_a_type_of_the_other_path():
    with pytest.raises(RequestError) as error:
        parse({"type": "fly", "id": "a"})
    assert error.value.code == Code.UNKNOWN_TYPE
    with pytest.raises(RequestError) as error:
        parse({"type": "escalate", "id": "a"}, AGENT_REQUESTS)
    assert error.value.code == Code.UNKNOWN_TYPE


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "claim", "id": "a"},
        {"type": "claim", "id": "a", "handoff_id": 5},
        {"type": "claim", "id": "a", "handoff_id": "h", "expected_version": "2"},
        {"type": "reassign", "id": "a", "handoff_id": "h"},
        {"type": "reassign", "id": "a", "handoff_id": "h", "to_user": "x", "to_queue": "y"},
        {"type": "presence", "id": "a", "status": "offline"},
        {"type": "resolve", "id": "a", "handoff_id": "h", "outcome": {"resolution": "done"}},
        {"type": "resolve", "id": "a", "handoff_id": "h", "outcome": {"resolution": "resolved", "csat": 6}},
        {"type": "resolve", "id": "a", "handoff_id": "h", "outcome": {"resolution": "resolved", "notes": "n" * 10_001}},
        {
            "type": "resolve",
            "id": "a",
            "handoff_id": "h",
            "outcome": {"resolution": "resolved", "escalation_feedback": "meh"},
        },
        {"type": "metrics", "id": "a", "since": "2026-11-20 10:00"},
        {"type": "metrics", "id": "a", "since": "2026-11-20T10:00:00+01:00"},
        {"type": "end", "id": "a", "conversation_id": "c", "resolved_by_bot": "yes"},
        {
            "type": "observe",
            "id": "a",
            "conversation": {"id": "c"},
            "message": {"role": "agent", "text": "x", "at": "2026-11-20T10:00:00Z"},
        },
        {"type": "resume", "id": "a", "protocol": 1},
    ],
)
def test_wrong_or_missing_fields_are_invalid(frame):
    with pytest.raises(RequestError) as error:
        parse(frame)
    assert error.value.code == Code.INVALID and error.value.message


def test_escalate_limits_messages_and_text():
    base = {
        "type": "escalate",
        "id": "a",
        "customer": {"id": "c", "name": "N"},
        "conversation": {"id": "c", "started_at": "2026-11-20T10:00:00Z", "messages": []},
    }
    ok = parse(base)
    assert isinstance(ok, Escalate) and ok.customer.tier == "standard"
    msg = {"role": "customer", "text": "x" * 10_000, "at": "2026-11-20T10:00:00Z"}
    assert parse({**base, "conversation": {**base["conversation"], "messages": [msg] * 500}})
    for bad in ([{**msg, "text": "x" * 10_001}], [msg] * 501):
        with pytest.raises(RequestError):
            parse({**base, "conversation": {**base["conversation"], "messages": bad}})


def test_results_have_the_documented_shape():
    assert result_ok("r", {"a": 1}) == {"type": "result", "id": "r", "ok": True, "data": {"a": 1}}
    failed = result_error("r", Code.RATE_LIMITED, "slow down", retry_after_ms=1500)
    assert failed == {
        "type": "result",
        "id": "r",
        "ok": False,
        "code": "rate_limited",
        "message": "slow down",
        "retry_after_ms": 1500,
    }
    assert Outcome(resolution="resolved").to_wire() == {"resolution": "resolved"}


def test_times_round_trip_in_utc_with_z():
    text = "2026-11-20T10:00:05.250Z"
    assert format_time(parse_time(text)) == text
    with pytest.raises(ValueError):
        parse_time("2026-11-20T10:00:05+00:00")


HANDOFF = {"id": "h", "status": "waiting", "queue": "billing", "language": "de-AT", "assignee": None}


def test_agents_see_waiting_handoffs_of_their_queues_and_languages():
    ana = Viewer.of("ana", "agent", ["billing"])
    assert can_see(ana, HANDOFF)
    assert not can_see(ana, {**HANDOFF, "queue": "technical"})
    assert not can_see(ana, {**HANDOFF, "status": "claimed", "assignee": "ben"})
    assert can_see(ana, {**HANDOFF, "status": "resolved", "assignee": "ana", "queue": "x"})
    assert can_see(Viewer.of("d", "agent", ["billing"], ["de"]), HANDOFF)
    assert not can_see(Viewer.of("f", "agent", ["billing"], ["fr"]), HANDOFF)
    assert can_see(Viewer.of("lea", "lead"), {**HANDOFF, "status": "claimed", "assignee": "x"})
    assert not can_see(ana, None)


def test_ranking_is_priority_then_tier_then_oldest():
    rows = [
        {"id": "a", "priority": 2, "tier": "vip", "escalated_at": "2026-11-20T10:00:00.000Z"},
        {"id": "b", "priority": 1, "tier": "free", "escalated_at": "2026-11-20T10:05:00.000Z"},
        {"id": "c", "priority": 1, "tier": "premium", "escalated_at": "2026-11-20T10:09:00.000Z"},
        {"id": "d", "priority": 1, "tier": "premium", "escalated_at": "2026-11-20T10:01:00.000Z"},
        {"id": "e", "priority": 2, "tier": "standard", "escalated_at": "2026-11-20T09:00:00.000Z"},
    ]
    assert [r["id"] for r in sorted(rows, key=rank_key)] == ["d", "c", "b", "a", "e"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_decode_reads_back_every_encoded_frame(value):
    assert decode(encode({"type": "event", "data": value})) == {"type": "event", "data": value}


@given(st.text(max_size=40) | st.sampled_from(["", " ", ' {"a": 1} ', '{"a": 1} x', '{"a":', "[1,2", "nan", "1 2"]))
def test_decode_accepts_and_refuses_exactly_what_json_loads_does(text):
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            decode(text)
    else:
        assert json.dumps(decode(text)) == json.dumps(expected)  # (NaN is not equal to itself)
