"""The one-sentence brief an agent reads in three seconds: who, what, what the bot tried, mood."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent_desk.triage.model import Attempt, Customer, Reason, Sentiment

MAX_BRIEF = 160

CATEGORY_PHRASES = {
    "billing_dispute": "disputes a charge",
    "billing": "has a billing question",
    "orders": "has a problem with an order",
    "technical": "has a technical problem",
    "account": "needs help with their account",
    "cancellation": "wants to cancel",
    "legal": "threatens legal action",
    "safety": "reports a safety issue",
    "privacy": "has a data privacy request",
    "compliance": "raises a formal complaint",
    "general": "needs help",
}
# Specific situations recognised in what the customer wrote (first match wins).
SITUATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), phrase)
    for pattern, phrase in (
        (r"(caught|catch|on) fire|smok|burn|sparks?|melt|explod|overheat|brennt|rauch|humo|fuego|fumee|feu\b", "reports a device that overheated or burned"),
        (r"injur|hurt|bleeding|hospital|verletz|herid|bless", "reports an injury"),
        (r"\b(sue|lawyer|attorney|court|legal action|anwalt|klage|abogado|demanda|avocat|tribunal)", "threatens legal action"),
        (r"gdpr|dsgvo|rgpd|(delete|erase).*(data|information)|datos|donnees|daten", "asks about their personal data"),
        (r"charged twice|double charg|two charges|charged .* two times|dos veces|doppelt|zweimal|deux fois|double prelevement", "was charged twice"),
        (r"chargeback|dispute|my bank|refund|money back|reembolso|erstattung|rembourse", "wants money back"),
        (r"cancel|terminate|close my account|kundig|resilier|dar de baja|cancelar", "wants to cancel"),
        (r"never (arrived|came)|not arrived|didn'?t arrive|hasn'?t arrived|missing|lost|nicht angekommen|no ha llegado|no llego|pas recu|jamais recu", "says an order never arrived"),
        (r"damaged|broken|cracked|defect|beschadigt|kaputt|roto|danado|casse|endommage", "received a damaged or faulty item"),
        (r"(can'?t|cannot|unable to) (log|sign) ?in|locked out|login", "cannot log in"),
        (r"outage|is down|can'?t access|cannot access|not loading|no funciona|funktioniert nicht|ne marche pas", "reports a service that is not working"),
        (r"\blate\b|delayed|verspat|retras|en retard", "says an order is late"),
    )
)


def _who(customer: Customer, short: bool = False) -> str:
    name = customer.name.strip() or "The customer"
    if short:
        name = name.split()[0]
    if customer.tier == "vip":
        return f"{name} (VIP)"
    if customer.tier == "premium":
        return f"{name} (premium)"
    return name


def find_situation(normalised: str) -> int | None:
    """Index in SITUATIONS of the first situation a (normalised) customer message describes."""
    for index, (pattern, _) in enumerate(SITUATIONS):
        if pattern.search(normalised):
            return index
    return None


#: Categories whose phrase says little; the customer's own words say more.
GENERIC = ("general", "technical", "orders", "billing", "account")
SNIPPET_CHARS = 64


def _snippet(text: str) -> str | None:
    """The customer's opening words, whole words only, printable, for quoting in the brief."""
    words = "".join(ch if ch.isprintable() else " " for ch in text).replace('"', "'").split()
    if len(words) < 3:
        return None
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > SNIPPET_CHARS:
            return out.rstrip(",;:.") + "…"
        out = f"{out} {word}" if out else word
    return out.rstrip(",;:.!?")


def _what(category: str, situation: int | None, order: str | None, opening: str | None = None) -> str:
    phrase = None
    if category not in ("cancellation", "privacy", "compliance") and situation is not None:
        phrase = SITUATIONS[situation][1]
    if phrase is None and category in GENERIC and opening and (quote := _snippet(opening)):
        return f'writes "{quote}"'
    phrase = phrase or CATEGORY_PHRASES.get(category, "needs help")
    if order and "order" not in phrase and category in ("orders", "billing", "billing_dispute", "technical"):
        phrase += f" on order {order}"
    elif order and phrase.endswith("an order"):
        phrase = phrase[: -len("an order")] + f"order {order}"
    elif order and "an order" in phrase:
        phrase = phrase.replace("an order", f"order {order}")
    return phrase


def _tried(attempts: Sequence[Attempt], failures_without_steps: bool) -> tuple[str | None, str | None]:
    steps = list(dict.fromkeys(a.step.replace("_", " ").replace("-", " ").strip() for a in attempts if a.step))
    if steps:
        shown = steps[:2]
        listed = " and ".join(shown) if len(shown) <= 2 else ", ".join(shown)
        long = f"bot tried {listed} without success"
        return long, "bot's fixes failed"
    if failures_without_steps:
        return "bot's answers did not help", "bot could not help"
    return None, None


def _mood(reasons: Sequence[Reason], sentiment: Sentiment, low: float) -> str:
    triggers = {r.trigger for r in reasons}
    wants_person = "explicit_request" in triggers
    if low <= -0.6:
        mood = "angry"
    elif low <= -0.25 or sentiment.trend <= -0.3 or "repeated_failure" in triggers:
        mood = "frustrated"
    else:
        mood = "calm"
    if wants_person:
        return f"customer is {mood} and wants a person"
    return f"customer is {mood}"


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def compose_brief(
    customer: Customer,
    category: str,
    reasons: Sequence[Reason],
    situation: int | None,
    order: str | None,
    attempts: Sequence[Attempt],
    sentiment: Sentiment,
    low: float | None = None,
    opening: str | None = None,
) -> str:
    """One sentence of at most 160 characters, ending with a full stop, never cut mid-word.

    Args:
        situation: what :func:`find_situation` found in the customer's messages (the most
            telling one), or None.
        order: the first order number the customer gave, or None.
        low: the lowest sentiment of the customer's recent messages (sets the mood).
        opening: the customer's first message, quoted when nothing more specific is known.
    """
    what = _what(category, situation, order, opening)
    failures = any(r.trigger == "repeated_failure" for r in reasons)
    tried_long, tried_short = _tried(attempts, failures)
    mood = _mood(reasons, sentiment, sentiment.compound if low is None else low)
    candidates = []
    for who in (_who(customer), _who(customer, short=True)):
        for tried in (tried_long, tried_short, None):
            parts = [f"{who} {what}"] + ([tried] if tried else []) + [mood]
            candidates.append("; ".join(parts) + ".")
    for sentence in candidates:
        if len(sentence) <= MAX_BRIEF:
            return sentence
    fallback = f"{_who(customer, short=True)} {_what(category, situation, order)}; {mood}."
    return fallback if len(fallback) <= MAX_BRIEF else _fit(fallback[:-1], MAX_BRIEF - 1).rstrip("…") + "."
