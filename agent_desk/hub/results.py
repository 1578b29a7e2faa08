"""Stored results of state-changing requests, keyed by user and request id, for idempotent replay.

A request's result is stored in the transaction of its effect; the same user repeating the id
gets it again. Functions take an open connection; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select

from agent_desk.hub.models import RESULTS
from agent_desk.protocol.messages import encode

INSERT_RESULT = RESULTS.insert()
SELECT_RESULT = select(RESULTS.c.request_hash, RESULTS.c.result).where(
    RESULTS.c.user_id == bindparam("user_id"), RESULTS.c.request_id == bindparam("request_id")
)


def request_hash(body: Mapping[str, Any]) -> str:
    """Fingerprint of a request, to tell a retry from a different request with the same id."""
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def load(conn: Connection, user_id: str, request_id: str) -> tuple[str, str] | None:
    """The stored ``(request hash, encoded result)`` of a request, or None."""
    row = conn.execute(SELECT_RESULT, {"user_id": user_id, "request_id": request_id}).first()
    return (row.request_hash, row.result) if row is not None else None


def save(conn: Connection, user_id: str, request_id: str, digest: str, result: dict[str, Any], created_at: str) -> None:
    """Store a request's result (``digest`` is its :func:`request_hash`)."""
    conn.execute(
        INSERT_RESULT,
        {
            "user_id": user_id,
            "request_id": request_id,
            "request_hash": digest,
            "result": encode(result),
            "created_at": created_at,
        },
    )


def prune_before(conn: Connection, cutoff: str) -> int:
    """Drop results stored before ``cutoff``; returns how many."""
    return int(conn.execute(delete(RESULTS).where(RESULTS.c.created_at < cutoff)).rowcount)
