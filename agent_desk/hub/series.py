"""Metrics over time (additions ``series`` and ``bot_csat``) and the hour's handoff rate.

- Buckets: ``metrics`` with ``bucket_s`` lists one bucket per ``bucket_s`` seconds from ``since``
  (the last one may end at ``until`` before its full width). A handoff falls in a bucket by
  ``escalated_at``, a conversation that ended without escalating by ``ended_at``: the same rules
  as the whole window, so the buckets' ``handoffs`` and ``conversations`` add up to the window's.
  The rows are grouped in one pass; the figures of each bucket are :func:`metrics.figures`.
- Conversations the bot resolved: those that ended in the window with ``resolved_by_bot`` true;
  their ratings (``end`` ``csat``) give ``bot_csat_avg`` and ``bot_csat_count``.
- The hour's handoff rate: of the current UTC clock hour, and the mean of the rates of the same
  hour on each of the previous 7 days that saw a conversation end or escalate (null when none
  did), so a desktop can tell a spike from the hour's usual load.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection

from agent_desk.hub import conversations, handoffs
from agent_desk.protocol.codes import MAX_SERIES_BUCKETS, Code
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.timefmt import format_time, parse_time

T = TypeVar("T")

#: The figures each bucket of ``series`` holds, after its ``start``.
SERIES_KEYS = (
    "conversations",
    "handoffs",
    "handoff_rate",
    "resolution_rate",
    "csat_avg",
    "time_to_escalation_s",
    "wait_avg_s",
    "sla_breaches",
)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
#: How many previous days the hour's usual handoff rate is averaged over.
WEEK_DAYS = 7


@dataclass(frozen=True, slots=True)
class Ending:
    """What the metrics need of a conversation that ended."""

    ended_at: datetime
    escalated: bool
    resolved_by_bot: bool
    csat: int | None

    @classmethod
    def of(cls, row: Any) -> Ending:
        return cls(
            ended_at=parse_time(row.ended_at),
            escalated=row.escalated_at is not None,
            resolved_by_bot=bool(row.resolved_by_bot),
            csat=int(row.csat) if row.csat is not None else None,
        )


def endings(conn: Connection, since: str, until: str) -> list[Ending]:
    """The conversations that ended in ``[since, until)``."""
    return [Ending.of(row) for row in conversations.ended_between(conn, since, until)]


def bucket_count(since: datetime, until: datetime, bucket_s: int) -> int:
    """How many buckets of ``bucket_s`` seconds cover ``[since, until)``.

    Raises:
        RequestError: ``invalid`` when they would be more than ``MAX_SERIES_BUCKETS``.
    """
    count = math.ceil((until - since).total_seconds() / bucket_s)
    if count > MAX_SERIES_BUCKETS:
        raise RequestError(
            Code.INVALID, f"the window holds {count} buckets of {bucket_s} s; at most {MAX_SERIES_BUCKETS}"
        )
    return count


def group(items: Iterable[T], at: Callable[[T], datetime], since: datetime, bucket_s: int, count: int) -> list[list[T]]:
    """``items`` in their buckets (by ``at``), in one pass; items outside every bucket are left out."""
    buckets: list[list[T]] = [[] for _ in range(count)]
    for item in items:
        index = math.floor((at(item) - since).total_seconds() / bucket_s)
        if 0 <= index < count:
            buckets[index].append(item)
    return buckets


def bucket_starts(since: datetime, bucket_s: int, count: int) -> list[str]:
    """The ``start`` of each bucket, oldest first."""
    return [format_time(since + timedelta(seconds=index * bucket_s)) for index in range(count)]


def bot_figures(ended: Sequence[Ending] | None) -> dict[str, Any]:
    """``bot_resolved``, ``bot_csat_avg`` and ``bot_csat_count`` over the conversations that
    ended (None: not known to this asker, all three null)."""
    if ended is None:
        return {"bot_resolved": None, "bot_csat_avg": None, "bot_csat_count": None}
    by_bot = [e for e in ended if e.resolved_by_bot]
    ratings = [e.csat for e in by_bot if e.csat is not None]
    return {
        "bot_resolved": len(by_bot),
        "bot_csat_avg": round(sum(ratings) / len(ratings), 3) if ratings else None,
        "bot_csat_count": len(ratings),
    }


def _rate(conn: Connection, start: datetime) -> float | None:
    """The handoff rate of the hour from ``start``, or None when nothing ended or escalated."""
    since, until = format_time(start), format_time(start + HOUR)
    escalated = handoffs.escalated_count(conn, since, until)
    seen = escalated + conversations.ended_without_escalation(conn, since, until)
    return round(escalated / seen, 4) if seen else None


def hour_rates(conn: Connection, now: datetime) -> dict[str, float | None]:
    """``handoff_rate_hour`` (the current UTC clock hour) and ``handoff_rate_hour_weekly_avg``
    (the mean rate of the same hour over the previous 7 days that knew one)."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    previous = [rate for day in range(1, WEEK_DAYS + 1) if (rate := _rate(conn, hour - day * DAY)) is not None]
    return {
        "handoff_rate_hour": _rate(conn, hour),
        "handoff_rate_hour_weekly_avg": round(sum(previous) / len(previous), 4) if previous else None,
    }


#: The hour's rates of an asker who is not told the handoff rate (an agent).
UNKNOWN_HOUR_RATES: dict[str, float | None] = {"handoff_rate_hour": None, "handoff_rate_hour_weekly_avg": None}
