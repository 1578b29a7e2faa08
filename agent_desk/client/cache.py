"""The local cache: the handoffs this user holds, the outbox, "needs attention", epoch and seq.

One :class:`Cache` belongs to one engine thread (it is not thread-safe). Every change is one
SQLite transaction: a batch of hub frames (events, a whole snapshot, results) together with
``last_seq``; a recorded request together with its optimistic local change. Bulk writes go
through SQLAlchemy Core executemany upserts on the SQLModel tables. Small in-memory indexes
(versions held, the outbox by handoff) keep the hot path free of reads; they are rebuilt from
the file whenever a transaction fails.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from sqlalchemy import Connection, bindparam, delete, insert, literal_column, select, update
from sqlalchemy.exc import DBAPIError

from agent_desk.client import cache_db
from agent_desk.client.cache_models import ATTENTION, HANDOFFS, META, OUTBOX, SCHEMA_VERSION
from agent_desk.client.outbox import (
    OutboxEntry,
    RequestRefused,
    check_handoff_size,
    entry_from_row,
    replay,
)
from agent_desk.client.surface import AttentionItem, Handoff, HandoffDelta, SyncState
from agent_desk.protocol.codes import TIER_RANK, EventKind
from agent_desk.protocol.messages import encode
from agent_desk.protocol.timefmt import now_str
from agent_desk.protocol.visibility import Viewer, can_see, rank_key

log = logging.getLogger(__name__)

#: Hub states of held handoffs kept decoded in memory at most (beyond it they are re-read).
MAX_REMEMBERED = 50_000


class CacheWriteError(Exception):
    """The cache could not be written (disk full, read-only, I/O error); nothing changed.

    Attributes:
        reason: human words, e.g. "the disk is full".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- what a batch carries -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventItem:
    """A live or replayed ``event`` frame, and the exact JSON text of its ``data`` when known
    (stored as is, which spares encoding the handoff again)."""

    frame: Mapping[str, Any]
    data_text: str | None = None


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


BatchItem = EventItem | SnapshotItem | SyncedItem | AnswerItem


@dataclass
class BatchOutcome:
    """What applying a batch changed, for the engine to report."""

    delta: HandoffDelta | None = None
    attention_changed: bool = False
    answered: list[AnswerItem] = field(default_factory=list)
    presence: list[Mapping[str, Any]] = field(default_factory=list)


class DeltaBuilder:
    """Merges the changes of one batch into one :class:`HandoffDelta` (last state wins)."""

    def __init__(self) -> None:
        self._items: dict[str, Mapping[str, Any] | None] = {}
        self.reset = False

    def upsert(self, handoff_id: str, handoff: Mapping[str, Any]) -> None:
        """``handoff`` as the person sees it now (without ``_sync``, added by :meth:`build`)."""
        items = self._items
        if handoff_id in items:
            del items[handoff_id]  # re-insert: keep the order things happened in
        items[handoff_id] = handoff

    def remove(self, handoff_id: str) -> None:
        self._items.pop(handoff_id, None)
        if not self.reset:
            self._items[handoff_id] = None

    def start_reset(self) -> None:
        self._items.clear()
        self.reset = True

    def build(self, shown: Callable[[Mapping[str, Any]], Handoff]) -> HandoffDelta | None:
        """The delta, each handoff passed through ``shown`` (which adds its sync state)."""
        if not self._items and not self.reset:
            return None
        upserts = tuple(shown(h) for h in self._items.values() if h is not None)
        removed = tuple(k for k, h in self._items.items() if h is None)
        return HandoffDelta(upserts=upserts, removed=removed, reset=self.reset)


@dataclass
class _Batch:
    viewer: Viewer
    delta: DeltaBuilder = field(default_factory=DeltaBuilder)
    # deferred fast-path writes: whole handoffs (state, its JSON text when known) ...
    upserts: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    # ... and messages to append to rows that are otherwise unchanged: id -> [(message, version)]
    appends: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)
    meta: dict[str, str] = field(default_factory=dict)
    last_seq: int | None = None  # of the last event applied (written to meta once, at the end)
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    settled_unsaved: list[str] = field(default_factory=list)


def _handoff_row(
    shown: Mapping[str, Any], hub: Mapping[str, Any], base: str | None, data_text: str | None = None
) -> dict[str, Any]:
    if data_text is None:
        data_text = encode(shown if isinstance(shown, dict) else dict(shown))
    return {
        "id": shown["id"],
        "status": str(shown.get("status", "")),
        "queue": str(shown.get("queue", "")),
        "assignee": shown.get("assignee"),
        "priority": int(shown.get("priority", 4)),
        "tier_rank": TIER_RANK.get(str(shown.get("tier", "standard")), 2),
        "escalated_at": str(shown.get("escalated_at", "")),
        "resolved_at": shown.get("resolved_at"),
        "version": int(hub.get("version", 0)),
        "data": data_text,
        "base": base,
    }


def _version(handoff: Mapping[str, Any] | None) -> int:
    if handoff is None:
        return -1
    value = handoff.get("version", 0)
    return int(value) if isinstance(value, int) else 0


class Cache:
    """The local cache of one user on one hub. Use from one thread only.

    Attributes:
        path: the cache file (None: an in-memory database, when no file could be used).
        user_id: whose cache this is.
        epoch: the hub epoch ``last_seq`` belongs to (None: never synced).
        last_seq: the last hub seq applied (None: never synced).
        client_id: stable id of this install towards this hub, sent in ``resume``.
        viewer_key: the visibility facts (role, queues, languages) the held set was built for.
    """

    def __init__(self, engine: Any, path: Path | None, user_id: str) -> None:
        self._engine = engine
        self.path = path
        self.user_id = user_id
        self.epoch: str | None = None
        self.last_seq: int | None = None
        self.client_id = ""
        self.viewer_key: str | None = None
        self._versions: dict[str, int] = {}
        self._outbox: dict[str, OutboxEntry] = {}
        self._by_handoff: dict[str, list[OutboxEntry]] = {}
        self._attention_handoffs: dict[str, int] = {}
        self._unsaved: dict[str, OutboxEntry] = {}
        self._next_seq = 1
        # The hub's state of held handoffs, decoded (filled as they are read or written); the
        # same objects the deltas share with the UI, never mutated in place.
        self._states: dict[str, dict[str, Any]] = {}
        self._full_sync = True

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path | None, user_id: str, client_id: str | None = None
    ) -> tuple[Cache, list[str]]:
        """Open (or create) the cache at ``path``; returns it and human notices for the person.

        A damaged file (``PRAGMA quick_check``) or one written by a newer release is moved
        aside under a name with a timestamp, a new one is made (to be filled from the hub),
        and the readable outbox and attention rows of the old one are carried over. A file
        that cannot be opened at all leaves an in-memory cache for this session.
        """
        notices: list[str] = []
        salvaged: cache_db.Salvage | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                problem = cache_db.integrity_problem(path)
                if problem is not None:
                    salvaged, aside = cls._set_aside(path)
                    notices.append(
                        f"The local cache was damaged ({problem}). It was moved to {aside.name} "
                        f"and is being rebuilt from the hub; {len(salvaged.outbox)} unsent "
                        "action(s) were kept."
                    )
            except OSError as error:
                notices.append(cls._memory_notice(path, str(error)))
                path = None
        cache: Cache | None = None
        try:
            cache = cls._open_file(path, user_id, client_id)
        except _NewerSchema as newer:
            assert path is not None
            salvaged, aside = cls._set_aside(path)
            notices.append(
                f"The local cache was written by a newer Agent Desk (schema {newer.version}). It "
                f"was moved to {aside.name} and is being rebuilt from the hub; "
                f"{len(salvaged.outbox)} unsent action(s) were kept."
            )
            cache = cls._open_file(path, user_id, client_id)
        except (DBAPIError, OSError) as error:
            if path is None:
                raise
            notices.append(cls._memory_notice(path, str(getattr(error, "orig", error))))
            cache = cls._open_file(None, user_id, client_id)
        if salvaged is not None:
            cache._carry_over(salvaged)
        return cache, notices

    @staticmethod
    def _memory_notice(path: Path, detail: str) -> str:
        return (
            f"The local cache {path} cannot be used ({detail}). Agent Desk works from memory "
            "for this session: actions recorded while offline are lost if it closes."
        )

    @staticmethod
    def _set_aside(path: Path) -> tuple[cache_db.Salvage, Path]:
        salvaged = cache_db.salvage(path)
        aside = cache_db.move_aside(path)
        log.warning("moved a damaged cache aside to %s", aside)
        return salvaged, aside

    @classmethod
    def _open_file(cls, path: Path | None, user_id: str, client_id: str | None) -> Cache:
        engine = cache_db.open_engine(path)
        try:
            with engine.begin() as conn:
                HANDOFFS.metadata.create_all(conn)
                version = conn.execute(
                    select(META.c.value).where(META.c.key == "schema_version")
                ).scalar_one_or_none()
                if version is None:
                    conn.execute(
                        insert(META).values(key="schema_version", value=str(SCHEMA_VERSION))
                    )
                elif int(version) > SCHEMA_VERSION:
                    raise _NewerSchema(int(version))
                elif int(version) < SCHEMA_VERSION:
                    cache_db.migrate(conn, int(version), SCHEMA_VERSION)
                stored_id = conn.execute(
                    select(META.c.value).where(META.c.key == "client_id")
                ).scalar_one_or_none()
                if stored_id is None or (client_id and stored_id != client_id):
                    cache_db.put_meta(conn, {"client_id": client_id or uuid.uuid4().hex})
        except BaseException:
            engine.dispose()
            raise
        cache = cls(engine, path, user_id)
        cache._load()
        return cache

    def _carry_over(self, salvaged: cache_db.Salvage) -> None:
        try:
            with self._engine.begin() as conn:
                for row in salvaged.outbox:
                    conn.execute(
                        insert(OUTBOX).values(
                            seq=row["seq"],
                            request_id=row["request_id"],
                            kind=row["kind"],
                            handoff_id=row["handoff_id"],
                            payload=row["payload"],
                            created_at=row["created_at"],
                            state="sent",  # it may have reached the hub: same id, no harm
                        )
                    )
                if salvaged.attention:
                    conn.execute(insert(ATTENTION), salvaged.attention)
        except DBAPIError as error:
            log.error("could not carry the salvaged outbox over: %s", error.orig)
            for row in salvaged.outbox:
                entry = entry_from_row(row, persisted=False)
                self._unsaved[entry.request_id] = entry
        self._load()

    def _load(self) -> None:
        """(Re)build every in-memory index from the file, keeping unsaved entries."""
        with self._engine.connect() as conn:
            meta = {r.key: r.value for r in conn.execute(select(META.c.key, META.c.value))}
            self._versions = {
                r.id: int(r.version)
                for r in conn.execute(select(HANDOFFS.c.id, HANDOFFS.c.version))
            }
            rows = conn.execute(select(OUTBOX).order_by(OUTBOX.c.seq)).mappings().all()
            attention = conn.execute(select(ATTENTION.c.handoff_id)).all()
        self.epoch = meta.get("epoch")
        self.last_seq = int(meta["last_seq"]) if meta.get("last_seq") else None
        self.client_id = meta.get("client_id", "")
        self.viewer_key = meta.get("viewer")
        entries = [entry_from_row(r) for r in rows]
        saved_ids = {e.request_id for e in entries}
        entries += [e for e in self._unsaved.values() if e.request_id not in saved_ids]
        entries.sort(key=lambda e: e.seq)
        self._outbox = {e.request_id: e for e in entries}
        self._by_handoff = {}
        for entry in entries:
            if entry.handoff_id is not None:
                self._by_handoff.setdefault(entry.handoff_id, []).append(entry)
        self._attention_handoffs = {}
        for (handoff_id,) in attention:
            if handoff_id is not None:
                self._attention_handoffs[handoff_id] = (
                    self._attention_handoffs.get(handoff_id, 0) + 1
                )
        self._next_seq = max((e.seq for e in entries), default=0) + 1
        self._states = {}

    def close(self) -> None:
        self._engine.dispose()

    # -- reads ---------------------------------------------------------------------------

    def sync_state(self, handoff_id: str) -> SyncState:
        if self._by_handoff.get(handoff_id):
            return SyncState.PENDING
        if self._attention_handoffs.get(handoff_id):
            return SyncState.ATTENTION
        return SyncState.SYNCED

    def _shown(self, handoff: Mapping[str, Any]) -> Handoff:
        return MappingProxyType({**handoff, "_sync": self.sync_state(str(handoff["id"])).value})

    def held(self) -> list[Handoff]:
        """Every handoff held, as the person sees it, in rank order."""
        with self._engine.connect() as conn:
            found = [json.loads(r.data) for r in conn.execute(select(HANDOFFS.c.data))]
        found.sort(key=rank_key)
        return [self._shown(h) for h in found]

    def get(self, handoff_id: str) -> Handoff | None:
        """One held handoff as the person sees it, or None."""
        with self._engine.connect() as conn:
            data = conn.execute(select(HANDOFFS.c.data).where(HANDOFFS.c.id == handoff_id)).scalar()
        return self._shown(json.loads(data)) if data is not None else None

    def holds(self, handoff_id: str) -> bool:
        return handoff_id in self._versions

    def outbox(self) -> list[OutboxEntry]:
        """Entries not yet answered by the hub, in recording order."""
        return list(self._outbox.values())

    def entry(self, request_id: str) -> OutboxEntry | None:
        return self._outbox.get(request_id)

    @property
    def pending(self) -> int:
        return len(self._outbox)

    @property
    def unsaved(self) -> int:
        """Entries that exist only in memory because the file could not be written."""
        return len(self._unsaved)

    def attention(self) -> tuple[AttentionItem, ...]:
        """Every "needs attention" item, oldest first."""
        with self._engine.connect() as conn:
            rows = (
                conn.execute(select(ATTENTION).order_by(literal_column("rowid"))).mappings().all()
            )
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

    def _hub_state(self, conn: Connection, handoff_id: str) -> dict[str, Any] | None:
        known = self._states.get(handoff_id)
        if known is not None:
            return known
        row = conn.execute(
            select(HANDOFFS.c.data, HANDOFFS.c.base).where(HANDOFFS.c.id == handoff_id)
        ).first()
        if row is None:
            return None
        state: dict[str, Any] = json.loads(row.base if row.base is not None else row.data)
        self._remember(handoff_id, state)
        return state

    def _remember(self, handoff_id: str, state: dict[str, Any]) -> None:
        if len(self._states) >= MAX_REMEMBERED and handoff_id not in self._states:
            self._states.clear()  # rare: more held than remembered; re-read on demand
        self._states[handoff_id] = state

    def _durability(self, full: bool) -> None:
        """FULL: a commit survives a power loss (what the person records); NORMAL: survives a
        crash of this program, enough for what the hub can send again (events, snapshots)."""
        if full != self._full_sync:
            raw = self._engine.raw_connection()  # outside any transaction: SQLite requires it
            try:
                raw.driver_connection.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
            finally:
                raw.close()
            self._full_sync = full

    # -- writes: meta --------------------------------------------------------------------

    def _write(self, work: Callable[[Connection], Any]) -> Any:
        try:
            self._durability(full=True)
            with self._engine.begin() as conn:
                return work(conn)
        except DBAPIError as error:
            self._failed(error)

    def _failed(self, error: DBAPIError) -> NoReturn:
        reason = cache_db.write_failure(error) or f"a database error: {error.orig}"
        log.error("local cache write failed: %s", reason)
        try:
            self._load()
        except DBAPIError as reload_error:
            log.error("could not re-read the local cache: %s", reload_error.orig)
        raise CacheWriteError(reason) from None

    # -- writes: what the person records ---------------------------------------------------

    def record(self, entry: OutboxEntry) -> tuple[Handoff | None, str | None]:
        """Store a new request and its optimistic change in one transaction.

        Returns the handoff as it now looks (None for presence) and, when the file could not
        be written, the reason: the entry is then kept in memory (it is still sent, and
        :meth:`save_unsaved` writes it later).

        Raises:
            RequestRefused: the handoff is not held, or the change would make it too large.
        """
        entry = replace(entry, seq=self._next_seq, persisted=True)
        shown: dict[str, Any] | None = None
        hub: dict[str, Any] | None = None
        if entry.handoff_id is not None:
            with self._engine.connect() as conn:
                hub = self._hub_state(conn, entry.handoff_id)
            if hub is None:
                raise RequestRefused("this handoff is no longer in your list")
            shown = replay(hub, [*self._by_handoff.get(entry.handoff_id, []), entry], self.user_id)
            check_handoff_size(shown)

        def work(conn: Connection) -> None:
            conn.execute(insert(OUTBOX).values(self._outbox_row(entry)))
            if shown is not None and hub is not None:
                cache_db.upsert_handoffs(conn, [_handoff_row(shown, hub, encode(hub))])

        reason: str | None = None
        try:
            self._durability(full=True)
            with self._engine.begin() as conn:
                work(conn)
        except DBAPIError as error:
            reason = cache_db.write_failure(error) or f"a database error: {error.orig}"
            log.error("could not save a recorded %s: %s; kept in memory", entry.kind, reason)
            entry = replace(entry, persisted=False)
            self._unsaved[entry.request_id] = entry
        self._next_seq += 1
        self._add_entry(entry)
        return (self._shown(shown) if shown is not None else None), reason

    def _outbox_row(self, entry: OutboxEntry) -> dict[str, Any]:
        return {
            "seq": entry.seq,
            "request_id": entry.request_id,
            "kind": entry.kind,
            "handoff_id": entry.handoff_id,
            "payload": entry.payload_json(),
            "created_at": entry.created_at,
            "state": "pending",
        }

    def _add_entry(self, entry: OutboxEntry) -> None:
        self._outbox[entry.request_id] = entry
        if entry.handoff_id is not None:
            self._by_handoff.setdefault(entry.handoff_id, []).append(entry)

    def _drop_entry(self, entry: OutboxEntry) -> None:
        self._outbox.pop(entry.request_id, None)
        if entry.handoff_id is not None:
            lane = [
                e
                for e in self._by_handoff.get(entry.handoff_id, [])
                if e.request_id != entry.request_id
            ]
            if lane:
                self._by_handoff[entry.handoff_id] = lane
            else:
                self._by_handoff.pop(entry.handoff_id, None)

    def save_unsaved(self) -> int:
        """Write entries kept only in memory; returns how many were saved.

        Raises:
            CacheWriteError: still cannot write (they stay in memory).
        """
        waiting = [e for e in self._unsaved.values() if e.request_id in self._outbox]
        if not waiting:
            self._unsaved.clear()
            return 0

        def work(conn: Connection) -> None:
            existing = {r[0] for r in conn.execute(select(OUTBOX.c.request_id))}
            for entry in waiting:
                if entry.request_id not in existing:
                    conn.execute(insert(OUTBOX).values(self._outbox_row(entry)))
            for handoff_id in {e.handoff_id for e in waiting if e.handoff_id is not None}:
                hub = self._hub_state(conn, handoff_id)
                if hub is not None:
                    shown = replay(hub, self._by_handoff.get(handoff_id, []), self.user_id)
                    cache_db.upsert_handoffs(conn, [_handoff_row(shown, hub, encode(hub))])

        self._write(work)
        for entry in waiting:
            saved = replace(entry, persisted=True)
            self._drop_entry(entry)
            self._add_entry(saved)
        # keep recording order after the swap
        self._outbox = dict(sorted(self._outbox.items(), key=lambda kv: kv[1].seq))
        for lane in self._by_handoff.values():
            lane.sort(key=lambda e: e.seq)
        self._unsaved.clear()
        return len(waiting)

    def mark_sent(self, request_ids: Iterable[str]) -> None:
        """Note that requests went out at least once (best effort: only informative)."""
        ids = [i for i in request_ids if (e := self._outbox.get(i)) is not None and e.persisted]
        if not ids:
            return
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    update(OUTBOX).where(OUTBOX.c.request_id.in_(ids)).values(state="sent")
                )
        except DBAPIError as error:
            log.warning("could not mark %d request(s) as sent: %s", len(ids), error.orig)

    # -- writes: attention -----------------------------------------------------------------

    def dismiss(self, request_id: str) -> Mapping[str, Any] | None:
        """Remove an attention item; returns its row (kind, handoff_id, payload) or None.

        Raises:
            CacheWriteError: the file cannot be written.
        """

        def work(conn: Connection) -> Mapping[str, Any] | None:
            row = (
                conn.execute(select(ATTENTION).where(ATTENTION.c.request_id == request_id))
                .mappings()
                .first()
            )
            if row is None:
                return None
            conn.execute(delete(ATTENTION).where(ATTENTION.c.request_id == request_id))
            return dict(row)

        row: Mapping[str, Any] | None = self._write(work)
        if row is not None and row["handoff_id"] is not None:
            left = self._attention_handoffs.get(row["handoff_id"], 0) - 1
            if left > 0:
                self._attention_handoffs[row["handoff_id"]] = left
            else:
                self._attention_handoffs.pop(row["handoff_id"], None)
        return row

    # -- writes: hub frames ----------------------------------------------------------------

    def apply_batch(self, items: Sequence[BatchItem], viewer: Viewer) -> BatchOutcome:
        """Apply hub frames in order, in one transaction, with ``last_seq``.

        Raises:
            CacheWriteError: nothing was applied (the memory indexes are re-read from the file).
        """
        batch = _Batch(viewer)
        self._durability(full=any(isinstance(i, AnswerItem) for i in items))
        try:
            with self._engine.begin() as conn:
                for item in items:
                    if isinstance(item, EventItem):
                        self._event(conn, item.frame, batch, item.data_text)
                    elif isinstance(item, AnswerItem):
                        self._answer(conn, item, batch)
                    elif isinstance(item, SnapshotItem):
                        self._snapshot(conn, item, batch)
                    else:
                        batch.last_seq = None
                        batch.meta.update(epoch=item.epoch, last_seq=str(item.seq))
                self._flush(conn, batch)
                if batch.last_seq is not None:
                    batch.meta["last_seq"] = str(batch.last_seq)
                cache_db.put_meta(conn, batch.meta)
        except DBAPIError as error:
            self._failed(error)
        if "last_seq" in batch.meta:
            self.last_seq = int(batch.meta["last_seq"])
        self.epoch = batch.meta.get("epoch", self.epoch)
        self.viewer_key = batch.meta.get("viewer", self.viewer_key)
        for request_id in batch.settled_unsaved:
            self._unsaved.pop(request_id, None)
        batch.outcome.delta = batch.delta.build(self._shown)
        return batch.outcome

    def _flush(self, conn: Connection, batch: _Batch) -> None:
        if batch.appends:
            cache_db.append_messages(
                conn,
                [
                    (hid, text, version)
                    for hid, added in batch.appends.items()
                    for text, version in added
                ],
            )
            batch.appends.clear()
        if batch.deletes:
            conn.execute(
                delete(HANDOFFS).where(HANDOFFS.c.id == bindparam("hid")),
                [{"hid": i} for i in batch.deletes],
            )
            batch.deletes.clear()
        if batch.upserts:
            cache_db.upsert_handoffs(
                conn, [_handoff_row(h, h, None, t) for h, t in batch.upserts.values()]
            )
            batch.upserts.clear()

    def _event(
        self,
        conn: Connection,
        frame: Mapping[str, Any],
        batch: _Batch,
        data_text: str | None = None,
    ) -> None:
        seq = frame.get("seq")
        if isinstance(seq, int):
            batch.last_seq = seq
        kind, data = frame.get("kind"), frame.get("data")
        if not isinstance(data, dict):
            return
        if kind in (EventKind.HANDOFF_CREATED, EventKind.HANDOFF_UPDATED):
            if isinstance(data.get("id"), str):
                self._hub_handoff(conn, data, batch, data_text)
        elif kind == EventKind.MESSAGE_ADDED:
            self._message(conn, data, batch)
        elif kind == EventKind.PRESENCE_CHANGED:
            batch.outcome.presence.append(data)

    def _hub_handoff(
        self, conn: Connection, hub: dict[str, Any], batch: _Batch, data_text: str | None = None
    ) -> None:
        """A newer hub state of a handoff: store it (when visible or pending) or drop it."""
        handoff_id = hub["id"]
        known = self._versions.get(handoff_id)
        if known is not None and _version(hub) <= known:
            return  # applied already, or older than what is held
        self._put(conn, handoff_id, hub, batch, data_text)

    def _put(
        self,
        conn: Connection,
        handoff_id: str,
        hub: dict[str, Any],
        batch: _Batch,
        data_text: str | None = None,
        appended: Mapping[str, Any] | None = None,
    ) -> None:
        """Store the hub's new state of a handoff, or drop the handoff when it is no longer seen.

        ``data_text`` is ``hub`` as JSON when known; ``appended`` says the only change is this
        message (then the row is updated in place, without writing the whole handoff again).
        """
        lane = self._by_handoff.get(handoff_id)
        version = hub.get("version", 0)
        if lane:
            self._remember(handoff_id, hub)
            batch.upserts.pop(handoff_id, None)
            batch.appends.pop(handoff_id, None)  # the row written now holds them
            batch.deletes.discard(handoff_id)
            shown = replay(hub, lane, self.user_id)
            cache_db.upsert_handoffs(conn, [_handoff_row(shown, hub, encode(hub))])
            self._versions[handoff_id] = version
            batch.delta.upsert(handoff_id, shown)
        elif can_see(batch.viewer, hub):
            self._remember(handoff_id, hub)
            if (
                appended is not None
                and handoff_id not in batch.upserts
                and handoff_id in self._versions
            ):
                batch.appends.setdefault(handoff_id, []).append((encode(dict(appended)), version))
            else:
                batch.deletes.discard(handoff_id)
                batch.appends.pop(handoff_id, None)  # the whole handoff is written instead
                batch.upserts[handoff_id] = (hub, data_text)
            self._versions[handoff_id] = version
            batch.delta.upsert(handoff_id, hub)
        elif self._versions.pop(handoff_id, None) is not None:
            self._states.pop(handoff_id, None)
            batch.upserts.pop(handoff_id, None)
            batch.appends.pop(handoff_id, None)
            batch.deletes.add(handoff_id)
            batch.delta.remove(handoff_id)

    def _current_hub(self, conn: Connection, handoff_id: str) -> dict[str, Any] | None:
        if handoff_id not in self._versions:
            return None
        return self._hub_state(conn, handoff_id)

    def _message(self, conn: Connection, data: Mapping[str, Any], batch: _Batch) -> None:
        handoff_id, version, message = (
            data.get("handoff_id"),
            data.get("version"),
            data.get("message"),
        )
        if (
            not isinstance(handoff_id, str)
            or not isinstance(version, int)
            or not isinstance(message, dict)
        ):
            return
        known = self._versions.get(handoff_id)
        if known is None or version <= known:
            return
        current = self._current_hub(conn, handoff_id)
        if current is None:
            return
        after = dict(current)
        after["transcript"] = [*current.get("transcript", []), message]
        after["version"] = version
        self._put(conn, handoff_id, after, batch, appended=message)

    def _snapshot(self, conn: Connection, item: SnapshotItem, batch: _Batch) -> None:
        batch.upserts.clear()
        batch.appends.clear()
        batch.deletes.clear()
        batch.delta.start_reset()
        keep = [hid for hid in self._by_handoff if hid in self._versions]
        conn.execute(delete(HANDOFFS).where(HANDOFFS.c.id.not_in(keep)))
        kept = {hid: self._hub_state(conn, hid) for hid in keep}
        self._versions = {hid: self._versions[hid] for hid in keep}
        self._states = {hid: state for hid, state in kept.items() if state is not None}
        for hub in item.handoffs:
            handoff_id = hub.get("id")
            if not isinstance(handoff_id, str):
                continue
            kept.pop(handoff_id, None)
            self._versions.pop(handoff_id, None)
            self._put(conn, handoff_id, hub, batch)
        for handoff_id, state in kept.items():  # pending changes to handoffs the hub did not send
            if state is not None:
                self._versions.pop(handoff_id, None)
                self._put(conn, handoff_id, state, batch)
        batch.last_seq = None
        batch.meta.update(epoch=item.epoch, last_seq=str(item.seq), viewer=item.viewer_key)

    def _answer(self, conn: Connection, item: AnswerItem, batch: _Batch) -> None:
        entry, frame = item.entry, item.frame
        if entry.request_id not in self._outbox:
            return
        self._drop_entry(entry)
        if entry.persisted:
            conn.execute(delete(OUTBOX).where(OUTBOX.c.request_id == entry.request_id))
        else:
            batch.settled_unsaved.append(entry.request_id)
        batch.outcome.answered.append(item)
        data = frame.get("data")
        hub = data.get("handoff") if isinstance(data, dict) else None
        hub = hub if isinstance(hub, dict) and isinstance(hub.get("id"), str) else None
        if not frame.get("ok"):
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
            batch.outcome.attention_changed = True
            if entry.handoff_id is not None:
                self._attention_handoffs[entry.handoff_id] = (
                    self._attention_handoffs.get(entry.handoff_id, 0) + 1
                )
        if entry.handoff_id is None:
            return
        current = self._current_hub(conn, entry.handoff_id)
        base = hub if hub is not None and _version(hub) >= _version(current) else current
        if base is None:
            return
        self._put(conn, entry.handoff_id, base, batch)

    # -- fault injection (tests) -----------------------------------------------------------

    def limit_pages(self, extra_pages: int | None) -> None:
        """Let the file grow by only ``extra_pages`` pages (None: no limit); simulates a full disk."""
        with self._engine.connect() as conn:
            cache_db.set_page_limit(conn, extra_pages)


class _NewerSchema(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(f"schema {version}")
        self.version = version
