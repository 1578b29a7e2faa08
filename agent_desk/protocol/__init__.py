"""The escalation feed protocol, version 1: messages, validation, codes and close codes.

Pure: no I/O, no Qt, no database. Both the hub and the desktop engine build on it.
"""

from agent_desk.protocol.codes import (
    PROTOCOL_VERSION,
    CloseCode,
    Code,
    EventKind,
    Presence,
    Role,
    Status,
    Trigger,
)
from agent_desk.protocol.frames import (
    Envelope,
    Malformed,
    RequestError,
    parse_request,
    read_envelope,
)
from agent_desk.protocol.messages import encode, error_frame, result_error, result_ok
from agent_desk.protocol.timefmt import format_time, now_str, parse_time, utc_now
from agent_desk.protocol.visibility import Viewer, can_see, rank_key

__all__ = [
    "PROTOCOL_VERSION",
    "CloseCode",
    "Code",
    "Envelope",
    "EventKind",
    "Malformed",
    "Presence",
    "RequestError",
    "Role",
    "Status",
    "Trigger",
    "Viewer",
    "can_see",
    "encode",
    "error_frame",
    "format_time",
    "now_str",
    "parse_request",
    "parse_time",
    "rank_key",
    "read_envelope",
    "result_error",
    "result_ok",
    "utc_now",
]
