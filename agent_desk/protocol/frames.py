"""Sans-I/O reading of incoming frames: envelope check, then typed validation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agent_desk.protocol.codes import MAX_ID_CHARS, MIN_ID_CHARS, Code
from agent_desk.protocol.messages import REQUEST_MODELS, Request


@dataclass(frozen=True, slots=True)
class Envelope:
    """A frame that is a JSON object with a string ``type`` and a valid ``id``."""

    type: str
    id: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Malformed:
    """Why a frame is not a well-formed envelope."""

    message: str


class RequestError(Exception):
    """A request that must be answered with a failed ``result``."""

    def __init__(self, code: Code, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def read_envelope(frame: str | bytes) -> Envelope | Malformed:
    """Check that a frame is a JSON object with a string type and an id of 1-64 characters."""
    if isinstance(frame, bytes | bytearray | memoryview):
        return Malformed("binary frames are not accepted; send one JSON object per text frame")
    try:
        body = json.loads(frame)
    except (ValueError, RecursionError):
        return Malformed("frame is not valid JSON")
    if not isinstance(body, dict):
        return Malformed("frame must be a JSON object")
    kind = body.get("type")
    if not isinstance(kind, str):
        return Malformed("frame needs a string 'type'")
    request_id = body.get("id")
    if not isinstance(request_id, str) or not MIN_ID_CHARS <= len(request_id) <= MAX_ID_CHARS:
        return Malformed(f"frame needs a string 'id' of {MIN_ID_CHARS}-{MAX_ID_CHARS} characters")
    return Envelope(kind, request_id, body)


def describe_validation_error(error: ValidationError) -> str:
    """A short human sentence naming the first few wrong fields."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "request"
        parts.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - len(parts)
    text = "; ".join(parts)
    return text + (f" (and {more} more)" if more > 0 else "")


def parse_request(envelope: Envelope, allowed: frozenset[str]) -> Request:
    """Validate an envelope as one of the ``allowed`` request types.

    Raises:
        RequestError: ``unknown_type`` or ``invalid``.
    """
    model = REQUEST_MODELS.get(envelope.type)
    if model is None or envelope.type not in allowed:
        raise RequestError(Code.UNKNOWN_TYPE, f"unknown request type {envelope.type!r}")
    try:
        return model.model_validate(envelope.body)
    except ValidationError as error:
        raise RequestError(Code.INVALID, describe_validation_error(error)) from None
