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


def category_of(evidence: Evidence, rules: Rules, reasons: tuple[Reason, ...], upto: int) -> str:
    """The most urgent sensitive topic's category; otherwise the area the customer wrote about.

    Args:
        reasons: the decision's reasons, and
        upto: how many customer messages it had read (the evidence may have grown since).
    """
    topics = [reason for reason in reasons if reason.topic]
    if topics:
        priorities = rules.priorities
        order = {"safety": "danger", "legal": "legal", "cancellation": "cancellation"}
        topic = (
            min(
                topics, key=lambda r: (priorities.get(order.get(r.topic or "", r.topic or ""), 4), r.message_index or 0)
            ).topic
            or "general"
        )
        if topic == "legal":
            areas = area_scores(evidence, rules, upto)
            if areas.get("compliance", 0.0) > areas.get("legal", 0.0):
                return "compliance"
        return topic
    if not upto:
        return "general"
    count = upto
    areas = area_scores(evidence, rules, upto)
    best = max(AREAS, key=lambda area: areas.get(area, float("-inf")))
    return best if areas.get(best, float("-inf")) / count >= AREA_LOGIT else "general"


def area_scores(evidence: Evidence, rules: Rules, upto: int) -> dict[str, float]:
    """The area heads summed over the customer's first ``upto`` messages (read when first asked)."""
    model = rules.model
    rows = evidence.area_rows
    for _, text in evidence.openings[len(rows) : upto]:
        rows.append(model.area_logits(text))
    sums = [sum(column) for column in zip(*rows[:upto], strict=True)] if upto else [0.0] * len(model.area_heads)
    return {area: value for (area, _), value in zip(model.area_heads, sums, strict=True)}


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
    sentiment = sentiment_of(evidence)
    customer = evidence.customer
    mood = mood_of(evidence)
    failed_steps = tuple(dict.fromkeys(evidence.failed_steps))
    failures = bool(evidence.failed_turns)
    openings = tuple(evidence.openings)

    routed: list[tuple[str, str]] = []

    def route() -> tuple[str, str]:
        if not routed:
            category = category_of(evidence, rules, reasons, len(openings))
            routed.append((category, rules.queue_for(category, customer.tier)))
        return routed[0]

    def brief() -> str:
        return compose_brief(customer, route()[0], reasons, mood, failed_steps, failures, openings)

    return Decision(
        escalate=bool(reasons),
        priority=priority,
        reasons=reasons,
        sentiment=sentiment,
        compose_brief=brief,
        compose_route=route,
        language=language,
        kinds=tuple(kinds),
        mood=mood,
    )
