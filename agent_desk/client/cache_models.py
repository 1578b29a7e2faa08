"""The local cache's tables (SQLModel), kept apart from the hub's tables.

They live in their own SQLAlchemy registry, so a process that also imports the hub (tests, the
demo) never mixes the two schemas. Portable SQL only; what is SQLite-specific lives in
:mod:`agent_desk.client.cache_db`.

Schema history (bump :data:`SCHEMA_VERSION` and add a migration in ``cache_db.MIGRATIONS``
with every change; ``tests/data/client_cache_v1.sqlite3`` must keep opening):

1. handoffs, meta, outbox, attention.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Table, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 1

cache_registry = registry()


class CacheModel(SQLModel, registry=cache_registry):
    """Base of every cache table (its own metadata, not ``SQLModel.metadata``)."""


class CachedHandoff(CacheModel, table=True):
    """One handoff this user holds.

    ``data`` is the handoff as the person sees it (the hub's state with the person's pending
    changes applied); ``base`` is the hub's state when pending changes exist, else NULL (then
    ``data`` is the hub's state). The indexed columns describe ``data``; ``version`` is the
    hub's version.
    """

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_rank", "priority", "tier_rank", "escalated_at"),)
    id: str = Field(primary_key=True)
    status: str = Field(index=True)
    queue: str
    assignee: str | None = Field(default=None, index=True)
    priority: int = 4
    tier_rank: int = 2
    escalated_at: str = ""
    resolved_at: str | None = None
    version: int
    data: str = Field(sa_column=Column(Text, nullable=False))
    base: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


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


HANDOFFS: Table = CachedHandoff.__table__  # type: ignore[attr-defined]  # set by SQLModel
META: Table = CacheMeta.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
ATTENTION: Table = AttentionRow.__table__  # type: ignore[attr-defined]
TABLES = (HANDOFFS, META, OUTBOX, ATTENTION)
