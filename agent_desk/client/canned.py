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
    values = {"agent_name": agent_name.strip()}
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

#: What the customer has been dealing with, by category, in the agent's words to them.
_TOPIC = {
    "billing_dispute": "a problem with a charge",
    "billing": "a billing question",
    "orders": "a problem with your order",
    "technical": "a technical problem",
    "account": "a problem with your account",
    "cancellation": "cancelling your plan",
    "legal": "a serious complaint",
    "safety": "a safety issue",
    "privacy": "a data privacy request",
    "compliance": "a formal complaint",
}


def opening_line(handoff: Mapping[str, Any], agent_name: str) -> str:
    """A first message that shows the customer the agent has read the conversation.

    "Hi Dana, I see you've been troubleshooting a problem with your order #4521 with our
    assistant. I'm Anna, and I'll take it from here." Built from what the handoff holds (its
    category, order number, what the bot tried), never from guesses.
    """
    values = placeholder_values(handoff, agent_name)
    greeting = f"Hi {values['customer_first_name']}," if "customer_first_name" in values else "Hi,"
    topic = _TOPIC.get(str(handoff.get("category") or handoff.get("queue") or ""))
    order = values.get("order")
    if topic is not None and order and topic in ("a problem with your order", "a problem with a charge"):
        topic = f"{topic} (#{order})"
    attempts = handoff.get("attempts")
    verb = "troubleshooting" if isinstance(attempts, list | tuple) and attempts else "asking about"
    seen = f"I see you've been {verb} {topic} with our assistant." if topic else "I've read your conversation so far."
    me = f" I'm {values['agent_name']}, and I'll" if "agent_name" in values else " I'll"
    return f"{greeting} {seen}{me} take it from here."


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
