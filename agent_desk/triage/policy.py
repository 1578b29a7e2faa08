"""The decision, derived from a conversation's evidence alone.

Whether it escalates, how urgent it is, its category and queue, its reasons, its sentiment and
its brief all come from the same :class:`~agent_desk.triage.engine.Evidence`, so they cannot
disagree: the brief's mood is the mood the reasons name, and its topic is a reason's topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent_desk.triage.brief import compose_brief
from agent_desk.triage.model import Decision, Reason, Sentiment
from agent_desk.triage.rules import Rules

if TYPE_CHECKING:
    from agent_desk.triage.engine import Evidence

#: Categories a conversation can have when no sensitive topic decides it.
AREAS = ("orders", "billing", "technical", "account", "general")
#: The mean score (a logit) an area needs over the customer's messages to be the category;
#: below it the conversation is "general" (-0.4 is a probability of 0.4).
AREA_LOGIT = -0.4
#: How many recent customer messages the sentiment and its trend are read over.
MOOD_WINDOW = 3


def priority_kinds(evidence: Evidence) -> list[str]:
    """The kinds of urgency the evidence shows (keys of the rules' ``[priority]`` table)."""
    kinds: list[str] = []
    reasons = evidence.reasons
    for key in reasons:
        if key.startswith("topic:"):
            topic = key[len("topic:") :]
            if topic == "safety":
                kinds.append("danger")
            elif topic == "legal":
                kinds.append("legal")
            elif topic == "cancellation":
                kinds.append("leaving_high_value" if evidence.high_value_customer else "cancellation")
            else:
                kinds.append(topic)
        elif key == "negative_sentiment":
            kinds.extend(evidence.moods)
        elif key == "explicit_request":
            calm = len(reasons) == 1 and evidence.problem_at is None
            kinds.append("calm_request" if calm else "explicit_request")
        else:
            kinds.append(key)
    return kinds


def category_of(evidence: Evidence, rules: Rules) -> str:
    """The most urgent sensitive topic's category; otherwise the area the customer wrote about."""
    topics = [reason for key, reason in evidence.reasons.items() if key.startswith("topic:")]
    if topics:
        priorities = rules.priorities
        order = {"safety": "danger", "legal": "legal", "cancellation": "cancellation"}
        topic = min(
            topics, key=lambda r: (priorities.get(order.get(r.topic or "", r.topic or ""), 4), r.message_index or 0)
        ).topic or "general"
        areas = evidence.areas
        if topic == "legal" and areas.get("compliance", 0.0) > areas.get("legal", 0.0):
            return "compliance"
        return topic
    areas = evidence.areas
    count = len(evidence.customer_sentiments)
    if not areas or not count:
        return "general"
    best = max(AREAS, key=lambda area: areas.get(area, float("-inf")))
    return best if areas[best] / count >= AREA_LOGIT else "general"


def mood_of(evidence: Evidence) -> str:
    """distressed, angry, frustrated or calm: read from the same evidence as the reasons."""
    moods = evidence.moods
    if "distress" in moods:
        return "distressed"
    if "furious" in moods:
        return "angry"
    if "frustration" in moods or "repeated_failure" in evidence.reasons:
        return "frustrated"
    return "calm"


def sentiment_of(evidence: Evidence) -> Sentiment:
    """Where the customer's mood is now (the mean of the last two messages) and where it goes."""
    scores = evidence.customer_sentiments
    if not scores:
        return Sentiment(0.0, 0.0)
    recent = scores[-2:]
    window = scores[-MOOD_WINDOW:]
    trend = (window[-1] - window[0]) / (len(window) - 1) if len(window) > 1 else 0.0
    return Sentiment(sum(recent) / len(recent), trend)


def decide(evidence: Evidence, rules: Rules, language: str) -> Decision:
    """The decision for the conversation so far."""
    reasons: tuple[Reason, ...] = tuple(
        sorted(evidence.reasons.values(), key=lambda r: r.message_index if r.message_index is not None else -1)
    )
    kinds = priority_kinds(evidence)
    priority = min((rules.priorities[k] for k in kinds), default=4)
    category = category_of(evidence, rules)
    sentiment = sentiment_of(evidence)
    customer = evidence.customer
    mood = mood_of(evidence)
    failed_steps = tuple(dict.fromkeys(evidence.failed_steps))
    failures = bool(evidence.failed_turns)
    openings = tuple(evidence.openings)

    def brief() -> str:
        return compose_brief(customer, category, reasons, mood, failed_steps, failures, openings)

    return Decision(
        escalate=bool(reasons),
        priority=priority,
        queue=rules.queue_for(category, customer.tier),
        category=category,
        reasons=reasons,
        sentiment=sentiment,
        compose_brief=brief,
        language=language,
        kinds=tuple(kinds),
        mood=mood,
    )
