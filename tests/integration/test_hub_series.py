"""Metrics over time, bot CSAT and the team's targets, over a scripted day worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent_desk.protocol.timefmt import format_time
from tests.support.clock import T0, Clock, t
from tests.support.hubs import restart
from tests.support.peers import escalate_body, message

NOW = 4000  # 11:06:40, when the figures are asked for
TARGETS_UNSET = {
    "time_to_escalation_s": None,
    "wait_p90_s": None,
    "sla_breaches_per_hour": None,
    "handoff_rate_spike": None,
}
EMPTY_BUCKET = {
    "conversations": 0,
    "handoffs": 0,
    "handoff_rate": None,
    "resolution_rate": None,
    "csat_avg": None,
    "time_to_escalation_s": None,
    "wait_avg_s": None,
    "sla_breaches": 0,
}


@pytest.fixture
async def day(hub_factory):
    """From 08:00 to 12:00 (T0 is 10:00):

    - 08:00-09:00: nothing.
    - 09:00-10:00: hA (billing, p2) escalated at 09:10 a minute into its conversation, claimed
      100 s later, resolved "resolved" with CSAT 4; the bot resolved one conversation alone, rated 5.
    - 10:00-11:00: hB (p1) escalated at 10:00 two minutes in, claimed 90 s later (past its 60 s),
      resolved "unresolved" with CSAT 2, and its conversation then ended (it counts once); hC (p3)
      escalated at 10:10 30 s in, still waiting (past its 600 s); the bot resolved two alone (one
      rated 3, one not rated) and gave one up.
    - 11:00-12:00: one conversation the bot gave up on, at 11:01:40.
    - The same hour (11:00-12:00) a day before: a handoff and a bot-only conversation (rate 0.5);
      three days before: a handoff alone (rate 1). The other days of the week saw nothing.
    """
    clock = Clock()
    hub = await hub_factory(clock=clock)
    hub.add_user("lea", "lead")
    hub.add_user("ana", "agent", ("billing", "technical"))
    hub.add_user("bot", "source")
    bot, ana, lea = await hub.peer("bot"), await hub.peer("ana"), await hub.peer("lea")

    async def escalate(at: float, started: float, priority: int, conversation_id: str | None = None) -> str:
        clock.at(at)
        body = escalate_body(conversation_id, queue="billing", priority=priority)
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

    async def bot_alone(name: str, at: float, resolved: bool, csat: int | None = None) -> None:
        clock.at(at - 10)
        conv = {"id": name, "started_at": t(at - 20)}
        observed = await bot.call("observe", conversation=conv, message=message("Opening hours?", at=t(at - 15)))
        assert observed["ok"] and observed["data"]["escalated"] is False, observed
        clock.at(at)
        ending = {"csat": csat} if csat is not None else {}
        ended = await bot.call("end", conversation_id=name, resolved_by_bot=resolved, **ending)
        assert ended["ok"], ended

    h_a = await escalate(-3000, -3060, 2)
    await work(h_a, -2900, {"resolution": "resolved", "csat": 4})
    await bot_alone("bot-a", -2000, True, 5)
    h_b = await escalate(0, -120, 1, conversation_id="conv-b")
    await work(h_b, 90, {"resolution": "unresolved", "csat": 2})
    clock.at(200)
    assert (await bot.call("end", conversation_id="conv-b", resolved_by_bot=False))["ok"]
    await escalate(600, 570, 3)
    await bot_alone("bot-b", 1000, True, 3)
    await bot_alone("bot-c", 1200, False)
    await bot_alone("bot-d", 1300, True)
    await bot_alone("bot-e", 3700, False)
    # The same hour on earlier days, outside the window.
    await escalate(3900 - 86400, 3800 - 86400, 4)
    await bot_alone("yesterday", 3950 - 86400, False)
    await escalate(3900 - 3 * 86400, 3800 - 3 * 86400, 4)
    clock.at(NOW)
    return hub, clock, lea, ana, bot


async def test_hourly_series_matches_the_hand_worked_buckets(day):
    _, _, lea, _, _ = day
    result = await lea.call("metrics", since=t(-7200), until=t(7200), bucket_s=3600)
    assert result["ok"], result
    data = result["data"]
    assert [b["start"] for b in data["series"]] == [t(-7200), t(-3600), t(0), t(3600)]
    empty, nine, ten, eleven = data["series"]
    assert empty == {"start": t(-7200), **EMPTY_BUCKET}
    assert nine == {
        "start": t(-3600),
        "conversations": 2,
        "handoffs": 1,
        "handoff_rate": 0.5,
        "resolution_rate": 1.0,
        "csat_avg": 4.0,
        "time_to_escalation_s": 60.0,
        "wait_avg_s": 100.0,
        "sla_breaches": 0,
    }
    assert ten == {
        "start": t(0),
        "conversations": 5,  # hB, hC and three the bot saw to the end; hB's own ending is not another
        "handoffs": 2,
        "handoff_rate": 0.4,
        "resolution_rate": 0.0,
        "csat_avg": 2.0,
        "time_to_escalation_s": 75.0,  # (120 + 30) / 2
        "wait_avg_s": 90.0,
        "sla_breaches": 2,  # hB claimed after 90 s > 60 s; hC waiting 3400 s > 600 s
    }
    assert eleven == {**EMPTY_BUCKET, "start": t(3600), "conversations": 1, "handoff_rate": 0.0}
    # The window's figures are the buckets' together.
    assert data["handoffs"] == 3 and data["conversations"] == 8
    assert data["handoff_rate"] == 0.375 and data["sla_breaches"] == 2
    assert data["bot_resolved"] == 3 and data["bot_csat_avg"] == 4.0 and data["bot_csat_count"] == 2
    assert "bot_resolved" not in data["by_queue"]["billing"]


async def test_daily_buckets_include_the_empty_ones_and_the_hour_rates_compare_the_week(day):
    _, _, lea, _, _ = day
    since = T0 - timedelta(hours=10)  # midnight
    data = (await lea.call("metrics", since=format_time(since), until=t(14 * 3600 + 86400), bucket_s=86400))["data"]
    first, second = data["series"]
    assert first["start"] == format_time(since) and second["start"] == format_time(since + timedelta(days=1))
    assert first["handoffs"] == 3 and first["conversations"] == 8 and first["sla_breaches"] == 2
    assert first["csat_avg"] == 3.0 and first["resolution_rate"] == 0.5 and first["wait_avg_s"] == 95.0
    assert second == {"start": format_time(since + timedelta(days=1)), **EMPTY_BUCKET}
    # 11:00-12:00 now: one conversation, no handoff; a day before 0.5, three days before 1.0.
    assert data["handoff_rate_hour"] == 0.0 and data["handoff_rate_hour_weekly_avg"] == 0.75
    assert data["targets"] == TARGETS_UNSET


async def test_default_window_and_an_agent_series(day):
    _, _, lea, ana, _ = day
    data = (await lea.call("metrics", bucket_s=3600))["data"]
    assert len(data["series"]) == 24 and data["series"][0]["start"] == t(NOW - 86400)
    assert "series" not in (await lea.call("metrics"))["data"]
    mine = (await ana.call("metrics", since=t(-7200), until=t(7200), bucket_s=3600))["data"]
    assert [b["handoffs"] for b in mine["series"]] == [0, 1, 1, 0]  # hC is nobody's yet
    assert all(b["conversations"] is None and b["handoff_rate"] is None for b in mine["series"])
    assert mine["bot_resolved"] is None and mine["bot_csat_avg"] is None and mine["bot_csat_count"] is None
    assert mine["handoff_rate_hour"] is None and mine["handoff_rate_hour_weekly_avg"] is None


async def test_bucket_s_takes_an_hour_or_a_day_only(day):
    _, _, lea, _, _ = day
    for wrong in (60, 0, -3600, 3600.5, "3600", True, 604800, None):
        result = await lea.call("metrics", bucket_s=wrong)
        assert result["ok"] if wrong is None else result["code"] == "invalid", (wrong, result)
    too_long = await lea.call("metrics", since=t(-400 * 86400), until=t(0), bucket_s=3600)
    assert too_long["code"] == "invalid"
    assert len((await lea.call("metrics", since=t(-400 * 86400), until=t(0), bucket_s=86400))["data"]["series"]) == 400
    assert (await lea.call("metrics", since=t(0), until=t(0), bucket_s=3600))["data"]["series"] == []


async def test_end_takes_a_csat_only_for_what_the_bot_resolved(day):
    _, clock, lea, _, bot = day
    clock.at(NOW - 30)
    conv = {"id": "rated", "started_at": t(NOW - 60)}
    assert (await bot.call("observe", conversation=conv, message=message("Opening hours?", at=t(NOW - 50))))["ok"]
    for wrong in (
        {"resolved_by_bot": False, "csat": 4},
        {"resolved_by_bot": True, "csat": 0},
        {"resolved_by_bot": True, "csat": 6},
        {"resolved_by_bot": True, "csat": "5"},
        {"resolved_by_bot": True, "csat": 4.5},
    ):
        assert (await bot.call("end", conversation_id="rated", **wrong))["code"] == "invalid", wrong
    assert (await bot.call("end", conversation_id="rated", resolved_by_bot=True, csat=1))["ok"]
    clock.at(NOW)
    data = (await lea.call("metrics", since=t(-7200), until=t(7200)))["data"]
    assert data["bot_resolved"] == 4 and data["bot_csat_count"] == 3 and data["bot_csat_avg"] == 3.0  # (5+3+1)/3


async def test_targets_are_a_leads_kept_on_the_hub_and_reach_every_desktop(hub):
    lea, ana = await hub.peer("lea"), await hub.peer("ana")
    assert "targets" in lea.hello["features"] and "series" in lea.hello["features"]
    assert "bot_csat" in lea.hello["features"]
    assert (await lea.call("metrics"))["data"]["targets"] == TARGETS_UNSET
    assert (await ana.call("targets_set", targets={"wait_p90_s": 60}))["code"] == "forbidden"
    for wrong in (
        {"wait_p50_s": 60},
        {"wait_p90_s": 0},
        {"wait_p90_s": -5},
        {"wait_p90_s": "60"},
        {"wait_p90_s": True},
    ):
        assert (await lea.call("targets_set", targets=wrong))["code"] == "invalid", wrong
    assert (await lea.call("targets_set", targets=None))["code"] == "invalid"

    wanted = {"wait_p90_s": 120, "handoff_rate_spike": 1.5, "time_to_escalation_s": 300}
    first = await lea.call("targets_set", "set-1", targets=wanted)
    expected = {**TARGETS_UNSET, "wait_p90_s": 120.0, "handoff_rate_spike": 1.5, "time_to_escalation_s": 300.0}
    assert first["ok"] and first["data"] == {"targets": expected}
    assert (await ana.next_event("targets.changed"))["data"] == {"targets": expected}
    # The same id again: the stored result, and no change (so no event); with another body: invalid.
    assert await lea.call("targets_set", "set-1", targets=wanted) == first
    assert (await lea.call("targets_set", "set-1", targets={"wait_p90_s": 5}))["code"] == "invalid"
    cleared = await lea.call("targets_set", targets={"time_to_escalation_s": None, "sla_breaches_per_hour": 4})
    after = {**expected, "time_to_escalation_s": None, "sla_breaches_per_hour": 4.0}
    assert cleared["data"] == {"targets": after}
    assert (await ana.next_event("targets.changed"))["data"] == {"targets": after}  # the next one is this one
    assert (await ana.call("metrics"))["data"]["targets"] == after

    await restart(hub)
    lea = await hub.peer("lea")
    assert (await lea.call("metrics"))["data"]["targets"] == after
    assert (await lea.call("targets_set", "set-1", targets=wanted)) == first  # still stored
