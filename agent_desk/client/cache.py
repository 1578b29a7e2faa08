"""The local cache: the handoffs this user holds, the outbox, "needs attention", epoch and seq.

One :class:`Cache` belongs to one engine thread (it is not thread-safe; only the commit of a
staged batch may run on another thread, :mod:`agent_desk.client.commit_thread`, and every
other method waits for it). Every change is one SQLite transaction: a batch of hub frames
(events, a whole snapshot, results) together with ``last_seq``; a recorded request together
with its optimistic local change. Bulk writes are SQLAlchemy Core statements on the SQLModel
tables, run with executemany (``cache_db``).

The parts: :mod:`handoff_store` (the held handoffs), :mod:`outbox_store` (the outbox and
"needs attention"), :mod:`cache_apply` (what hub frames do to them), :mod:`cache_recovery`
(opening, and a file that cannot be used). Their in-memory indexes keep the hot path free of
reads; they are rebuilt from the file whenever a transaction fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from agent_desk.client import cache_db, cache_recovery
from agent_desk.client.batch import AnswerItem, Batch, BatchItem, BatchOutcome
from agent_desk.client.cache_apply import BatchApplier
from agent_desk.client.cache_models import DRAFTS, META
from agent_desk.client.commit_thread import StagedBatch
from agent_desk.client.handoff_store import HandoffStore, handoff_row
from agent_desk.client.handoff_view import HandoffView
from agent_desk.client.outbox import NotHeld, OutboxEntry, check_handoff_size, replay
from agent_desk.client.outbox_store import OutboxStore
from agent_desk.client.surface import AttentionItem, Handoff, Notice, SyncState
from agent_desk.protocol.messages import encode
from agent_desk.protocol.visibility import Viewer, rank_key

log = logging.getLogger(__name__)
T = TypeVar("T")

_SYNCED, _PENDING, _ATTENTION = (
    SyncState.SYNCED.value,
    SyncState.PENDING.value,
    SyncState.ATTENTION.value,
)


class CacheWriteError(Exception):
    """The cache could not be written (disk full, read-only, I/O error); nothing changed.

    Attributes:
        reason: human words, e.g. "the disk is full".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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

    def __init__(self, engine: Engine, path: Path | None, user_id: str, unsaved: Iterable[OutboxEntry] = ()) -> None:
        """A cache on the SQLAlchemy ``engine`` of ``path``; :meth:`open` makes it.

        Args:
            engine: the file's engine, its schema current (``cache_recovery``).
            path: the file (None: memory).
            user_id: whose cache it is.
            unsaved: recorded entries that exist only in memory (the file refused them).
        """
        self._engine = engine
        self.path = path
        self.user_id = user_id
        self.epoch: str | None = None
        self.last_seq: int | None = None
        self.client_id = ""
        self.viewer_key: str | None = None
        self._handoffs = HandoffStore()
        self._outbox = OutboxStore(unsaved)
        self._applier = BatchApplier(self._handoffs, self._outbox, user_id)
        self._full_sync = True
        self._checkpointer = cache_db.Checkpointer(path) if path is not None else None
        self._staged: StagedBatch | None = None  # a batch whose commit may still be running
        self._load()

    @classmethod
    def open(cls, path: Path | None, user_id: str, client_id: str | None = None) -> tuple[Cache, list[Notice]]:
        """Open (or create) the cache at ``path``; returns it and what to tell the person.

        A damaged file or one written by a newer release is set aside and rebuilt, keeping
        its readable outbox; a file that cannot be used at all leaves an in-memory cache
        (:mod:`agent_desk.client.cache_recovery`).
        """
        return cache_recovery.open_cache(cls, path, user_id, client_id)

    def _load(self) -> None:
        """(Re)build every in-memory index from the file, keeping unsaved entries."""
        with self._db.connect() as conn:
            meta = {r.key: r.value for r in conn.execute(select(META.c.key, META.c.value))}
            self._handoffs.load(conn)
            self._outbox.load(conn)
        self.epoch = meta.get("epoch")
        self.last_seq = int(meta["last_seq"]) if meta.get("last_seq") else None
        self.client_id = meta.get("client_id", "")
        self.viewer_key = meta.get("viewer")

    @property
    def _db(self) -> Engine:
        """The SQLAlchemy engine of the file, once a batch still committing is done.

        The file has one connection, never used by two threads at once: a batch staged by
        :meth:`stage_batch` may be committing on the commit thread, and is waited for here.
        """
        self._settle()
        return self._engine

    def close(self) -> None:
        """Wait for a commit still running, stop the checkpointer and close the file."""
        self._settle()
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._db.dispose()

    # -- reads ---------------------------------------------------------------------------

    def sync_state(self, handoff_id: str) -> SyncState:
        """Whether a handoff has requests pending, items needing attention, or neither."""
        return self._outbox.sync_state(handoff_id)

    def _shown(self, handoff: Mapping[str, Any]) -> Handoff:
        """``handoff`` as the person sees it: with its sync state, typed and read-only.

        The one place a handoff dict becomes a :class:`HandoffView` (the copy adds ``_sync``
        and is never changed again; the view itself copies and checks nothing).
        """
        handoff_id = handoff["id"]
        if self._outbox.lanes.get(handoff_id):
            sync = _PENDING
        elif self._outbox.attention_counts.get(handoff_id):
            sync = _ATTENTION
        else:
            sync = _SYNCED
        return HandoffView({**handoff, "_sync": sync})

    def held(self) -> list[Handoff]:
        """Every handoff held, as the person sees it, in rank order."""
        with self._db.connect() as conn:
            found = self._handoffs.read_all(conn)
        found.sort(key=rank_key)
        return [self._shown(h) for h in found]

    def get(self, handoff_id: str) -> Handoff | None:
        """One held handoff as the person sees it, or None."""
        with self._db.connect() as conn:
            found = self._handoffs.read(conn, handoff_id)
        return self._shown(found) if found is not None else None

    def holds(self, handoff_id: str) -> bool:
        """Whether the handoff is in the held set."""
        return handoff_id in self._handoffs.versions

    def outbox(self) -> list[OutboxEntry]:
        """Entries not yet answered by the hub, in recording order."""
        return list(self._outbox.entries.values())

    def entry(self, request_id: str) -> OutboxEntry | None:
        """The unanswered entry with this request id, or None."""
        return self._outbox.entries.get(request_id)

    @property
    def pending(self) -> int:
        """How many entries are not answered yet."""
        return len(self._outbox.entries)

    @property
    def unsaved(self) -> int:
        """Entries that exist only in memory because the file could not be written."""
        return len(self._outbox.unsaved)

    def attention(self) -> tuple[AttentionItem, ...]:
        """Every "needs attention" item, oldest first."""
        with self._db.connect() as conn:
            return self._outbox.attention_items(conn)

    # -- writing -------------------------------------------------------------------------

    def _durability(self, full: bool) -> None:
        """Set how durable the next commits are.

        FULL: a commit survives a power loss (what the person records); NORMAL: it survives
        a crash of this program, enough for what the hub can send again (events, snapshots).
        """
        if full != self._full_sync:
            raw = self._db.raw_connection()  # outside any transaction: SQLite requires it
            try:
                driver = raw.driver_connection
                assert driver is not None  # a pooled connection that is checked out
                driver.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
            finally:
                raw.close()
            self._full_sync = full

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction committed with FULL durability.

        Raises:
            CacheWriteError: it could not be written (the memory indexes are re-read).
        """
        try:
            self._durability(full=True)
            with self._db.begin() as conn:
                return work(conn)
        except DBAPIError as error:
            self._failed(error)

    def _failed(self, error: DBAPIError) -> NoReturn:
        """Re-read the memory indexes after a failed write and raise it in words."""
        reason = cache_db.write_failure(error) or f"a database error: {error.orig}"
        log.error("local cache write failed: %s", reason)
        try:
            self._load()
        except DBAPIError as reload_error:
            log.error("could not re-read the local cache: %s", reload_error.orig)
        raise CacheWriteError(reason) from None

    # -- what the person records -----------------------------------------------------------

    def record(self, entry: OutboxEntry) -> tuple[Handoff | None, str | None]:
        """Store a new request and its optimistic change in one transaction.

        Returns the handoff as it now looks (None for presence) and, when the file could not
        be written, the reason: the entry is then kept in memory (it is still sent, and
        :meth:`save_unsaved` writes it later).

        Raises:
            RequestRefused: the handoff is not held, or the change would make it too large.
        """
        self._settle()
        outbox, handoffs = self._outbox, self._handoffs
        entry = replace(entry, seq=outbox.next_seq, persisted=True)
        shown: dict[str, Any] | None = None
        hub: dict[str, Any] | None = None
        if entry.handoff_id is not None:
            with self._db.connect() as conn:
                hub = handoffs.hub_state(conn, entry.handoff_id)
            if hub is None:
                raise NotHeld("this handoff is no longer in your list")
            shown = replay(hub, [*outbox.lanes.get(entry.handoff_id, []), entry], self.user_id)
            check_handoff_size(shown)
        reason: str | None = None
        try:
            self._durability(full=True)
            with self._db.begin() as conn:
                outbox.insert(conn, entry)
                if shown is not None and hub is not None:
                    handoffs.write_whole(conn, [handoff_row(shown, hub, encode(hub))])
        except DBAPIError as error:
            reason = cache_db.write_failure(error) or f"a database error: {error.orig}"
            log.error("could not save a recorded %s: %s; kept in memory", entry.kind, reason)
            entry = outbox.keep_unsaved(entry)
        outbox.next_seq += 1
        outbox.add(entry)
        return (self._shown(shown) if shown is not None else None), reason

    def save_unsaved(self) -> int:
        """Write entries kept only in memory; returns how many were saved.

        Raises:
            CacheWriteError: still cannot write (they stay in memory).
        """
        outbox, handoffs = self._outbox, self._handoffs
        waiting = [e for e in outbox.unsaved.values() if e.request_id in outbox.entries]
        if not waiting:
            outbox.unsaved.clear()
            return 0

        def work(conn: Connection) -> None:
            existing = outbox.stored_ids(conn)
            for entry in waiting:
                if entry.request_id not in existing:
                    outbox.insert(conn, entry)
            for handoff_id in {e.handoff_id for e in waiting if e.handoff_id is not None}:
                hub = handoffs.hub_state(conn, handoff_id)
                if hub is not None:
                    shown = replay(hub, outbox.lanes.get(handoff_id, []), self.user_id)
                    handoffs.write_whole(conn, [handoff_row(shown, hub, encode(hub))])

        self._write(work)
        outbox.mark_saved(waiting)
        return len(waiting)

    def mark_sent(self, request_ids: Iterable[str]) -> None:
        """Note that requests went out at least once (best effort: only informative)."""
        self._settle()
        entries = self._outbox.entries
        ids = [i for i in request_ids if (e := entries.get(i)) is not None and e.persisted]
        if not ids:
            return
        try:
            with self._db.begin() as conn:
                self._outbox.mark_sent(conn, ids)
        except DBAPIError as error:
            log.warning("could not mark %d request(s) as sent: %s", len(ids), error.orig)

    def dismiss(self, request_id: str) -> Mapping[str, Any] | None:
        """Remove an attention item; returns its row (kind, handoff_id, payload) or None.

        Raises:
            CacheWriteError: the file cannot be written.
        """
        row = self._write(lambda conn: self._outbox.remove_attention(conn, request_id))
        if row is not None:
            self._outbox.attention_removed(row)
        return row

    # -- what the person keeps here: drafts, the saved replies ------------------------------

    def drafts(self) -> dict[str, tuple[str, str]]:
        """Every unsent draft: handoff id -> (kind, text)."""
        with self._db.connect() as conn:
            rows = conn.execute(select(DRAFTS.c.handoff_id, DRAFTS.c.kind, DRAFTS.c.text))
            return {r.handoff_id: (r.kind, r.text) for r in rows}

    def save_draft(self, handoff_id: str, kind: str, text: str, at: str) -> None:
        """Keep (or, when ``text`` is empty, forget) the draft of a handoff.

        Raises:
            CacheWriteError: the file cannot be written.
        """

        def work(conn: Connection) -> None:
            if not text:
                conn.execute(delete(DRAFTS).where(DRAFTS.c.handoff_id == handoff_id))
                return
            row = {"handoff_id": handoff_id, "kind": kind, "text": text, "updated_at": at}
            statement = sqlite_insert(DRAFTS).values(row)
            conn.execute(statement.on_conflict_do_update(index_elements=["handoff_id"], set_=row))

        self._write(work)

    def meta_value(self, key: str) -> str | None:
        """A value kept in the cache's ``meta`` (e.g. ``canned``: the saved replies' JSON)."""
        with self._db.connect() as conn:
            return conn.execute(select(META.c.value).where(META.c.key == key)).scalar_one_or_none()

    def put_meta_value(self, key: str, value: str) -> None:
        """Keep a value in ``meta``.

        Raises:
            CacheWriteError: the file cannot be written.
        """
        self._write(lambda conn: cache_db.put_meta(conn, {key: value}))

    # -- hub frames ----------------------------------------------------------------------

    def apply_batch(self, items: Sequence[BatchItem], viewer: Viewer) -> BatchOutcome:
        """Apply hub frames in order, in one transaction, with ``last_seq``.

        Raises:
            CacheWriteError: nothing was applied (the memory indexes are re-read from the file).
        """
        staged = self.stage_batch(items, viewer)
        staged.commit()
        return self.finish_batch(staged)

    def stage_batch(self, items: Sequence[BatchItem], viewer: Viewer) -> StagedBatch:
        """:meth:`apply_batch` up to its commit, which is left to the caller.

        Every statement is run, the transaction is left open, and the memory indexes already
        show the batch. The returned batch must be committed (:meth:`StagedBatch.commit`, on any thread: the
        engine runs it on the commit thread while its own thread reads the next frames) and
        then passed to :meth:`finish_batch`. Until the commit is done every other method of
        the cache waits for it first.

        Raises:
            CacheWriteError: nothing was applied (the memory indexes are re-read from the file).
        """
        self._settle()
        batch = Batch(viewer)
        self._durability(full=any(isinstance(i, AnswerItem) for i in items))
        conn = self._db.connect()
        try:
            transaction = conn.begin()
            self._applier.apply(conn, items, batch)
            self._handoffs.flush(conn, batch)
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
        staged.wait()
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
            self._outbox.unsaved.pop(request_id, None)

    # -- fault injection (tests) -----------------------------------------------------------

    def limit_pages(self, extra_pages: int | None) -> None:
        """Let the file grow by only ``extra_pages`` pages (None: no limit); simulates a full disk."""
        with self._db.connect() as conn:
            cache_db.set_page_limit(conn, extra_pages)
