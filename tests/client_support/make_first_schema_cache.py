"""Write tests/data/client_cache_v1.sqlite3: a cache made by the first schema (run once, commit it).

    python -m tests.client_support.make_first_schema_cache

It holds three handoffs (one claimed by ana with a resolve still in the outbox), one "needs
attention" item, epoch and last_seq. Every later schema must open it and keep all of that
(tests/unit/test_client_cache.py).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from agent_desk.client.batch import AnswerItem, SnapshotItem, viewer_key
from agent_desk.client.cache import Cache
from agent_desk.client.cache_models import SCHEMA_VERSION
from agent_desk.client.outbox import build_entry
from agent_desk.protocol.visibility import Viewer
from tests.support.handoffs import make_handoff

TARGET = Path(__file__).resolve().parents[1] / "data" / "client_cache_v1.sqlite3"
VIEWER = Viewer.of("ana", "agent", ("billing", "vip"))
RESOLVE_ID = "first-schema-resolve-0001"
REFUSED_ID = "first-schema-claim-0002"


def build(target: Path) -> None:
    if SCHEMA_VERSION != 1:
        sys.exit("this script makes the schema-1 file; it is kept as committed")
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    cache, _ = Cache.open(target, "ana", client_id="first-schema-client")
    handoffs = [
        make_handoff(1),
        make_handoff(2, status="claimed", assignee="ana", version=2, claimed_at="2026-11-20T10:05:00.000Z"),
        make_handoff(3, priority=1, tier="vip", queue="vip"),
    ]
    cache.apply_batch([SnapshotItem(41, handoffs, "epoch-first", viewer_key(VIEWER))], VIEWER)
    outcome = {"resolution": "resolved", "csat": 4, "notes": "Refunded the duplicate charge."}
    cache.record(build_entry("resolve", RESOLVE_ID, "2026-11-20T10:09:00.000Z", handoff_id="h_0002", outcome=outcome))
    refused = build_entry("claim", REFUSED_ID, "2026-11-20T10:10:00.000Z", handoff_id="h_0001")
    cache.record(refused)
    taken = make_handoff(1, status="claimed", assignee="ben", version=2)
    cache.apply_batch(
        [
            AnswerItem(
                refused,
                {
                    "type": "result",
                    "id": REFUSED_ID,
                    "ok": False,
                    "code": "conflict",
                    "message": "already claimed by ben",
                    "data": {"handoff": taken},
                },
            )
        ],
        VIEWER,
    )
    cache.close()
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("VACUUM")
    conn.close()


if __name__ == "__main__":
    build(TARGET)
    print(f"wrote {TARGET}")
