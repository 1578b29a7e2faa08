"""Saved replies: the team's list, its placeholders, and the opening line offered on a claim.

The list is asked of the hub (``canned_list``) after every resume and whenever a lead changes
it (``canned.changed``), and kept in the cache so it is there offline. Leads change it with
``canned_save`` and ``canned_delete``, which need the hub. Filling the placeholders is pure
(:func:`fill_placeholders`): the desktop does it when the agent inserts a reply, before the
agent edits and sends it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agent_desk.client.queries import Queries
from agent_desk.client.reports import Reports
from agent_desk.client.surface import CannedReply, Notice, NoticeKind

log = logging.getLogger(__name__)

#: The placeholders the protocol names; an unknown one is left as written.
PLACEHOLDERS = ("customer_name", "customer_first_name", "agent_name", "order")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: An order number as customers and bots write them: "#4521", "order B-1001", "A1234567".
_ORDER = re.compile(
    r"#\s?([A-Z]{0,3}-?\d{3,12})\b|\border\s+(?:number\s+|no\.?\s+)?#?([A-Z]{0,3}-?\d{3,12})\b",
    re.IGNORECASE,
)
#: From this overall sentiment down, the opening line apologises rather than summarises.
DISTRESSED = -0.5
#: The id of the suggested opening line in the list (never a hub id: those are the hub's).
OPENING_ID = "opening"


def replies_from_wire(items: Any) -> tuple[CannedReply, ...]:
    """The saved replies of a ``canned_list`` answer; malformed entries are left out."""
    found: list[CannedReply] = []
    for item in items if isinstance(items, list | tuple) else ():
        if not isinstance(item, Mapping):
            continue
        reply_id, title, text = item.get("id"), item.get("title"), item.get("text")
        if not (isinstance(reply_id, str) and isinstance(title, str) and isinstance(text, str)):
            continue
        queues = item.get("queues")
        names = tuple(q for q in queues if isinstance(q, str)) if isinstance(queues, list | tuple) else ()
        found.append(CannedReply(reply_id, title, text, names))
    return tuple(sorted(found, key=lambda r: r.title.casefold()))


# -- placeholders ----------------------------------------------------------------------------


def first_order_number(transcript: Sequence[Any]) -> str | None:
    """The first order number the transcript mentions ("#B-1001" -> "B-1001"), or None."""
    for message in transcript:
        if not isinstance(message, Mapping) or message.get("role") == "note":
            continue
        found = _ORDER.search(str(message.get("text", "")))
        if found:
            return found.group(1) or found.group(2)
    return None


def placeholder_values(handoff: Mapping[str, Any], agent_name: str) -> dict[str, str]:
    """What each placeholder stands for in ``handoff``, when known."""
    customer = handoff.get("customer")
    name = str(customer.get("name") or "").strip() if isinstance(customer, Mapping) else ""
    agent = agent_name.strip()
    # user names are often login names ("anna"): a name in lower case is shown capitalised
    values = {"agent_name": agent[:1].upper() + agent[1:] if agent.islower() else agent}
    if name:
        values["customer_name"] = name
        values["customer_first_name"] = name.split()[0]
    transcript = handoff.get("transcript")
    order = first_order_number(transcript if isinstance(transcript, list | tuple) else ())
    if order:
        values["order"] = order
    return {k: v for k, v in values.items() if v}


def fill_placeholders(text: str, handoff: Mapping[str, Any], agent_name: str) -> str:
    """``text`` with each known placeholder filled in; unknown or unfillable ones stay as written."""
    values = placeholder_values(handoff, agent_name)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# -- the opening line ------------------------------------------------------------------------

#: What the customer has been dealing with, by category, in the agent's words to them: a
#: problem the bot tried to fix ("troubleshooting ...") or ...
_TOPIC = {
    "billing_dispute": "a problem with a charge",
    "billing": "a billing question",
    "orders": "a problem with your order",
    "technical": "a technical problem",
    "account": "a problem with your account",
}
#: ... what the customer raised, said as it is (no one "troubleshoots" a complaint).
_RAISED = {
    "cancellation": "I see you'd like to cancel your plan.",
    "legal": "I see you've raised a formal complaint, and I'm taking it seriously.",
    "compliance": "I see you've raised a formal complaint, and I'm taking it seriously.",
    "safety": "I see you've reported a safety issue; your safety comes first.",
    "privacy": "I see you've made a data privacy request.",
}


def opening_line(handoff: Mapping[str, Any], agent_name: str) -> str:
    """A first message that shows the customer the agent has read the conversation.

    "Hi Dana, I'm Anna. I see you've been troubleshooting a problem with your order (#4521)
    with our assistant. Let me take it from here." A distressed customer is met with an
    apology instead of a summary. Built from what the handoff holds (its category, order
    number, what the bot tried, the mood), never from guesses.
    """
    values = placeholder_values(handoff, agent_name)
    language = str(handoff.get("language") or "en").split("-")[0].lower()
    if language in _OPENING:
        return _opening_in(_OPENING[language], values, _distressed(handoff))
    greeting = f"Hi {values['customer_first_name']}," if "customer_first_name" in values else "Hi,"
    me = f" I'm {values['agent_name']}." if "agent_name" in values else ""
    category = str(handoff.get("category") or handoff.get("queue") or "")
    topic = _TOPIC.get(category)
    order = values.get("order")
    if topic is not None and order and topic in ("a problem with your order", "a problem with a charge"):
        topic = f"{topic} (#{order})"
    attempts = handoff.get("attempts")
    tried = isinstance(attempts, list | tuple) and bool(attempts)
    if _distressed(handoff):
        body = " I've read everything you told our assistant, and I'm sorry you've had to deal with this."
        body += " I'll take it from here."
    elif category in _RAISED:
        body = f" {_RAISED[category]} Let me take it from here."
    elif topic is not None:
        verb = "troubleshooting" if tried else "trying to sort out"
        body = f" I see you've been {verb} {topic}{' with our assistant' if tried else ''}. Let me take it from here."
    else:
        body = " I've read your conversation so far, so there's no need to repeat anything. Let me take it from here."
    return f"{greeting}{me}{body}"


#: The opening line in the customer's language: (hi, I'm, I've read it all, I'm sorry, I take over).
_OPENING: dict[str, tuple[str, str, str, str, str]] = {
    "de": (
        "Hallo",
        "ich bin {agent_name}.",
        "Ich habe Ihr ganzes Gespräch mit unserem Assistenten gelesen, Sie müssen nichts wiederholen.",
        "Es tut mir leid, dass Sie das durchmachen müssen.",
        "Ich übernehme ab hier.",
    ),
    "es": (
        "Hola",
        "soy {agent_name}.",
        "He leído toda su conversación con nuestro asistente, no hace falta que repita nada.",
        "Siento mucho que haya tenido que pasar por esto.",
        "A partir de aquí me ocupo yo.",
    ),
    "fr": (
        "Bonjour",
        "je m'appelle {agent_name}.",
        "J'ai lu toute votre conversation avec notre assistant, inutile de répéter quoi que ce soit.",
        "Je suis vraiment navré(e) de ce que vous traversez.",
        "Je prends le relais.",
    ),
    "it": (
        "Buongiorno",
        "sono {agent_name}.",
        "Ho letto tutta la sua conversazione con il nostro assistente, non serve ripetere nulla.",
        "Mi dispiace molto per quello che sta passando.",
        "Da qui me ne occupo io.",
    ),
    "pt": (
        "Olá",
        "sou {agent_name}.",
        "Li toda a sua conversa com o nosso assistente, não precisa repetir nada.",
        "Lamento muito o que está a passar.",
        "A partir daqui, fico eu com o seu caso.",
    ),
    "nl": (
        "Hallo",
        "ik ben {agent_name}.",
        "Ik heb uw hele gesprek met onze assistent gelezen, u hoeft niets te herhalen.",
        "Het spijt me dat u dit moet meemaken.",
        "Ik neem het vanaf hier over.",
    ),
}


def _opening_in(words: tuple[str, str, str, str, str], values: Mapping[str, str], distressed: bool) -> str:
    """The opening line from one language's sentences (no topic: those are English phrases)."""
    hello, me, read, sorry, take_over = words
    name = values.get("customer_first_name")
    greeting = f"{hello} {name}," if name else f"{hello},"
    introduce = " " + me.replace("{agent_name}", values["agent_name"]) if "agent_name" in values else ""
    if not introduce:
        greeting = greeting.rstrip(",") + "."
    middle = f" {sorry}" if distressed else ""
    return f"{greeting}{introduce} {read}{middle} {take_over}"


def _distressed(handoff: Mapping[str, Any]) -> bool:
    """Whether triage found the customer upset (a sentiment reason, or a low mood overall)."""
    reasons = handoff.get("reasons")
    for reason in reasons if isinstance(reasons, list | tuple) else ():
        if isinstance(reason, Mapping) and reason.get("trigger") == "negative_sentiment":
            return True
    sentiment = handoff.get("sentiment")
    compound = sentiment.get("compound") if isinstance(sentiment, Mapping) else None
    return isinstance(compound, int | float) and compound <= DISTRESSED


def opening_reply(handoff: Mapping[str, Any], agent_name: str) -> CannedReply:
    """The opening line as the first entry of the saved-reply picker."""
    return CannedReply(OPENING_ID, "Opening line", opening_line(handoff, agent_name))


# -- on the engine thread --------------------------------------------------------------------


class SavedReplies:
    """The team's saved replies on the engine thread: asked, kept, changed.

    Args:
        reports: answers go to the listener's ``on_canned``; refusals to ``on_notice``.
        queries: sends the requests while online.
        remember: keeps the list's JSON in the cache, so it is there offline.
    """

    def __init__(self, reports: Reports, queries: Queries, remember: Callable[[str], None]) -> None:
        self._reports = reports
        self._queries = queries
        self._remember = remember
        self.replies: tuple[CannedReply, ...] = ()

    def load(self, stored: str | None) -> None:
        """Report the list kept in the cache (at start, before the hub is reached)."""
        if stored:
            try:
                self.replies = replies_from_wire(json.loads(stored))
            except ValueError:
                log.warning("the saved replies kept in the cache could not be read; asking the hub")
        self._reports.emit("on_canned", self.replies)

    def refresh(self) -> None:
        """Ask the hub for the list (after a resume, or when it changed)."""
        frame = {"type": "canned_list", "id": uuid.uuid4().hex}
        self._queries.ask(frame, self._listed)

    def _listed(self, data: Mapping[str, Any] | None, error: str | None) -> None:
        if data is None:
            log.info("saved replies not refreshed: %s", error)
            return
        replies = replies_from_wire(data.get("responses"))
        if replies != self.replies:
            self.replies = replies
            self._remember(json.dumps([r.to_wire() for r in replies]))
            self._reports.emit("on_canned", replies)

    def save(self, frame: dict[str, Any]) -> None:
        """Send a ``canned_save`` (a lead's new or edited reply); a refusal is a notice."""
        self._queries.ask(frame, self._changed("save"))

    def delete(self, frame: dict[str, Any]) -> None:
        """Send a ``canned_delete``; a refusal is a notice."""
        self._queries.ask(frame, self._changed("delete"))

    def _changed(self, action: str) -> Callable[[Mapping[str, Any] | None, str | None], None]:
        def answer(data: Mapping[str, Any] | None, error: str | None) -> None:
            if data is None:
                self._reports.emit("on_notice", Notice(NoticeKind.SAVED_REPLY_NOT_CHANGED, action=action, detail=error))
            else:
                self.refresh()  # canned.changed comes too; asking once more costs little

        return answer
