"""The hub's store: opening the database (schema, epoch, head) and its transactions.

A :class:`Store` is synchronous and used by one thread at a time (the hub runs all of it on
its storage thread). Every state-changing request runs in one transaction that applies the
effect, appends its events and stores its result, so ``ok`` always means durable. What is
stored, and the SQL for it, lives in one module per table: :mod:`~agent_desk.hub.users`,
:mod:`~agent_desk.hub.handoffs`, :mod:`~agent_desk.hub.events`,
:mod:`~agent_desk.hub.results` and :mod:`~agent_desk.hub.conversations`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import SQLModel

from agent_desk.hub import events, users
from agent_desk.hub.auth import hash_token, new_token
from agent_desk.hub.events import Event
from agent_desk.hub.models import HANDOFFS, META, SCHEMA_VERSION
from agent_desk.hub.users import User
from agent_desk.protocol.codes import DEFAULT_CAPACITY
from agent_desk.protocol.timefmt import format_time, utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreUnavailable(Exception):
    """The store could not be written or read; nothing was changed. Safe to retry."""


class StoreError(Exception):
    """A store that cannot be opened (wrong schema, not a hub store)."""


@dataclass(slots=True)
class Outcome:
    """What a request produced: its result frame and the events it committed."""

    result: dict[str, Any]
    events: list[Event] = field(default_factory=list)


class Tx:
    """One open transaction and the events it appends.

    Attributes:
        conn: the transaction's connection, for the storage modules' functions.
        now, now_s: the time of the transaction (the store's clock), and as a wire string.
    """

    def __init__(self, store: Store, conn: Connection, head: int | None = None) -> None:
        self.store = store
        self.conn = conn
        self.head = store.head if head is None else head  # the seq before this request's events
        self.events: list[Event] = []
        self.now = store.clock()
        self.now_s = format_time(self.now)

    @contextlib.contextmanager
    def attempt(self) -> Iterator[None]:
        """A savepoint: if the block raises, its writes and events are undone, the rest kept."""
        savepoint = self.conn.begin_nested()
        emitted = len(self.events)
        try:
            yield
        except BaseException:
            savepoint.rollback()
            del self.events[emitted:]
            raise
        savepoint.commit()

    def emit(
        self,
        kind: str,
        data: dict[str, Any],
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        lead_only: bool = False,
        *,
        source: str | None = None,
        everyone: bool = False,
    ) -> Event:
        """Append an event to the log with the next seq; it is sent once the transaction commits.

        ``before`` and ``after`` are the handoff before and after the change (None: it did not
        exist); ``lead_only`` events reach leads alone, ``everyone`` events every desktop
        connection, and an event with a ``source`` that source's subscribed connections alone.
        """
        seq = self.head + len(self.events) + 1
        event = events.append(
            self.conn, seq, self.now_s, kind, data, before, after, lead_only, source=source, everyone=everyone
        )
        self.events.append(event)
        return event


def _add_conversation_overrides(conn: Connection) -> None:
    """Schema 1 -> 2: conversations remember which handoff fields their source set, and where
    each of their handoffs started and escalated."""
    conn.execute(text("ALTER TABLE conversations ADD COLUMN overrides TEXT NOT NULL DEFAULT '[]'"))
    conn.execute(text("ALTER TABLE conversations ADD COLUMN segments TEXT NOT NULL DEFAULT '[]'"))


def _add_event_audiences(conn: Connection) -> None:
    """Schema 2 -> 3: events for one source alone, and events for every desktop connection.

    (The saved replies' table is new, so opening the store creates it.) A column or index that
    is there already is left as it is.
    """
    schema = inspect(conn)
    columns = {column["name"] for column in schema.get_columns("events")}
    if "source" not in columns:
        conn.execute(text("ALTER TABLE events ADD COLUMN source VARCHAR"))
    if "everyone" not in columns:
        conn.execute(text("ALTER TABLE events ADD COLUMN everyone BOOLEAN NOT NULL DEFAULT FALSE"))
    if "ix_events_source" not in {index["name"] for index in schema.get_indexes("events")}:
        conn.execute(text("CREATE INDEX ix_events_source ON events (source)"))


def _add_offer_routing(conn: Connection) -> None:
    """Schema 3 -> 4: routing by offers.

    Users gain a capacity (3) and when they last claimed or resolved; handoffs gain the ranking's
    columns, their offer's (every handoff now carries ``offer``, null until one is made) and
    their round state. (The offers' table is new, so opening the store creates it.) A column or
    index that is there already is left as it is.
    """
    schema = inspect(conn)
    user_columns = {column["name"] for column in schema.get_columns("users")}
    if "capacity" not in user_columns:
        conn.execute(text("ALTER TABLE users ADD COLUMN capacity INTEGER NOT NULL DEFAULT 3"))
    if "last_active_at" not in user_columns:
        conn.execute(text("ALTER TABLE users ADD COLUMN last_active_at VARCHAR"))
    handoff_columns = {column["name"] for column in schema.get_columns("handoffs")}
    for name, kind in (
        ("priority", "INTEGER NOT NULL DEFAULT 4"),
        ("tier", "TEXT NOT NULL DEFAULT 'standard'"),
        ("offer_to", "VARCHAR"),
        ("offer_expires_at", "VARCHAR"),
        ("routing", "TEXT NOT NULL DEFAULT '{}'"),
    ):
        if name not in handoff_columns:
            conn.execute(text(f"ALTER TABLE handoffs ADD COLUMN {name} {kind}"))
    if "ix_handoffs_offer_expires_at" not in {index["name"] for index in schema.get_indexes("handoffs")}:
        conn.execute(text("CREATE INDEX ix_handoffs_offer_expires_at ON handoffs (offer_expires_at)"))
    for row in conn.execute(select(HANDOFFS.c.id, HANDOFFS.c.data)).all():
        handoff = json.loads(row.data)
        handoff.setdefault("offer", None)
        conn.execute(
            update(HANDOFFS)
            .where(HANDOFFS.c.id == row.id)
            .values(
                data=json.dumps(handoff, ensure_ascii=False, separators=(",", ":")),
                priority=int(handoff.get("priority", 4)),
                tier=str(handoff.get("tier", "standard")),
            )
        )


def _add_bot_csat(conn: Connection) -> None:
    """Schema 4 -> 5: a conversation the bot resolved keeps its customer's rating.

    (The targets' table is new, so opening the store creates it.) A column that is there already
    is left as it is.
    """
    if "csat" not in {column["name"] for column in inspect(conn).get_columns("conversations")}:
        conn.execute(text("ALTER TABLE conversations ADD COLUMN csat INTEGER"))


class Store:
    """The hub's storage. Not thread-safe: one thread uses it.

    Attributes:
        engine: the SQLAlchemy engine (:func:`agent_desk.hub.db.open_engine`).
        clock: where transactions read the time (always UTC).
        epoch: the store's identity, set by :meth:`open`; it changes only with a new store.
    """

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self._head = 0
        self.epoch = ""

    # -- opening ---------------------------------------------------------------------------

    def open(self) -> None:
        """Create or upgrade the schema and read the epoch and head.

        Raises:
            StoreError: the store was written by a newer release, or is not a hub store.
        """
        try:
            with self.engine.begin() as conn:
                SQLModel.metadata.create_all(conn)
                version = conn.execute(select(META.c.value).where(META.c.key == "schema_version")).scalar_one_or_none()
                if version is None:
                    conn.execute(insert(META).values(key="schema_version", value=str(SCHEMA_VERSION)))
                elif int(version) > SCHEMA_VERSION:
                    raise StoreError(
                        f"this store has schema {version}, newer than this release understands "
                        f"({SCHEMA_VERSION}); upgrade Agent Desk"
                    )
                elif int(version) < SCHEMA_VERSION:
                    self._migrate(conn, int(version))
                epoch = conn.execute(select(META.c.value).where(META.c.key == "epoch")).scalar_one_or_none()
                if epoch is None:
                    epoch = secrets.token_hex(8)
                    conn.execute(insert(META).values(key="epoch", value=epoch))
                self.epoch = epoch
                self._head = events.head(conn)
        except DBAPIError as error:
            raise StoreError(f"cannot open the hub store: {error.orig}") from None

    def _migrate(self, conn: Connection, version: int) -> None:
        """Bring an older schema up to date, one version at a time."""
        # version -> the step to the next
        migrations: dict[int, Any] = {
            1: _add_conversation_overrides,
            2: _add_event_audiences,
            3: _add_offer_routing,
            4: _add_bot_csat,
        }
        while version < SCHEMA_VERSION:
            migrations[version](conn)
            version += 1
        conn.execute(update(META).where(META.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @property
    def head(self) -> int:
        """The seq of the last committed event."""
        return self._head

    # -- transactions ----------------------------------------------------------------------

    def write(self, work: Callable[[Tx], dict[str, Any]]) -> Outcome:
        """Run ``work(tx) -> result dict`` in one transaction; commit result and events together.

        Raises:
            StoreUnavailable: storage failed; nothing was changed.
        """
        try:
            with self.engine.begin() as conn:
                tx = Tx(self, conn)
                result = work(tx)
            self._head += len(tx.events)
            return Outcome(result, tx.events)
        except OperationalError as error:  # disk full, I/O error, locked: may pass later
            self._reload_head()
            log.error("storage failure, nothing was changed: %s", error.orig)
            raise StoreUnavailable(str(error.orig)) from None

    def write_batch(self, works: Sequence[Callable[[Tx], dict[str, Any]]]) -> list[Outcome | BaseException]:
        """Run several requests' work in one transaction (one commit, one fsync).

        Each runs in a savepoint of its own: one that raises is undone alone and its exception
        takes its place in the returned list; the others commit together, their events
        numbered in order.

        Raises:
            StoreUnavailable: storage failed; none of them changed anything.
        """
        outcomes: list[Outcome | BaseException] = []
        try:
            with self.engine.begin() as conn:
                head = self._head
                for work in works:
                    tx = Tx(self, conn, head)
                    try:
                        with tx.attempt():
                            result = work(tx)
                    except OperationalError:
                        raise
                    except Exception as error:  # noqa: BLE001 - this work's outcome; the batch goes on
                        outcomes.append(error)
                        continue
                    head += len(tx.events)
                    outcomes.append(Outcome(result, tx.events))
            self._head = head
            return outcomes
        except OperationalError as error:
            self._reload_head()
            log.error("storage failure, nothing was changed: %s", error.orig)
            raise StoreUnavailable(str(error.orig)) from None

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one transaction: one consistent read.

        Raises:
            StoreUnavailable: storage failed.
        """
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except OperationalError as error:
            log.error("storage read failure: %s", error.orig)
            raise StoreUnavailable(str(error.orig)) from None

    def _reload_head(self) -> None:
        try:
            with self.engine.connect() as conn:
                self._head = events.head(conn)
        except DBAPIError:
            log.exception("cannot re-read the event head")

    # -- administration (``agent-desk hub user ...``, ``hub restore``) ---------------------

    def add_user(
        self,
        name: str,
        role: str,
        queues: Sequence[str] = (),
        languages: Sequence[str] = (),
        capacity: int = DEFAULT_CAPACITY,
    ) -> str:
        """Create a user (or give a revoked one a new token); returns the token, shown once.

        ``capacity``: the handoffs an agent holds at once, claimed plus offered (routing by
        offers).

        Raises:
            ValueError: the user exists and is not revoked.
        """
        token = new_token()
        with self.engine.begin() as conn:
            users.add(conn, name, role, queues, languages, hash_token(token), format_time(utc_now()), capacity)
        return token

    def revoke_user(self, name: str) -> bool:
        """Revoke a user's token; False when there is no such user or it is revoked already."""
        with self.engine.begin() as conn:
            return users.revoke(conn, name)

    def list_users(self) -> list[User]:
        """Every user, revoked ones included, by id."""
        with self.engine.connect() as conn:
            return users.everyone(conn)

    def mark_restore(self, old_head: int | None) -> None:
        """After a restore: make every seq the old store may have issued unreusable.

        The restored store is behind its clients. New events must not reuse a seq a client
        already holds with other content, so the log jumps past anything the replaced store
        could have issued, and a marker makes resumes inside the gap get a snapshot.
        """
        with self.engine.begin() as conn:
            self._head = events.append_restore_marker(conn, format_time(utc_now()), old_head)
