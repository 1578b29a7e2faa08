"""A handoff as the desktop shows it: typed, read-only, and as cheap to make as a wrapper can be.

The engine keeps handoffs as plain dicts on its hot path (decoding, applying, writing the
cache): a validated model per frame would cost more than a burst allows. It wraps each one in a
:class:`HandoffView` once, when it reports it (``Cache._shown``), and from there to the screen a
handoff is typed: ``handoff.priority`` is an ``int``, ``handoff.customer.name`` a ``str``,
``handoff.transcript`` a tuple of :class:`MessageView`. Making a view copies and checks nothing;
each field is read from the dict when asked for, and the nested views (customer, reasons,
attempts, transcript, outcome, offer) are built on first use and kept.

**One rule for what a hub sends wrong.** A field that is missing, of the wrong type or out of
range reads as its absent value, and no accessor ever raises: ``None`` for an optional field,
``""`` for text, ``()`` for a list, and the stated default for the few that have one (priority 4,
tier ``"standard"``, sync ``SYNCED``). Numbers are ints (or finite floats where the protocol says
float), never bools; list entries that are not objects are left out. A handoff from a newer hub
keeps every field this version does not know, reachable as a mapping (``handoff["new_field"]``).

A view is also a read-only :class:`~collections.abc.Mapping` over its dict, so code that still
reads keys keeps working. It compares equal to any mapping with the same items and, like the
dict it wraps, is not hashable. The engine never changes a dict once it is wrapped.
"""

from __future__ import annotations

import math
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NoReturn

from agent_desk.client.outbox import PENDING_MESSAGE
from agent_desk.protocol.codes import Status
from agent_desk.protocol.visibility import rank_key

#: Priority of a handoff whose own is missing or not 1-4: the least urgent.
DEFAULT_PRIORITY = 4
DEFAULT_TIER = "standard"


class SyncState(StrEnum):
    """What the person recorded on an item, as far as the hub knows."""

    SYNCED = "synced"
    PENDING = "pending"  # in the outbox, not yet confirmed by the hub
    ATTENTION = "needs_attention"  # the hub refused it finally; see AttentionItem


_STATUSES: dict[str, Status] = {s.value: s for s in Status}
_SYNCS: dict[str, SyncState] = {s.value: s for s in SyncState}
_EMPTY: Mapping[str, Any] = MappingProxyType({})


# -- the rule, once ----------------------------------------------------------------------------


def text(value: Any) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def optional_text(value: Any) -> str | None:
    """``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None


def whole(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number(value: Any) -> float | None:
    """``value`` as a finite float if it is an int or a float (not a bool), else None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return result if math.isfinite(result) else None


def unit(value: Any) -> float | None:
    """:func:`number`, held to -1..1 (a sentiment)."""
    result = number(value)
    return None if result is None else max(-1.0, min(1.0, result))


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else _EMPTY


def entries(value: Any) -> tuple[Mapping[str, Any], ...]:
    """The mappings among the entries of a list (anything else: none)."""
    if not isinstance(value, list | tuple):
        return ()
    return tuple(v for v in value if isinstance(v, Mapping))


# -- the nested parts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerView:
    """The customer of a handoff. ``history`` is free-form (the protocol does not shape it)."""

    id: str = ""
    name: str = ""
    tier: str | None = None  # the handoff's own ``tier`` comes first
    lifetime_value: float | None = None
    email: str | None = None
    locale: str | None = None
    history: tuple[Any, ...] = ()

    @classmethod
    def of(cls, value: Any) -> CustomerView:
        c = mapping(value)
        history = c.get("history")
        return cls(
            id=text(c.get("id")),
            name=text(c.get("name")),
            tier=optional_text(c.get("tier")),
            lifetime_value=number(c.get("lifetime_value")),
            email=optional_text(c.get("email")),
            locale=optional_text(c.get("locale")),
            history=tuple(history) if isinstance(history, list | tuple) else (),
        )


@dataclass(frozen=True, slots=True)
class ReasonView:
    """Why the bot handed over: a trigger, its evidence, and the message that showed it."""

    trigger: str = ""
    detail: str = ""
    score: float | None = None
    message_index: int | None = None

    @classmethod
    def of(cls, r: Mapping[str, Any]) -> ReasonView:
        index = whole(r.get("message_index"))
        return cls(
            trigger=text(r.get("trigger")),
            detail=text(r.get("detail")),
            score=number(r.get("score")),
            message_index=index if index is not None and index >= 0 else None,
        )


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One step the bot tried before it handed over."""

    step: str = ""
    result: str = ""
    at: str | None = None
    detail: str | None = None

    @classmethod
    def of(cls, a: Mapping[str, Any]) -> AttemptView:
        return cls(
            step=text(a.get("step")),
            result=text(a.get("result")),
            at=optional_text(a.get("at")),
            detail=optional_text(a.get("detail")),
        )


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message of a transcript.

    Attributes:
        index: its place in the transcript (its position there when the hub gave none).
        pending: the request id of a reply or note recorded here and not yet on the hub.
    """

    index: int = 0
    role: str = ""
    text: str = ""
    at: str | None = None
    sentiment: float | None = None
    author: str | None = None
    author_name: str | None = None
    delivered_at: str | None = None
    pending: str | None = None

    @classmethod
    def of(cls, m: Mapping[str, Any], position: int = 0) -> MessageView:
        """The message ``m`` (a mapping as the hub sends it), at ``position`` in its list."""
        index = whole(m.get("index"))
        pending = m.get(PENDING_MESSAGE)
        return cls(
            index=index if index is not None and index >= 0 else position,
            role=text(m.get("role")),
            text=text(m.get("text")),
            at=optional_text(m.get("at")),
            sentiment=unit(m.get("sentiment")),
            author=optional_text(m.get("author")),
            author_name=optional_text(m.get("author_name")),
            delivered_at=optional_text(m.get("delivered_at")),
            pending=pending if isinstance(pending, str) and pending else None,
        )


@dataclass(frozen=True, slots=True)
class OutcomeView:
    """The outcome recorded when the handoff was resolved. ``csat``: 1-5, or None."""

    resolution: str = ""
    csat: int | None = None
    disposition: str | None = None
    notes: str | None = None
    escalation_feedback: str | None = None
    recorded_by: str = ""
    recorded_at: str | None = None

    @classmethod
    def of(cls, o: Mapping[str, Any]) -> OutcomeView:
        csat = whole(o.get("csat"))
        return cls(
            resolution=text(o.get("resolution")),
            csat=csat if csat is not None and 1 <= csat <= 5 else None,
            disposition=optional_text(o.get("disposition")),
            notes=optional_text(o.get("notes")),
            escalation_feedback=optional_text(o.get("escalation_feedback")),
            recorded_by=text(o.get("recorded_by")),
            recorded_at=optional_text(o.get("recorded_at")),
        )


@dataclass(frozen=True, slots=True)
class OfferView:
    """The agent a waiting handoff is offered to now (routing by offers), until ``expires_at``."""

    to: str = ""
    expires_at: str | None = None
    round: int = 1

    @classmethod
    def of(cls, o: Mapping[str, Any]) -> OfferView:
        round_ = whole(o.get("round"))
        return cls(
            to=text(o.get("to")),
            expires_at=optional_text(o.get("expires_at")),
            round=round_ if round_ is not None and round_ >= 1 else 1,
        )


# -- the handoff -------------------------------------------------------------------------------


class HandoffView(Mapping[str, Any]):
    """One handoff, typed and read-only, over the dict the engine built (see the module's rule).

    Attributes:
        id, conversation_id, source, queue, brief: text ("" when missing).
        version: the hub's version (0 when missing).
        status: a :class:`Status` (a string the protocol does not name stays a string).
        priority: 1 (most urgent) to 4; 4 when missing or out of range.
        tier: the customer's tier as the handoff gives it (else as its customer gives it, else
            "standard").
        language, channel, category, assignee: text or None.
        conversation_started_at, escalated_at, claimed_at, resolved_at: protocol times, or None.
        sentiment: the compound sentiment, -1..1, or None; sentiment_trend: its trend, or None.
        sync: what the person recorded on it, as far as the hub knows (the local ``_sync`` key).
        customer, reasons, attempts, transcript, outcome, offer: the nested parts, typed.
    """

    __slots__ = ("_attempts", "_customer", "_data", "_offer", "_outcome", "_reasons", "_transcript")

    _data: Mapping[str, Any]
    _customer: CustomerView
    _reasons: tuple[ReasonView, ...]
    _attempts: tuple[AttemptView, ...]
    _transcript: tuple[MessageView, ...]
    _outcome: OutcomeView | None
    _offer: OfferView | None

    def __init__(self, data: Mapping[str, Any]) -> None:
        """Wrap ``data`` as it is: no copy, no check. The caller never changes it again."""
        object.__setattr__(self, "_data", data)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"a handoff is read-only ({name!r})")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"a handoff is read-only ({name!r})")

    # ---- the mapping, delegated to the dict ----------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def values(self) -> ValuesView[Any]:
        return self._data.values()

    def items(self) -> ItemsView[str, Any]:
        return self._data.items()

    def __eq__(self, other: object) -> bool:
        """Equal to any mapping with the same items (defining it leaves the view unhashable)."""
        if isinstance(other, HandoffView):
            other = other._data
        if not isinstance(other, Mapping):
            return NotImplemented
        data = self._data
        if isinstance(data, dict) and isinstance(other, dict):
            return data == other
        return dict(data.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"HandoffView({self._data!r})"

    # ---- fields --------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return text(self._data.get("id"))

    @property
    def conversation_id(self) -> str:
        return text(self._data.get("conversation_id"))

    @property
    def source(self) -> str:
        return text(self._data.get("source"))

    @property
    def version(self) -> int:
        return whole(self._data.get("version")) or 0

    @property
    def status(self) -> Status | str:
        value = self._data.get("status")
        return _STATUSES.get(value, value) if isinstance(value, str) else ""

    @property
    def queue(self) -> str:
        return text(self._data.get("queue"))

    @property
    def priority(self) -> int:
        value = whole(self._data.get("priority"))
        return value if value is not None and 1 <= value <= 4 else DEFAULT_PRIORITY

    @property
    def tier(self) -> str:
        value = self._data.get("tier")
        if isinstance(value, str) and value:
            return value
        return self.customer.tier or DEFAULT_TIER

    @property
    def language(self) -> str | None:
        return optional_text(self._data.get("language"))

    @property
    def channel(self) -> str | None:
        return optional_text(self._data.get("channel"))

    @property
    def category(self) -> str | None:
        return optional_text(self._data.get("category"))

    @property
    def brief(self) -> str:
        return text(self._data.get("brief"))

    @property
    def assignee(self) -> str | None:
        return optional_text(self._data.get("assignee"))

    @property
    def conversation_started_at(self) -> str | None:
        return optional_text(self._data.get("conversation_started_at"))

    @property
    def escalated_at(self) -> str | None:
        return optional_text(self._data.get("escalated_at"))

    @property
    def claimed_at(self) -> str | None:
        return optional_text(self._data.get("claimed_at"))

    @property
    def resolved_at(self) -> str | None:
        return optional_text(self._data.get("resolved_at"))

    @property
    def sentiment(self) -> float | None:
        return unit(mapping(self._data.get("sentiment")).get("compound"))

    @property
    def sentiment_trend(self) -> float | None:
        return number(mapping(self._data.get("sentiment")).get("trend"))

    @property
    def sync(self) -> SyncState:
        value = self._data.get("_sync")
        return _SYNCS.get(value, SyncState.SYNCED) if isinstance(value, str) else SyncState.SYNCED

    def rank_key(self) -> tuple[int, int, str, str]:
        """:func:`agent_desk.protocol.visibility.rank_key` of the handoff, on the typed fields."""
        return rank_key(
            {"priority": self.priority, "tier": self.tier, "escalated_at": self.escalated_at or "", "id": self.id}
        )

    # ---- the nested parts, made on first use -----------------------------------------------------

    @property
    def customer(self) -> CustomerView:
        try:
            return self._customer
        except AttributeError:
            value = CustomerView.of(self._data.get("customer"))
            object.__setattr__(self, "_customer", value)
            return value

    @property
    def reasons(self) -> tuple[ReasonView, ...]:
        try:
            return self._reasons
        except AttributeError:
            value = tuple(ReasonView.of(r) for r in entries(self._data.get("reasons")))
            object.__setattr__(self, "_reasons", value)
            return value

    @property
    def attempts(self) -> tuple[AttemptView, ...]:
        try:
            return self._attempts
        except AttributeError:
            value = tuple(AttemptView.of(a) for a in entries(self._data.get("attempts")))
            object.__setattr__(self, "_attempts", value)
            return value

    @property
    def transcript(self) -> tuple[MessageView, ...]:
        try:
            return self._transcript
        except AttributeError:
            raw = self._data.get("transcript")
            found = raw if isinstance(raw, list | tuple) else ()
            value = tuple(MessageView.of(m, i) for i, m in enumerate(found) if isinstance(m, Mapping))
            object.__setattr__(self, "_transcript", value)
            return value

    @property
    def outcome(self) -> OutcomeView | None:
        try:
            return self._outcome
        except AttributeError:
            raw = self._data.get("outcome")
            value = OutcomeView.of(raw) if isinstance(raw, Mapping) else None
            object.__setattr__(self, "_outcome", value)
            return value

    @property
    def offer(self) -> OfferView | None:
        try:
            return self._offer
        except AttributeError:
            raw = self._data.get("offer")
            value = OfferView.of(raw) if isinstance(raw, Mapping) else None
            object.__setattr__(self, "_offer", value)
            return value
