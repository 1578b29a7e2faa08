"""The outbox and "needs attention" in the cache file, and their indexes in memory.

An outbox row is a request the person recorded and the hub has not answered yet; an
attention row is one the hub refused, with its words. Entries that could not be written
(a full disk) are kept in memory as well (:attr:`OutboxStore.unsaved`) until they can be.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, delete, insert, literal_column, select, update

from agent_desk.client.cache_models import ATTENTION, OUTBOX
from agent_desk.client.outbox import OutboxEntry, entry_from_row
from agent_desk.client.surface import AttentionItem, SyncState
from agent_desk.protocol.messages import encode
from agent_desk.protocol.timefmt import now_str


def outbox_row(entry: OutboxEntry) -> dict[str, Any]:
    """The ``outbox`` row of a newly recorded entry."""
    return {
        "seq": entry.seq,
        "request_id": entry.request_id,
        "kind": entry.kind,
        "handoff_id": entry.handoff_id,
        "payload": entry.payload_json(),
        "created_at": entry.created_at,
        "state": "pending",
    }


class OutboxStore:
    """The unanswered requests and the refused ones: rows, and four indexes over them.

    Attributes:
        entries: request id -> entry, in recording order (saved or not).
        lanes: handoff id -> its unanswered entries, in order (a handoff with a lane shows
            the hub's state with them replayed on top).
        unsaved: request id -> entry that exists only in memory (the file refused it).
        attention_counts: handoff id -> how many "needs attention" items it has.
        next_seq: the recording order of the next entry.
    """

    def __init__(self, unsaved: Iterable[OutboxEntry] = ()) -> None:
        """Empty indexes but ``unsaved`` (entries only in memory); :meth:`load` fills them."""
        self.entries: dict[str, OutboxEntry] = {}
        self.lanes: dict[str, list[OutboxEntry]] = {}
        self.unsaved: dict[str, OutboxEntry] = {e.request_id: e for e in unsaved}
        self.attention_counts: dict[str, int] = {}
        self.next_seq = 1

    def load(self, conn: Connection) -> None:
        """Rebuild the indexes from the file, keeping the entries that exist only in memory."""
        rows = conn.execute(select(OUTBOX).order_by(OUTBOX.c.seq)).mappings().all()
        attention = conn.execute(select(ATTENTION.c.handoff_id)).all()
        entries = [entry_from_row(dict(r)) for r in rows]
        saved_ids = {e.request_id for e in entries}
        entries += [e for e in self.unsaved.values() if e.request_id not in saved_ids]
        entries.sort(key=lambda e: e.seq)
        self.entries = {e.request_id: e for e in entries}
        self.lanes = {}
        for entry in entries:
            if entry.handoff_id is not None:
                self.lanes.setdefault(entry.handoff_id, []).append(entry)
        self.attention_counts = {}
        for (handoff_id,) in attention:
            if handoff_id is not None:
                self.attention_counts[handoff_id] = self.attention_counts.get(handoff_id, 0) + 1
        self.next_seq = max((e.seq for e in entries), default=0) + 1

    def sync_state(self, handoff_id: str) -> SyncState:
        """Whether a handoff has requests pending, items needing attention, or neither."""
        if self.lanes.get(handoff_id):
            return SyncState.PENDING
        if self.attention_counts.get(handoff_id):
            return SyncState.ATTENTION
        return SyncState.SYNCED

    # -- the indexes ---------------------------------------------------------------------

    def add(self, entry: OutboxEntry) -> None:
        """Index a recorded entry (last in its lane)."""
        self.entries[entry.request_id] = entry
        if entry.handoff_id is not None:
            self.lanes.setdefault(entry.handoff_id, []).append(entry)

    def drop(self, entry: OutboxEntry) -> None:
        """Forget an answered entry."""
        self.entries.pop(entry.request_id, None)
        if entry.handoff_id is not None:
            lane = [e for e in self.lanes.get(entry.handoff_id, []) if e.request_id != entry.request_id]
            if lane:
                self.lanes[entry.handoff_id] = lane
            else:
                self.lanes.pop(entry.handoff_id, None)

    def keep_unsaved(self, entry: OutboxEntry) -> OutboxEntry:
        """Keep an entry the file refused in memory; returns it marked as not persisted."""
        entry = replace(entry, persisted=False)
        self.unsaved[entry.request_id] = entry
        return entry

    def mark_saved(self, saved: Iterable[OutboxEntry]) -> None:
        """Entries kept in memory are now in the file: swap them, keeping recording order."""
        for entry in saved:
            self.drop(entry)
            self.add(replace(entry, persisted=True))
        self.entries = dict(sorted(self.entries.items(), key=lambda kv: kv[1].seq))
        for lane in self.lanes.values():
            lane.sort(key=lambda e: e.seq)
        self.unsaved.clear()

    # -- rows ----------------------------------------------------------------------------

    def insert(self, conn: Connection, entry: OutboxEntry) -> None:
        """Write a recorded entry's row."""
        conn.execute(insert(OUTBOX).values(outbox_row(entry)))

    def stored_ids(self, conn: Connection) -> set[str]:
        """The request ids that have a row."""
        return {r[0] for r in conn.execute(select(OUTBOX.c.request_id))}

    def delete(self, conn: Connection, request_id: str) -> None:
        """Delete an answered entry's row."""
        conn.execute(delete(OUTBOX).where(OUTBOX.c.request_id == request_id))

    def mark_sent(self, conn: Connection, request_ids: list[str]) -> None:
        """Note in the rows that requests went out at least once."""
        conn.execute(update(OUTBOX).where(OUTBOX.c.request_id.in_(request_ids)).values(state="sent"))

    def refuse(
        self, conn: Connection, entry: OutboxEntry, frame: Mapping[str, Any], hub: Mapping[str, Any] | None
    ) -> None:
        """Add a "needs attention" item for a refused entry.

        It keeps what the person wrote, the hub's words, and the hub's handoff (``hub``) as
        it stood when there is one.
        """
        payload = dict(entry.fields)
        if hub is not None:
            payload["handoff"] = hub
        conn.execute(
            insert(ATTENTION).values(
                request_id=entry.request_id,
                kind=entry.kind,
                handoff_id=entry.handoff_id,
                code=str(frame.get("code", "internal")),
                message=str(frame.get("message", "the hub refused this")),
                payload=encode(payload),
                at=now_str(),
            )
        )
        if entry.handoff_id is not None:
            self.attention_counts[entry.handoff_id] = self.attention_counts.get(entry.handoff_id, 0) + 1

    def remove_attention(self, conn: Connection, request_id: str) -> dict[str, Any] | None:
        """Delete an attention row; returns it (kind, handoff_id, payload, ...) or None.

        The count of its handoff is lowered by :meth:`attention_removed` once committed.
        """
        row = conn.execute(select(ATTENTION).where(ATTENTION.c.request_id == request_id)).mappings().first()
        if row is None:
            return None
        conn.execute(delete(ATTENTION).where(ATTENTION.c.request_id == request_id))
        return dict(row)

    def attention_removed(self, row: Mapping[str, Any]) -> None:
        """Lower the count of the handoff of an attention row that is gone."""
        handoff_id = row["handoff_id"]
        if handoff_id is None:
            return
        left = self.attention_counts.get(handoff_id, 0) - 1
        if left > 0:
            self.attention_counts[handoff_id] = left
        else:
            self.attention_counts.pop(handoff_id, None)

    def attention_items(self, conn: Connection) -> tuple[AttentionItem, ...]:
        """Every "needs attention" item, oldest first."""
        rows = conn.execute(select(ATTENTION).order_by(literal_column("rowid"))).mappings().all()
        return tuple(
            AttentionItem(
                request_id=r["request_id"],
                kind=r["kind"],
                handoff_id=r["handoff_id"],
                code=r["code"],
                message=r["message"],
                payload=MappingProxyType(json.loads(r["payload"])),
                at=r["at"],
            )
            for r in rows
        )
