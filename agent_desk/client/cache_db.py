"""Opening the local cache file. The one client module that knows it is SQLite.

Pragmas, the integrity check, moving a damaged file aside, salvaging its outbox, the bulk
upsert (``INSERT .. ON CONFLICT DO UPDATE``) and schema migrations live here; the rest of the
client speaks portable SQLAlchemy Core on the SQLModel tables of :mod:`cache_models`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, bindparam, create_engine, event, func, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from agent_desk.client.cache_models import HANDOFFS, META, SCHEMA_VERSION

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
    cursor.close()


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(path: Path | None) -> Engine:
    """An engine on the cache file (None: a private in-memory database)."""
    url = f"sqlite:///{path}" if path is not None else "sqlite://"
    engine = create_engine(
        url,
        poolclass=StaticPool,  # one connection, used by the engine thread only
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
            names = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
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


def _read_rows(
    conn: sqlite3.Connection, query: str, columns: Sequence[str]
) -> list[dict[str, Any]]:
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
        found.outbox = _read_rows(
            conn, f"SELECT {', '.join(outbox_cols)} FROM outbox ORDER BY seq", outbox_cols
        )
        attention_cols = ("request_id", "kind", "handoff_id", "code", "message", "payload", "at")
        found.attention = _read_rows(
            conn, f"SELECT {', '.join(attention_cols)} FROM attention", attention_cols
        )
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


@functools.cache
def _upsert_statement() -> Any:
    stmt = sqlite_insert(HANDOFFS)
    columns = {c.name: stmt.excluded[c.name] for c in HANDOFFS.columns if c.name != "id"}
    return stmt.on_conflict_do_update(index_elements=["id"], set_=columns)


@functools.cache
def _append_statement() -> Any:
    data = HANDOFFS.c.data
    return (
        update(HANDOFFS)
        .where(HANDOFFS.c.id == bindparam("hid"))
        .values(
            data=func.json_set(
                func.json_insert(data, "$.transcript[#]", func.json(bindparam("message"))),
                "$.version",
                bindparam("new_version"),
            ),
            version=bindparam("new_version"),
        )
    )


def upsert_handoffs(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace many handoff rows in one executemany."""
    if rows:
        conn.execute(_upsert_statement(), list(rows))


def append_messages(conn: Connection, rows: Sequence[tuple[str, str, int]]) -> None:
    """Append messages to held handoffs in place: (handoff id, message JSON, new version).

    SQLite's JSON functions edit the stored document, so a new message costs no re-encoding of
    the whole handoff. Rows apply in the order given.
    """
    if rows:
        conn.execute(
            _append_statement(), [{"hid": h, "message": m, "new_version": v} for h, m, v in rows]
        )


def put_meta(conn: Connection, values: dict[str, str]) -> None:
    """Insert or replace meta keys."""
    if not values:
        return
    stmt = sqlite_insert(META)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}),
        [{"key": k, "value": v} for k, v in values.items()],
    )


def set_page_limit(conn: Connection, extra_pages: int | None) -> None:
    """Cap the file at its current size plus ``extra_pages`` pages (None lifts the cap).

    Used to simulate a full disk: as root, a read-only file mode does not stop writes.
    """
    if extra_pages is None:
        conn.exec_driver_sql("PRAGMA max_page_count=4294967294")
        return
    count = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    conn.exec_driver_sql(f"PRAGMA max_page_count={int(count) + int(extra_pages)}")


#: version -> function bringing a cache of that version to the next one.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


def migrate(conn: Connection, version: int, target: int = SCHEMA_VERSION) -> None:
    """Bring a cache from ``version`` up to ``target``, one step at a time, in ``conn``'s transaction.

    Raises:
        KeyError: no migration is known for some step (a programming error).
    """
    while version < target:
        MIGRATIONS[version](conn)
        version += 1
    conn.execute(update(META).where(META.c.key == "schema_version").values(value=str(target)))
