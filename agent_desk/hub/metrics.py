"""The escalation metrics of the ``metrics`` request, computed from stored handoffs.

Definitions (PROTOCOL.md, Metrics), with the choices the contract leaves open made explicit:

- A handoff belongs to the window by ``escalated_at``; a conversation that ended without
  escalating belongs to it by ``ended_at``.
- ``handoff_rate`` = handoffs escalated in the window / (those handoffs + conversations that
  ended in the window without escalating). In ``by_queue``/``by_trigger`` entries the
  numerator counts that queue's or trigger's handoffs over the same denominator, so the
  per-queue rates add up to the overall rate.
- Wait is ``first claim - escalated_at``: a handoff released and claimed again keeps the wait
  of its first pick-up. ``wait_p90_s`` uses the nearest-rank percentile.
- ``sla_breaches`` counts each handoff once: first claimed after its target, or never claimed
  and still waiting past it at the time of the request.
- Routing by offers: ``offers`` counts the offers made of the window's handoffs (an agent's:
  those made to it), ``offers_accepted`` those its agent claimed while the offer stood, and
  ``offer_accept_s_avg`` is the mean time from offer to that claim. Under pull routing they
  are 0, 0 and null.
- Conversations the bot resolved (``bot_resolved``, ``bot_csat_avg``, ``bot_csat_count``) are
  counted at the top level only: they have no queue and no trigger. An agent is not told them
  (null), as it is not told the handoff rate. ``series`` (with ``bucket_s``), the hour's handoff
  rates and the buckets' rules: :mod:`~agent_desk.hub.series`. ``targets``: the team's targets
  (:mod:`~agent_desk.hub.targets`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from agent_desk.hub import handoffs, offer_log, series, targets
from agent_desk.hub.offer_log import OfferFacts
from agent_desk.hub.series import SERIES_KEYS, Ending
from agent_desk.hub.store import Store
from agent_desk.hub.users import User
from agent_desk.protocol import messages as m
from agent_desk.protocol.codes import Code, Role
from agent_desk.protocol.frames import RequestError
from agent_desk.protocol.messages import result_ok
from agent_desk.protocol.timefmt import format_time, parse_time

FEEDBACK_KEYS = ("appropriate", "premature", "late")


@dataclass(frozen=True, slots=True)
class HandoffFacts:
    """What the metrics need of one handoff."""

    queue: str
    priority: int
    status: str
    triggers: frozenset[str]
    escalated_at: datetime
    conversation_started_at: datetime | None
    first_claimed_at: datetime | None
    resolution: str | None
    csat: int | None
    feedback: str | None

    @classmethod
    def of(cls, handoff: Mapping[str, Any], first_claimed_at: str | None) -> HandoffFacts:
        outcome = handoff.get("outcome") or {}
        started = handoff.get("conversation_started_at")
        return cls(
            queue=str(handoff["queue"]),
            priority=int(handoff["priority"]),
            status=str(handoff["status"]),
            triggers=frozenset(str(r["trigger"]) for r in handoff.get("reasons") or ()),
            escalated_at=parse_time(handoff["escalated_at"]),
            conversation_started_at=parse_time(started) if started else None,
            first_claimed_at=parse_time(first_claimed_at) if first_claimed_at else None,
            resolution=outcome.get("resolution") if handoff["status"] == "resolved" else None,
            csat=outcome.get("csat") if handoff["status"] == "resolved" else None,
            feedback=outcome.get("escalation_feedback"),
        )


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least ``fraction`` at or below)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1], 3)


def offer_figures(offers: Sequence[OfferFacts]) -> dict[str, Any]:
    """Routing by offers: offers made, those accepted, and the mean offer-to-claim time."""
    accepted = [
        (parse_time(o.accepted_at) - parse_time(o.offered_at)).total_seconds()
        for o in offers
        if o.accepted_at is not None
    ]
    return {"offers": len(offers), "offers_accepted": len(accepted), "offer_accept_s_avg": _mean(accepted)}


def figures(
    handoffs: Sequence[HandoffFacts],
    conversations: int | None,
    now: datetime,
    sla_targets_s: Mapping[int, float],
    with_feedback: bool = False,
    offers: Sequence[OfferFacts] = (),
) -> dict[str, Any]:
    """The figures over ``handoffs`` (and the ``offers`` made of them); ``conversations`` is
    the handoff-rate denominator."""
    resolved = [h for h in handoffs if h.status == "resolved"]
    csats = [h.csat for h in resolved if h.csat is not None]
    to_escalation = [
        (h.escalated_at - h.conversation_started_at).total_seconds()
        for h in handoffs
        if h.conversation_started_at is not None
    ]
    waits = [(h.first_claimed_at - h.escalated_at).total_seconds() for h in handoffs if h.first_claimed_at is not None]
    breaches = 0
    for h in handoffs:
        target = float(sla_targets_s.get(h.priority, sla_targets_s.get(4, 1800)))
        if h.first_claimed_at is not None:
            breaches += (h.first_claimed_at - h.escalated_at).total_seconds() > target
        elif h.status == "waiting":
            breaches += (now - h.escalated_at).total_seconds() > target
    result: dict[str, Any] = {
        "handoffs": len(handoffs),
        "handoff_rate": round(len(handoffs) / conversations, 4) if conversations else None,
        "resolved": len(resolved),
        "resolution_rate": (
            round(sum(h.resolution == "resolved" for h in resolved) / len(resolved), 4) if resolved else None
        ),
        "csat_avg": _mean([float(c) for c in csats]),
        "csat_count": len(csats),
        "time_to_escalation_s": _mean(to_escalation),
        "wait_avg_s": _mean(waits),
        "wait_p90_s": percentile(waits, 0.9),
        "sla_breaches": breaches,
        **offer_figures(offers),
    }
    if with_feedback:
        result["feedback"] = {key: sum(h.feedback == key for h in handoffs) for key in FEEDBACK_KEYS}
    return result


def _series(
    items: Sequence[HandoffFacts],
    ended: Sequence[Ending] | None,
    now: datetime,
    sla_targets_s: Mapping[int, float],
    window: tuple[datetime, datetime, int],
) -> list[dict[str, Any]]:
    """The figures of each bucket of ``window`` (since, until, bucket_s), oldest first."""
    since, until, bucket_s = window
    count = series.bucket_count(since, until, bucket_s)
    by_bucket = series.group(items, lambda h: h.escalated_at, since, bucket_s, count)
    unescalated = [e for e in ended or () if not e.escalated]
    ended_by_bucket = series.group(unescalated, lambda e: e.ended_at, since, bucket_s, count)
    rows = []
    starts = series.bucket_starts(since, bucket_s, count)
    for start, bucket, bucket_ended in zip(starts, by_bucket, ended_by_bucket, strict=True):
        seen = None if ended is None else len(bucket) + len(bucket_ended)
        figured = figures(bucket, seen, now, sla_targets_s)
        rows.append({"start": start, "conversations": seen, **{key: figured[key] for key in SERIES_KEYS[1:]}})
    return rows


def compute_metrics(
    handoffs: Iterable[HandoffFacts],
    ended: Iterable[Ending] | None,
    now: datetime,
    sla_targets_s: Mapping[int, float],
    since: str,
    until: str,
    offers: Iterable[OfferFacts] = (),
    bucket_s: int | None = None,
) -> dict[str, Any]:
    """All figures of a ``metrics`` result but the hub's settings (``targets``) and the hour's rates.

    Args:
        handoffs: the handoffs escalated in the window (already scoped to the asker).
        ended: the conversations that ended in the window, or None when the handoff rate is not
            known for this asker.
        offers: the offers made of handoffs escalated in the window (already scoped).
        bucket_s: with it, ``series`` lists the figures per bucket of this many seconds.
    """
    items = list(handoffs)
    made = list(offers)
    endings = None if ended is None else list(ended)
    conversations = None if endings is None else len(items) + sum(not e.escalated for e in endings)
    data = figures(items, conversations, now, sla_targets_s, offers=made)
    data["conversations"] = conversations
    data.update(series.bot_figures(endings))
    data["since"] = since
    data["until"] = until
    if bucket_s is not None:
        data["series"] = _series(items, endings, now, sla_targets_s, (parse_time(since), parse_time(until), bucket_s))
    by_queue: dict[str, list[HandoffFacts]] = {}
    by_trigger: dict[str, list[HandoffFacts]] = {}
    for h in items:
        by_queue.setdefault(h.queue, []).append(h)
        for trigger in h.triggers:
            by_trigger.setdefault(trigger, []).append(h)
    offers_by_queue: dict[str, list[OfferFacts]] = {}
    offers_by_trigger: dict[str, list[OfferFacts]] = {}
    for o in made:
        offers_by_queue.setdefault(o.queue, []).append(o)
        for trigger in o.triggers:
            offers_by_trigger.setdefault(trigger, []).append(o)
    data["by_queue"] = {
        q: figures(by_queue.get(q, []), conversations, now, sla_targets_s, offers=offers_by_queue.get(q, []))
        for q in sorted(by_queue.keys() | offers_by_queue.keys())
    }
    data["by_trigger"] = {
        t: figures(
            by_trigger.get(t, []),
            conversations,
            now,
            sla_targets_s,
            with_feedback=True,
            offers=offers_by_trigger.get(t, []),
        )
        for t in sorted(by_trigger.keys() | offers_by_trigger.keys())
    }
    return data


def metrics_result(store: Store, user: User, req: m.Metrics, sla_targets_s: Mapping[int, float]) -> dict[str, Any]:
    """The result of a ``metrics`` request. Runs on the storage thread.

    A lead's figures are over every handoff, an agent's over those assigned to it; the window
    defaults to the last 24 hours.

    Raises:
        RequestError: ``invalid`` when ``since`` is after ``until``, or the window holds too many
            buckets of ``bucket_s``.
        StoreUnavailable: storage failed.
    """
    now = store.clock()
    until = parse_time(req.until) if req.until else now
    since = parse_time(req.since) if req.since else until - timedelta(hours=24)
    if since > until:
        raise RequestError(Code.INVALID, "since is after until")
    if req.bucket_s is not None:
        series.bucket_count(since, until, req.bucket_s)
    since_s, until_s = format_time(since), format_time(until)
    lead = user.role == Role.LEAD

    def work(conn: Connection) -> dict[str, Any]:
        rows = handoffs.escalated_between(conn, since_s, until_s, None if lead else user.id)
        facts = [HandoffFacts.of(handoff, first_claimed_at) for handoff, first_claimed_at in rows]
        ended = series.endings(conn, since_s, until_s) if lead else None
        offers = offer_log.escalated_between(conn, since_s, until_s, None if lead else user.id)
        data = compute_metrics(facts, ended, now, sla_targets_s, since_s, until_s, offers, req.bucket_s)
        data.update(series.hour_rates(conn, now) if lead else series.UNKNOWN_HOUR_RATES)
        data["targets"] = targets.current(conn)
        return data

    return result_ok(req.id, store.read(work))
