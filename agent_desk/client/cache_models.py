"""The local cache's tables (SQLModel), kept apart from the hub's tables.

They live in their own SQLAlchemy registry, so a process that also imports the hub (tests, the
demo) never mixes the two schemas. Portable SQL only; what is SQLite-specific lives in
:mod:`agent_desk.client.cache_db`.

Schema history (bump :data:`SCHEMA_VERSION` and add a migration in ``cache_db.MIGRATIONS``
with every change; ``tests/data/client_cache_v1.sqlite3`` must keep opening):

1. handoffs, meta, outbox, attention.
2. ``messages``: chat messages added to a held handoff since its row was last written
   whole; handoffs without the indexes on status, assignee and rank order (no query used
   them: the held set is read whole and ranked in Python, and keeping them up to date was
   about a tenth of the SQLite time of a burst of events).
3. ``drafts``: what the person was typing to each handoff's customer, kept across restarts;
   the team's saved replies in ``meta`` (key ``canned``), so they are there offline.
"""

from __future__ import annotations

from sqlalchemy import Column, Table, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 3

cache_registry = registry()


class CacheModel(SQLModel, registry=cache_registry):
    """Base of every cache table (its own metadata, not ``SQLModel.metadata``)."""


class CachedHandoff(CacheModel, table=True):
    """One handoff this user holds.

    ``data`` is the handoff as the person sees it (the hub's state with the person's pending
    changes applied); ``base`` is the hub's state when pending changes exist, else NULL (then
    ``data`` is the hub's state). The plain columns describe ``data`` (for queries; none is
    indexed since schema 2, as none is needed yet); ``version`` is the hub's version.
    """

    __tablename__ = "handoffs"
    id: str = Field(primary_key=True)
    status: str
    queue: str
    assignee: str | None = None
    priority: int = 4
    tier_rank: int = 2
    escalated_at: str = ""
    resolved_at: str | None = None
    version: int
    data: str = Field(sa_column=Column(Text, nullable=False))
    base: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class CachedMessage(CacheModel, table=True):
    """A chat message added to a held handoff (``message.added``) after its row was written.

    Appending this small row costs far less than rewriting the handoff's JSON (about 2.5 KB,
    a whole page of the file) for every message of a busy chat. Reading a handoff appends its
    rows to the transcript of ``handoffs.data``, in ``seq`` order, and takes the last
    ``version``; writing the handoff whole again deletes them. They only exist for handoffs
    without pending requests (``base`` NULL), whose ``data`` is the hub's state.
    """

    __tablename__ = "messages"
    seq: int | None = Field(default=None, primary_key=True)
    handoff_id: str = Field(index=True)
    version: int  # the handoff's version with this message
    message: str = Field(sa_column=Column(Text, nullable=False))  # JSON


class CacheMeta(CacheModel, table=True):
    """Key/value facts: schema_version, epoch, last_seq, client_id, viewer."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class OutboxRow(CacheModel, table=True):
    """A recorded request not yet answered by the hub, in the order it was recorded."""

    __tablename__ = "outbox"
    seq: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(unique=True)
    kind: str  # claim | release | resolve | reassign | presence
    handoff_id: str | None = Field(default=None, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON: the request's fields
    created_at: str
    state: str = "pending"  # pending: never sent; sent: sent at least once, no result yet


class AttentionRow(CacheModel, table=True):
    """A recorded request the hub refused finally, kept until the person dismisses it."""

    __tablename__ = "attention"
    request_id: str = Field(primary_key=True)
    kind: str
    handoff_id: str | None = None
    code: str
    message: str
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    at: str


class DraftRow(CacheModel, table=True):
    """An unsent reply or note typed in a handoff's composer."""

    __tablename__ = "drafts"
    handoff_id: str = Field(primary_key=True)
    kind: str = "reply"  # reply | note: the composer's mode
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: str


HANDOFFS: Table = CachedHandoff.__table__  # type: ignore[attr-defined]  # set by SQLModel
MESSAGES: Table = CachedMessage.__table__  # type: ignore[attr-defined]
META: Table = CacheMeta.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
ATTENTION: Table = AttentionRow.__table__  # type: ignore[attr-defined]
DRAFTS: Table = DraftRow.__table__  # type: ignore[attr-defined]
TABLES = (HANDOFFS, MESSAGES, META, OUTBOX, ATTENTION, DRAFTS)
#: The handoffs columns in table order: the order of a handoff row tuple in bulk writes.
HANDOFF_COLUMNS: tuple[str, ...] = tuple(c.name for c in HANDOFFS.columns)
