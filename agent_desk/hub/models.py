"""The hub's tables (SQLModel). Portable SQL only: nothing here is specific to SQLite."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, Table, Text, false
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 5


class Meta(SQLModel, table=True):
    """Key/value facts about the store: schema version, epoch."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class UserRow(SQLModel, table=True):
    __tablename__ = "users"
    id: str = Field(primary_key=True)
    role: str
    queues: str = "[]"  # JSON list
    languages: str = "[]"  # JSON list
    token_hash: str = Field(index=True, unique=True)
    revoked: bool = False
    presence: str = "available"  # what the user last set
    created_at: str
    #: Handoffs an agent holds at once, claimed plus offered (routing by offers).
    capacity: int = Field(default=3, sa_column=Column(Integer, nullable=False, server_default="3"))
    #: When the user last claimed or resolved a handoff (routing by offers chooses the longest idle).
    last_active_at: str | None = None


class HandoffRow(SQLModel, table=True):
    """One handoff: indexed columns for queries, and the whole handoff as JSON."""

    __tablename__ = "handoffs"
    id: str = Field(primary_key=True)
    source: str
    conversation_id: str
    status: str = Field(index=True)
    queue: str
    language: str
    assignee: str | None = Field(default=None, index=True)
    version: int
    escalated_at: str = Field(index=True)
    first_claimed_at: str | None = None
    resolved_at: str | None = Field(default=None, index=True)
    resolved_by: str | None = None
    data: str = Field(sa_column=Column(Text, nullable=False))
    # Routing by offers: the ranking's fields, the offer pending (copied from ``data``), and the
    # round state ({"round", "offered", "exhausted"}, JSON), which agents never see.
    priority: int = Field(default=4, sa_column=Column(Integer, nullable=False, server_default="4"))
    tier: str = Field(default="standard", sa_column=Column(Text, nullable=False, server_default="standard"))
    offer_to: str | None = None
    offer_expires_at: str | None = Field(default=None, index=True)
    routing: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))


class EventRow(SQLModel, table=True):
    """The durable event log; ``seq`` is global and strictly increasing."""

    __tablename__ = "events"
    seq: int | None = Field(default=None, primary_key=True)
    at: str = Field(index=True)
    kind: str
    # Visibility-relevant state before and after the change (JSON; null: did not exist).
    before: str | None = None
    after: str | None = None
    lead_only: bool = False
    # A restore marker: events in (gap_from, seq] were lost by a restore from backup.
    gap_from: int | None = None
    frame: str = Field(sa_column=Column(Text, nullable=False))
    #: For that source alone (a source's event about its conversation); no desktop gets it.
    source: str | None = Field(default=None, index=True)
    #: For every desktop connection, whatever it sees (``canned.changed``).
    everyone: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class ResultRow(SQLModel, table=True):
    """Stored results of state-changing requests, for idempotent replay."""

    __tablename__ = "results"
    user_id: str = Field(primary_key=True)
    request_id: str = Field(primary_key=True)
    request_hash: str
    result: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(index=True)


class ConversationRow(SQLModel, table=True):
    """A conversation a source escalated or asked the hub to watch."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_outcome", "ended_at", "escalated_at"),)
    source: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    started_at: str
    language: str | None = None
    channel: str | None = None
    customer: str = "{}"
    messages: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    attempts: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    watch_from: int = 0  # index of the first message the current watch covers
    ended_at: str | None = None
    resolved_by_bot: bool | None = None
    #: The customer's rating of a conversation the bot resolved (``end`` ``csat``), or None.
    csat: int | None = None
    escalated_at: str | None = None
    handoff_id: str | None = None
    #: The handoff fields the source set itself (JSON list): re-triage leaves those alone.
    overrides: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    #: Each handoff of this conversation (JSON list): the message its watch started at
    #: (``from``), the one it escalated at (``at``) and its id; for ``triage replay``.
    segments: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))


class CannedRow(SQLModel, table=True):
    """A saved reply of the team, which agents insert into their replies."""

    __tablename__ = "canned_responses"
    id: str = Field(primary_key=True)
    title: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    queues: str = "[]"  # JSON list; empty: every queue
    updated_at: str
    updated_by: str


class TargetRow(SQLModel, table=True):
    """One of the team's targets a lead set (``targets_set``); a target not set has no row."""

    __tablename__ = "targets"
    name: str = Field(primary_key=True)
    value: float
    updated_at: str
    updated_by: str


class OfferRow(SQLModel, table=True):
    """Each offer the hub made (routing by offers) and how it ended, for the metrics."""

    __tablename__ = "offers"
    id: int | None = Field(default=None, primary_key=True)
    handoff_id: str = Field(index=True)
    user_id: str
    offered_at: str
    #: accepted (claimed by its agent), declined, expired, moved (its agent went busy, away or
    #: offline) or withdrawn (claimed by someone else, moved to a queue, routing turned off).
    outcome: str | None = None
    ended_at: str | None = None


def _table(model: type[SQLModel]) -> Table:
    """The table of a SQLModel class (which SQLModel does not declare to type checkers)."""
    table = vars(model)["__table__"]
    assert isinstance(table, Table)
    return table


#: The tables as SQLAlchemy Core sees them; the storage modules query through these.
USERS = _table(UserRow)
HANDOFFS = _table(HandoffRow)
EVENTS = _table(EventRow)
RESULTS = _table(ResultRow)
CONVERSATIONS = _table(ConversationRow)
CANNED = _table(CannedRow)
OFFERS = _table(OfferRow)
TARGETS = _table(TargetRow)
META = _table(Meta)
