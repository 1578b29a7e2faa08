"""One visibility rule: live fan-out, replays and snapshots all show what ``can_see`` shows.

The hub indexes connections to find an event's audience quickly, and pre-filters snapshots in
SQL; these tests check both against :func:`agent_desk.protocol.visibility.can_see` on generated
cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agent_desk.hub import db, handoffs
from agent_desk.hub.audience import Audience, reaches
from agent_desk.hub.events import RESTORE_KIND, Event, visible_state
from agent_desk.hub.store import Store, Tx
from agent_desk.hub.sync import RECENT_S, plan
from agent_desk.protocol.timefmt import format_time
from agent_desk.protocol.visibility import Viewer, can_see

USER_IDS = ["ana", "ben", "lea", "tom", "zoe"]
QUEUES = ["billing", "technical", "vip"]
LANGUAGES = ["en", "de", "de-AT", "fr-CA", "FR"]


@dataclass(eq=False)
class FakeConn:
    """What the audience reads of a connection: its viewer; and what it delivers to it."""

    viewer: Viewer
    got: list[Event] = field(default_factory=list)

    def deliver(self, event: Event) -> None:
        self.got.append(event)


viewers = st.builds(
    Viewer.of,
    st.sampled_from(USER_IDS),
    st.sampled_from(["agent", "agent", "lead"]),
    st.lists(st.sampled_from(QUEUES), max_size=3, unique=True),
    st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True),
)

handoff_states = st.fixed_dictionaries(
    {
        "id": st.just("h_1"),
        "status": st.sampled_from(["waiting", "claimed", "resolved"]),
        "queue": st.sampled_from([*QUEUES, "orders"]),
        "language": st.sampled_from([*LANGUAGES, "es", None]),
        "assignee": st.one_of(st.none(), st.sampled_from(USER_IDS)),
        "priority": st.integers(1, 4),
        "transcript": st.just([]),
    }
)

#: (kind, handoff before, handoff after, lead_only), as the service emits them.
changes = st.one_of(
    st.tuples(st.just("handoff.created"), st.none(), handoff_states, st.just(False)),
    st.tuples(st.sampled_from(["handoff.updated", "message.added"]), handoff_states, handoff_states, st.just(False)),
    st.tuples(st.just("presence.changed"), st.none(), st.none(), st.just(True)),
    st.tuples(st.just(RESTORE_KIND), st.none(), st.none(), st.just(True)),
)


def event_of(seq: int, change: tuple[str, Any, Any, bool]) -> Event:
    kind, before, after, lead_only = change
    return Event(seq, kind, "{}", visible_state(before), visible_state(after), lead_only)


def by_the_rule(viewer: Viewer, change: tuple[str, Any, Any, bool]) -> bool:
    """PROTOCOL.md: visible before the change or after it; presence to leads; a restore to no one."""
    kind, before, after, lead_only = change
    if kind == RESTORE_KIND:
        return False
    if lead_only:
        return viewer.role == "lead"
    return can_see(viewer, before) or can_see(viewer, after)


@settings(max_examples=400)
@given(st.lists(viewers, min_size=1, max_size=8), changes)
def test_an_event_reaches_exactly_the_connections_that_can_see_its_handoff(people, change):
    audience = Audience()
    conns = [FakeConn(viewer) for viewer in people]
    for conn in conns:
        audience.add(conn)
    event = event_of(1, change)
    assert audience.of(event) == {conn for conn in conns if by_the_rule(conn.viewer, change)}
    assert all(reaches(conn.viewer, event) == by_the_rule(conn.viewer, change) for conn in conns)


@settings(max_examples=200)
@given(st.lists(viewers, min_size=1, max_size=8), st.data(), st.lists(changes, min_size=1, max_size=5))
def test_a_removed_connection_receives_nothing_and_the_others_their_events_in_order(people, data, batch):
    audience = Audience()
    conns = [FakeConn(viewer) for viewer in people]
    for conn in conns:
        audience.add(conn)
    gone = data.draw(st.sets(st.sampled_from(conns)))
    for conn in gone:
        audience.remove(conn)
    events = [event_of(seq, change) for seq, change in enumerate(batch, start=1)]
    audience.deliver(events)
    for conn in conns:
        expected = (
            [] if conn in gone else [e for e, c in zip(events, batch, strict=True) if by_the_rule(conn.viewer, c)]
        )
        assert conn.got == expected


def test_an_agent_sees_a_claim_by_someone_else_but_not_what_follows():
    ana = FakeConn(Viewer.of("ana", "agent", ["billing"]))
    audience = Audience()
    audience.add(ana)
    waiting = {"status": "waiting", "queue": "billing", "language": "en", "assignee": None}
    claimed = dict(waiting, status="claimed", assignee="ben")
    resolved = dict(claimed, status="resolved")
    assert audience.of(event_of(1, ("handoff.updated", waiting, claimed, False))) == {ana}
    assert audience.of(event_of(2, ("handoff.updated", claimed, resolved, False))) == set()


# -- resume: snapshots and replays -------------------------------------------------------

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def open_store() -> Store:
    store = Store(db.open_engine(url="sqlite://"), clock=lambda: NOW)
    store.open()
    return store


handoff_specs = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["waiting", "claimed", "resolved"]),
        "queue": st.sampled_from(["billing", "technical", "vip", "orders"]),
        "language": st.sampled_from(["en", "de", "de-AT", "fr-CA", "es"]),
        "assignee": st.sampled_from(USER_IDS),
        "resolved_hours_ago": st.sampled_from([1, 23, 25, 200]),
    }
)


def store_handoff(store: Store, index: int, spec: dict[str, Any]) -> dict[str, Any]:
    """Write a handoff as the service would leave it: escalated, then claimed or resolved."""
    handoff = {
        "id": f"h_{index:04d}",
        "source": "bot",
        "conversation_id": f"c{index}",
        "version": 1,
        "status": "waiting",
        "queue": spec["queue"],
        "language": spec["language"],
        "assignee": None,
        "escalated_at": format_time(NOW - timedelta(days=3) + timedelta(minutes=index)),
        "resolved_at": None,
        "transcript": [],
    }
    with store.engine.begin() as conn:
        handoffs.insert(conn, handoff)
        if spec["status"] != "waiting":
            changed = dict(handoff, version=2, status=spec["status"], assignee=spec["assignee"])
            extra = {}
            if spec["status"] == "resolved":
                changed["resolved_at"] = format_time(NOW - timedelta(hours=spec["resolved_hours_ago"]))
                extra["resolved_by"] = spec["assignee"]
            handoffs.save(conn, changed, 1, **extra)
            handoff = changed
    return handoff


@settings(max_examples=60, deadline=None)
@given(viewers, st.lists(handoff_specs, max_size=12))
def test_a_snapshot_holds_the_visible_open_handoffs_and_the_recently_resolved(viewer, specs):
    store = open_store()
    try:
        stored = [store_handoff(store, index, spec) for index, spec in enumerate(specs)]
        recent = format_time(NOW - timedelta(seconds=RECENT_S))
        in_scope = [h for h in stored if h["status"] != "resolved" or h["resolved_at"] >= recent]
        expected = [h["id"] for h in in_scope if can_see(viewer, h)]
        sync = plan(store, viewer, epoch=None, last_seq=None)
        assert sync.events is None and sync.snapshot is not None
        assert [h["id"] for h in sync.snapshot] == expected
    finally:
        store.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(viewers, min_size=1, max_size=6), st.lists(changes, min_size=1, max_size=10))
def test_a_replay_sends_each_user_exactly_what_live_fan_out_sent_it(people, batch):
    store = open_store()
    try:
        emitted = [c for c in batch if c[0] != "hub.restored"]  # markers come only from a restore
        if not emitted:
            return

        def work(tx: Tx) -> dict[str, Any]:
            for kind, before, after, lead_only in emitted:
                tx.emit(kind, {}, before, after, lead_only)
            return {}

        live = store.write(work).events
        audience = Audience()
        conns = [FakeConn(viewer) for viewer in people]
        for conn in conns:
            audience.add(conn)
        audience.deliver(live)
        for conn in conns:
            sync = plan(store, conn.viewer, epoch=store.epoch, last_seq=0)
            assert sync.events is not None
            assert [json.loads(frame)["seq"] for frame in sync.events] == [e.seq for e in conn.got]
    finally:
        store.close()
