"""Each watched conversation's incremental triage, kept in memory and rebuilt when missing.

The state of a :class:`~agent_desk.triage.ConversationTriage` is derived from the stored
messages alone (each keeps the bot step it came with), so a session evicted from the cache, or
lost in a restart, is rebuilt to the one that ran.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from agent_desk.triage import Attempt as TAttempt
from agent_desk.triage import ConversationTriage, Triage, pair_attempts
from agent_desk.triage import Customer as TCustomer
from agent_desk.triage import Message as TMessage

#: Conversations whose incremental triage state is kept in memory (rebuilt when evicted).
TRIAGE_CACHE_SIZE = 20_000

#: A conversation's key: (source user id, conversation id).
Key = tuple[str, str]


def t_customer(customer: Mapping[str, Any]) -> TCustomer:
    """A wire customer as triage takes it."""
    return TCustomer(
        id=str(customer["id"]),
        name=str(customer["name"]),
        tier=str(customer.get("tier", "standard")),
        lifetime_value=customer.get("lifetime_value"),
        email=customer.get("email"),
        locale=customer.get("locale"),
    )


def t_message(message: Mapping[str, Any]) -> TMessage:
    """A wire message as triage takes it."""
    return TMessage(role=message["role"], text=message["text"], at=message["at"])


def t_attempt(attempt: Mapping[str, Any]) -> TAttempt:
    """A wire bot step as triage takes it."""
    return TAttempt(step=attempt["step"], result=attempt["result"], at=attempt["at"], detail=attempt.get("detail"))


def t_turns(messages: list[dict[str, Any]], attempts: list[dict[str, Any]]) -> list[tuple[TMessage, TAttempt | None]]:
    """Stored messages with the bot step each came with, as triage takes them.

    Messages keep the step they arrived with (``attempt``). Stores written before that kept
    steps apart; those steps are paired by time, within the watched messages only.
    """
    turns = [(t_message(m), t_attempt(m["attempt"]) if m.get("attempt") else None) for m in messages]
    if attempts and messages and not any(m.get("attempt") for m in messages):
        first = messages[0]["at"]
        loose = [t_attempt(a) for a in attempts if a.get("at", "") >= first]
        return pair_attempts([t for t, _ in turns], loose)
    return turns


class TriageSessions:
    """The most recently used conversations' triage sessions (least recently used evicted).

    Attributes:
        triage: the hub's triage, which starts every session.
    """

    def __init__(self, triage: Triage, size: int = TRIAGE_CACHE_SIZE) -> None:
        self.triage = triage
        self.size = size
        self._sessions: OrderedDict[Key, ConversationTriage] = OrderedDict()

    def start(self, customer: Mapping[str, Any], language: str | None, channel: str | None) -> ConversationTriage:
        """A new session for a conversation (not kept until :meth:`keep`)."""
        return self.triage.conversation(t_customer(customer), language, channel)

    def keep(self, key: Key, session: ConversationTriage) -> None:
        """Keep ``session`` as the conversation's, the most recently used."""
        self._sessions[key] = session
        self._sessions.move_to_end(key)
        while len(self._sessions) > self.size:
            self._sessions.popitem(last=False)

    def forget(self, key: Key) -> None:
        """Drop a conversation's session (it ended, or the store is behind it)."""
        self._sessions.pop(key, None)

    def of(
        self,
        key: Key,
        row: Any,
        customer: dict[str, Any],
        watched: list[dict[str, Any]],
        attempts: list[dict[str, Any]],
    ) -> ConversationTriage:
        """The conversation's session over ``watched``, rebuilt from them when not cached.

        Args:
            row: the conversation's stored row (its language and channel start a rebuild).
        """
        session = self._sessions.get(key)
        if session is not None:
            self._sessions.move_to_end(key)
            return session
        session = self.start(customer, row.language, row.channel)
        for message, attempt in t_turns(watched, attempts):
            session.add_message(message, attempt)
        self.keep(key, session)
        return session
