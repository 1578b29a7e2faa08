"""The local cache: the handoffs this user holds, the outbox, "needs attention", epoch and seq.

One :class:`Cache` belongs to one engine thread (it is not thread-safe; only the commit of a
staged batch may run on another thread, and every other method waits for it). Every change is
one SQLite transaction: a batch of hub frames (events, a whole snapshot, results) together
with ``last_seq``; a recorded request together with its optimistic local change. Bulk writes
are SQLAlchemy Core statements on the SQLModel tables, run with executemany (``cache_db``).
Small in-memory indexes (versions held, the decoded hub states, the outbox by handoff) keep
the hot path free of reads; they are rebuilt from the file whenever a transaction fails.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from sqlalchemy import Connection, delete, func, insert, literal_column, select, update
from sqlalchemy.exc import DBAPIError

from agent_desk.client import cache_db
from agent_desk.client.cache_models import (
    ATTENTION,
    HANDOFFS,
    MESSAGES,
    META,
    OUTBOX,
    SCHEMA_VERSION,
)
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
#: ``protocol.messages.encode`` with its encoder made once (a burst encodes every message).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

#: Hub states of held handoffs kept decoded in memory at most (beyond it they are re-read).
MAX_REMEMBERED = 50_000
_SYNCED, _PENDING, _ATTENTION = (
    SyncState.SYNCED.value,
    SyncState.PENDING.value,
    SyncState.ATTENTION.value,
)
_MESSAGE_KEYS = ("handoff_id", "version", "message")
_CREATED, _UPDATED, _MESSAGE, _PRESENCE = (
    EventKind.HANDOFF_CREATED.value,
    EventKind.HANDOFF_UPDATED.value,
    EventKind.MESSAGE_ADDED.value,
    EventKind.PRESENCE_CHANGED.value,
)


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
    (stored as is, which spares encoding the handoff or the chat message again)."""

    frame: Mapping[str, Any]
    data_text: str | None = None


@dataclass(frozen=True, slots=True)
class EventRun:
    """Event frames in a row, as :class:`EventItem` each, without an object per frame (the
    engine's form: a burst is thousands of them). ``data_texts`` is None or one per frame."""

    frames: Sequence[Mapping[str, Any]]
    data_texts: Sequence[str | None] | None = None


@dataclass(frozen=True, slots=True)
class EventStream:
    """Event frames decoded while the batch is applied, one :class:`EventRun` at a time (the
    engine's form in a burst). Decoding a short run just before applying it keeps its
    objects in the processor's cache, and the frames of each run are freed before the next
    is decoded: a burst decoded whole first, then applied, took a third longer."""

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


class DeltaBuilder:
    """Merges the changes of one batch into one :class:`HandoffDelta` (last state wins)."""

    def __init__(self) -> None:
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
        self.items.pop(handoff_id, None)
        if not self.reset:
            self.items[handoff_id] = None

    def start_reset(self) -> None:
        self.items.clear()
        self.reset = True

    def build(self, shown: Callable[[Mapping[str, Any]], Handoff]) -> HandoffDelta | None:
        """The delta, each handoff passed through ``shown`` (which adds its sync state)."""
        if not self.items and not self.reset:
            return None
        upserts = tuple(shown(h) for h in self.items.values() if h is not None)
        removed = tuple(k for k, h in self.items.items() if h is None)
        return HandoffDelta(upserts=upserts, removed=removed, reset=self.reset)


@dataclass
class _Batch:
    viewer: Viewer
    delta: DeltaBuilder = field(default_factory=DeltaBuilder)
    # writes made at the end of the batch (_flush), the last state of each handoff: whole
    # handoffs (state, its JSON text when known) ...
    upserts: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    # ... and chat messages added since (rows of ``messages``): id -> [(message, version)]
    appends: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)
    meta: dict[str, str] = field(default_factory=dict)
    last_seq: int | None = None  # of the last event applied (written to meta once, at the end)
    written: int = 0  # about how much the WAL grows by (for the checkpointer)
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    settled_unsaved: list[str] = field(default_factory=list)


class StagedBatch:
    """A batch applied but not yet committed (:meth:`Cache.stage_batch`)."""

    def __init__(self, batch: _Batch, conn: Connection, transaction: Any) -> None:
        self.batch = batch
        self.error: DBAPIError | None = None
        self.done = threading.Event()
        self._conn = conn
        self._transaction = transaction

    def commit(self) -> None:
        """Commit the batch's transaction; from any thread, once. A failure is kept in
        :attr:`error` (the transaction is rolled back) and reported by ``finish_batch``."""
        try:
            self._transaction.commit()
        except DBAPIError as error:
            self.error = error
        finally:
            try:
                self._conn.close()  # back to the pool; rolls back what was not committed
            finally:
                self.done.set()


def _handoff_row(
    shown: Mapping[str, Any], hub: Mapping[str, Any], base: str | None, data_text: str | None = None
) -> tuple[Any, ...]:
    """A handoffs row, a tuple in ``HANDOFF_COLUMNS`` order (what ``upsert_handoffs`` takes)."""
    if data_text is None:
        data_text = encode(shown if isinstance(shown, dict) else dict(shown))
    get = shown.get
    return (
        shown["id"],
        str(get("status", "")),
        str(get("queue", "")),
        get("assignee"),
        int(get("priority", 4)),
        TIER_RANK.get(str(get("tier", "standard")), 2),
        str(get("escalated_at", "")),
        get("resolved_at"),
        int(hub.get("version", 0)),
        data_text,
        base,
    )


def _message_text(data: Mapping[str, Any], data_text: str | None) -> str:
    """The JSON text of a ``message.added`` event's message: cut out of the text of ``data``
    when it has the hub's layout (exactly ``handoff_id``, ``version``, ``message``, in this
    order: then the first ``"message":`` is that key, as what precedes it is a string, where
    a quote is always escaped, and a number), else encoded."""
    if data_text is not None and tuple(data) == _MESSAGE_KEYS and data_text.endswith("}}"):
        start = data_text.find('"message":{')
        if start > 0:
            return data_text[start + 10 : -1]
    return _ENCODER.encode(data["message"])


def _with_tail(state: dict[str, Any], tail: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """A handoff's stored state with its added messages (``messages`` rows) appended."""
    state["transcript"] = [*state.get("transcript", []), *(json.loads(m) for _, m in tail)]
    state["version"] = tail[-1][0]
    return state


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
        self._checkpointer = cache_db.Checkpointer(path) if path is not None else None
        self._staged: StagedBatch | None = None  # a batch whose commit may still be running
        # Held handoffs with rows in ``messages`` (added since the handoff was written whole).
        self._tails: set[str] = set()

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None, user_id: str, client_id: str | None = None) -> tuple[Cache, list[str]]:
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
                version = conn.execute(select(META.c.value).where(META.c.key == "schema_version")).scalar_one_or_none()
                if version is None:
                    conn.execute(insert(META).values(key="schema_version", value=str(SCHEMA_VERSION)))
                elif int(version) > SCHEMA_VERSION:
                    raise _NewerSchema(int(version))
                elif int(version) < SCHEMA_VERSION:
                    cache_db.migrate(conn, int(version), SCHEMA_VERSION)
                stored_id = conn.execute(select(META.c.value).where(META.c.key == "client_id")).scalar_one_or_none()
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
            with self._db.begin() as conn:
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
        with self._db.connect() as conn:
            meta = {r.key: r.value for r in conn.execute(select(META.c.key, META.c.value))}
            self._versions = {r.id: int(r.version) for r in conn.execute(select(HANDOFFS.c.id, HANDOFFS.c.version))}
            tails = conn.execute(
                select(MESSAGES.c.handoff_id, func.max(MESSAGES.c.version)).group_by(MESSAGES.c.handoff_id)
            ).all()
            rows = conn.execute(select(OUTBOX).order_by(OUTBOX.c.seq)).mappings().all()
            attention = conn.execute(select(ATTENTION.c.handoff_id)).all()
        self._tails = set()
        for handoff_id, version in tails:
            if handoff_id in self._versions:
                self._tails.add(handoff_id)
                self._versions[handoff_id] = max(self._versions[handoff_id], int(version))
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
                self._attention_handoffs[handoff_id] = self._attention_handoffs.get(handoff_id, 0) + 1
        self._next_seq = max((e.seq for e in entries), default=0) + 1
        self._states = {}

    @property
    def _db(self) -> Any:
        """The SQLAlchemy engine of the file, once a batch still committing on another thread
        is done (:meth:`stage_batch`): the file has one connection, never used by two threads
        at once."""
        self._settle()
        return self._engine

    def close(self) -> None:
        self._settle()
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._db.dispose()

    # -- reads ---------------------------------------------------------------------------

    def sync_state(self, handoff_id: str) -> SyncState:
        if self._by_handoff.get(handoff_id):
            return SyncState.PENDING
        if self._attention_handoffs.get(handoff_id):
            return SyncState.ATTENTION
        return SyncState.SYNCED

    def _shown(self, handoff: Mapping[str, Any]) -> Handoff:
        handoff_id = handoff["id"]
        if self._by_handoff.get(handoff_id):
            sync = _PENDING
        elif self._attention_handoffs.get(handoff_id):
            sync = _ATTENTION
        else:
            sync = _SYNCED
        return MappingProxyType({**handoff, "_sync": sync})

    def held(self) -> list[Handoff]:
        """Every handoff held, as the person sees it, in rank order."""
        with self._db.connect() as conn:
            found = [json.loads(r.data) for r in conn.execute(select(HANDOFFS.c.data))]
            tails = self._read_tails(conn, None) if self._tails else {}
        if tails:
            found = [_with_tail(h, tails[h["id"]]) if h["id"] in tails else h for h in found]
        found.sort(key=rank_key)
        return [self._shown(h) for h in found]

    def get(self, handoff_id: str) -> Handoff | None:
        """One held handoff as the person sees it, or None."""
        with self._db.connect() as conn:
            data = conn.execute(select(HANDOFFS.c.data).where(HANDOFFS.c.id == handoff_id)).scalar()
            tail = self._read_tails(conn, handoff_id).get(handoff_id)
        if data is None:
            return None
        found = json.loads(data)
        return self._shown(_with_tail(found, tail) if tail else found)

    def _read_tails(self, conn: Connection, handoff_id: str | None) -> dict[str, list[tuple[int, str]]]:
        """The rows of ``messages`` (of one handoff, or all), by handoff, in order."""
        if handoff_id is not None and handoff_id not in self._tails:
            return {}
        query = select(MESSAGES.c.handoff_id, MESSAGES.c.version, MESSAGES.c.message)
        if handoff_id is not None:
            query = query.where(MESSAGES.c.handoff_id == handoff_id)
        tails: dict[str, list[tuple[int, str]]] = {}
        for row in conn.execute(query.order_by(MESSAGES.c.seq)):
            tails.setdefault(row.handoff_id, []).append((row.version, row.message))
        return tails

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
        with self._db.connect() as conn:
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

    def _hub_state(self, conn: Connection, handoff_id: str) -> dict[str, Any] | None:
        known = self._states.get(handoff_id)
        if known is not None:
            return known
        row = conn.execute(select(HANDOFFS.c.data, HANDOFFS.c.base).where(HANDOFFS.c.id == handoff_id)).first()
        if row is None:
            return None
        state: dict[str, Any] = json.loads(row.base if row.base is not None else row.data)
        tail = self._read_tails(conn, handoff_id).get(handoff_id)
        if tail:
            state = _with_tail(state, tail)
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
            raw = self._db.raw_connection()  # outside any transaction: SQLite requires it
            try:
                raw.driver_connection.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
            finally:
                raw.close()
            self._full_sync = full

    # -- writes: meta --------------------------------------------------------------------

    def _write(self, work: Callable[[Connection], Any]) -> Any:
        try:
            self._durability(full=True)
            with self._db.begin() as conn:
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
        self._settle()
        entry = replace(entry, seq=self._next_seq, persisted=True)
        shown: dict[str, Any] | None = None
        hub: dict[str, Any] | None = None
        if entry.handoff_id is not None:
            with self._db.connect() as conn:
                hub = self._hub_state(conn, entry.handoff_id)
            if hub is None:
                raise RequestRefused("this handoff is no longer in your list")
            shown = replay(hub, [*self._by_handoff.get(entry.handoff_id, []), entry], self.user_id)
            check_handoff_size(shown)

        def work(conn: Connection) -> None:
            conn.execute(insert(OUTBOX).values(self._outbox_row(entry)))
            if shown is not None and hub is not None:
                self._write_whole(conn, [_handoff_row(shown, hub, encode(hub))])

        reason: str | None = None
        try:
            self._durability(full=True)
            with self._db.begin() as conn:
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
            lane = [e for e in self._by_handoff.get(entry.handoff_id, []) if e.request_id != entry.request_id]
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
                    self._write_whole(conn, [_handoff_row(shown, hub, encode(hub))])

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
        self._settle()
        ids = [i for i in request_ids if (e := self._outbox.get(i)) is not None and e.persisted]
        if not ids:
            return
        try:
            with self._db.begin() as conn:
                conn.execute(update(OUTBOX).where(OUTBOX.c.request_id.in_(ids)).values(state="sent"))
        except DBAPIError as error:
            log.warning("could not mark %d request(s) as sent: %s", len(ids), error.orig)

    # -- writes: attention -----------------------------------------------------------------

    def dismiss(self, request_id: str) -> Mapping[str, Any] | None:
        """Remove an attention item; returns its row (kind, handoff_id, payload) or None.

        Raises:
            CacheWriteError: the file cannot be written.
        """

        def work(conn: Connection) -> Mapping[str, Any] | None:
            row = conn.execute(select(ATTENTION).where(ATTENTION.c.request_id == request_id)).mappings().first()
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
        staged = self.stage_batch(items, viewer)
        staged.commit()
        return self.finish_batch(staged)

    def stage_batch(self, items: Sequence[BatchItem], viewer: Viewer) -> StagedBatch:
        """:meth:`apply_batch` up to its commit: every statement is run, the transaction is
        left open, and the memory indexes already show the batch.

        The returned batch must be committed (:meth:`StagedBatch.commit`, on any thread: the
        engine runs it on a helper thread, as SQLite commits without the interpreter lock,
        while its own thread reads the next frames) and then passed to :meth:`finish_batch`.
        Until the commit is done every other method of the cache waits for it first.

        Raises:
            CacheWriteError: nothing was applied (the memory indexes are re-read from the file).
        """
        self._settle()
        batch = _Batch(viewer)
        self._durability(full=any(isinstance(i, AnswerItem) for i in items))
        conn = self._db.connect()
        try:
            transaction = conn.begin()
            for item in items:
                if isinstance(item, EventStream):
                    for run in item.runs:
                        self._events(conn, run.frames, run.data_texts, batch)
                elif isinstance(item, EventRun):
                    self._events(conn, item.frames, item.data_texts, batch)
                elif isinstance(item, EventItem):
                    self._events(conn, (item.frame,), (item.data_text,), batch)
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
            conn.close()  # rolls the transaction back
            self._failed(error)
        except BaseException:
            conn.close()
            self._load()
            raise
        self._staged = StagedBatch(batch, conn, transaction)
        return self._staged

    def finish_batch(self, staged: StagedBatch) -> BatchOutcome:
        """What a committed batch changed (waits for the commit when it is still running).

        Raises:
            CacheWriteError: the commit failed; nothing was applied (the memory indexes are
                re-read from the file).
        """
        self._settle()
        if staged.error is not None:
            reason = cache_db.write_failure(staged.error) or f"a database error: {staged.error.orig}"
            raise CacheWriteError(reason)
        batch = staged.batch
        batch.outcome.delta = batch.delta.build(self._shown)
        return batch.outcome

    def _settle(self) -> None:
        """Wait for the commit of a staged batch, then bring the memory in line with it."""
        staged = self._staged
        if staged is None:
            return
        staged.done.wait()
        self._staged = None
        if staged.error is not None:
            log.error(
                "local cache write failed: %s",
                cache_db.write_failure(staged.error) or staged.error.orig,
            )
            try:
                self._load()
            except DBAPIError as reload_error:
                log.error("could not re-read the local cache: %s", reload_error.orig)
            return
        batch = staged.batch
        if self._checkpointer is not None:
            self._checkpointer.wrote(batch.written)
        if "last_seq" in batch.meta:
            self.last_seq = int(batch.meta["last_seq"])
        self.epoch = batch.meta.get("epoch", self.epoch)
        self.viewer_key = batch.meta.get("viewer", self.viewer_key)
        for request_id in batch.settled_unsaved:
            self._unsaved.pop(request_id, None)

    def _flush(self, conn: Connection, batch: _Batch) -> None:
        if batch.deletes:
            self._drop_tails(conn, batch.deletes)
            cache_db.delete_handoffs(conn, list(batch.deletes))
            batch.deletes.clear()
        if batch.upserts:
            rows = [_handoff_row(h, h, None, t) for h, t in batch.upserts.values()]
            self._write_whole(conn, rows)
            # a row rewrites its own page(s) of the file: what the WAL grows by
            page = cache_db.PAGE_BYTES
            batch.written += sum((len(r[9]) // page + 1) * page for r in rows)
            batch.upserts.clear()
        if batch.appends:
            added = [(hid, version, text) for hid, messages in batch.appends.items() for text, version in messages]
            cache_db.insert_messages(conn, added)
            self._tails.update(batch.appends)
            batch.written += sum(len(r[2]) + 64 for r in added)
            batch.appends.clear()

    def _write_whole(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write handoff rows whole: their added messages are in them now."""
        self._drop_tails(conn, [r[0] for r in rows])
        cache_db.upsert_handoffs(conn, rows)

    def _drop_tails(self, conn: Connection, handoff_ids: Iterable[str]) -> None:
        tails = self._tails
        if tails:
            dropped = [h for h in handoff_ids if h in tails]
            if dropped:
                cache_db.delete_messages(conn, dropped)
                tails.difference_update(dropped)

    def _events(
        self,
        conn: Connection,
        frames: Sequence[Mapping[str, Any]],
        data_texts: Sequence[str | None] | None,
        batch: _Batch,
    ) -> None:
        """Event frames in order (``data_texts``: their ``data`` JSON text when known).

        This runs for every event of a burst, so the common cases (a visible handoff without
        pending requests: a new state, or a chat message) are handled here in full, with
        what they use bound once per run. Everything else (a handoff with pending requests,
        one no longer seen) goes through :meth:`_put`, which does the same and more.
        """
        versions, states, lanes = self._versions, self._states, self._by_handoff
        upserts, appends, deletes = batch.upserts, batch.appends, batch.deletes
        shown = batch.delta.items
        viewer = batch.viewer
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
                    current = self._hub_state(conn, handoff_id)
                    if current is None:
                        continue
                after = dict(current)
                after["transcript"] = [*current.get("transcript", ()), message]
                after["version"] = version
                if handoff_id in lanes or not can_see(viewer, after):
                    self._put(conn, handoff_id, after, batch)
                    continue
                states[handoff_id] = after  # replaces the remembered state: no size check
                # a row in ``messages``, also when the handoff is written whole in this batch
                # (_flush adds messages after whole rows): no handoff JSON is encoded here
                text = _message_text(data, data_text)
                added = appends.get(handoff_id)
                if added is None:
                    appends[handoff_id] = [(text, version)]
                else:
                    added.append((text, version))
                versions[handoff_id] = version
                if handoff_id in shown:
                    del shown[handoff_id]  # re-inserted: the delta keeps the order of changes
                shown[handoff_id] = after
            elif kind in (_CREATED, _UPDATED):
                handoff_id = data.get("id")
                if type(handoff_id) is not str:
                    continue
                known = versions.get(handoff_id)
                if known is not None and _version(data) <= known:
                    continue  # applied already, or older than what is held
                if handoff_id in lanes or not can_see(viewer, data):
                    self._put(conn, handoff_id, data, batch, data_text)
                    continue
                if len(states) >= MAX_REMEMBERED and handoff_id not in states:
                    states.clear()  # rare: more held than remembered; re-read on demand
                states[handoff_id] = data
                if deletes:
                    deletes.discard(handoff_id)
                if handoff_id in appends:
                    del appends[handoff_id]  # the whole handoff is written instead
                upserts[handoff_id] = (data, data_text)
                versions[handoff_id] = data.get("version", 0)
                if handoff_id in shown:
                    del shown[handoff_id]
                shown[handoff_id] = data
            elif kind == _PRESENCE:
                batch.outcome.presence.append(data)
        batch.last_seq = last_seq

    def _put(
        self,
        conn: Connection,
        handoff_id: str,
        hub: dict[str, Any],
        batch: _Batch,
        data_text: str | None = None,
    ) -> None:
        """Store the hub's new state of a handoff, or drop the handoff when it is no longer seen.

        ``data_text`` is ``hub`` as JSON when known. (:meth:`_events` does the common cases
        itself, the same way.)
        """
        lane = self._by_handoff.get(handoff_id)
        version = hub.get("version", 0)
        if lane:
            self._remember(handoff_id, hub)
            batch.upserts.pop(handoff_id, None)
            batch.appends.pop(handoff_id, None)  # the row written now holds them
            batch.deletes.discard(handoff_id)
            shown = replay(hub, lane, self.user_id)
            self._write_whole(conn, [_handoff_row(shown, hub, encode(hub))])
            self._versions[handoff_id] = version
            batch.delta.upsert(handoff_id, shown)
        elif can_see(batch.viewer, hub):
            self._remember(handoff_id, hub)
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

    def _snapshot(self, conn: Connection, item: SnapshotItem, batch: _Batch) -> None:
        batch.upserts.clear()
        batch.appends.clear()
        batch.deletes.clear()
        batch.delta.start_reset()
        keep = [hid for hid in self._by_handoff if hid in self._versions]
        conn.execute(delete(HANDOFFS).where(HANDOFFS.c.id.not_in(keep)))
        kept = {hid: self._hub_state(conn, hid) for hid in keep}  # with their added messages
        conn.execute(delete(MESSAGES))  # every handoff kept is written whole below
        self._tails.clear()
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
                self._attention_handoffs[entry.handoff_id] = self._attention_handoffs.get(entry.handoff_id, 0) + 1
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
        with self._db.connect() as conn:
            cache_db.set_page_limit(conn, extra_pages)


class _NewerSchema(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(f"schema {version}")
        self.version = version
