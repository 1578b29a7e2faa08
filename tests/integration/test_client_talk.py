"""The engine talks to the customer: replies and notes through the outbox, saved replies."""

# ruff: noqa: F811  # pytest fixtures are imported by name and used as parameters

from __future__ import annotations

import asyncio

from agent_desk.client.outbox import PENDING_MESSAGE
from agent_desk.client.surface import NoticeKind, SyncState
from tests.client_support.fixtures import (  # noqa: F401 - fixtures
    engine_factory,
    escalate,
    hub_view,
    processed,
    proxy_factory,
)


def agent_texts(transcript: list[dict]) -> list[str]:
    return [m["text"] for m in transcript if m["role"] == "agent"]


async def test_a_reply_recorded_offline_survives_a_restart_and_reaches_the_hub_once(
    hub, engine_factory, proxy_factory, tmp_path
):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    proxy = await proxy_factory(hub.hub.port)
    engine, seen = await engine_factory(proxy.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    engine.claim(handoff_id)
    await seen.wait_for(lambda: seen.handoff(handoff_id)["_sync"] == SyncState.SYNCED)
    await proxy.block()
    await seen.wait_for(lambda: not seen.online)

    engine.reply(handoff_id, "The refund is on its way")
    engine.note(handoff_id, "Refund approved by the lead")
    await processed(engine)
    shown = seen.handoff(handoff_id)["transcript"]
    assert [(m["role"], m["text"], bool(m.get(PENDING_MESSAGE))) for m in shown[-2:]] == [
        ("agent", "The refund is on its way", True),
        ("note", "Refund approved by the lead", True),
    ]
    await asyncio.to_thread(engine.stop)  # quit while offline: the outbox is on disk

    await proxy.unblock()
    _again, seen_again = await engine_factory(proxy.url, "ana", hub.tokens["ana"], after=engine)
    await seen_again.until_synced()
    await seen_again.wait_for(lambda: seen_again.handoff(handoff_id)["_sync"] == SyncState.SYNCED)
    on_hub = (await hub_view(hub, "ana"))[handoff_id]
    assert agent_texts(on_hub["transcript"]) == ["The refund is on its way"]
    assert [m["text"] for m in on_hub["transcript"] if m["role"] == "note"] == ["Refund approved by the lead"]
    shown = seen_again.handoff(handoff_id)["transcript"]
    assert agent_texts(shown) == ["The refund is on its way"]
    assert not any(PENDING_MESSAGE in m for m in shown)
    assert shown[-2]["author"] == "ana" and shown[-2]["delivered_at"] is None


async def test_saved_replies_follow_a_leads_changes_and_stay_there_offline(
    hub, engine_factory, proxy_factory, tmp_path
):
    proxy = await proxy_factory(hub.hub.port)
    ana, seen = await engine_factory(proxy.url, "ana", hub.tokens["ana"], cache_dir=tmp_path / "ana")
    lea, lead_seen = await engine_factory(hub.url, "lea", hub.tokens["lea"], cache_dir=tmp_path / "lea")
    await seen.until_online()
    await lead_seen.until_online()
    lea.save_canned("Refund", "Hi {customer_first_name}, the refund is on its way.", ("billing",))
    await seen.wait_for(lambda: seen.canned and [r.title for r in seen.canned[-1]] == ["Refund"])
    (reply,) = seen.canned[-1]
    assert reply.queues == ("billing",) and reply.fits("billing") and not reply.fits("orders")

    lea.save_canned("Refund sent", reply.text, (), reply_id=reply.id)
    await seen.wait_for(lambda: [(r.title, r.queues) for r in seen.canned[-1]] == [("Refund sent", ())])
    lea.delete_canned(reply.id)
    await seen.wait_for(lambda: seen.canned[-1] == ())

    lea.save_canned("Kept", "Kept offline", ())
    await seen.wait_for(lambda: [r.title for r in seen.canned[-1]] == ["Kept"])
    await asyncio.to_thread(ana.stop)
    await proxy.block()
    _offline, seen_offline = await engine_factory(proxy.url, "ana", hub.tokens["ana"], cache_dir=tmp_path / "ana")
    await seen_offline.wait_for(lambda: bool(seen_offline.canned))
    assert [r.title for r in seen_offline.canned[0]] == ["Kept"]


async def test_an_agent_may_not_change_saved_replies_and_is_told_why(hub, engine_factory):
    ana, seen = await engine_factory(hub.url, "ana", hub.tokens["ana"])
    await seen.until_online()
    ana.save_canned("Mine", "Not allowed", ())
    refused = NoticeKind.SAVED_REPLY_NOT_CHANGED
    await seen.wait_for(lambda: any(n.kind is refused and n.action == "save" for n in seen.notices))
