"""How long the hub keeps its event log and stored results, and the pruning that enforces it.

The protocol promises both for at least :data:`~agent_desk.protocol.codes.RETENTION_S`; the hub
keeps them a day longer, and always keeps the newest event so the head survives a quiet week.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent_desk.hub import events, results
from agent_desk.hub.store import Store, Tx
from agent_desk.protocol.codes import RETENTION_S
from agent_desk.protocol.timefmt import format_time, utc_now

#: Kept beyond the promised retention period.
MARGIN_S = 24 * 3600


def prune(store: Store) -> tuple[int, int]:
    """Drop events and stored results past the retention period; returns how many of each.

    Raises:
        StoreUnavailable: storage failed; nothing was dropped.
    """
    cutoff = format_time(utc_now() - timedelta(seconds=RETENTION_S + MARGIN_S))

    def work(tx: Tx) -> dict[str, Any]:
        return {
            "events": events.prune_before(tx.conn, cutoff, keep_from=store.head),
            "results": results.prune_before(tx.conn, cutoff),
        }

    pruned = store.write(work).result
    return int(pruned["events"]), int(pruned["results"])
