"""The desktop engine against a real hub on 127.0.0.1: session, events, requests, outbox."""

# ruff: noqa: F811  # pytest fixtures are imported by name and used as parameters

from __future__ import annotations

import asyncio
import logging
import socket

import keyring

from agent_desk.client.engine import Engine
from agent_desk.client.surface import Link, NoticeKind, SyncState, Why
from agent_desk.client.tokens import TokenStore
from tests.client_support.fixtures import (  # noqa: F401 - fixtures
    OUTCOME,
    add_standard_users,
    engine_factory,
    escalate,
    held,
    hub_view,
    processed,
    proxy_factory,
)
from tests.client_support.listener import RecordingListener
from tests.support.processes import self_signed


async def test_first_connect_reports_session_and_what_the_agent_sees(hub, engine_factory, caplog):
    caplog.set_level(logging.DEBUG)
    bot = await hub.peer("bot")
    billing = [await escalate(bot) for _ in range(2)]
    await escalate(bot, queue="technical")
    engine, seen = await engine_factory(hub.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    session = seen.sessions[-1]
    assert session.user.id == "ana" and session.user.queues == ("billing", "vip")
    assert session.sla_targets_s[1] == 60 and "technical" in session.queues
    assert set(seen.view) == set(billing)
    assert set(await held(engine)) == set(billing)
    assert all(h["_sync"] == SyncState.SYNCED for h in seen.view.values())
    assert seen.threads == {"agent-desk-engine"}
    client_logs = [r.getMessage() for r in caplog.records if r.name.startswith("agent_desk.client")]
    assert client_logs and not any(hub.tokens["ana"] in line for line in client_logs)


async def test_live_events_update_the_view_and_drop_what_becomes_invisible(hub, engine_factory):
    bot = await hub.peer("bot")
    engine, seen = await engine_factory(hub.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    first = await escalate(bot)
    await escalate(bot, queue="technical")
    await seen.wait_for(lambda: first in seen.view, what="the new handoff")
    ben = await hub.peer("ben")
    assert (await ben.call("claim", handoff_id=first))["ok"]
    await seen.wait_for(lambda: first not in seen.view, what="the claimed handoff to go")
    assert await held(engine) == {}
    assert engine.status.link is Link.ONLINE


async def test_claim_then_resolve_shows_pending_at_once_then_synced(hub, engine_factory):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    engine, seen = await engine_factory(hub.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    request_id = engine.claim(handoff_id)
    assert request_id
    await seen.wait_for(lambda: (h := seen.handoff(handoff_id)) is not None and h["status"] == "claimed")
    await seen.wait_for(lambda: seen.handoff(handoff_id)["_sync"] == SyncState.SYNCED, what="claim synced")
    assert seen.handoff(handoff_id)["assignee"] == "ana"
    engine.resolve(handoff_id, OUTCOME)
    await processed(engine)
    await seen.wait_for(lambda: seen.handoff(handoff_id)["status"] == "resolved")
    await seen.until_synced()
    hub_side = (await hub_view(hub, "ana"))[handoff_id]
    assert hub_side["status"] == "resolved" and hub_side["outcome"]["csat"] == 5
    assert seen.handoff(handoff_id)["version"] == hub_side["version"]
    assert seen.attention == ()


async def test_a_lost_claim_race_ends_in_attention_with_the_hubs_state(hub, engine_factory, proxy_factory):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    proxy = await proxy_factory(hub.hub.port)
    engine, seen = await engine_factory(proxy.url, "ana", hub.tokens["ana"])
    await seen.wait_for(lambda: seen.online and handoff_id in seen.view)
    proxy.hold()  # ana does not hear of ben's claim before she sends her own
    ben = await hub.peer("ben")
    assert (await ben.call("claim", handoff_id=handoff_id))["ok"]
    request_id = engine.claim(handoff_id)
    await seen.wait_for(lambda: seen.handoff(handoff_id)["_sync"] == SyncState.PENDING)
    await seen.wait_for(lambda: seen.status.pending == 1)
    await until_sent(engine, request_id)
    proxy.release()
    await seen.wait_for(lambda: len(seen.attention) == 1, what="the refused claim")
    (item,) = seen.attention
    assert (item.request_id, item.kind, item.code) == (request_id, "claim", "conflict")
    assert "ben" in item.message and item.payload["handoff"]["assignee"] == "ben"
    await seen.until_synced()
    assert handoff_id not in seen.view and await held(engine) == {}
    engine.dismiss_attention(request_id)
    await seen.wait_for(lambda: seen.attention == ())


async def until_sent(engine, request_id: str) -> None:
    """Poll the engine's own state until the request went out on the connection."""
    for _ in range(1000):
        if await asyncio.to_thread(engine.call, lambda: request_id in engine._inflight):
            return
    raise AssertionError("the request was never sent")


async def test_a_new_claim_is_refused_at_once_while_offline_but_resolve_is_recorded(hub, engine_factory, proxy_factory):
    bot = await hub.peer("bot")
    mine, other = await escalate(bot), await escalate(bot)
    proxy = await proxy_factory(hub.hub.port)
    engine, seen = await engine_factory(proxy.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    engine.claim(mine)
    await processed(engine)
    await seen.until_synced()
    await proxy.block()
    await seen.wait_for(lambda: seen.link is Link.RECONNECTING, what="reconnecting")
    assert seen.status.retry_in_s is not None and seen.status.why is not None
    assert engine.claim(other) is None
    await seen.wait_for(lambda: any(n.kind is NoticeKind.CLAIM_NEEDS_HUB for n in seen.notices), what="refusal notice")
    engine.resolve(mine, OUTCOME)
    await seen.wait_for(lambda: seen.handoff(mine)["status"] == "resolved" and seen.status.pending == 1)
    await proxy.unblock()
    engine.reconnect_now()
    await seen.until_synced()
    assert (await hub_view(hub, "ana"))[mine]["status"] == "resolved"
    assert seen.handoff(mine)["_sync"] == SyncState.SYNCED


async def test_200_outcomes_recorded_offline_are_all_synced_after_reconnecting(
    hub_factory, engine_factory, proxy_factory
):
    running = await hub_factory(rate_agent=2000)
    add_standard_users(running)
    bot = await running.peer("bot")
    ids = [await escalate(bot) for _ in range(200)]
    proxy = await proxy_factory(running.hub.port)
    engine, seen = await engine_factory(proxy.url, "ana", running.tokens["ana"])
    await seen.wait_for(lambda: seen.online and len(seen.view) == 200)
    for handoff_id in ids:
        engine.claim(handoff_id)
    await processed(engine)
    await seen.until_synced(timeout=30)
    await proxy.block()
    await seen.wait_for(lambda: not seen.online)
    for n, handoff_id in enumerate(ids):
        engine.resolve(handoff_id, {"resolution": "resolved", "csat": 1 + n % 5, "notes": f"case {n}"})
    await seen.wait_for(lambda: seen.status.pending == 200, what="200 pending")
    assert all(seen.handoff(h)["status"] == "resolved" for h in ids)
    await proxy.unblock()
    engine.reconnect_now()
    await seen.until_synced(timeout=60)
    on_hub = await hub_view(running, "ana")
    for n, handoff_id in enumerate(ids):
        assert on_hub[handoff_id]["status"] == "resolved"
        assert on_hub[handoff_id]["outcome"]["notes"] == f"case {n}"
        assert on_hub[handoff_id]["version"] == 3  # claimed once, resolved once
    assert seen.attention == () and all(h["_sync"] == SyncState.SYNCED for h in seen.view.values())


async def test_rate_limited_requests_are_retried_until_they_pass(hub_factory, engine_factory):
    running = await hub_factory(rate_agent=4, rate_window_s=0.5)
    add_standard_users(running)
    bot = await running.peer("bot")
    ids = [await escalate(bot) for _ in range(10)]
    engine, seen = await engine_factory(running.url, "ana", running.tokens["ana"])
    await seen.wait_for(lambda: seen.online and len(seen.view) == 10)
    for handoff_id in ids:
        engine.claim(handoff_id)
    for handoff_id in ids:
        engine.resolve(handoff_id, OUTCOME)
    await processed(engine)
    await seen.until_synced(timeout=30)
    on_hub = await hub_view(running, "ana")
    assert all(on_hub[h]["status"] == "resolved" and on_hub[h]["version"] == 3 for h in ids)
    assert seen.attention == ()


async def test_dropping_the_connection_mid_stream_misses_and_repeats_nothing(hub, engine_factory, proxy_factory):
    proxy = await proxy_factory(hub.hub.port)
    engine, seen = await engine_factory(proxy.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    bot = await hub.peer("bot")
    ben = await hub.peer("ben")
    for round_ in range(3):
        for _ in range(15):
            handoff_id = await escalate(bot)
            if round_ == 1:
                await ben.call("claim", handoff_id=handoff_id)  # seen, then gone
        proxy.cut()  # whatever was on its way is lost with the connection
        await seen.wait_for(lambda: not seen.online)
        engine.reconnect_now()
    await seen.until_online()
    expected = await hub_view(hub, "ana")
    await seen.wait_for(
        lambda: {k: v["version"] for k, v in seen.view.items()} == {k: v["version"] for k, v in expected.items()},
        what="the hub's view",
    )
    assert len(expected) == 30
    cached = await held(engine)
    assert {k: v["version"] for k, v in cached.items()} == {k: v["version"] for k, v in expected.items()}
    upserts = [(h["id"], h["version"]) for d in seen.deltas if not d.reset for h in d.upserts]
    assert len(upserts) == len(set(upserts)), "an event was applied twice"
    assert sum(1 for d in seen.deltas if d.reset) == 2  # the cache at start, the first snapshot


async def test_a_revoked_token_stops_the_engine_with_a_reason(hub_factory, engine_factory):
    running = await hub_factory(revocation_poll_s=0.05)
    add_standard_users(running)
    _, seen = await engine_factory(running.url, "ana", running.tokens["ana"])
    await seen.until_online()
    await running.hub._run(running.hub.store.revoke_user, "ana")  # on the hub's storage thread
    await seen.wait_for(lambda: seen.link is Link.OFFLINE)
    assert seen.status.final and seen.status.why is Why.TOKEN_REVOKED


async def test_an_unknown_token_stops_at_once_and_says_to_sign_in(hub, engine_factory):
    engine, seen = await engine_factory(hub.url, "ana", "adk_not-a-real-token-000000000000000000000")
    await seen.wait_for(lambda: seen.link is Link.OFFLINE)
    assert seen.status.final and seen.status.why is Why.SIGN_IN_REFUSED
    assert engine.claim("h_x") is None


async def test_with_no_token_stored_an_unreachable_hub_is_named_not_the_missing_sign_in(
    hub, engine_factory, monkeypatch
):
    monkeypatch.setattr(keyring, "get_password", lambda *_a: None)  # nothing stored for anyone
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    nowhere = f"ws://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    _, seen = await engine_factory(nowhere, "ana", TokenStore(nowhere, "ana"))
    await seen.wait_for(lambda: seen.link is Link.OFFLINE)
    assert seen.status.final and seen.status.why is Why.REFUSED
    _, seen = await engine_factory(hub.url, "ana", TokenStore(hub.url, "ana"))
    await seen.wait_for(lambda: seen.link is Link.OFFLINE)
    assert seen.status.why is Why.NO_SIGN_IN and seen.status.detail == f"ana on {hub.url}"


async def test_a_token_of_another_user_is_refused(hub, engine_factory):
    _, seen = await engine_factory(hub.url, "ana", hub.tokens["ben"])
    await seen.wait_for(lambda: seen.link is Link.OFFLINE)
    assert seen.status.final and seen.status.why is Why.WRONG_USER and seen.status.detail == "ben"


async def test_metrics_come_back_online_and_are_refused_offline(hub, engine_factory, proxy_factory):
    proxy = await proxy_factory(hub.hub.port)
    engine, seen = await engine_factory(proxy.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    asked = engine.request_metrics()
    await seen.wait_for(lambda: asked in seen.metrics)
    data, error = seen.metrics[asked]
    assert error is None and data is not None and "csat_avg" in data
    await proxy.block()
    await seen.wait_for(lambda: not seen.online)
    offline = engine.request_metrics(since="2026-11-19T00:00:00Z")
    await seen.wait_for(lambda: offline in seen.metrics)
    assert seen.metrics[offline][0] is None and "offline" in seen.metrics[offline][1]


async def test_presence_changes_show_at_once_and_reach_the_hub(hub, engine_factory):
    engine, seen = await engine_factory(hub.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    engine.set_presence("busy")
    await processed(engine)
    await seen.wait_for(lambda: seen.presence and seen.presence[-1].presence == "busy")
    await seen.until_synced()
    users = {u.id: u for u in await hub.hub._run(hub.hub.store.list_users)}
    assert users["ana"].presence == "busy"


async def test_wss_with_a_trusted_ca_file_and_refusal_without_it(hub_factory, engine_factory, tmp_path):
    cert, key = await asyncio.to_thread(self_signed, tmp_path)
    running = await hub_factory(tls_cert=cert, tls_key=key)
    add_standard_users(running)
    url = f"wss://127.0.0.1:{running.hub.port}"
    _, seen = await engine_factory(url, "ana", running.tokens["ana"], ca_file=cert)
    await seen.until_online()
    _, refused = await engine_factory(url, "ana", running.tokens["ana"], cache_dir=tmp_path / "other")
    await refused.wait_for(lambda: refused.link is Link.RECONNECTING)
    assert refused.status.why is Why.CERTIFICATE and "certificate" in (refused.status.detail or "")


async def test_release_and_transfer_to_a_queue_round_trip(hub, engine_factory):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    engine, seen = await engine_factory(hub.url, "ana", hub.tokens["ana"])
    await seen.wait_for(lambda: seen.online and handoff_id in seen.view)

    def shown(status: str, queue: str = "billing") -> bool:
        handoff = seen.handoff(handoff_id)
        return handoff is not None and (handoff["status"], handoff["queue"], handoff["_sync"]) == (
            status,
            queue,
            SyncState.SYNCED,
        )

    engine.claim(handoff_id)
    await seen.wait_for(lambda: shown("claimed"), what="claimed")
    engine.release(handoff_id)
    await seen.wait_for(lambda: shown("waiting") and seen.handoff(handoff_id)["assignee"] is None)
    engine.claim(handoff_id)
    await seen.wait_for(lambda: shown("claimed"), what="claimed again")
    engine.reassign(handoff_id, to_queue="vip")
    await seen.wait_for(lambda: shown("waiting", "vip"), what="transferred to vip")
    assert (await hub_view(hub, "ana"))[handoff_id]["queue"] == "vip"
    assert seen.attention == ()


class _OpensAfter(RecordingListener):
    """Notes whether ``previous`` was still running when this engine reported its cache."""

    def __init__(self, previous: Engine) -> None:
        super().__init__(asyncio.get_running_loop())
        self.previous = previous
        self.previous_running_at_open: bool | None = None

    def on_handoffs(self, delta):
        if self.previous_running_at_open is None:
            self.previous_running_at_open = self.previous.running
        super().on_handoffs(delta)


async def test_a_stopping_engine_is_not_waited_for_and_the_next_one_opens_the_cache_after_it(
    hub, engine_factory, proxy_factory, tmp_path
):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    proxy = await proxy_factory(hub.hub.port)
    first, seen_first = await engine_factory(proxy.url, "ana", hub.tokens["ana"])
    await seen_first.until_online()
    assert handoff_id in seen_first.view
    proxy.hold()  # the hub's answer to the close is held: closing takes a while
    first.request_stop()
    assert first.running  # request_stop returned at once
    seen_second = _OpensAfter(first)
    second = Engine(proxy.url, "ana", hub.tokens["ana"], seen_second, cache_dir=tmp_path / "client")
    second.start(after=first)
    try:
        await seen_second.wait_for(lambda: seen_second.status.why is Why.WAITING_FOR_PREVIOUS, what="the wait")
        assert first.running and not seen_second.deltas  # nothing opened yet
        proxy.release()
        await seen_second.until_online()
        assert seen_second.previous_running_at_open is False  # opened once the first let go
        assert seen_first.status.why is Why.SIGNED_OUT and seen_first.status.final
        assert handoff_id in seen_second.view
    finally:
        await asyncio.to_thread(second.stop)
