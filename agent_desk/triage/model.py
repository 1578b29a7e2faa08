"""Plain values triage reads and produces."""

from __future__ import annotations

from dataclasses import dataclass
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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"trigger": self.trigger, "detail": self.detail}
        if self.score is not None:
            out["score"] = round(self.score, 3)
        if self.message_index is not None:
            out["message_index"] = self.message_index
        return out


@dataclass(frozen=True, slots=True)
class Sentiment:
    compound: float
    trend: float

    def to_dict(self) -> dict[str, float]:
        return {"compound": round(self.compound, 3), "trend": round(self.trend, 3)}


@dataclass(frozen=True, slots=True)
class Decision:
    """Triage's verdict on a conversation so far."""

    escalate: bool
    priority: int
    queue: str
    category: str
    reasons: tuple[Reason, ...]
    sentiment: Sentiment
    brief: str
    language: str
    message_sentiments: tuple[float | None, ...]

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
