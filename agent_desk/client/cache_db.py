"""Opening the local cache file. The one client module that knows it is SQLite.

Pragmas, the integrity check, moving a damaged file aside, salvaging its outbox, the bulk
upsert (``INSERT .. ON CONFLICT DO UPDATE``), the WAL checkpointer and schema migrations live
here; the rest of the client speaks portable SQLAlchemy Core on the SQLModel tables of
:mod:`cache_models`.

The bulk statements are SQLAlchemy Core statements on those tables, compiled once to SQLite's
SQL and run with the DB-API cursor's ``executemany`` on plain tuples, inside the SQLAlchemy
transaction: SQLAlchemy's own executemany builds and processes a parameter dict per row,
which nearly doubled the time of each row (600 handoff rows: 2.4 ms against 1.35 ms).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    event,
    insert,
    update,
)
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from agent_desk.client.cache_models import (
    HANDOFF_COLUMNS,
    HANDOFFS,
    MESSAGES,
    META,
    SCHEMA_VERSION,
)

log = logging.getLogger(__name__)

APP_NAME = "agent-desk"
#: SQLite primary result codes that mean "this file cannot be written now".
_WRITE_FAILURES = {
    8: "the cache file is read-only",  # SQLITE_READONLY
    10: "the disk reported an I/O error",  # SQLITE_IOERR
    13: "the disk is full",  # SQLITE_FULL
    14: "the cache file cannot be opened",  # SQLITE_CANTOPEN
    5: "the cache file is locked by another program",  # SQLITE_BUSY
}
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
#: SQLite's page cache of the engine's connection (KiB; a negative ``cache_size``): it holds
#: the handoffs table of a busy queue, so a burst does not re-read pages from the WAL.
CACHE_KIB = 32 * 1024
#: The engine's connection checkpoints by itself only beyond this many WAL pages (128 MiB, a
#: safety net); normally :class:`Checkpointer` does it on its own thread much earlier.
AUTOCHECKPOINT_PAGES = 32768
#: SQLite's page size (its default; the cache does not change it).
PAGE_BYTES = 4096
#: The WAL file is cut back to this size when it restarts (it never shrinks otherwise).
WAL_SIZE_LIMIT = 16 * 1024 * 1024


def cache_dir_default() -> Path:
    """The OS's per-user data folder for Agent Desk (platformdirs)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_file_name(hub_url: str, user: str) -> str:
    """A file name unique to one hub and user: a hash, so any URL or name is a safe name."""
    digest = hashlib.sha256(f"{hub_url}\n{user}".encode()).hexdigest()[:24]
    return f"cache-{digest}.sqlite3"


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the "begin" listener below opens transactions
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: what the person recorded is on disk when the transaction returns, even across a
    # power loss, not only a crash of this program.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=2000")
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(path: Path | None) -> Engine:
    """An engine on the cache file (None: a private in-memory database)."""
    url = f"sqlite:///{path}" if path is not None else "sqlite://"
    engine = create_engine(
        url,
        poolclass=StaticPool,  # one connection, used by one thread at a time (commit_thread)
        connect_args={"check_same_thread": False, "timeout": 2.0},
    )
    event.listen(engine, "connect", _pragmas)
    event.listen(engine, "begin", _begin)
    return engine


def sqlite_code(error: BaseException) -> int | None:
    """The primary SQLite result code behind ``error``, when there is one."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    code = getattr(orig, "sqlite_errorcode", None)
    return int(code) & 0xFF if code is not None else None


def write_failure(error: BaseException) -> str | None:
    """A human reason when ``error`` means the cache cannot be written now, else None."""
    code = sqlite_code(error)
    if code in _WRITE_FAILURES:
        return _WRITE_FAILURES[code]
    text = str(getattr(error, "orig", error)).lower()
    for needle, reason in (
        ("disk is full", _WRITE_FAILURES[13]),
        ("readonly", _WRITE_FAILURES[8]),
        ("disk i/o", _WRITE_FAILURES[10]),
    ):
        if needle in text:
            return reason
    return None


def integrity_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a healthy cache (PRAGMA quick_check), or None."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        if (
            sqlite_code(error) not in _CORRUPT_CODES
            and "malformed" not in str(error)
            and "not a database" not in str(error)
        ):
            raise
        return str(error)
    if rows != [("ok",)]:
        return "; ".join(str(r[0]) for r in rows[:3])
    if names and "meta" not in names:
        return "it is not an Agent Desk cache"
    return None


@dataclass
class Salvage:
    """What could be read from a damaged cache: the recorded requests and attention items."""

    outbox: list[dict[str, Any]] = field(default_factory=list)
    attention: list[dict[str, Any]] = field(default_factory=list)


def _read_rows(conn: sqlite3.Connection, query: str, columns: Sequence[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        cursor = conn.execute(query)
        while True:
            row = cursor.fetchone()  # row by row: keep what precedes a damaged page
            if row is None:
                break
            rows.append(dict(zip(columns, row, strict=True)))
    except sqlite3.DatabaseError as error:
        log.warning("stopped reading a damaged cache table after %d rows: %s", len(rows), error)
    return rows


def salvage(path: Path) -> Salvage:
    """Read every readable outbox and attention row of a damaged cache file."""
    found = Salvage()
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.DatabaseError as error:
        log.warning("cannot open the damaged cache to salvage it: %s", error)
        return found
    try:
        outbox_cols = ("seq", "request_id", "kind", "handoff_id", "payload", "created_at")
        found.outbox = _read_rows(conn, f"SELECT {', '.join(outbox_cols)} FROM outbox ORDER BY seq", outbox_cols)
        attention_cols = ("request_id", "kind", "handoff_id", "code", "message", "payload", "at")
        found.attention = _read_rows(conn, f"SELECT {', '.join(attention_cols)} FROM attention", attention_cols)
    finally:
        conn.close()
    good_outbox = []
    for row in found.outbox:
        try:
            json.loads(row["payload"])
        except (TypeError, ValueError):
            log.warning("a damaged outbox row could not be read")
            continue
        good_outbox.append(row)
    found.outbox = good_outbox
    return found


def move_aside(path: Path, now: datetime | None = None) -> Path:
    """Rename a damaged cache (and its -wal/-shm files) to a name with a timestamp."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + suffix))
    return aside


def _compiled(statement: Any) -> tuple[str, tuple[str, ...]]:
    """SQLite's SQL for a Core statement and the names of its parameters, in order."""
    compiled = statement.compile(dialect=sqlite_dialect())
    return str(compiled), tuple(compiled.positiontup or ())


@functools.cache
def _upsert_sql() -> str:
    stmt = sqlite_insert(HANDOFFS)
    columns = {c.name: stmt.excluded[c.name] for c in HANDOFFS.columns if c.name != "id"}
    sql, names = _compiled(
        stmt.values({c: bindparam(c) for c in HANDOFF_COLUMNS}).on_conflict_do_update(
            index_elements=["id"], set_=columns
        )
    )
    if names != HANDOFF_COLUMNS:  # the tuples below are in HANDOFF_COLUMNS order
        raise RuntimeError(f"unexpected parameter order {names}")
    return sql


@functools.cache
def _insert_messages_sql() -> str:
    sql, names = _compiled(
        insert(MESSAGES).values(handoff_id=bindparam("h"), version=bindparam("v"), message=bindparam("m"))
    )
    if names != ("h", "v", "m"):
        raise RuntimeError(f"unexpected parameter order {names}")
    return sql


@functools.cache
def _delete_messages_sql() -> str:
    sql, names = _compiled(MESSAGES.delete().where(MESSAGES.c.handoff_id == bindparam("h")))
    if names != ("h",):
        raise RuntimeError(f"unexpected parameter order {names}")
    return sql


@functools.cache
def _delete_sql() -> str:
    sql, names = _compiled(HANDOFFS.delete().where(HANDOFFS.c.id == bindparam("hid")))
    if names != ("hid",):
        raise RuntimeError(f"unexpected parameter order {names}")
    return sql


def _executemany(conn: Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """``executemany`` on the DB-API cursor of ``conn``, inside the transaction SQLAlchemy
    opened on it; a failure is raised as SQLAlchemy's (a :class:`DBAPIError` with ``orig``),
    like every other statement of the cache."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, None, error, sqlite3.Error) from error
    finally:
        cursor.close()


def upsert_handoffs(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Insert or replace many handoff rows (tuples in :data:`HANDOFF_COLUMNS` order) at once."""
    if rows:
        _executemany(conn, _upsert_sql(), rows)


def insert_messages(conn: Connection, rows: Sequence[tuple[str, int, str]]) -> None:
    """Add chat messages to held handoffs: (handoff id, the handoff's new version, message
    JSON), in the order given (see ``cache_models.CachedMessage``)."""
    if rows:
        _executemany(conn, _insert_messages_sql(), rows)


def delete_messages(conn: Connection, handoff_ids: Iterable[str]) -> None:
    """Forget the added messages of these handoffs (their rows were written whole)."""
    _executemany(conn, _delete_messages_sql(), [(h,) for h in handoff_ids])


def delete_handoffs(conn: Connection, ids: Sequence[str]) -> None:
    """Delete many handoff rows by id."""
    if ids:
        _executemany(conn, _delete_sql(), [(i,) for i in ids])


class Checkpointer:
    """Copies the WAL back into the cache file (SQLite's checkpoint) on a thread of its own,
    when the engine is quiet.

    In WAL mode a commit appends pages to the ``-wal`` file; a checkpoint writes them into the
    file a second time and syncs both. SQLite's automatic checkpoint (every 1,000 pages, 4 MiB)
    does that inside a commit, several times in a burst, and the next batch waits for it: a
    20,000-event burst took a fifth longer with it when commits ran on the engine thread, and
    still 7% longer with commits on their own thread (benchmarks/bench_client.py). Run on
    another thread in the middle of the burst it was no better on two cores (it competes with
    the engine and the disk). So it waits until nothing was committed for :attr:`QUIET_S`, or
    until :attr:`HIGH_WATER_BYTES` piled up in a long stream, and then runs on a second
    connection (SQLite does it without the interpreter lock). The engine's connection keeps
    SQLite's own checkpoint as a safety net, far later (:data:`AUTOCHECKPOINT_PAGES`).

    Nothing a reader sees changes, and a program killed during a checkpoint loses nothing.
    What waits longer is the sync of the WAL for hub frames, committed with
    ``synchronous=NORMAL``: a power cut (not a crash) can lose the last ones, ``last_seq``
    with them, and the hub sends them again, as before. What the person records is committed
    with ``synchronous=FULL``, synced at once.
    """

    #: A checkpoint waits until nothing was committed for this long...
    QUIET_S = 0.25
    #: ... once at least this much is in the WAL (less waits for more) ...
    MIN_BYTES = 1024 * 1024
    #: ... except when this much piled up: then it runs at once.
    HIGH_WATER_BYTES = 64 * 1024 * 1024

    def __init__(self, path: Path) -> None:
        self._path = path
        self._committed = 0  # about how many bytes commits added to the WAL (engine thread)
        self._checkpointed = 0  # _committed when the last checkpoint started (its thread)
        self._last_commit = 0.0
        self._wake = threading.Event()
        self._closed = threading.Event()
        #: Set after each checkpoint: the file itself then holds what was committed before it.
        self.checkpointed = threading.Event()
        self._thread: threading.Thread | None = None  # started by the first large write

    def wrote(self, size: int) -> None:
        """Note a commit that added about ``size`` bytes to the WAL (engine thread; cheap)."""
        if size <= 0 or self._closed.is_set():
            return
        self._committed += size
        self._last_commit = time.monotonic()
        if self._committed - self._checkpointed < self.MIN_BYTES or self._wake.is_set():
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agent-desk-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self, timeout: float = 10.0) -> None:
        """End the thread (after the checkpoint it may be running)."""
        self._closed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _due_in(self) -> float:
        """Seconds until the checkpoint is due (0: now)."""
        if self._committed - self._checkpointed >= self.HIGH_WATER_BYTES:
            return 0.0
        return self._last_commit + self.QUIET_S - time.monotonic()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, timeout=2.0)
        except sqlite3.Error as error:
            log.warning("no checkpoint thread (%s); the engine's connection checkpoints", error)
            return
        try:
            while True:
                self._wake.wait()
                # the engine does not wake this thread again during a burst: it looks by itself
                while (wait := self._due_in()) > 0 and not self._closed.wait(wait):
                    pass
                if self._closed.is_set():
                    return
                self._wake.clear()
                self._checkpointed = self._committed
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # busy, full disk, ...: the next one catches up
                    log.debug("checkpoint failed: %s", error)
                else:
                    self.checkpointed.set()
        finally:
            conn.close()


@functools.cache
def _put_meta_sql() -> str:
    stmt = sqlite_insert(META).values(key=bindparam("k"), value=bindparam("v"))
    sql, names = _compiled(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))
    if names != ("k", "v"):
        raise RuntimeError(f"unexpected parameter order {names}")
    return sql


def put_meta(conn: Connection, values: dict[str, str]) -> None:
    """Insert or replace meta keys (every batch of hub frames writes ``last_seq``)."""
    if values:
        _executemany(conn, _put_meta_sql(), list(values.items()))


def set_page_limit(conn: Connection, extra_pages: int | None) -> None:
    """Cap the file at its current size plus ``extra_pages`` pages (None lifts the cap).

    Used to simulate a full disk: as root, a read-only file mode does not stop writes.
    """
    if extra_pages is None:
        conn.exec_driver_sql("PRAGMA max_page_count=4294967294")
        return
    count = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    conn.exec_driver_sql(f"PRAGMA max_page_count={int(count) + int(extra_pages)}")


def _drop_unused_indexes(conn: Connection) -> None:
    """Schema 1 -> 2: drop the handoffs indexes no query uses (they cost every burst)."""
    for name in ("ix_handoffs_rank", "ix_handoffs_status", "ix_handoffs_assignee"):
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


#: version -> function bringing a cache of that version to the next one.
def _nothing_to_change(_conn: Connection) -> None:
    """Schema 3 only adds the ``drafts`` table, which opening creates with the others."""


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _drop_unused_indexes, 2: _nothing_to_change}


def migrate(conn: Connection, version: int, target: int = SCHEMA_VERSION) -> None:
    """Bring a cache from ``version`` up to ``target``, one step at a time, in ``conn``'s transaction.

    Raises:
        KeyError: no migration is known for some step (a programming error).
    """
    while version < target:
        MIGRATIONS[version](conn)
        version += 1
    conn.execute(update(META).where(META.c.key == "schema_version").values(value=str(target)))
