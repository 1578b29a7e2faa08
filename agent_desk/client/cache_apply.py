"""What the hub's frames do to the cache: events, snapshots and final results, applied in order.

:class:`BatchApplier` runs inside the batch's transaction (:meth:`Cache.stage_batch`). Each
handoff the hub changed goes through one rule, :meth:`BatchApplier.put`: with requests
pending on it, its row is written now with them replayed on top; visible, it is kept for the
batch's one write of its last state (:meth:`HandoffStore.flush`); no longer visible to the
user, it is dropped. Every event of a burst passes here, so the loops bind what they use
once per run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

from sqlalchemy import Connection

from agent_desk.client.batch import (
    AnswerItem,
    Batch,
    BatchItem,
    EventItem,
    EventRun,
    EventStream,
    SnapshotItem,
)
from agent_desk.client.handoff_store import HandoffStore, handoff_row, message_text, version_of
from agent_desk.client.outbox import replay
from agent_desk.client.outbox_store import OutboxStore
from agent_desk.protocol.codes import EventKind
from agent_desk.protocol.messages import encode
from agent_desk.protocol.visibility import can_see

_CREATED, _UPDATED, _MESSAGE, _PRESENCE = (
    EventKind.HANDOFF_CREATED.value,
    EventKind.HANDOFF_UPDATED.value,
    EventKind.MESSAGE_ADDED.value,
    EventKind.PRESENCE_CHANGED.value,
)
_CANNED = "canned.changed"
_TARGETS = "targets.changed"


class BatchApplier:
    """Applies batch items to the handoff and outbox stores, inside one transaction."""

    def __init__(self, handoffs: HandoffStore, outbox: OutboxStore, user_id: str) -> None:
        """Apply to these stores; ``user_id`` is whose requests are replayed on handoffs."""
        self._handoffs = handoffs
        self._outbox = outbox
        self._user_id = user_id

    def apply(self, conn: Connection, items: Sequence[BatchItem], batch: Batch) -> None:
        """Apply ``items`` in order; the batch's writes are made at its end (``flush``)."""
        events = self.events
        for item in items:
            if isinstance(item, EventStream):
                for run in item.runs:
                    events(conn, run.frames, run.data_texts, batch)
            elif isinstance(item, EventRun):
                events(conn, item.frames, item.data_texts, batch)
            elif isinstance(item, EventItem):
                events(conn, (item.frame,), (item.data_text,), batch)
            elif isinstance(item, AnswerItem):
                self.answer(conn, item, batch)
            elif isinstance(item, SnapshotItem):
                self.snapshot(conn, item, batch)
            else:
                batch.last_seq = None
                batch.meta.update(epoch=item.epoch, last_seq=str(item.seq))

    def events(
        self,
        conn: Connection,
        frames: Sequence[Mapping[str, Any]],
        data_texts: Sequence[str | None] | None,
        batch: Batch,
    ) -> None:
        """Event frames in order (``data_texts``: their ``data`` JSON text when known).

        Reads each frame, skips what is malformed or not newer than what is held, and hands
        the handoff's new state to :meth:`put`.
        """
        handoffs = self._handoffs
        versions, states = handoffs.versions, handoffs.states
        put = self.put
        last_seq = batch.last_seq
        for frame, data_text in zip(frames, data_texts or repeat(None, len(frames)), strict=True):
            seq = frame.get("seq")
            if type(seq) is int:
                last_seq = seq
            data = frame.get("data")
            if type(data) is not dict:
                continue
            kind = frame.get("kind")
            if kind == _MESSAGE:
                handoff_id = data.get("handoff_id")
                version = data.get("version")
                message = data.get("message")
                if type(handoff_id) is not str or type(version) is not int or type(message) is not dict:
                    continue
                known = versions.get(handoff_id)
                if known is None or version <= known:
                    continue
                current = states.get(handoff_id)
                if current is None:
                    current = handoffs.hub_state(conn, handoff_id)
                    if current is None:
                        continue
                after = dict(current)
                after["transcript"] = [*current.get("transcript", ()), message]
                after["version"] = version
                put(conn, handoff_id, after, batch, None, (message_text(data, data_text), version))
            elif kind in (_CREATED, _UPDATED):
                handoff_id = data.get("id")
                if type(handoff_id) is not str:
                    continue
                known = versions.get(handoff_id)
                if known is not None and version_of(data) <= known:
                    continue  # applied already, or older than what is held
                put(conn, handoff_id, data, batch, data_text)
            elif kind == _PRESENCE:
                batch.outcome.presence.append(data)
            elif kind == _CANNED:
                batch.outcome.canned_changed = True
            elif kind == _TARGETS and isinstance(data.get("targets"), dict):
                batch.outcome.targets = data["targets"]
        batch.last_seq = last_seq

    def put(
        self,
        conn: Connection,
        handoff_id: str,
        hub: dict[str, Any],
        batch: Batch,
        data_text: str | None = None,
        added: tuple[str, int] | None = None,
    ) -> None:
        """Take the hub's new state of a handoff: store it, or drop the handoff no longer seen.

        Args:
            conn: the batch's connection.
            handoff_id: the handoff's id.
            hub: the hub's new state (kept as is: never changed afterwards).
            batch: the batch being applied.
            data_text: ``hub`` as JSON when known (stored as is).
            added: when ``hub`` is the held state plus one chat message: that message as JSON
                and the new version. A visible handoff then gets one ``messages`` row, also
                when it is written whole in this batch (``flush`` adds messages after whole
                rows), instead of a rewrite of its whole row.
        """
        handoffs = self._handoffs
        version = hub.get("version", 0)
        lane = self._outbox.lanes.get(handoff_id)
        if lane:
            handoffs.remember(handoff_id, hub)
            batch.upserts.pop(handoff_id, None)
            batch.appends.pop(handoff_id, None)  # the row written now holds them
            batch.deletes.discard(handoff_id)
            shown = replay(hub, lane, self._user_id)
            handoffs.write_whole(conn, [handoff_row(shown, hub, encode(hub))])
            handoffs.versions[handoff_id] = version
            batch.delta.upsert(handoff_id, shown)
        elif can_see(batch.viewer, hub):
            handoffs.remember(handoff_id, hub)
            if added is None:
                batch.deletes.discard(handoff_id)
                batch.appends.pop(handoff_id, None)  # the whole handoff is written instead
                batch.upserts[handoff_id] = (hub, data_text)
            else:
                appends = batch.appends.get(handoff_id)
                if appends is None:
                    batch.appends[handoff_id] = [added]
                else:
                    appends.append(added)
            handoffs.versions[handoff_id] = version
            batch.delta.upsert(handoff_id, hub)
        elif handoffs.versions.pop(handoff_id, None) is not None:
            handoffs.states.pop(handoff_id, None)
            batch.upserts.pop(handoff_id, None)
            batch.appends.pop(handoff_id, None)
            batch.deletes.add(handoff_id)
            batch.delta.remove(handoff_id)

    def snapshot(self, conn: Connection, item: SnapshotItem, batch: Batch) -> None:
        """A whole snapshot: the held set becomes the hub's.

        Handoffs with pending requests are kept (the hub may not send them any more; their
        requests will say what becomes of them).
        """
        batch.upserts.clear()
        batch.appends.clear()
        batch.deletes.clear()
        batch.delta.start_reset()
        handoffs = self._handoffs
        kept = handoffs.keep_only(conn, [hid for hid in self._outbox.lanes if hid in handoffs.versions])
        for hub in item.handoffs:
            handoff_id = hub.get("id")
            if not isinstance(handoff_id, str):
                continue
            kept.pop(handoff_id, None)
            handoffs.versions.pop(handoff_id, None)
            self.put(conn, handoff_id, hub, batch)
        for handoff_id, state in kept.items():  # pending changes to handoffs the hub did not send
            if state is not None:
                handoffs.versions.pop(handoff_id, None)
                self.put(conn, handoff_id, state, batch)
        batch.last_seq = None
        batch.meta.update(epoch=item.epoch, last_seq=str(item.seq), viewer=item.viewer_key)

    def answer(self, conn: Connection, item: AnswerItem, batch: Batch) -> None:
        """A final result for an outbox entry: the entry goes, a refusal needs attention.

        The handoff is then shown as the hub has it: the state in its answer, or the last
        one known, whichever is newer.
        """
        entry, frame = item.entry, item.frame
        outbox = self._outbox
        if entry.request_id not in outbox.entries:
            return
        outbox.drop(entry)
        if entry.persisted:
            outbox.delete(conn, entry.request_id)
        else:
            batch.settled_unsaved.append(entry.request_id)
        batch.outcome.answered.append(item)
        data = frame.get("data")
        hub = data.get("handoff") if isinstance(data, dict) else None
        hub = hub if isinstance(hub, dict) and isinstance(hub.get("id"), str) else None
        if not frame.get("ok"):
            outbox.refuse(conn, entry, frame, hub)
            batch.outcome.attention_changed = True
        if entry.handoff_id is None:
            return
        current = self._handoffs.held_state(conn, entry.handoff_id)
        base = hub if hub is not None and version_of(hub) >= version_of(current) else current
        if base is None:
            return
        self.put(conn, entry.handoff_id, base, batch)
