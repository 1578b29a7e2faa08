"""What the engine tells its listener: every call guarded, and the connection status.

Every report goes through :meth:`Reports.emit` on the engine thread: a listener that raises
is logged loudly and never stops the engine. The status is reported only when it changed.
"""

from __future__ import annotations

import logging
from typing import Any

from agent_desk.client.cache import Cache
from agent_desk.client.surface import ConnectionStatus, EngineListener, Link, StorageProblem, Why

log = logging.getLogger(__name__)


class Reports:
    """The engine's one way to its listener, and the status it last reported.

    Attributes:
        status: the last status reported (read from any thread: replaced, never changed).
        link: the state of the connection (read from any thread).
        why: why the link is as it is (None: nothing to say), and ``detail`` what goes with it.
        storage_problem: what keeps the cache from being written, while it lasts.
        final: the engine stopped and will not reconnect by itself.
        cache: the open cache (its pending count goes into the status).
    """

    def __init__(self, listener: EngineListener) -> None:
        """Report to ``listener``; the status starts as connecting."""
        self._listener = listener
        self.status = ConnectionStatus(Link.CONNECTING)
        self.link = Link.CONNECTING
        self.why: Why | None = None
        self.detail: str | None = None
        self.storage_problem: StorageProblem | None = None
        self.final = False
        self.cache: Cache | None = None

    def emit(self, method: str, *args: Any) -> None:
        """Call the listener's ``method``; a failure is logged, never raised."""
        try:
            getattr(self._listener, method)(*args)
        except Exception:  # a faulty listener must not stop the engine; it is logged loudly
            log.exception("the engine listener failed in %s", method)

    def set_status(
        self,
        link: Link,
        retry_in_s: float | None = None,
        why: Why | None = None,
        detail: str | None = None,
        final: bool = False,
    ) -> None:
        """Set the link and why it is so, and report the status."""
        self.link = link
        self.why = why
        self.detail = detail
        self.final = final
        self.refresh(retry_in_s)

    def refresh(self, retry_in_s: float | None = None) -> None:
        """Report the status again if anything in it changed (pending count, storage problem)."""
        pending = self.cache.pending if self.cache is not None else 0
        status = ConnectionStatus(
            self.link, retry_in_s, pending, self.why, self.detail, self.final, self.storage_problem
        )
        if status != self.status:
            self.status = status
            self.emit("on_status", status)
