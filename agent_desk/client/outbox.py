"""Recorded requests: building and checking them, and what each does to a handoff locally.

Pure: no I/O. The engine records an :class:`OutboxEntry` and its optimistic change in one cache
transaction, sends it when connected and clears it when the hub answers. The local view of a
handoff is always the hub's last state with every pending entry replayed on top, in order
(:func:`replay`), so a hub event never wipes out what the person just did, and a refusal simply
removes the entry and replays the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agent_desk.protocol import transitions
from agent_desk.protocol.codes import MAX_FRAME_BYTES, MAX_HANDOFF_BYTES
from agent_desk.protocol.frames import describe_validation_error
from agent_desk.protocol.messages import (
    Claim,
    Note,
    Reassign,
    Release,
    Reply,
    Request,
    Resolve,
    SetPresence,
    encode,
    handoff_size,
)

#: The request kinds that go through the outbox.
OUTBOX_KINDS: dict[str, type[Request]] = {
    "claim": Claim,
    "release": Release,
    "resolve": Resolve,
    "reassign": Reassign,
    "presence": SetPresence,
    "reply": Reply,
    "note": Note,
}
#: The key of a message shown before the hub has it: the request id that will send it.
PENDING_MESSAGE = "_pending"
#: The ordering lane of presence changes (handoff requests are ordered per handoff).
PRESENCE_LANE = "\x00presence"


class RequestRefused(ValueError):
    """A request that cannot be recorded as given: fields wrong or too large to send."""


class NotHeld(RequestRefused):
    """A request for a handoff this desk no longer holds."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One recorded request.

    Attributes:
        request_id: the idempotency key, sent unchanged on every retry.
        kind: claim | release | resolve | reassign | presence | reply | note.
        handoff_id: the handoff it changes (None for presence).
        fields: the request's fields besides ``type`` and ``id``, as sent.
        created_at: when the person recorded it (protocol time).
        seq: recording order.
        persisted: False while it exists only in memory (the cache could not be written).
    """

    request_id: str
    kind: str
    handoff_id: str | None
    fields: Mapping[str, Any]
    created_at: str
    seq: int = 0
    persisted: bool = True

    @property
    def lane(self) -> str:
        """Entries of one lane are sent one at a time, in order."""
        return self.handoff_id if self.handoff_id is not None else PRESENCE_LANE

    def frame(self) -> dict[str, Any]:
        """The request frame to send."""
        return {"type": self.kind, "id": self.request_id, **self.fields}

    def payload_json(self) -> str:
        return encode(dict(self.fields))


def build_entry(kind: str, request_id: str, created_at: str, **fields: Any) -> OutboxEntry:
    """Validate a request the person made and wrap it for the outbox.

    Raises:
        RequestRefused: a field is wrong, or the request would not fit in one frame.
    """
    model = OUTBOX_KINDS.get(kind)
    if model is None:
        raise RequestRefused(f"{kind!r} is not a request the outbox sends")
    try:
        request = model.model_validate({"type": kind, "id": request_id, **fields})
    except ValidationError as error:
        raise RequestRefused(describe_validation_error(error)) from None
    wire = request.to_wire()
    if len(encode(wire).encode("utf-8")) > MAX_FRAME_BYTES:
        raise RequestRefused("this request is larger than the hub accepts (1 MiB)")
    body = {k: v for k, v in wire.items() if k not in ("type", "id")}
    return OutboxEntry(request_id, kind, body.get("handoff_id"), body, created_at)


def entry_from_row(row: Mapping[str, Any], persisted: bool = True) -> OutboxEntry:
    """An entry read back from the cache (or salvaged from a damaged one)."""
    return OutboxEntry(
        request_id=str(row["request_id"]),
        kind=str(row["kind"]),
        handoff_id=row["handoff_id"],
        fields=json.loads(row["payload"]),
        created_at=str(row["created_at"]),
        seq=int(row["seq"]) if row.get("seq") is not None else 0,
        persisted=persisted,
    )


def apply_entry(handoff: Mapping[str, Any], entry: OutboxEntry, user_id: str) -> dict[str, Any]:
    """The handoff as it will stand once the hub has accepted ``entry`` (a new dict).

    The same effects the hub applies (:mod:`agent_desk.protocol.transitions`), at the time the
    person acted; the hub's own result replaces it.
    """
    at = entry.created_at
    fields = entry.fields
    if entry.kind == "claim":
        return transitions.claimed(handoff, user_id, at)
    if entry.kind == "release":
        return transitions.released(handoff)
    if entry.kind == "resolve":
        return transitions.resolved(handoff, fields.get("outcome", {}), user_id, at)
    if entry.kind == "reassign":
        return transitions.reassigned(handoff, fields.get("to_user"), fields.get("to_queue"), at)
    if entry.kind in ("reply", "note"):
        message = transitions.agent_message(handoff, entry.kind, str(fields.get("text", "")), user_id, None, at)
        message[PENDING_MESSAGE] = entry.request_id
        return transitions.with_message(handoff, message)
    return dict(handoff)


def replay(base: Mapping[str, Any], entries: Iterable[OutboxEntry], user_id: str) -> dict[str, Any]:
    """``base`` (the hub's state) with every entry applied in order."""
    current = dict(base)
    for entry in entries:
        current = apply_entry(current, entry, user_id)
    return current


def check_handoff_size(handoff: Mapping[str, Any]) -> None:
    """Raise RequestRefused when the handoff would outgrow what the hub accepts."""
    if handoff_size(dict(handoff)) > MAX_HANDOFF_BYTES:
        raise RequestRefused("the handoff would grow beyond 512 KiB; shorten the notes")
