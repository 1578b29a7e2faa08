"""Opening the cache file, and what to do when it cannot be used as it is.

A damaged file (``PRAGMA quick_check``) or one written by a newer release is moved aside
under a name with a timestamp and a new one is made, to be filled from the hub; the outbox
and attention rows that can still be read are carried over (re-sent with the same ids: the
hub answers a repeated id with its stored result). A path that cannot be used at all leaves
an in-memory cache for the session. Each of these is reported to the person (a :class:`Notice`).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DBAPIError

from agent_desk.client import cache_db
from agent_desk.client.cache_models import ATTENTION, HANDOFFS, META, OUTBOX, SCHEMA_VERSION
from agent_desk.client.outbox import OutboxEntry, entry_from_row
from agent_desk.client.surface import Notice, NoticeKind

if TYPE_CHECKING:
    from agent_desk.client.cache import Cache

log = logging.getLogger(__name__)


class NewerSchema(Exception):
    """The file was written by a newer release (its schema ``version`` is beyond ours)."""

    def __init__(self, version: int) -> None:
        """The file's schema ``version``."""
        super().__init__(f"schema {version}")
        self.version = version


def open_cache(
    cache_type: type[Cache], path: Path | None, user_id: str, client_id: str | None
) -> tuple[Cache, list[Notice]]:
    """Open (or create) the cache at ``path``; returns it and what to tell the person.

    Args:
        cache_type: the class to make (:class:`Cache`), given the SQLAlchemy engine, the path
            actually used (None: memory), the user and the entries kept in memory only.
        path: the cache file (None: memory from the start).
        user_id: whose cache it is.
        client_id: the install's id to store (default: the stored one, or a new one).
    """
    notices: list[Notice] = []
    salvaged: cache_db.Salvage | None = None
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            problem = cache_db.integrity_problem(path)
            if problem is not None:
                salvaged, aside = _set_aside(path)
                notices.append(
                    Notice(NoticeKind.CACHE_DAMAGED, detail=problem, count=len(salvaged.outbox), path=aside.name)
                )
        except OSError as error:
            notices.append(_memory_notice(path, str(error)))
            path = None
    try:
        cache = _open(cache_type, path, user_id, client_id, salvaged)
    except NewerSchema as newer:
        assert path is not None
        salvaged, aside = _set_aside(path)
        notices.append(
            Notice(NoticeKind.CACHE_NEWER, detail=str(newer.version), count=len(salvaged.outbox), path=aside.name)
        )
        cache = _open(cache_type, path, user_id, client_id, salvaged)
    except (DBAPIError, OSError) as error:
        if path is None:
            raise
        notices.append(_memory_notice(path, str(getattr(error, "orig", error))))
        cache = _open(cache_type, None, user_id, client_id, salvaged)
    return cache, notices


def _open(
    cache_type: type[Cache], path: Path | None, user_id: str, client_id: str | None, salvaged: cache_db.Salvage | None
) -> Cache:
    """The cache on ``path`` (None: memory), with what was salvaged from an old file."""
    db = _open_file(path, client_id)
    unsaved = _carry_over(db, salvaged) if salvaged is not None else []
    return cache_type(db, path, user_id, unsaved)


def _memory_notice(path: Path, detail: str) -> Notice:
    """What the person is told when the file cannot be used at all."""
    return Notice(NoticeKind.CACHE_IN_MEMORY, detail=detail, path=str(path))


def _set_aside(path: Path) -> tuple[cache_db.Salvage, Path]:
    """Read what can be read of a file that cannot be used, then move it aside."""
    salvaged = cache_db.salvage(path)
    aside = cache_db.move_aside(path)
    log.warning("moved a damaged cache aside to %s", aside)
    return salvaged, aside


def _open_file(path: Path | None, client_id: str | None) -> Engine:
    """The SQLAlchemy engine of the file, its schema made or upgraded and its client id stored.

    Raises:
        NewerSchema: the file was written by a newer release.
    """
    engine = cache_db.open_engine(path)
    try:
        with engine.begin() as conn:
            HANDOFFS.metadata.create_all(conn)
            version = conn.execute(select(META.c.value).where(META.c.key == "schema_version")).scalar_one_or_none()
            if version is None:
                conn.execute(insert(META).values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(version) > SCHEMA_VERSION:
                raise NewerSchema(int(version))
            elif int(version) < SCHEMA_VERSION:
                cache_db.migrate(conn, int(version), SCHEMA_VERSION)
            stored_id = conn.execute(select(META.c.value).where(META.c.key == "client_id")).scalar_one_or_none()
            if stored_id is None or (client_id and stored_id != client_id):
                cache_db.put_meta(conn, {"client_id": client_id or uuid.uuid4().hex})
    except BaseException:
        engine.dispose()
        raise
    return engine


def _carry_over(db: Engine, salvaged: cache_db.Salvage) -> list[OutboxEntry]:
    """Write the salvaged outbox and attention rows into the new file.

    Returns the outbox entries that could not be written: the cache keeps them in memory.
    """
    try:
        with db.begin() as conn:
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
        return [entry_from_row(row, persisted=False) for row in salvaged.outbox]
    return []
