"""Presence: a user's chosen presence is remembered, the hub's observations are not."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from agent_desk.hub import db, handoffs, presence, users
from agent_desk.hub.presence import Online
from agent_desk.hub.store import Store


@pytest.fixture
def store(tmp_path):
    store = Store(db.open_engine(tmp_path), clock=lambda: datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    store.open()
    store.add_user("ana", "agent", ["billing"])
    yield store
    store.close()


def announced(outcome) -> dict:
    [event] = outcome.events
    assert event.lead_only and event.kind == "presence.changed"
    return json.loads(event.frame)["data"]


def last_set(store: Store) -> str:
    return store.read(lambda conn: users.get(conn, "ana")).presence


def test_a_chosen_presence_is_announced_and_remembered(store):
    outcome = store.write(lambda tx: {"presence": presence.record(tx, "ana", "busy", chosen=True)})
    assert outcome.result == {"presence": "busy"}
    assert announced(outcome) == {"user": "ana", "presence": "busy", "active": 0}
    assert last_set(store) == "busy"


def test_going_offline_is_announced_but_not_remembered(store):
    store.write(lambda tx: {"presence": presence.record(tx, "ana", "away", chosen=True)})
    assert announced(presence.announce(store, "ana", presence.OFFLINE))["presence"] == "offline"
    assert last_set(store) == "away"


def test_coming_online_announces_what_the_user_last_set_with_its_claimed_handoffs(store):
    store.write(lambda tx: {"presence": presence.record(tx, "ana", "away", chosen=True)})
    with store.engine.begin() as conn:
        waiting = {
            "id": "h_1",
            "source": "bot",
            "conversation_id": "c1",
            "version": 1,
            "status": "waiting",
            "queue": "billing",
            "language": "en",
            "assignee": None,
            "escalated_at": "2026-11-20T11:00:00Z",
            "transcript": [],
        }
        handoffs.insert(conn, waiting)
        handoffs.save(conn, dict(waiting, version=2, status="claimed", assignee="ana"), 1)
    assert announced(presence.announce(store, "ana", None)) == {"user": "ana", "presence": "away", "active": 1}


def test_only_the_first_and_the_last_connection_of_a_user_change_its_presence():
    online = Online()
    assert online.join("ana") is True
    assert online.join("ana") is False
    assert online.ids() == {"ana"}
    assert online.leave("ana") is False
    assert online.leave("ana") is True
    assert online.ids() == set()
