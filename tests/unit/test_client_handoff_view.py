"""The typed handoff the desktop works with: every field read typed, anything a hub sends wrong
read as a safe default, read-only, a mapping still, and its nested parts made once."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_desk.client import handoff_view, surface
from agent_desk.client.batch import EventItem, SnapshotItem, viewer_key
from agent_desk.client.cache import Cache
from agent_desk.client.handoff_view import (
    AttemptView,
    CustomerView,
    HandoffView,
    MessageView,
    OfferView,
    OutcomeView,
    ReasonView,
    SyncState,
)
from agent_desk.client.outbox import PENDING_MESSAGE, build_entry
from agent_desk.protocol.codes import Status
from agent_desk.protocol.visibility import Viewer, rank_key
from tests.support.handoffs import at, event, handoff, make_handoff

ANA = Viewer.of("ana", "agent", ("billing", "vip"))


def full() -> dict[str, Any]:
    """A handoff with every field the protocol names, some of them additions."""
    return handoff(
        id="h1",
        status="resolved",
        assignee="ana",
        priority=2,
        tier="vip",
        language="de-AT",
        resolved=600,
        version=7,
        sync="pending",
        channel="chat",
        customer={
            "id": "c-1",
            "name": "Dana Whitfield",
            "tier": "vip",
            "lifetime_value": 18400,
            "email": "dana@example.com",
            "locale": "de-AT",
            "history": [{"at": at(-86_400), "summary": "Refund"}, "called once"],
        },
        attempts=[{"step": "lookup_order", "result": "failed", "at": at(-60), "detail": "timeout"}],
        transcript=[
            {"index": 0, "role": "customer", "text": "Charged twice", "at": at(-90), "sentiment": -0.62},
            {
                "index": 1,
                "role": "agent",
                "text": "On it",
                "at": at(10),
                "author": "ana",
                "author_name": "Ana",
                "delivered_at": at(11),
            },
            {"index": 2, "role": "note", "text": "Refund due", "at": at(12), "author": "ana", PENDING_MESSAGE: "r-9"},
        ],
        outcome={
            "resolution": "resolved",
            "csat": 5,
            "disposition": "refund issued",
            "notes": "Refunded",
            "escalation_feedback": "late",
            "recorded_by": "ana",
            "recorded_at": at(590),
        },
        offer={"to": "ben", "expires_at": at(30), "round": 2},
    )


def test_every_field_of_a_well_formed_handoff_reads_typed() -> None:
    data = full()
    h = HandoffView(data)
    assert (h.id, h.conversation_id, h.source, h.version) == ("h1", "c-h1", "bot", 7)
    assert h.status is Status.RESOLVED and h.status == "resolved"
    assert (h.queue, h.priority, h.tier, h.language, h.channel, h.category) == (
        "billing",
        2,
        "vip",
        "de-AT",
        "chat",
        "billing_dispute",
    )
    assert h.brief == data["brief"] and h.assignee == "ana"
    assert (h.conversation_started_at, h.escalated_at, h.claimed_at, h.resolved_at) == (
        at(-120),
        at(0),
        at(30),
        at(600),
    )
    assert (h.sentiment, h.sentiment_trend) == (-0.62, -0.2)
    assert h.sync is SyncState.PENDING
    assert h.customer == CustomerView(
        id="c-1",
        name="Dana Whitfield",
        tier="vip",
        lifetime_value=18400.0,
        email="dana@example.com",
        locale="de-AT",
        history=({"at": at(-86_400), "summary": "Refund"}, "called once"),
    )
    assert h.reasons == (
        ReasonView("explicit_request", "Asked for a person", None, 0),
        ReasonView("negative_sentiment", "Sentiment fell to -0.62", -0.62, 0),
    )
    assert h.attempts == (AttemptView("lookup_order", "failed", at(-60), "timeout"),)
    assert h.transcript == (
        MessageView(0, "customer", "Charged twice", at(-90), -0.62),
        MessageView(1, "agent", "On it", at(10), None, "ana", "Ana", at(11)),
        MessageView(2, "note", "Refund due", at(12), None, "ana", pending="r-9"),
    )
    assert h.outcome == OutcomeView("resolved", 5, "refund issued", "Refunded", "late", "ana", at(590))
    assert h.offer == OfferView("ben", at(30), 2)
    assert h.rank_key() == rank_key(data)


def test_optional_parts_absent_read_as_none_and_defaults() -> None:
    h = HandoffView(handoff(sync=None, assignee=None))
    assert h.outcome is None and h.offer is None and h.channel is None and h.assignee is None
    assert h.sync is SyncState.SYNCED and h.claimed_at is None and h.resolved_at is None
    empty = HandoffView({})
    assert (empty.id, empty.status, empty.queue, empty.brief, empty.version) == ("", "", "", "", 0)
    assert (empty.priority, empty.tier, empty.sentiment, empty.sentiment_trend) == (4, "standard", None, None)
    assert empty.customer == CustomerView() and empty.reasons == empty.attempts == empty.transcript == ()
    assert empty.rank_key() == (4, 2, "", "")


HOSTILE_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    10**400,
    -(10**400),
    math.inf,
    math.nan,
    1e308,
    "",
    "x" * 10_000,
    "\x1b[2J\u202e",
    [],
    [1, "a", None, [2]],
    {},
    {"nested": {"deep": []}},
    ["not", "objects"],
    ("tu", "ple"),
    object(),
]

FIELDS = [
    "id",
    "conversation_id",
    "source",
    "version",
    "status",
    "queue",
    "priority",
    "tier",
    "language",
    "channel",
    "category",
    "brief",
    "assignee",
    "conversation_started_at",
    "escalated_at",
    "claimed_at",
    "resolved_at",
    "sentiment",
    "sentiment_trend",
    "sync",
    "customer",
    "reasons",
    "attempts",
    "transcript",
    "outcome",
    "offer",
]
KEYS = [f for f in FIELDS if f not in ("sentiment_trend", "sync")] + ["_sync"]


def read_everything(h: HandoffView) -> list[Any]:
    """Every accessor, nested ones included (any of them raising fails the test)."""
    values = [getattr(h, name) for name in FIELDS]
    values.append(h.rank_key())
    values.extend(dataclasses.astuple(r) for r in (*h.reasons, *h.attempts, *h.transcript))
    values.append(dataclasses.astuple(h.customer))
    return values


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
@pytest.mark.parametrize("key", KEYS)
def test_a_malformed_field_reads_as_a_safe_default_and_never_raises(key: str, value: Any) -> None:
    h = HandoffView({**handoff(id="h1"), key: value})
    read_everything(h)
    assert 1 <= h.priority <= 4 and isinstance(h.tier, str) and h.tier
    assert h.sentiment is None or -1.0 <= h.sentiment <= 1.0
    assert h.sync in SyncState and isinstance(h.version, int)
    for name in ("id", "queue", "brief", "conversation_id", "source"):
        assert isinstance(getattr(h, name), str)
    for name in ("language", "assignee", "escalated_at", "claimed_at", "category"):
        assert getattr(h, name) is None or isinstance(getattr(h, name), str)
    assert isinstance(h.customer, CustomerView) and isinstance(h.transcript, tuple)
    assert h.outcome is None or isinstance(h.outcome, OutcomeView)
    assert h.offer is None or isinstance(h.offer, OfferView)


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
def test_malformed_nested_fields_read_as_safe_defaults(value: Any) -> None:
    nested = {
        "customer": {k: value for k in ("id", "name", "tier", "lifetime_value", "email", "locale", "history")},
        "reasons": [{k: value for k in ("trigger", "detail", "score", "message_index")}, value],
        "attempts": [{k: value for k in ("step", "result", "at", "detail")}, value],
        "transcript": [value, {k: value for k in ("index", "role", "text", "at", "sentiment", PENDING_MESSAGE)}],
        "outcome": {k: value for k in ("resolution", "csat", "disposition", "notes", "recorded_by")},
        "offer": {k: value for k in ("to", "expires_at", "round")},
        "sentiment": {"compound": value, "trend": value},
    }
    h = HandoffView({**handoff(id="h1"), **nested})
    read_everything(h)
    customer = h.customer
    assert isinstance(customer.name, str) and isinstance(customer.history, tuple)
    assert customer.lifetime_value is None or math.isfinite(customer.lifetime_value)
    reason = h.reasons[0]  # (the second entry counts only when it is an object itself)
    assert isinstance(reason.trigger, str) and (reason.message_index is None or reason.message_index >= 0)
    assert reason.score is None or math.isfinite(reason.score)
    message = h.transcript[-1]
    assert message.index >= 0 and isinstance(message.role, str) and isinstance(message.text, str)
    assert message.pending is None or isinstance(message.pending, str)
    assert h.outcome is not None and (h.outcome.csat is None or 1 <= h.outcome.csat <= 5)
    assert h.offer is not None and h.offer.round >= 1 and isinstance(h.offer.to, str)


def test_huge_and_wrongly_typed_numbers_read_as_absent() -> None:
    h = HandoffView(
        {
            "priority": 10**100,
            "version": True,
            "sentiment": {"compound": 1e400, "trend": float("nan")},
            "customer": {"lifetime_value": 10**400, "name": 42},
            "outcome": {"csat": 99},
            "offer": {"round": 0},
            "transcript": [{"index": -3, "sentiment": 7.5}],
            "reasons": [{"score": True, "message_index": -1}],
        }
    )
    assert h.priority == 4 and h.version == 0 and h.sentiment is None and h.sentiment_trend is None
    assert h.customer.lifetime_value is None and h.customer.name == ""
    assert h.outcome is not None and h.outcome.csat is None
    assert h.offer is not None and h.offer.round == 1
    assert h.transcript[0].index == 0 and h.transcript[0].sentiment == 1.0  # its position; held to -1..1
    assert h.reasons[0].score is None and h.reasons[0].message_index is None


def test_wrong_types_where_objects_belong_read_as_empty() -> None:
    h = HandoffView(
        {
            "customer": "Dana",
            "reasons": "angry",
            "attempts": {"step": "x"},
            "transcript": "hello",
            "outcome": ["resolved"],
            "offer": "ben",
            "sentiment": -0.9,
            "status": ["waiting"],
            "_sync": ["pending"],
            "tier": "",
        }
    )
    assert h.customer == CustomerView() and h.reasons == h.attempts == h.transcript == ()
    assert h.outcome is None and h.offer is None and h.sentiment is None
    assert h.status == "" and h.sync is SyncState.SYNCED and h.tier == "standard"


def test_a_status_this_version_does_not_know_stays_a_string_and_a_tier_falls_back_to_the_customers() -> None:
    h = HandoffView({"status": "offered", "_sync": "later", "customer": {"tier": "premium"}})
    assert h.status == "offered" and not isinstance(h.status, Status)
    assert h.sync is SyncState.SYNCED
    assert h.tier == "premium"


@given(
    st.dictionaries(
        st.sampled_from(KEYS),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
            max_leaves=12,
        ),
    )
)
@settings(max_examples=300, deadline=None)
def test_no_json_value_in_any_field_makes_an_accessor_raise(data: dict[str, Any]) -> None:
    read_everything(HandoffView(data))


def test_a_view_is_read_only() -> None:
    h = HandoffView(handoff(id="h1"))
    with pytest.raises(AttributeError):
        h.priority = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        h._data = {}
    with pytest.raises(AttributeError):
        h.anything = 1
    with pytest.raises(AttributeError):
        del h.id
    with pytest.raises(TypeError):
        h["id"] = "other"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.customer.name = "Mallory"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.transcript[0].text = "edited"  # type: ignore[misc]
    assert isinstance(h.transcript, tuple) and not hasattr(h, "__dict__")
    assert h.id == "h1" and h.customer.name == "Dana Whitfield"


def test_a_view_is_a_mapping_over_its_dict() -> None:
    data = handoff(id="h1")
    h = HandoffView(data)
    assert isinstance(h, Mapping)
    assert h["id"] == "h1" and h.get("queue") == "billing" and h.get("missing", 3) == 3
    assert "transcript" in h and "missing" not in h
    assert len(h) == len(data) and list(h) == list(data) and list(h.keys()) == list(data.keys())
    assert list(h.items()) == list(data.items()) and list(h.values()) == list(data.values())
    assert dict(h) == data and {**h, "version": 2}["version"] == 2
    with pytest.raises(KeyError):
        h["missing"]
    extra = HandoffView({**data, "from_a_newer_hub": {"kept": True}})
    assert extra["from_a_newer_hub"] == {"kept": True}


def test_views_compare_by_their_dicts_and_are_not_hashable() -> None:
    data = handoff(id="h1")
    h = HandoffView(data)
    assert h == data and data == h and h == HandoffView(dict(data)) and (h,) == (data,)
    assert h != {**data, "version": 2} and h != HandoffView({**data, "version": 2})
    assert h != "h1" and h != [data]
    with pytest.raises(TypeError):
        hash(h)
    assert repr(h).startswith("HandoffView({")


class CountingMapping(Mapping[str, Any]):
    """A mapping that counts reads, to show what a view reads and when."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.reads.append(key)
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.append(key)
        return self.data.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def test_making_a_view_reads_and_copies_nothing() -> None:
    data = CountingMapping(handoff(id="h1"))
    h = HandoffView(data)
    assert data.reads == []
    assert h.priority == 3 and data.reads == ["priority"]


def test_the_nested_parts_are_made_once_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = MessageView.of.__func__  # type: ignore[attr-defined]

    def counted(cls: type[MessageView], m: Mapping[str, Any], position: int = 0) -> MessageView:
        made.append(position)
        return real(cls, m, position)  # type: ignore[no-any-return]

    monkeypatch.setattr(MessageView, "of", classmethod(counted))
    data = CountingMapping(handoff(id="h1"))
    h = HandoffView(data)
    assert made == []
    first = h.transcript
    assert made == [0, 1] and data.reads.count("transcript") == 1
    assert h.transcript is first and made == [0, 1] and data.reads.count("transcript") == 1
    assert h.customer is h.customer and h.reasons is h.reasons and h.attempts is h.attempts
    assert h.outcome is h.outcome and h.offer is h.offer
    assert data.reads.count("customer") == 1 and data.reads.count("reasons") == 1


def test_sync_state_is_one_type_on_the_surface() -> None:
    assert surface.SyncState is handoff_view.SyncState and surface.Handoff is HandoffView


def test_the_cache_reports_each_handoff_as_one_view(tmp_path: Path) -> None:
    cache, notices = Cache.open(tmp_path / "cache.sqlite3", "ana")
    assert notices == []
    try:
        snapshot = [make_handoff(1), make_handoff(2, priority=1)]
        outcome = cache.apply_batch([SnapshotItem(10, snapshot, "e1", viewer_key(ANA))], ANA)
        assert outcome.delta is not None and outcome.delta.reset
        assert all(isinstance(h, HandoffView) for h in outcome.delta.upserts)
        changed = make_handoff(1, version=2, brief="Now it is urgent")
        outcome = cache.apply_batch([EventItem(event(11, changed))], ANA)
        assert outcome.delta is not None
        (shown,) = outcome.delta.upserts
        assert isinstance(shown, HandoffView) and shown.brief == "Now it is urgent" and shown.sync is SyncState.SYNCED
        held = cache.held()
        assert [h.id for h in held] == ["h_0002", "h_0001"] and all(isinstance(h, HandoffView) for h in held)
        recorded, problem = cache.record(build_entry("claim", "r-1", at(5), handoff_id="h_0001"))
        assert problem is None and isinstance(recorded, HandoffView) and recorded.sync is SyncState.PENDING
        got = cache.get("h_0001")
        assert isinstance(got, HandoffView) and got.sync is SyncState.PENDING and got["_sync"] == "pending"
    finally:
        cache.close()
