"""Who is who on the hub: this user, with the presence the person chose, and the others.

The hub's ``hello`` names the user and (for leads) the team; ``presence.changed`` events
update them. A presence the person sets is shown at once and rolled back to the last one the
hub confirmed if the hub refuses it and no other change is pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from agent_desk.client.batch import AnswerItem
from agent_desk.client.outbox import OutboxEntry
from agent_desk.client.reports import Reports
from agent_desk.client.surface import UserInfo


def user_info(data: Mapping[str, Any]) -> UserInfo:
    """A user as the hub describes one (in ``hello``), with defaults for what is missing."""
    return UserInfo(
        id=str(data.get("id", "")),
        name=str(data.get("name", data.get("id", ""))),
        role=str(data.get("role", "agent")),
        queues=tuple(str(q) for q in data.get("queues") or ()),
        languages=tuple(str(lang) for lang in data.get("languages") or ()),
        presence=str(data.get("presence", "available")),
        active=int(data.get("active", 0) or 0),
        capacity=_count(data.get("capacity")),
    )


def _count(value: Any) -> int | None:
    """A non-negative whole number the hub gave, or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class Presence:
    """This user and the users the hub named, reported through ``on_presence``.

    Attributes:
        me: this user (None before the first ``hello``).
        users: user id -> what is known of them.
    """

    def __init__(self, reports: Reports) -> None:
        """Nobody known before the hub's ``hello``; changes are reported through ``reports``."""
        self._reports = reports
        self.me: UserInfo | None = None
        self.users: dict[str, UserInfo] = {}
        self._confirmed = "available"

    def greeted(self, me: UserInfo, users: Iterable[UserInfo]) -> None:
        """The hub's ``hello``: this user as the hub has them, and the team."""
        self.me = me
        self._confirmed = me.presence
        self.users = {u.id: u for u in users}

    def changed(self, data: Mapping[str, Any]) -> None:
        """A ``presence.changed`` event."""
        user_id = str(data.get("user", ""))
        known = self.users.get(user_id) or UserInfo(user_id, user_id, "agent")
        info = replace(
            known,
            presence=str(data.get("presence", known.presence)),
            active=int(data.get("active", known.active) or 0),
        )
        self.users[user_id] = info
        self._reports.emit("on_presence", info)

    def recorded(self, status: str) -> None:
        """The person set their presence: shown at once."""
        if self.me is not None:
            self.me = replace(self.me, presence=status)
            self._reports.emit("on_presence", self.me)

    def answered(self, answer: AnswerItem, pending: Iterable[OutboxEntry]) -> None:
        """The hub's final answer to a presence request; ``pending``: the outbox now."""
        if answer.frame.get("ok"):
            self._confirmed = str(answer.entry.fields.get("status", self._confirmed))
        elif self.me is not None and not any(e.kind == "presence" for e in pending):
            self.me = replace(self.me, presence=self._confirmed)
            self._reports.emit("on_presence", self.me)
