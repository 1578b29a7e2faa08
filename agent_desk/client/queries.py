"""Figures asked of the hub (``metrics``): sent while online, retried, answered by id.

The answer, or why there is none, comes through ``on_metrics`` with the request's id. A
retryable refusal (``rate_limited``, ``unavailable``) is sent again after the hub's
``retry_after_ms``; a request unanswered when the connection drops is answered with an error
(the person asks again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from agent_desk.client.reports import Reports
from agent_desk.client.sender import Sender, retry_delay
from agent_desk.client.surface import Link
from agent_desk.protocol.codes import RETRYABLE_CODES
from agent_desk.protocol.messages import encode


class MetricsRequests:
    """The metrics requests waiting for the hub's answer; lives on the engine thread."""

    def __init__(self, reports: Reports, sender: Sender) -> None:
        """Answer through ``reports``; send over ``sender``'s connection."""
        self._reports = reports
        self._sender = sender
        self._waiting: dict[str, dict[str, Any]] = {}  # request id -> its frame

    def ask(self, request_id: str, frame: dict[str, Any]) -> None:
        """Send a metrics request (``frame``), or answer at once that the hub is out of reach."""
        if self._reports.link is not Link.ONLINE or not self._sender.connected:
            self._reports.emit("on_metrics", request_id, None, "Figures need the hub; Agent Desk is offline.")
            return
        self._waiting[request_id] = frame
        self._sender.send_soon(encode(frame))

    def owns(self, request_id: object) -> bool:
        """True when ``request_id`` is a metrics request waiting for its answer."""
        return request_id in self._waiting

    def answered(self, frame: Mapping[str, Any]) -> None:
        """The hub's result for a metrics request."""
        request_id = str(frame.get("id"))
        request = self._waiting.pop(request_id, None)
        if frame.get("ok"):
            data = frame.get("data")
            self._reports.emit("on_metrics", request_id, MappingProxyType(dict(data or {})), None)
        elif frame.get("code") in RETRYABLE_CODES and request is not None:
            self._waiting[request_id] = request
            asyncio.get_running_loop().call_later(retry_delay(frame), self._resend, request_id)
        else:
            self._reports.emit("on_metrics", request_id, None, str(frame.get("message", "the hub refused")))

    def _resend(self, request_id: str) -> None:
        """Send a refused request again once the hub's delay is over (if still connected)."""
        request = self._waiting.get(request_id)
        if request is not None and self._sender.connected:
            self._sender.send_soon(encode(request))

    def connection_lost(self) -> None:
        """The connection dropped: every waiting request is answered with an error."""
        for request_id in list(self._waiting):
            self._reports.emit("on_metrics", request_id, None, "The connection to the hub was lost; ask again.")
        self._waiting.clear()
