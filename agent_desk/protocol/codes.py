"""Result codes, close codes and limits of the escalation feed protocol, version 1."""

from __future__ import annotations

from enum import IntEnum, StrEnum

PROTOCOL_VERSION = 1

#: Largest frame either side accepts (bytes); larger frames close the connection with 1009.
MAX_FRAME_BYTES = 1024 * 1024
#: Largest JSON encoding of one handoff (bytes); a request that would grow it beyond is invalid.
MAX_HANDOFF_BYTES = 512 * 1024
#: Longest message ``text`` and outcome ``notes`` (characters).
MAX_TEXT_CHARS = 10_000
#: Most messages in one transcript.
MAX_TRANSCRIPT_MESSAGES = 500
#: Longest saved reply: its ``title`` and its ``text`` (characters).
MAX_CANNED_TITLE_CHARS = 80
MAX_CANNED_TEXT_CHARS = 5_000
#: Request id length bounds (characters).
MIN_ID_CHARS, MAX_ID_CHARS = 1, 64

#: Seconds a desktop client has to send ``resume`` after ``hello``.
RESUME_TIMEOUT_S = 10.0
#: WebSocket keepalive: ping interval and pong timeout (seconds).
PING_INTERVAL_S = 20.0
PING_TIMEOUT_S = 20.0
#: Bad or rejected frames tolerated within BAD_FRAME_WINDOW_S before close 4008.
BAD_FRAME_LIMIT = 20
BAD_FRAME_WINDOW_S = 60.0
#: Rate limit window and default frame budgets per connection.
RATE_WINDOW_S = 10.0
RATE_LIMIT_AGENT = 100
RATE_LIMIT_LEAD = 1_000
RATE_LIMIT_SOURCE = 5_000
#: Idempotency results and the event log are kept at least this long.
RETENTION_S = 7 * 24 * 3600
#: Default wait targets by priority (seconds).
DEFAULT_SLA_TARGETS_S: dict[int, int] = {1: 60, 2: 180, 3: 600, 4: 1800}
#: Reconnect backoff: first delay range, cap, and how long a connection must stay up to reset it.
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.5, 1.5
BACKOFF_CAP_S = 30.0
BACKOFF_RESET_AFTER_S = 30.0
#: Routing by offers: how long an offer waits for its agent (seconds), and how many handoffs an
#: agent holds at once (claimed ones plus offers pending to it) unless told otherwise.
DEFAULT_OFFER_TIMEOUT_S = 30.0
DEFAULT_CAPACITY = 3
#: Metrics over time (addition ``series``): the bucket widths ``metrics`` takes (seconds), and
#: the most buckets one ``metrics`` result lists (a longer window with them is ``invalid``).
SERIES_BUCKETS_S = (3600, 86400)
MAX_SERIES_BUCKETS = 1000
#: A bot-resolved conversation's rating (``end`` ``csat``, addition ``bot_csat``).
CSAT_MIN, CSAT_MAX = 1, 5
#: The team's targets a lead sets (Agent Desk's addition ``targets``), in the order listed.
TARGET_KEYS = ("time_to_escalation_s", "wait_p90_s", "sla_breaches_per_hour", "handoff_rate_spike")


class Code(StrEnum):
    """The ``code`` of a failed ``result`` (and ``malformed`` of an ``error`` frame)."""

    INVALID = "invalid"
    UNKNOWN_TYPE = "unknown_type"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    NOT_ASSIGNEE = "not_assignee"
    FORBIDDEN = "forbidden"
    NOT_READY = "not_ready"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
    MALFORMED = "malformed"


#: Failures that change nothing and may pass later: never stored, and the only ones clients retry.
TRANSIENT_CODES = frozenset({Code.RATE_LIMITED, Code.UNAVAILABLE, Code.NOT_READY, Code.INTERNAL})
RETRYABLE_CODES = frozenset({Code.RATE_LIMITED, Code.UNAVAILABLE})
#: Rejections that count towards the bad-frame limit (with ``malformed`` frames).
BAD_FRAME_CODES = frozenset({Code.INVALID, Code.UNKNOWN_TYPE, Code.NOT_READY, Code.FORBIDDEN})


class CloseCode(IntEnum):
    """WebSocket close codes the hub uses."""

    NORMAL = 1000
    GOING_AWAY = 1001
    MESSAGE_TOO_BIG = 1009
    TOKEN_REVOKED = 4004
    TOO_MANY_BAD_FRAMES = 4008
    NO_RESUME = 4009
    PROTOCOL_UNSUPPORTED = 4010


#: Close codes after which a client must not reconnect on its own.
FINAL_CLOSE_CODES = frozenset({CloseCode.TOKEN_REVOKED, CloseCode.PROTOCOL_UNSUPPORTED})


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    SOURCE = "source"


class Status(StrEnum):
    WAITING = "waiting"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Presence(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"
    OFFLINE = "offline"


class Tier(StrEnum):
    VIP = "vip"
    PREMIUM = "premium"
    STANDARD = "standard"
    FREE = "free"


TIER_RANK: dict[str, int] = {"vip": 0, "premium": 1, "standard": 2, "free": 3}


class Trigger(StrEnum):
    EXPLICIT_REQUEST = "explicit_request"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    REPEATED_FAILURE = "repeated_failure"
    SENSITIVE_TOPIC = "sensitive_topic"
    HIGH_VALUE = "high_value"
    MULTI_ISSUE = "multi_issue"
    SOURCE_DECISION = "source_decision"


class EventKind(StrEnum):
    HANDOFF_CREATED = "handoff.created"
    HANDOFF_UPDATED = "handoff.updated"
    MESSAGE_ADDED = "message.added"
    PRESENCE_CHANGED = "presence.changed"
    #: The team's saved replies changed (every desktop connection; ``data`` is ``{}``).
    CANNED_CHANGED = "canned.changed"
    #: The team's targets changed (every desktop connection; ``data`` is ``{"targets"}``).
    TARGETS_CHANGED = "targets.changed"
    # What a subscribed source hears about its own conversations.
    HANDOFF_CLAIMED = "handoff.claimed"
    HANDOFF_REQUEUED = "handoff.requeued"
    AGENT_MESSAGE = "agent.message"
    HANDOFF_RESOLVED = "handoff.resolved"


class Feature(StrEnum):
    """The additions to version 1 a hub may speak; ``hello`` lists those it does."""

    REPLY = "reply"
    NOTES = "notes"
    CANNED = "canned"
    SOURCE_EVENTS = "source_events"
    OFFERS = "offers"
    SERIES = "series"
    BOT_CSAT = "bot_csat"
    #: Agent Desk's own addition: the team's targets, set by a lead and kept on the hub.
    TARGETS = "targets"


class Routing(StrEnum):
    """How a hub brings waiting handoffs to agents (``hub serve --routing``)."""

    #: Agents pick handoffs from their queues.
    PULL = "pull"
    #: The hub also offers each waiting handoff to one agent at a time (addition ``offers``).
    OFFER = "offer"


class MessageRole(StrEnum):
    """Who wrote a transcript message."""

    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"
    #: An internal note: agents see it, the source never does.
    NOTE = "note"


#: Requests whose results the hub stores for idempotent replay.
STORED_REQUESTS = frozenset(
    {
        "claim",
        "release",
        "resolve",
        "reassign",
        "presence",
        "escalate",
        "observe",
        "end",
        "reply",
        "note",
        "canned_save",
        "canned_delete",
        "delivered",
        "decline",
        "targets_set",
    }
)
AGENT_REQUESTS = frozenset(
    {
        "resume",
        "claim",
        "release",
        "resolve",
        "reassign",
        "presence",
        "metrics",
        "reply",
        "note",
        "canned_list",
        "canned_save",
        "canned_delete",
        "targets_set",
    }
)
#: Agent requests a hub served with ``--routing offer`` also takes.
OFFER_REQUESTS = frozenset({"decline"})
SOURCE_REQUESTS = frozenset({"escalate", "observe", "end", "status", "subscribe", "delivered"})
