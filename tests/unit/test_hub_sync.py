"""Resume: replays from the head, and snapshots split into frames."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from agent_desk.hub import db
from agent_desk.hub.store import Store
from agent_desk.hub.sync import plan, snapshot_parts
from agent_desk.protocol.codes import MAX_FRAME_BYTES
from agent_desk.protocol.visibility import Viewer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_resume_at_the_head_replays_nothing():
    store = Store(db.open_engine(url="sqlite://"), clock=lambda: NOW)
    store.open()
    try:
        lead = Viewer.of("lea", "lead")
        store.write(lambda tx: {"seq": tx.emit("presence.changed", {}, lead_only=True).seq})
        sync = plan(store, lead, epoch=store.epoch, last_seq=store.head)
        assert sync.events == [] and sync.head == 1
    finally:
        store.close()


def test_a_resume_from_another_epoch_gets_a_snapshot():
    store = Store(db.open_engine(url="sqlite://"), clock=lambda: NOW)
    store.open()
    try:
        sync = plan(store, Viewer.of("lea", "lead"), epoch="another", last_seq=0)
        assert sync.events is None and sync.snapshot == []
    finally:
        store.close()


def test_snapshot_parts_stay_under_the_frame_limit_and_only_the_last_is_final():
    big = [{"id": f"h_{i}", "brief": "x" * 100_000} for i in range(25)]
    frames = list(snapshot_parts(7, big))
    assert len(frames) > 1
    assert all(len(frame.encode("utf-8")) <= MAX_FRAME_BYTES for frame in frames)
    parts = [json.loads(frame) for frame in frames]
    assert [p["final"] for p in parts] == [False] * (len(parts) - 1) + [True]
    assert [h["id"] for p in parts for h in p["handoffs"]] == [h["id"] for h in big]
    assert {p["seq"] for p in parts} == {7}


def test_an_empty_snapshot_is_one_final_part():
    assert [json.loads(part) for part in snapshot_parts(3, [])] == [
        {"type": "snapshot", "seq": 3, "handoffs": [], "final": True}
    ]
