"""Metrics over a scripted day, every figure worked out by hand beforehand."""

from __future__ import annotations

import pytest

from tests.support.clock import Clock, t
from tests.support.peers import escalate_body, message


@pytest.fixture
async def day(hub_factory):
    clock = Clock()
    hub = await hub_factory(clock=clock)
    hub.add_user("lea", "lead")
    hub.add_user("ana", "agent", ("billing", "technical"))
    hub.add_user("bot", "source")
    bot, ana, lea = await hub.peer("bot"), await hub.peer("ana"), await hub.peer("lea")

    async def escalate(at: float, started: float, queue: str, priority: int, triggers: list[str]) -> str:
        clock.at(at)
        body = escalate_body(queue=queue, priority=priority, reasons=[{"trigger": tr, "detail": tr} for tr in triggers])
        body["conversation"]["started_at"] = t(started)
        result = await bot.call("escalate", **body)
        assert result["ok"], result
        return result["data"]["handoff_id"]

    async def work(handoff_id: str, claim_at: float, outcome: dict | None) -> None:
        clock.at(claim_at)
        assert (await ana.call("claim", handoff_id=handoff_id))["ok"]
        if outcome is not None:
            clock.at(claim_at + 5)
            assert (await ana.call("resolve", handoff_id=handoff_id, outcome=outcome))["ok"]

    h1 = await escalate(0, -120, "billing", 1, ["explicit_request"])
    h2 = await escalate(10, -290, "billing", 2, ["negative_sentiment", "explicit_request"])
    h3 = await escalate(20, -40, "technical", 3, ["sensitive_topic"])
    await escalate(30, 0, "technical", 1, ["repeated_failure"])  # still waiting at the end
    await work(h1, 30, {"resolution": "resolved", "csat": 5, "escalation_feedback": "appropriate"})
    await work(h2, 210, {"resolution": "unresolved", "csat": 2, "escalation_feedback": "premature"})
    await work(h3, 80, {"resolution": "follow_up", "csat": None, "escalation_feedback": "late"})
    for index, resolved in enumerate([True, True, False]):  # three the bot saw through to the end
        clock.at(40)
        conv = {"id": f"bot-only-{index}", "started_at": t(35)}
        observed = await bot.call(
            "observe", conversation=conv, message=message("What are your opening hours?", at=t(36))
        )
        assert observed["data"]["escalated"] is False
        assert (await bot.call("end", conversation_id=conv["id"], resolved_by_bot=resolved))["ok"]
    # Outside the window: escalated two days earlier.
    await escalate(-2 * 86400, -2 * 86400 - 60, "billing", 4, ["high_value"])
    clock.at(400)
    return lea, ana


async def test_lead_metrics_match_the_hand_worked_figures(day):
    lea, _ = day
    result = await lea.call("metrics")
    assert result["ok"], result
    m = result["data"]
    assert m["handoffs"] == 4 and m["conversations"] == 7
    assert m["handoff_rate"] == pytest.approx(4 / 7, abs=1e-4)
    assert m["resolution_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["csat_avg"] == 3.5 and m["csat_count"] == 2
    assert m["time_to_escalation_s"] == 127.5  # (120 + 300 + 60 + 30) / 4
    assert m["wait_avg_s"] == pytest.approx(96.667, abs=1e-3)  # (30 + 200 + 60) / 3
    assert m["wait_p90_s"] == 200
    assert m["sla_breaches"] == 2  # h2 claimed after 200 s > 180 s; h4 waiting 370 s > 60 s

    billing, technical = m["by_queue"]["billing"], m["by_queue"]["technical"]
    assert billing["handoffs"] == 2 and billing["handoff_rate"] == pytest.approx(2 / 7, abs=1e-4)
    assert billing["resolution_rate"] == 0.5 and billing["csat_avg"] == 3.5
    assert billing["time_to_escalation_s"] == 210 and billing["wait_avg_s"] == 115
    assert billing["wait_p90_s"] == 200 and billing["sla_breaches"] == 1
    assert technical["resolution_rate"] == 0 and technical["csat_avg"] is None
    assert technical["csat_count"] == 0 and technical["time_to_escalation_s"] == 45
    assert technical["wait_avg_s"] == 60 and technical["sla_breaches"] == 1

    explicit = m["by_trigger"]["explicit_request"]
    assert explicit["handoffs"] == 2
    assert explicit["feedback"] == {"appropriate": 1, "premature": 1, "late": 0}
    negative = m["by_trigger"]["negative_sentiment"]
    assert negative["csat_avg"] == 2 and negative["feedback"]["premature"] == 1
    repeated = m["by_trigger"]["repeated_failure"]
    assert repeated["resolution_rate"] is None and repeated["wait_avg_s"] is None
    assert repeated["wait_p90_s"] is None and repeated["sla_breaches"] == 1
    assert m["by_trigger"]["sensitive_topic"]["feedback"] == {"appropriate": 0, "premature": 0, "late": 1}
    assert "high_value" not in m["by_trigger"]


async def test_an_agent_gets_figures_over_its_own_handoffs(day):
    _, ana = day
    m = (await ana.call("metrics"))["data"]
    assert m["handoffs"] == 3 and m["handoff_rate"] is None
    assert m["csat_avg"] == 3.5 and m["sla_breaches"] == 1


async def test_a_window_with_nothing_in_it_gives_nulls(day):
    lea, _ = day
    m = (await lea.call("metrics", since=t(-86400 * 10), until=t(-86400 * 9)))["data"]
    assert m["handoffs"] == 0 and m["handoff_rate"] is None and m["csat_avg"] is None
    assert m["wait_p90_s"] is None and m["by_queue"] == {} and m["by_trigger"] == {}
    assert (await lea.call("metrics", since=t(10), until=t(0)))["code"] == "invalid"
