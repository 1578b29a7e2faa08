"""The lead's requests answered, not recorded: figures over a period and the team's targets.

:class:`LeadRequests` is mixed into :class:`agent_desk.client.engine.Engine`; both commands are
sent only while online (:class:`agent_desk.client.queries.Queries`) and answered through the
listener's ``on_metrics`` with the request id they returned.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from agent_desk.client.outbox import RequestRefused
from agent_desk.protocol.messages import Metrics

if TYPE_CHECKING:
    from agent_desk.client.queries import Answer, Queries
    from agent_desk.client.reports import Reports

#: The buckets a hub cuts a period into (``metrics`` ``bucket_s``): an hour or a day.
BUCKETS_S = (3600, 86400)
#: The targets a lead may set (``targets_set``); a missing or null one is off.
TARGET_KEYS = ("time_to_escalation_s", "wait_p90_s", "sla_breaches_per_hour", "handoff_rate_spike")


def metrics_frame(request_id: str, since: str | None, until: str | None, bucket_s: int | None) -> dict[str, Any]:
    """The ``metrics`` request (checked here, on the caller's thread).

    Raises:
        RequestRefused: ``since``/``until`` are not protocol times, or ``bucket_s`` is neither
            an hour nor a day.
    """
    fields = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
    try:
        frame = Metrics.model_validate({"type": "metrics", "id": request_id, **fields}).to_wire()
    except ValueError as error:
        raise RequestRefused(str(error)) from None
    if bucket_s is not None:
        if bucket_s not in BUCKETS_S:
            raise RequestRefused(f"bucket_s must be one of {BUCKETS_S}")
        frame["bucket_s"] = bucket_s
    return frame


def targets_frame(request_id: str, targets: Mapping[str, float | None]) -> dict[str, Any]:
    """The ``targets_set`` request: every known target, a number above zero or null (off).

    Raises:
        RequestRefused: an unknown target, or a value that is not a positive number.
    """
    unknown = sorted(set(targets) - set(TARGET_KEYS))
    if unknown:
        raise RequestRefused(f"unknown target: {', '.join(unknown)}")
    values: dict[str, float | None] = {}
    for key in TARGET_KEYS:
        value = targets.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0
        ):
            raise RequestRefused(f"{key} must be a number above zero, or empty")
        values[key] = value
    return {"type": "targets_set", "id": request_id, "targets": values}


class LeadRequests:
    """The lead's figures and targets, for :class:`~agent_desk.client.engine.Engine`.

    The engine provides ``_reports`` and ``_post_query`` (runs a query on the engine thread).
    """

    _reports: Reports

    def _post_query(self, ask: Callable[[Queries], None]) -> None:  # pragma: no cover - the engine's
        raise NotImplementedError

    def _answer(self, request_id: str) -> Answer:
        reports = self._reports

        def answer(data: Mapping[str, Any] | None, error: str | None) -> None:
            reports.emit("on_metrics", request_id, data, error)

        return answer

    def request_metrics(self, since: str | None = None, until: str | None = None, bucket_s: int | None = None) -> str:
        """Ask the hub for figures (with ``bucket_s``: a series too); answered through ``on_metrics``.

        Raises:
            RequestRefused: ``since``/``until`` are not protocol times or ``bucket_s`` is unknown.
        """
        request_id = uuid.uuid4().hex
        frame = metrics_frame(request_id, since, until, bucket_s)
        answer = self._answer(request_id)
        self._post_query(lambda queries: queries.ask(frame, answer))
        return request_id

    def set_targets(self, targets: Mapping[str, float | None]) -> str:
        """Keep the team's targets on the hub (leads only, online only).

        The answer comes through ``on_metrics`` with this id; its data holds ``targets``.

        Raises:
            RequestRefused: an unknown target or a value that is not a positive number.
        """
        request_id = uuid.uuid4().hex
        frame = targets_frame(request_id, targets)
        answer = self._answer(request_id)
        self._post_query(lambda queries: queries.ask(frame, answer))
        return request_id
