"""Opening the hub's database. The one module that knows it is SQLite.

Everything else speaks portable SQLAlchemy, so a database URL can point the hub at
PostgreSQL later; what only SQLite needs (pragmas, the online backup API, the file layout)
stays here.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

DB_FILENAME = "hub.sqlite3"


def database_path(data_dir: Path) -> Path:
    return Path(data_dir) / DB_FILENAME


def database_url(data_dir: Path) -> str:
    return f"sqlite:///{database_path(data_dir)}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # isolation_level None: SQLAlchemy's BEGIN handling below decides transaction bounds.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before the hub replies ok, even across a power loss.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN, so two writers (the hub and a CLI command)
    # wait for each other instead of failing half-way with "database is locked".
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(data_dir: Path | None = None, url: str | None = None) -> Engine:
    """Create the engine for a data folder (SQLite) or an explicit database URL."""
    if url is None:
        if data_dir is None:
            raise ValueError("give a data folder or a database URL")
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        url = database_url(Path(data_dir))
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url,
        # One connection, used only by the hub's storage thread.
        poolclass=StaticPool,
        connect_args={"check_same_thread": False, "timeout": 5.0},
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def backup(data_dir: Path, target: Path) -> None:
    """Write a consistent copy of the store to ``target``, safe while the hub runs."""
    source_path = database_path(data_dir)
    if not source_path.exists():
        raise FileNotFoundError(f"no hub store in {data_dir}")
    target = Path(target)
    tmp = target.with_name(target.name + ".partial")
    src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=10)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(tmp, target)


def check_backup_file(path: Path) -> None:
    """Raise ValueError unless ``path`` is a readable SQLite file holding a hub store."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise ValueError(f"{path} is damaged: {ok}")
            row = conn.execute("SELECT value FROM meta WHERE key='epoch'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise ValueError(f"{path} is not a hub backup: {error}") from None
    if row is None:
        raise ValueError(f"{path} is not a hub backup: it holds no epoch")


def read_head(path: Path) -> int | None:
    """The highest event seq in a store file, or None when there is none or it is unreadable."""
    if not Path(path).exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT MAX(seq) FROM events").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return int(row[0]) if row and row[0] is not None else None


def read_conversations(path: Path) -> tuple[list[tuple[Any, ...]], list[str]]:
    """Every stored conversation and every handoff's JSON, read-only (``triage replay``).

    Conversations come as ``(customer, language, messages, attempts, watch_from, handoff_id,
    segments)`` rows, by start; a store of schema 1 has no segments (``'[]'``). Safe while the
    hub runs.

    Raises:
        sqlite3.DatabaseError: the file is not a readable hub store.
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(conversations)")}
        segments_column = "segments" if "segments" in columns else "'[]'"
        rows = conn.execute(
            f"SELECT customer, language, messages, attempts, watch_from, handoff_id, {segments_column} "
            "FROM conversations ORDER BY started_at, source, id"
        ).fetchall()
        handoffs = [data for (data,) in conn.execute("SELECT data FROM handoffs")]
    finally:
        conn.close()
    return rows, handoffs


def install_backup(data_dir: Path, backup_file: Path) -> None:
    """Replace the store in ``data_dir`` with ``backup_file`` (the hub must be stopped)."""
    target = database_path(data_dir)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".restoring")
    shutil.copyfile(backup_file, tmp)
    for suffix in ("-wal", "-shm"):
        side = target.with_name(target.name + suffix)
        if side.exists():
            side.unlink()
    os.replace(tmp, target)


def set_page_limit(engine: Engine, extra_pages: int) -> None:
    """Cap the database at its current size plus ``extra_pages`` pages (fault injection)."""
    with engine.connect() as conn:
        count = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        conn.exec_driver_sql(f"PRAGMA max_page_count={int(count) + int(extra_pages)}")
