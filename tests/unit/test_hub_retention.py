"""Retention: events and stored results are kept a week and a day, and the newest event always."""

from __future__ import annotations

from datetime import timedelta

from agent_desk.hub import db, events, results, retention
from agent_desk.hub.store import Store
from agent_desk.protocol.codes import RETENTION_S
from agent_desk.protocol.timefmt import format_time, utc_now


def test_prune_drops_what_is_past_retention_and_keeps_the_newest_event(tmp_path):
    store = Store(db.open_engine(tmp_path))
    store.open()
    old = format_time(utc_now() - timedelta(seconds=RETENTION_S + 25 * 3600))
    kept = format_time(utc_now() - timedelta(seconds=RETENTION_S + 23 * 3600))
    with store.engine.begin() as conn:
        for seq, at in ((1, old), (2, kept), (3, old)):
            events.append(conn, seq, at, "presence.changed", {}, lead_only=True)
        results.save(conn, "ana", "r-old", "h", {"ok": True}, old)
        results.save(conn, "ana", "r-kept", "h", {"ok": True}, kept)
    store.close()
    store.open()  # reads the head, 3
    try:
        assert retention.prune(store) == (1, 1)
        assert store.read(lambda conn: [e.seq for e in events.after(conn, 1) or []]) == [2, 3]
        assert store.read(lambda conn: results.load(conn, "ana", "r-old")) is None
        assert store.read(lambda conn: results.load(conn, "ana", "r-kept")) is not None
    finally:
        store.close()
