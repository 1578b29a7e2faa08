"""Stored users: who they are, their tokens' hashes, revocation and the presence they last set.

Functions take an open connection; the caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from agent_desk.hub.models import USERS
from agent_desk.protocol.codes import DEFAULT_CAPACITY
from agent_desk.protocol.visibility import Viewer


@dataclass(frozen=True, slots=True)
class User:
    """A stored user, as the hub works with it (never its token)."""

    id: str
    role: str
    queues: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    presence: str = "available"
    revoked: bool = False
    created_at: str = ""
    capacity: int = DEFAULT_CAPACITY
    last_active_at: str | None = None

    @property
    def viewer(self) -> Viewer:
        """The parts of this user that decide what it sees."""
        return Viewer.of(self.id, self.role, self.queues, self.languages)

    def to_wire(self) -> dict[str, Any]:
        """The user as ``hello`` describes it (``capacity`` too: an agent's desk shows its load)."""
        return {
            "id": self.id,
            "name": self.id,
            "role": self.role,
            "queues": list(self.queues),
            "languages": list(self.languages),
            "presence": self.presence,
            "capacity": self.capacity,
        }

    @classmethod
    def from_row(cls, row: Any) -> User:
        """A user from a row of the users table."""
        return cls(
            id=row.id,
            role=row.role,
            queues=tuple(json.loads(row.queues)),
            languages=tuple(json.loads(row.languages)),
            presence=row.presence,
            revoked=bool(row.revoked),
            created_at=row.created_at,
            capacity=int(row.capacity),
            last_active_at=row.last_active_at,
        )


def add(
    conn: Connection,
    name: str,
    role: str,
    queues: Sequence[str],
    languages: Sequence[str],
    token_hash: str,
    created_at: str,
    capacity: int = DEFAULT_CAPACITY,
) -> None:
    """Create a user, or give a revoked one a new token.

    Raises:
        ValueError: the user exists and is not revoked.
    """
    row = {
        "id": name,
        "role": role,
        "queues": json.dumps(list(queues)),
        "languages": json.dumps(list(languages)),
        "token_hash": token_hash,
        "revoked": False,
        "presence": "available",
        "created_at": created_at,
        "capacity": capacity,
    }
    existing = conn.execute(select(USERS).where(USERS.c.id == name)).first()
    if existing is not None and not existing.revoked:
        raise ValueError(f"user {name!r} exists; revoke it first to issue a new token")
    if existing is not None:
        conn.execute(update(USERS).where(USERS.c.id == name).values(**row))
    else:
        conn.execute(insert(USERS).values(**row))


def revoke(conn: Connection, name: str) -> bool:
    """Revoke a user's token; False when there is no such user or it is revoked already."""
    done = conn.execute(update(USERS).where(USERS.c.id == name, USERS.c.revoked.is_(False)).values(revoked=True))
    return bool(done.rowcount)


def everyone(conn: Connection) -> list[User]:
    """Every user, revoked ones included, by id."""
    return [User.from_row(r) for r in conn.execute(select(USERS).order_by(USERS.c.id))]


def get(conn: Connection, user_id: str) -> User | None:
    """The user with this id, or None."""
    row = conn.execute(select(USERS).where(USERS.c.id == user_id)).first()
    return User.from_row(row) if row is not None else None


def by_token_hash(conn: Connection, token_hash: str) -> User | None:
    """The unrevoked user holding the token with this hash, or None."""
    row = conn.execute(select(USERS).where(USERS.c.token_hash == token_hash, USERS.c.revoked.is_(False))).first()
    return User.from_row(row) if row is not None else None


def revoked_among(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are revoked."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = conn.execute(select(USERS.c.id).where(USERS.c.id.in_(wanted), USERS.c.revoked.is_(True))).all()
    return {r.id for r in rows}


def set_presence(conn: Connection, user_id: str, presence: str) -> None:
    """Remember the presence a user chose (restored when it comes back online)."""
    conn.execute(update(USERS).where(USERS.c.id == user_id).values(presence=presence))


SET_LAST_ACTIVE = update(USERS).where(USERS.c.id == bindparam("user_id")).values(last_active_at=bindparam("at"))


def set_last_active(conn: Connection, user_id: str, at: str) -> None:
    """Remember when a user last claimed or resolved a handoff (routing by offers)."""
    conn.execute(SET_LAST_ACTIVE, {"user_id": user_id, "at": at})


def queues_in_use(conn: Connection) -> set[str]:
    """Every queue an unrevoked user works in."""
    names: set[str] = set()
    for row in conn.execute(select(USERS.c.queues).where(USERS.c.revoked.is_(False))):
        names.update(json.loads(row[0]))
    return names
