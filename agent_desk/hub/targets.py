"""The team's targets (Agent Desk's addition ``targets``): ``targets_set`` and their table.

A lead sets the targets the team works to; the hub keeps them, so every desktop shows the same
ones and they outlive a restart. ``targets_set`` names some of them (null clears one, a name not
given is left as it is); every desktop connection then gets ``targets.changed`` with all of
them, and ``metrics`` carries them too. A target not set is null. The hub only keeps them: what
counts as missing one (a spike in the handoff rate, say) is the desktop's business.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from agent_desk.hub.models import TARGETS
from agent_desk.hub.store import Tx
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import TARGET_KEYS, Code, EventKind, Role
from agent_desk.protocol.frames import RequestError


def current(conn: Connection) -> dict[str, float | None]:
    """Every target, by name in the protocol's order; None where none is set."""
    stored = {row.name: float(row.value) for row in conn.execute(select(TARGETS.c.name, TARGETS.c.value))}
    return {key: stored.get(key) for key in TARGET_KEYS}


def set_targets(tx: Tx, user: User, req: m.TargetsSet) -> dict[str, Any]:
    """Set or clear the targets ``req`` names (a lead only); returns them all."""
    if user.role != Role.LEAD:
        raise RequestError(Code.FORBIDDEN, "only a team lead may set the team's targets")
    for name, value in req.targets.changes().items():
        if value is None:
            tx.conn.execute(delete(TARGETS).where(TARGETS.c.name == name))
            continue
        values = {"value": value, "updated_at": tx.now_s, "updated_by": user.id}
        if tx.conn.execute(update(TARGETS).where(TARGETS.c.name == name).values(**values)).rowcount != 1:
            tx.conn.execute(insert(TARGETS).values(name=name, **values))
    targets = current(tx.conn)
    tx.emit(EventKind.TARGETS_CHANGED, {"targets": targets}, everyone=True)
    return {"targets": targets}
