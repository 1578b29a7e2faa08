"""Requests asked of the hub and answered, not recorded: figures, saved replies.

Unlike the outbox's requests, these are sent only while online: when the hub is out of reach,
or the connection drops before the answer, the asker is answered at once with the reason (the
person asks again). A retryable refusal (``rate_limited``, ``unavailable``) is sent again after
the hub's ``retry_after_ms``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from agent_desk.client.reports import Reports
from agent_desk.client.sender import Sender, retry_delay
from agent_desk.client.surface import Link
from agent_desk.protocol.codes import RETRYABLE_CODES
from agent_desk.protocol.messages import encode

#: Called with the answer's ``data`` (None on failure) and, on failure, the reason in words.
Answer = Callable[[Mapping[str, Any] | None, str | None], None]

OFFLINE = "Agent Desk is offline; this needs the hub."
LOST = "The connection to the hub was lost; ask again."


@dataclass(frozen=True, slots=True)
class _Waiting:
    frame: dict[str, Any]
    answer: Answer


class Queries:
    """The requests waiting for the hub's answer; lives on the engine thread."""

    def __init__(self, reports: Reports, sender: Sender) -> None:
        """Send over ``sender``'s connection while ``reports`` says the link is online."""
        self._reports = reports
        self._sender = sender
        self._waiting: dict[str, _Waiting] = {}  # request id -> its frame and its asker

    def ask(self, frame: dict[str, Any], answer: Answer) -> None:
        """Send ``frame`` (with its ``id``), or answer at once that the hub is out of reach."""
        if self._reports.link is not Link.ONLINE or not self._sender.connected:
            answer(None, OFFLINE)
            return
        self._waiting[str(frame["id"])] = _Waiting(frame, answer)
        self._sender.send_soon(encode(frame))

    def owns(self, request_id: object) -> bool:
        """True when ``request_id`` is a request waiting here for its answer."""
        return request_id in self._waiting

    def answered(self, frame: Mapping[str, Any]) -> None:
        """The hub's result for a waiting request."""
        request_id = str(frame.get("id"))
        waiting = self._waiting.pop(request_id, None)
        if waiting is None:
            return
        if frame.get("ok"):
            data = frame.get("data")
            waiting.answer(MappingProxyType(dict(data or {})), None)
        elif frame.get("code") in RETRYABLE_CODES:
            self._waiting[request_id] = waiting
            asyncio.get_running_loop().call_later(retry_delay(frame), self._resend, request_id)
        else:
            waiting.answer(None, str(frame.get("message") or "the hub refused"))

    def _resend(self, request_id: str) -> None:
        """Send a refused request again once the hub's delay is over (if still connected)."""
        waiting = self._waiting.get(request_id)
        if waiting is not None and self._sender.connected:
            self._sender.send_soon(encode(waiting.frame))

    def connection_lost(self) -> None:
        """The connection dropped: every waiting request is answered with an error."""
        waiting, self._waiting = self._waiting, {}
        for item in waiting.values():
            item.answer(None, LOST)
