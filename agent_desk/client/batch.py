"""What a batch of hub frames carries into the cache, and what applying it changed.

The engine turns received frames into :data:`BatchItem` values (events, a whole snapshot,
``synced``, final results) and hands a batch of them to :meth:`Cache.stage_batch`, which
applies them in one transaction. :class:`Batch` is the working state of one batch while it
is applied; :class:`BatchOutcome` is what the engine reports once it is committed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_desk.client.outbox import OutboxEntry
from agent_desk.client.surface import Handoff, HandoffDelta
from agent_desk.protocol.visibility import Viewer


@dataclass(frozen=True, slots=True)
class EventItem:
    """A live or replayed ``event`` frame, and the exact JSON text of its ``data`` when known.

    The text is stored as is, which spares encoding the handoff or the chat message again.
    """

    frame: Mapping[str, Any]
    data_text: str | None = None


@dataclass(frozen=True, slots=True)
class EventRun:
    """Event frames in a row, as :class:`EventItem` each, without an object per frame.

    The engine's form: a burst is thousands of them. ``data_texts`` is None or one per frame.
    """

    frames: Sequence[Mapping[str, Any]]
    data_texts: Sequence[str | None] | None = None


@dataclass(frozen=True, slots=True)
class EventStream:
    """Event frames decoded while the batch is applied, one :class:`EventRun` at a time.

    The engine's form in a burst. Decoding a short run just before applying it keeps its
    objects in the processor's cache, and the frames of each run are freed before the next
    is decoded: a burst decoded whole first, then applied, took a third longer.
    """

    runs: Iterable[EventRun]


@dataclass(frozen=True, slots=True)
class SnapshotItem:
    """Every part of a snapshot, complete (the ``final`` part arrived), for ``viewer_key``."""

    seq: int
    handoffs: Sequence[dict[str, Any]]
    epoch: str
    viewer_key: str


def viewer_key(viewer: Viewer) -> str:
    """The visibility facts of a user as one string; the held set is valid for one of them."""
    return json.dumps(
        {
            "id": viewer.id,
            "role": viewer.role,
            "queues": sorted(viewer.queues),
            "languages": sorted(viewer.languages),
        },
        sort_keys=True,
    )


@dataclass(frozen=True, slots=True)
class SyncedItem:
    """``synced``: the client is at ``seq`` of ``epoch``."""

    seq: int
    epoch: str


@dataclass(frozen=True, slots=True)
class AnswerItem:
    """A final ``result`` (ok, or a failure that is not retried) for an outbox entry."""

    entry: OutboxEntry
    frame: Mapping[str, Any]


BatchItem = EventStream | EventRun | EventItem | SnapshotItem | SyncedItem | AnswerItem


@dataclass
class BatchOutcome:
    """What applying a batch changed, for the engine to report."""

    delta: HandoffDelta | None = None
    attention_changed: bool = False
    answered: list[AnswerItem] = field(default_factory=list)
    presence: list[Mapping[str, Any]] = field(default_factory=list)
    canned_changed: bool = False  # the team's saved replies changed (``canned.changed``)
    targets: Mapping[str, Any] | None = None  # the team's targets, when ``targets.changed`` came


class DeltaBuilder:
    """Merges the changes of one batch into one :class:`HandoffDelta` (last state wins)."""

    def __init__(self) -> None:
        """An empty delta."""
        #: handoff id -> its state (None: removed), in the order of their last change
        self.items: dict[str, Mapping[str, Any] | None] = {}
        self.reset = False

    def upsert(self, handoff_id: str, handoff: Mapping[str, Any]) -> None:
        """``handoff`` as the person sees it now (without ``_sync``, added by :meth:`build`)."""
        items = self.items
        if handoff_id in items:
            del items[handoff_id]  # re-insert: keep the order things happened in
        items[handoff_id] = handoff

    def remove(self, handoff_id: str) -> None:
        """The handoff is no longer seen."""
        self.items.pop(handoff_id, None)
        if not self.reset:
            self.items[handoff_id] = None

    def start_reset(self) -> None:
        """A snapshot: the delta replaces everything shown (earlier items of the batch go)."""
        self.items.clear()
        self.reset = True

    def build(self, shown: Callable[[Mapping[str, Any]], Handoff]) -> HandoffDelta | None:
        """The delta, each handoff passed through ``shown`` once: it adds the sync state and
        makes the dict the typed view the desktop works with (``Cache._shown``)."""
        if not self.items and not self.reset:
            return None
        upserts = tuple(shown(h) for h in self.items.values() if h is not None)
        removed = tuple(k for k, h in self.items.items() if h is None)
        return HandoffDelta(upserts=upserts, removed=removed, reset=self.reset)


@dataclass
class Batch:
    """One batch while it is applied: for whom, the delta so far, and the writes still to make.

    The writes are made once at the end of the batch (``HandoffStore.flush``), each handoff
    with its last state only.
    """

    viewer: Viewer
    delta: DeltaBuilder = field(default_factory=DeltaBuilder)
    # whole handoffs (state, its JSON text when known) ...
    upserts: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    # ... and chat messages added since (rows of ``messages``): id -> [(message, version)]
    appends: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)
    meta: dict[str, str] = field(default_factory=dict)
    last_seq: int | None = None  # of the last event applied (written to meta once, at the end)
    written: int = 0  # about how much the WAL grows by (for the checkpointer)
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    settled_unsaved: list[str] = field(default_factory=list)
