"""What the person records while offline or while the disk fails is never lost silently."""

# ruff: noqa: F811  # pytest fixtures are imported by name and used as parameters

from __future__ import annotations

import pytest

from agent_desk.client.surface import Link, NoticeKind, SyncState, Why
from tests.client_support.fixtures import (  # noqa: F401 - fixtures
    OUTCOME,
    call_engine,
    engine_factory,
    escalate,
    held,
    hub_view,
    processed,
    proxy_factory,
)


async def test_a_resolve_queued_for_a_handoff_reassigned_meanwhile_ends_in_needs_attention(
    hub, engine_factory, proxy_factory
):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    proxy = await proxy_factory(hub.hub.port)
    engine, seen = await engine_factory(proxy.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    engine.claim(handoff_id)
    await seen.wait_for(
        lambda: seen.handoff(handoff_id)["_sync"] == SyncState.SYNCED and seen.handoff(handoff_id)["assignee"] == "ana"
    )
    await proxy.block()
    await seen.wait_for(lambda: not seen.online)
    lea = await hub.peer("lea")
    moved = await lea.call("reassign", handoff_id=handoff_id, to_user="ben")
    assert moved["ok"], moved
    outcome = {"resolution": "resolved", "csat": 4, "notes": "Refunded the duplicate charge."}
    request_id = engine.resolve(handoff_id, outcome)
    await processed(engine)
    assert seen.handoff(handoff_id)["status"] == "resolved"  # shown as done while offline
    await proxy.unblock()
    engine.reconnect_now()
    await seen.wait_for(lambda: len(seen.attention) == 1, what="the refused resolve")
    (item,) = seen.attention
    assert (item.request_id, item.kind, item.code) == (request_id, "resolve", "not_assignee")
    kept = dict(item.payload["outcome"])
    assert kept.pop("recorded_at") and kept == outcome  # what the person wrote is kept and shown
    assert item.payload["handoff"]["assignee"] == "ben" and item.message
    await seen.until_synced()
    assert handoff_id not in seen.view and handoff_id not in await held(engine)
    assert (await hub_view(hub, "ben"))[handoff_id]["status"] == "claimed"
    engine.retry_attention(request_id)  # not hers any more: refused locally, the item stays
    await seen.wait_for(lambda: any(n.kind is NoticeKind.NOT_HELD and n.action == "resolve" for n in seen.notices))
    assert [i.request_id for i in seen.attention] == [request_id]


@pytest.mark.logs_errors
async def test_a_full_disk_is_reported_and_the_outcome_still_reaches_the_hub_once(hub, engine_factory):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    engine, seen = await engine_factory(hub.url, "ana", hub.tokens["ana"], storage_retry_s=0.1)
    await seen.until_online()
    engine.claim(handoff_id)
    await seen.wait_for(
        lambda: seen.handoff(handoff_id)["_sync"] == SyncState.SYNCED and seen.handoff(handoff_id)["assignee"] == "ana"
    )
    await call_engine(engine, lambda: engine._cache.limit_pages(0))
    outcome = {"resolution": "resolved", "csat": 5, "notes": "n" * 9000}
    engine.resolve(handoff_id, outcome)
    await seen.wait_for(lambda: any(n.kind is NoticeKind.NOT_SAVED and n.action == "resolve" for n in seen.notices))
    await seen.wait_for(lambda: seen.status.storage is not None and seen.status.storage.unsaved == 1)
    assert seen.status.storage.cause == "the disk is full"
    assert seen.handoff(handoff_id)["status"] == "resolved"
    # the hub accepted it, but its answer cannot be stored: the engine says so and retries
    await seen.wait_for(lambda: seen.link is Link.RECONNECTING)
    assert seen.status.why is Why.CANNOT_SAVE and seen.status.detail == "the disk is full"
    on_hub = (await hub_view(hub, "ana"))[handoff_id]
    assert on_hub["status"] == "resolved" and on_hub["outcome"]["notes"] == "n" * 9000
    await call_engine(engine, lambda: engine._cache.limit_pages(None))
    await seen.wait_for(lambda: any(n.kind is NoticeKind.SAVED_LATER and n.count == 1 for n in seen.notices))
    engine.reconnect_now()
    await seen.until_synced()
    assert seen.handoff(handoff_id)["_sync"] == SyncState.SYNCED and seen.attention == ()
    assert seen.status.why is None and seen.status.storage is None
    assert (await hub_view(hub, "ana"))[handoff_id]["version"] == on_hub["version"]  # once


async def test_a_lead_sees_presence_and_can_reassign_to_a_user(hub, engine_factory):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot, queue="technical")
    engine, seen = await engine_factory(hub.url, "lea", hub.tokens["lea"])
    await seen.wait_for(lambda: seen.online and handoff_id in seen.view)
    assert {u.id for u in seen.sessions[-1].users} >= {"ana", "ben", "tom"}
    ana = await hub.peer("ana")
    await ana.call("presence", status="away")
    await seen.wait_for(lambda: any(p.id == "ana" and p.presence == "away" for p in seen.presence))
    engine.reassign(handoff_id, to_user="tom")
    await processed(engine)
    await seen.wait_for(
        lambda: seen.handoff(handoff_id)["assignee"] == "tom" and seen.handoff(handoff_id)["_sync"] == SyncState.SYNCED
    )
