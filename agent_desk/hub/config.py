"""Everything ``hub serve`` can be told, and the paths the hub serves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from agent_desk.protocol import codes
from agent_desk.protocol.timefmt import utc_now

AGENT_PATH, SOURCE_PATH, HEALTH_PATH = "/v1/agent", "/v1/source", "/healthz"


@dataclass
class HubConfig:
    """Everything ``hub serve`` can be told."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_origins: tuple[str, ...] = ()
    rate_agent: int = codes.RATE_LIMIT_AGENT
    rate_lead: int = codes.RATE_LIMIT_LEAD
    rate_source: int = codes.RATE_LIMIT_SOURCE
    rate_window_s: float = codes.RATE_WINDOW_S
    bad_frame_limit: int = codes.BAD_FRAME_LIMIT
    bad_frame_window_s: float = codes.BAD_FRAME_WINDOW_S
    resume_timeout_s: float = codes.RESUME_TIMEOUT_S
    ping_interval_s: float | None = codes.PING_INTERVAL_S
    ping_timeout_s: float | None = codes.PING_TIMEOUT_S
    sla_targets_s: dict[int, int] = field(default_factory=lambda: dict(codes.DEFAULT_SLA_TARGETS_S))
    triage_rules: Path | None = None
    database_url: str | None = None
    #: ``pull`` (agents pick from their queues) or ``offer`` (the hub also offers each waiting
    #: handoff to one agent at a time), and how long an offer stands.
    routing: str = codes.Routing.PULL.value
    offer_timeout_s: float = codes.DEFAULT_OFFER_TIMEOUT_S
    revocation_poll_s: float = 1.0
    prune_every_s: float = 3600.0
    #: Where the hub reads the time (tests drive it; always UTC).
    clock: Callable[[], datetime] = utc_now
