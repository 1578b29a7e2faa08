"""Plain values triage reads and produces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # customer | bot | agent | system
    text: str
    at: str


@dataclass(frozen=True, slots=True)
class Attempt:
    step: str
    result: str  # succeeded | failed | unknown
    at: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    tier: str = "standard"
    lifetime_value: float | None = None
    email: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a conversation escalates: a trigger and the evidence a person can read."""

    trigger: str
    detail: str
    score: float | None = None
    message_index: int | None = None
    #: The customer's (or the bot's) words the reason rests on, on one line.
    quote: str | None = None
    #: For a sensitive topic: its category (safety, legal, privacy, billing_dispute, cancellation).
    topic: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"trigger": self.trigger, "detail": self.detail}
        if self.score is not None:
            out["score"] = round(self.score, 3)
        if self.message_index is not None:
            out["message_index"] = self.message_index
        if self.quote is not None:
            out["quote"] = self.quote
        if self.topic is not None:
            out["topic"] = self.topic
        return out


@dataclass(frozen=True, slots=True)
class Sentiment:
    compound: float
    trend: float

    def to_dict(self) -> dict[str, float]:
        return {"compound": round(self.compound, 3), "trend": round(self.trend, 3)}


@dataclass(frozen=True)
class Decision:
    """Triage's verdict on a conversation so far.

    ``brief``, ``category`` and ``queue`` are worked out on first use: most decisions are only
    asked whether to escalate.
    """

    escalate: bool
    priority: int
    reasons: tuple[Reason, ...]
    sentiment: Sentiment
    compose_brief: Callable[[], str] = field(repr=False, compare=False)
    #: (category, queue), worked out on first use: most decisions are never routed.
    compose_route: Callable[[], tuple[str, str]] = field(repr=False, compare=False)
    language: str
    #: The kinds of urgency behind ``priority`` (keys of the rules' ``[priority]`` table).
    kinds: tuple[str, ...] = ()
    #: calm, frustrated, angry or distressed: the mood the reasons show (the brief says it).
    mood: str = "calm"

    @property
    def category(self) -> str:
        return self._route()[0]

    @property
    def queue(self) -> str:
        return self._route()[1]

    def _route(self) -> tuple[str, str]:
        cached = self.__dict__.get("_route_cached")
        if cached is None:
            cached = self.compose_route()
            object.__setattr__(self, "_route_cached", cached)
        return cached

    @property
    def brief(self) -> str:
        cached = self.__dict__.get("_brief")
        if cached is None:
            cached = self.compose_brief()
            object.__setattr__(self, "_brief", cached)
        return cached

    def to_dict(self) -> dict[str, Any]:
        return {
            "escalate": self.escalate,
            "priority": self.priority,
            "queue": self.queue,
            "category": self.category,
            "language": self.language,
            "sentiment": self.sentiment.to_dict(),
            "brief": self.brief,
            "reasons": [r.to_dict() for r in self.reasons],
        }
