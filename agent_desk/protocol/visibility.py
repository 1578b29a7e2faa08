"""Who sees which handoff, and the ranking every queue view uses."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from agent_desk.protocol.codes import TIER_RANK


@dataclass(frozen=True, slots=True)
class Viewer:
    """The parts of a user that decide what it sees."""

    id: str
    role: str
    queues: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()

    @classmethod
    def of(cls, user_id: str, role: str, queues: Collection[str] = (), languages: Collection[str] = ()) -> Viewer:
        return cls(user_id, role, frozenset(queues), frozenset(languages))


def language_matches(language: str | None, languages: frozenset[str]) -> bool:
    """An agent's language list matches a BCP 47 tag by its primary subtag (``de`` ~ ``de-AT``)."""
    if not languages:
        return True
    if not language:
        return False
    tag = language.lower()
    primary = tag.split("-", 1)[0]
    return tag in languages or primary in {lang.lower().split("-", 1)[0] for lang in languages}


def can_see(viewer: Viewer, handoff: Mapping[str, Any] | None) -> bool:
    """Whether ``viewer`` sees ``handoff`` (a handoff dict, or None for "did not exist").

    An agent sees waiting handoffs whose queue is one of its queues (and whose language is one
    of its languages, when it lists any), plus every handoff assigned to it. A lead sees all.
    """
    if handoff is None:
        return False
    if viewer.role == "lead":
        return True
    if handoff.get("assignee") == viewer.id:
        return True
    return (
        handoff.get("status") == "waiting"
        and handoff.get("queue") in viewer.queues
        and language_matches(handoff.get("language"), viewer.languages)
    )


def rank_key(handoff: Mapping[str, Any]) -> tuple[int, int, str, str]:
    """Sort key: priority ascending, then tier (vip first), then oldest escalation first."""
    return (
        int(handoff.get("priority", 4)),
        TIER_RANK.get(str(handoff.get("tier", "standard")), 2),
        str(handoff.get("escalated_at", "")),
        str(handoff.get("id", "")),
    )
