"""The one-sentence brief an agent reads in three seconds: who, what, what the bot tried, mood.

It is written from the decision's own parts: the topic it names is the topic of a reason, the
mood is the mood the reasons show, so the brief never says more, or other, than the decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent_desk.triage.model import Customer, Reason
from agent_desk.triage.text import normalise, order_number

MAX_BRIEF = 160
SNIPPET_CHARS = 64

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
#: Categories whose phrase says little; the customer's own words say more.
GENERIC = ("general", "technical", "orders", "billing", "account")


def _situations(*pairs: tuple[str | None, str, str]) -> tuple[tuple[str | None, re.Pattern[str], str], ...]:
    return tuple((topic, re.compile(pattern), phrase) for topic, pattern, phrase in pairs)


#: Specific situations, each for the topic it belongs to (None: any category). A topic's
#: situation is only used when that topic is among the reasons; the first match wins.
SITUATIONS = _situations(
    ("safety", r"injur|hurt|bleeding|hospital|verletz|herid|bless|ferit|ferid|gewond|rann", "reports an injury"),
    (
        "safety",
        r"(caught|catch|on) fire|smok|burn|sparks?|melt|explod|overheat|brennt|rauch|humo|fuego|fumee|feu\b|fumo|fumaca|rook|dym|pozar",
        "reports a device that overheated or burned",
    ),
    (
        "billing_dispute",
        r"charged twice|double charg|two charges|dos veces|doppelt|zweimal|deux fois|due volte|duas vezes|dubbel|dwa razy",
        "was charged twice",
    ),
    (
        "billing_dispute",
        r"chargeback|dispute|my bank|refund|money back|reembolso|erstattung|rembourse|rimborso|estorno|terugbetal|zwrot",
        "wants money back",
    ),
    (
        None,
        r"never (arrived|came)|not arrived|didn'?t arrive|hasn'?t arrived|nicht angekommen|no ha llegado|no llego|pas recu|jamais recu|non e arrivat|nao chegou|niet aangekomen|nie dotarl",
        "says an order never arrived",
    ),
    (
        None,
        r"damaged|broken|cracked|beschadigt|kaputt|roto|danado|casse|endommage|rotto|danificad|kapot|uszkodz|zepsut",
        "received a damaged or faulty item",
    ),
    (None, r"(can'?t|cannot|unable to) (log|sign) ?in|locked out", "cannot log in"),
    (
        None,
        r"outage|is down|no funciona|funktioniert nicht|ne marche pas|non funziona|nao funciona|werkt niet|nie dziala",
        "reports a service that is not working",
    ),
    (None, r"\blate\b|delayed|verspat|retras|en retard|in ritardo|atrasad|vertraagd|opozni", "says an order is late"),
)


def _who(customer: Customer, short: bool = False) -> str:
    name = " ".join(customer.name.split()) or "The customer"
    if short:
        name = name.split()[0]
    if customer.tier == "vip":
        return f"{name} (VIP)"
    if customer.tier == "premium":
        return f"{name} (premium)"
    return name


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


def find_situation(texts: Sequence[str], topics: set[str]) -> str | None:
    """The first situation the customer's messages describe, among those ``topics`` allow."""
    folded = [normalise(t) for t in texts]
    for topic, pattern, phrase in SITUATIONS:
        if topic is not None and topic not in topics:
            continue
        if any(pattern.search(text) for text in folded):
            return phrase
    return None


def _what(category: str, topics: set[str], texts: Sequence[str], opening: str | None) -> str:
    phrase = None
    if category in topics and category in ("safety", "billing_dispute"):
        phrase = find_situation(texts, {category}) or CATEGORY_PHRASES[category]
    elif category in GENERIC:
        phrase = find_situation(texts, set())
        if phrase is None and opening and (quoted := _snippet(opening)):
            return f'writes "{quoted}"'
    phrase = phrase or CATEGORY_PHRASES.get(category, "needs help")
    order = next((found for text in texts if (found := order_number(text))), None)
    if order and category in ("orders", "billing", "billing_dispute", "technical"):
        if phrase.endswith("an order"):
            phrase = phrase[: -len("an order")] + f"order {order}"
        elif "an order" in phrase:
            phrase = phrase.replace("an order", f"order {order}")
        else:
            phrase += f" on order {order}"
    return phrase


def _tried(steps: Sequence[str], failures: bool) -> tuple[str | None, str | None]:
    if steps:
        listed = " and ".join(steps[:2])
        return f"bot tried {listed} without success", "bot's fixes failed"
    if failures:
        return "bot's answers did not help", "bot could not help"
    return None, None


def compose_brief(
    customer: Customer,
    category: str,
    reasons: Sequence[Reason],
    mood: str,
    failed_steps: Sequence[str],
    failures: bool,
    customer_messages: Sequence[tuple[int, str]],
) -> str:
    """One sentence of at most 160 characters, ending with a full stop, never cut mid-word.

    Args:
        category: the decision's category; a sensitive one is named only if a reason raised it.
        reasons: the decision's reasons (their topics allow topic-specific situations).
        mood: the decision's mood (calm, frustrated, angry, distressed).
        failed_steps: the bot steps that failed, in order, once each.
        failures: whether any bot turn failed (with or without a step).
        customer_messages: the customer's messages so far, as (index, text).
    """
    topics = {r.topic for r in reasons if r.topic}
    texts = [text for _, text in customer_messages]
    opening = next((t for t in texts if len(t.split()) >= 3), None)
    what = _what(category, topics, texts, opening)
    tried_long, tried_short = _tried(failed_steps, failures)
    feeling = f"customer is {mood}"
    if any(r.trigger == "explicit_request" for r in reasons):
        feeling += " and wants a person"
    for who in (_who(customer), _who(customer, short=True)):
        for tried in (tried_long, tried_short, None):
            sentence = "; ".join([f"{who} {what}", *([tried] if tried else []), feeling]) + "."
            if len(sentence) <= MAX_BRIEF:
                return sentence
    plain = CATEGORY_PHRASES.get(category, "needs help")
    fallback = f"{_who(customer, short=True)} {plain}; {feeling}."
    if len(fallback) <= MAX_BRIEF:
        return fallback
    return fallback[: MAX_BRIEF - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "."
