"""The team's saved replies: ``canned_list``, ``canned_save`` and ``canned_delete``, and their table.

Anyone on /v1/agent lists them; only a lead saves or deletes one, and every desktop connection
then gets ``canned.changed`` (``data`` ``{}``), so each fetches the list again. A reply's
``queues`` say where it is meant for (empty: every queue); the placeholders in its text are the
desktop's business. Functions taking a connection leave the transaction to the caller; the
handlers run inside the request's transaction on the storage thread.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from agent_desk.hub.models import CANNED
from agent_desk.hub.store import Tx
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import Code, EventKind, Role
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.messages import result_ok


def _wire(row: Any) -> dict[str, Any]:
    """A saved reply as the protocol describes it."""
    return {"id": row.id, "title": row.title, "text": row.text, "queues": json.loads(row.queues)}


def everything(conn: Connection) -> list[dict[str, Any]]:
    """Every saved reply, by title."""
    return [_wire(row) for row in conn.execute(select(CANNED).order_by(CANNED.c.title, CANNED.c.id))]


def get(conn: Connection, response_id: str) -> dict[str, Any] | None:
    """The saved reply with this id, or None."""
    row = conn.execute(select(CANNED).where(CANNED.c.id == response_id)).first()
    return _wire(row) if row is not None else None


def listing(conn: Connection, req: m.CannedList) -> dict[str, Any]:
    """The result of ``canned_list``: the team's saved replies."""
    return result_ok(req.id, {"responses": everything(conn)})


def _lead_only(user: User) -> None:
    if user.role != Role.LEAD:
        raise RequestError(Code.FORBIDDEN, "only a team lead may save or delete a saved reply")


def save(tx: Tx, user: User, req: m.CannedSave) -> dict[str, Any]:
    """Create a saved reply (no ``id``) or replace one (an ``id`` the hub does not hold: ``not_found``)."""
    _lead_only(user)
    given = req.response
    values = {
        "title": given.title,
        "text": given.text,
        "queues": json.dumps(list(dict.fromkeys(given.queues or ()))),
        "updated_at": tx.now_s,
        "updated_by": user.id,
    }
    if given.id is None:
        response_id = "cr_" + uuid.uuid4().hex[:16]
        tx.conn.execute(insert(CANNED).values(id=response_id, **values))
    else:
        response_id = given.id
        if tx.conn.execute(update(CANNED).where(CANNED.c.id == response_id).values(**values)).rowcount != 1:
            raise RequestError(Code.NOT_FOUND, f"no saved reply {response_id!r}")
    tx.emit(EventKind.CANNED_CHANGED, {}, everyone=True)
    saved = get(tx.conn, response_id)
    assert saved is not None
    return {"response": saved}


def remove(tx: Tx, user: User, req: m.CannedDelete) -> dict[str, Any]:
    """Delete a saved reply (one the hub does not hold: ``not_found``)."""
    _lead_only(user)
    if tx.conn.execute(delete(CANNED).where(CANNED.c.id == req.response_id)).rowcount != 1:
        raise RequestError(Code.NOT_FOUND, f"no saved reply {req.response_id!r}")
    tx.emit(EventKind.CANNED_CHANGED, {}, everyone=True)
    return {"response_id": req.response_id}
