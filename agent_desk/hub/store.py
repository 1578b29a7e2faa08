"""The hub's durable state: users, handoffs, the event log and stored results.

A :class:`Store` is synchronous and used by one thread at a time (the hub runs all of it on
its storage thread). Every state-changing request runs in one transaction that applies the
effect, appends its events and stores its result, so ``ok`` always means durable.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import SQLModel

from agent_desk.hub.auth import hash_token, new_token
from agent_desk.hub.models import (
    SCHEMA_VERSION,
    ConversationRow,
    EventRow,
    HandoffRow,
    Meta,
    ResultRow,
    UserRow,
)
from agent_desk.hub.wire import wire_frame
from agent_desk.protocol.codes import (
    RETENTION_S,
    Code,
    EventKind,
    Role,
    Status,
)
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.messages import encode
from agent_desk.protocol.timefmt import format_time, utc_now
from agent_desk.protocol.visibility import Viewer, can_see

log = logging.getLogger(__name__)
T = TypeVar("T")



def _table(model: type[SQLModel]) -> Table:
    """The table of a SQLModel class (which SQLModel does not declare to type checkers)."""
    table = vars(model)["__table__"]
    assert isinstance(table, Table)
    return table


USERS = _table(UserRow)
HANDOFFS = _table(HandoffRow)
EVENTS = _table(EventRow)
RESULTS = _table(ResultRow)
CONVERSATIONS = _table(ConversationRow)
META = _table(Meta)

# Statements of the hot path, built once: rebuilding ``insert(...).values(...)`` per request
# cost more CPU than the SQLite work itself.
INSERT_EVENT = EVENTS.insert()
INSERT_RESULT = RESULTS.insert()
INSERT_HANDOFF = HANDOFFS.insert()
SAVE_HANDOFF = HANDOFFS.update().where(
    HANDOFFS.c.id == bindparam("match_id"), HANDOFFS.c.version == bindparam("match_version")
)
SELECT_HANDOFF = select(HANDOFFS.c.data).where(HANDOFFS.c.id == bindparam("handoff_id"))
SELECT_FIRST_CLAIM = select(HANDOFFS.c.first_claimed_at).where(HANDOFFS.c.id == bindparam("handoff_id"))
SELECT_RESULT = select(RESULTS.c.request_hash, RESULTS.c.result).where(
    RESULTS.c.user_id == bindparam("user_id"), RESULTS.c.request_id == bindparam("request_id")
)

#: Snapshot and resolved-handoff horizon.
RECENT_S = 24 * 3600
RESTORE_KIND = "hub.restored"


class StoreUnavailable(Exception):
    """The store could not be written or read; nothing was changed. Safe to retry."""


class StoreError(Exception):
    """A store that cannot be opened (wrong schema, not a hub store)."""


@dataclass(frozen=True, slots=True)
class User:
    id: str
    role: str
    queues: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    presence: str = "available"
    revoked: bool = False
    created_at: str = ""

    @property
    def viewer(self) -> Viewer:
        return Viewer.of(self.id, self.role, self.queues, self.languages)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.id,
            "role": self.role,
            "queues": list(self.queues),
            "languages": list(self.languages),
            "presence": self.presence,
        }

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=row.id,
            role=row.role,
            queues=tuple(json.loads(row.queues)),
            languages=tuple(json.loads(row.languages)),
            presence=row.presence,
            revoked=bool(row.revoked),
            created_at=row.created_at,
        )


def _state(handoff: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The visibility-relevant part of a handoff, as kept beside each event."""
    if handoff is None:
        return None
    return {
        "status": handoff["status"],
        "queue": handoff["queue"],
        "language": handoff.get("language"),
        "assignee": handoff.get("assignee"),
    }


@dataclass(slots=True)
class Event:
    """One committed event, encoded once for every audience."""

    seq: int
    kind: str
    frame: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    lead_only: bool = False
    _wire: bytes | None = field(default=None, repr=False)

    @property
    def wire(self) -> bytes:
        """The event's websocket frame, serialised once for every connection that gets it."""
        if self._wire is None:
            self._wire = wire_frame(self.frame)
        return self._wire

    def visible_to(self, viewer: Viewer) -> bool:
        if self.lead_only or self.kind == RESTORE_KIND:
            return viewer.role == Role.LEAD and self.kind != RESTORE_KIND
        return can_see(viewer, self.before) or can_see(viewer, self.after)


@dataclass(slots=True)
class Outcome:
    """What a request produced: its result frame and the events it committed."""

    result: dict[str, Any]
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class SyncPlan:
    """What a ``resume`` sends: replayed event frames, or snapshot handoffs, then synced."""

    head: int
    events: list[str] | None = None
    snapshot: list[dict[str, Any]] | None = None


class Tx:
    """One open transaction and the events it appends."""

    def __init__(self, store: Store, conn: Connection, head: int | None = None) -> None:
        self.store = store
        self.conn = conn
        self.head = store._head if head is None else head  # the seq before this request's events
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
    ) -> Event:
        seq = self.head + len(self.events) + 1
        frame = encode({"type": "event", "seq": seq, "kind": kind, "at": self.now_s, "data": data})
        b, a = _state(before), _state(after)
        self.conn.execute(
            INSERT_EVENT,
            {
                "seq": seq,
                "at": self.now_s,
                "kind": kind,
                "before": json.dumps(b) if b else None,
                "after": json.dumps(a) if a else None,
                "lead_only": lead_only,
                "gap_from": None,
                "frame": frame,
            },
        )
        event = Event(seq, kind, frame, b, a, lead_only)
        self.events.append(event)
        return event


def _add_conversation_overrides(conn: Connection) -> None:
    """Schema 1 -> 2: conversations remember which handoff fields their source set, and where
    each of their handoffs started and escalated."""
    conn.execute(text("ALTER TABLE conversations ADD COLUMN overrides TEXT NOT NULL DEFAULT '[]'"))
    conn.execute(text("ALTER TABLE conversations ADD COLUMN segments TEXT NOT NULL DEFAULT '[]'"))


class Store:
    """The hub's storage. Not thread-safe: one thread uses it."""

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
                self._head = int(conn.execute(select(func.max(EVENTS.c.seq))).scalar() or 0)
        except DBAPIError as error:
            raise StoreError(f"cannot open the hub store: {error.orig}") from None

    def _migrate(self, conn: Connection, version: int) -> None:
        """Bring an older schema up to date, one version at a time."""
        migrations: dict[int, Any] = {1: _add_conversation_overrides}  # version -> step to the next
        while version < SCHEMA_VERSION:
            migrations[version](conn)
            version += 1
        conn.execute(update(META).where(META.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))

    def close(self) -> None:
        self.engine.dispose()

    @property
    def head(self) -> int:
        return self._head

    # -- transactions ----------------------------------------------------------------------

    def write(self, work: Any) -> Outcome:
        """Run ``work(tx) -> result dict`` in one transaction; commit result and events together."""
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
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except OperationalError as error:
            log.error("storage read failure: %s", error.orig)
            raise StoreUnavailable(str(error.orig)) from None

    def _reload_head(self) -> None:
        try:
            with self.engine.connect() as conn:
                self._head = int(conn.execute(select(func.max(EVENTS.c.seq))).scalar() or 0)
        except DBAPIError:
            log.exception("cannot re-read the event head")

    # -- users -----------------------------------------------------------------------------

    def add_user(self, name: str, role: str, queues: Sequence[str] = (), languages: Sequence[str] = ()) -> str:
        """Create a user (or give a revoked one a new token); returns the token, shown once.

        Raises:
            ValueError: the user exists and is not revoked.
        """
        token = new_token()
        row = {
            "id": name,
            "role": role,
            "queues": json.dumps(list(queues)),
            "languages": json.dumps(list(languages)),
            "token_hash": hash_token(token),
            "revoked": False,
            "presence": "available",
            "created_at": format_time(utc_now()),
        }
        with self.engine.begin() as conn:
            existing = conn.execute(select(USERS).where(USERS.c.id == name)).first()
            if existing is not None and not existing.revoked:
                raise ValueError(f"user {name!r} exists; revoke it first to issue a new token")
            if existing is not None:
                conn.execute(update(USERS).where(USERS.c.id == name).values(**row))
            else:
                conn.execute(insert(USERS).values(**row))
        return token

    def revoke_user(self, name: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(USERS).where(USERS.c.id == name, USERS.c.revoked.is_(False)).values(revoked=True)
            )
            return bool(done.rowcount)

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            return self.users(conn)

    @staticmethod
    def users(conn: Connection) -> list[User]:
        return [User.from_row(r) for r in conn.execute(select(USERS).order_by(USERS.c.id))]

    def authenticate(self, token: str) -> User | None:
        digest = hash_token(token)
        row = self.read(
            lambda conn: conn.execute(
                select(USERS).where(USERS.c.token_hash == digest, USERS.c.revoked.is_(False))
            ).first()
        )
        return User.from_row(row) if row is not None else None

    def revoked_among(self, ids: Iterable[str]) -> set[str]:
        wanted = list(set(ids))
        if not wanted:
            return set()
        rows = self.read(
            lambda conn: conn.execute(select(USERS.c.id).where(USERS.c.id.in_(wanted), USERS.c.revoked.is_(True))).all()
        )
        return {r.id for r in rows}

    def get_user(self, conn: Connection, user_id: str) -> User | None:
        row = conn.execute(select(USERS).where(USERS.c.id == user_id)).first()
        return User.from_row(row) if row is not None else None

    # -- handoffs --------------------------------------------------------------------------

    @staticmethod
    def load_handoff(conn: Connection, handoff_id: str) -> dict[str, Any] | None:
        data = conn.execute(SELECT_HANDOFF, {"handoff_id": handoff_id}).scalar()
        return json.loads(data) if data is not None else None

    @staticmethod
    def insert_handoff(conn: Connection, handoff: dict[str, Any]) -> None:
        conn.execute(
            INSERT_HANDOFF,
            {
                "id": handoff["id"],
                "source": handoff["source"],
                "conversation_id": handoff["conversation_id"],
                "status": handoff["status"],
                "queue": handoff["queue"],
                "language": handoff["language"],
                "assignee": handoff["assignee"],
                "version": handoff["version"],
                "escalated_at": handoff["escalated_at"],
                "first_claimed_at": None,
                "resolved_at": None,
                "resolved_by": None,
                "data": encode(handoff),
            },
        )

    @staticmethod
    def save_handoff(conn: Connection, handoff: dict[str, Any], expected_version: int, **extra: Any) -> None:
        """Write a changed handoff; compare-and-set on the version it was read at."""
        done = conn.execute(
            SAVE_HANDOFF,
            {
                "match_id": handoff["id"],
                "match_version": expected_version,
                "status": handoff["status"],
                "queue": handoff["queue"],
                "language": handoff["language"],
                "assignee": handoff["assignee"],
                "version": handoff["version"],
                "resolved_at": handoff.get("resolved_at"),
                "data": encode(handoff),
                **extra,
            },
        )
        if done.rowcount != 1:
            raise RequestError(Code.CONFLICT, "the handoff changed meanwhile; try again")

    def first_claimed_at(self, conn: Connection, handoff_id: str) -> str | None:
        return conn.execute(SELECT_FIRST_CLAIM, {"handoff_id": handoff_id}).scalar()

    def queue_names(self, conn: Connection, extra: Iterable[str] = ()) -> list[str]:
        names = set(extra)
        names.update(r[0] for r in conn.execute(select(HANDOFFS.c.queue).distinct()))
        for row in conn.execute(select(USERS.c.queues).where(USERS.c.revoked.is_(False))):
            names.update(json.loads(row[0]))
        return sorted(names)

    def active_counts(self, conn: Connection) -> dict[str, int]:
        rows = conn.execute(
            select(HANDOFFS.c.assignee, func.count())
            .where(HANDOFFS.c.status == Status.CLAIMED)
            .group_by(HANDOFFS.c.assignee)
        )
        return {r[0]: int(r[1]) for r in rows}

    # -- results ---------------------------------------------------------------------------

    @staticmethod
    def stored_result(conn: Connection, user_id: str, request_id: str) -> tuple[str, str] | None:
        row = conn.execute(SELECT_RESULT, {"user_id": user_id, "request_id": request_id}).first()
        return (row.request_hash, row.result) if row is not None else None

    @staticmethod
    def store_result(
        conn: Connection, user_id: str, request_id: str, request_hash: str, result: dict[str, Any]
    ) -> None:
        conn.execute(
            INSERT_RESULT,
            {
                "user_id": user_id,
                "request_id": request_id,
                "request_hash": request_hash,
                "result": encode(result),
                "created_at": format_time(utc_now()),
            },
        )

    # -- resume ----------------------------------------------------------------------------

    def sync_plan(self, viewer: Viewer, epoch: str | None, last_seq: int | None) -> SyncPlan:
        """Replay or snapshot for a ``resume``, from one consistent read."""

        def work(conn: Connection) -> SyncPlan:
            head = int(conn.execute(select(func.max(EVENTS.c.seq))).scalar() or 0)
            if epoch == self.epoch and last_seq is not None and last_seq <= head:
                frames = self._replay(conn, viewer, last_seq, head)
                if frames is not None:
                    return SyncPlan(head, events=frames)
            return SyncPlan(head, snapshot=self._snapshot(conn, viewer))

        return self.read(work)

    def _replay(self, conn: Connection, viewer: Viewer, last_seq: int, head: int) -> list[str] | None:
        if last_seq == head:
            return []
        oldest = conn.execute(select(func.min(EVENTS.c.seq))).scalar()
        if oldest is None or oldest > last_seq + 1:
            return None  # events after last_seq were pruned
        lost = conn.execute(
            select(func.count()).where(
                EVENTS.c.kind == RESTORE_KIND,
                EVENTS.c.gap_from < last_seq,
                EVENTS.c.seq >= last_seq,
            )
        ).scalar()
        if lost:
            return None  # the client saw events that a restore from backup took away
        frames = []
        rows = conn.execute(
            select(EVENTS.c.seq, EVENTS.c.kind, EVENTS.c.before, EVENTS.c.after, EVENTS.c.lead_only, EVENTS.c.frame)
            .where(EVENTS.c.seq > last_seq)
            .order_by(EVENTS.c.seq)
        )
        for row in rows:
            event = Event(
                row.seq,
                row.kind,
                row.frame,
                json.loads(row.before) if row.before else None,
                json.loads(row.after) if row.after else None,
                bool(row.lead_only),
            )
            if event.visible_to(viewer):
                frames.append(event.frame)
        return frames

    def _snapshot(self, conn: Connection, viewer: Viewer) -> list[dict[str, Any]]:
        recent = format_time(self.clock() - timedelta(seconds=RECENT_S))
        query = select(HANDOFFS.c.data, HANDOFFS.c.status, HANDOFFS.c.resolved_by).where(
            HANDOFFS.c.status.in_([Status.WAITING, Status.CLAIMED])
            | ((HANDOFFS.c.status == Status.RESOLVED) & (HANDOFFS.c.resolved_at >= recent))
        )
        if viewer.role != Role.LEAD:
            query = query.where(
                (HANDOFFS.c.assignee == viewer.id)
                | (HANDOFFS.c.resolved_by == viewer.id)
                | ((HANDOFFS.c.status == Status.WAITING) & HANDOFFS.c.queue.in_(viewer.queues))
            )
        out = []
        for row in conn.execute(query.order_by(HANDOFFS.c.escalated_at)):
            handoff = json.loads(row.data)
            if row.status == Status.RESOLVED:
                if viewer.role == Role.LEAD or viewer.id in (row.resolved_by, handoff["assignee"]):
                    out.append(handoff)
            elif can_see(viewer, handoff):
                out.append(handoff)
        return out

    # -- presence --------------------------------------------------------------------------

    def presence_event(self, user_id: str, presence: str | None, set_by_user: bool) -> Outcome:
        """Record an effective presence change (and the user's own choice when it is one).

        ``presence`` None means: what the user last set (a user coming online).
        """

        def work(tx: Tx) -> dict[str, Any]:
            nonlocal presence
            if presence is None:
                user = self.get_user(tx.conn, user_id)
                presence = user.presence if user is not None else "available"
            elif set_by_user:
                tx.conn.execute(update(USERS).where(USERS.c.id == user_id).values(presence=presence))
            active = self.active_counts(tx.conn).get(user_id, 0)
            tx.emit(
                EventKind.PRESENCE_CHANGED,
                {"user": user_id, "presence": presence, "active": active},
                lead_only=True,
            )
            return {}

        return self.write(work)

    # -- maintenance -----------------------------------------------------------------------

    def prune(self) -> tuple[int, int]:
        """Drop events and stored results past the retention period (kept a day longer)."""
        cutoff = format_time(utc_now() - timedelta(seconds=RETENTION_S + 24 * 3600))

        def work(tx: Tx) -> dict[str, Any]:
            # Keep the newest event whatever its age, so the head survives a quiet week.
            events = tx.conn.execute(delete(EVENTS).where(EVENTS.c.at < cutoff, EVENTS.c.seq < self._head)).rowcount
            results = tx.conn.execute(delete(RESULTS).where(RESULTS.c.created_at < cutoff)).rowcount
            return {"events": events, "results": results}

        result = self.write(work).result
        return int(result["events"]), int(result["results"])

    def mark_restore(self, old_head: int | None) -> None:
        """After a restore: make every seq the old store may have issued unreusable.

        The restored store is behind its clients. New events must not reuse a seq a client
        already holds with other content, so the log jumps past anything the replaced store
        could have issued, and a marker makes resumes inside the gap get a snapshot.
        """
        with self.engine.begin() as conn:
            head = int(conn.execute(select(func.max(EVENTS.c.seq))).scalar() or 0)
            jump = max(head, old_head or 0) + (1 if old_head is not None else 2**32)
            conn.execute(
                insert(EVENTS).values(
                    seq=jump,
                    at=format_time(utc_now()),
                    kind=RESTORE_KIND,
                    gap_from=head,
                    frame="{}",
                    lead_only=True,
                )
            )
        self._head = jump
