"""The engine when processes die: the client killed mid-request, the hub killed and restarted."""

# ruff: noqa: F811  # pytest fixtures are imported by name and used as parameters

from __future__ import annotations

from pathlib import Path

import pytest

from agent_desk.client.surface import Link, SyncState
from tests.client_support.fixtures import (  # noqa: F401 - fixtures
    OUTCOME,
    engine_factory,
    escalate,
    hub_view,
    processed,
    proxy_factory,
)
from tests.client_support.process import EngineProcess
from tests.support.peers import Peer
from tests.support.processes import HubProcess, cli


async def resolved_events(watch: Peer, handoff_id: str) -> int:
    """How many ``resolved`` updates of the handoff reached ``watch`` (ana's own connection)."""
    await watch.call("presence", status="available")  # its result follows every earlier event
    return sum(
        1
        for e in watch.events
        if e["kind"] == "handoff.updated" and e["data"]["id"] == handoff_id and e["data"]["status"] == "resolved"
    )


async def test_client_killed_after_the_hub_took_the_outcome_sends_it_again_and_it_counts_once(hub, tmp_path):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    cache_dir = tmp_path / "desk"
    client = await EngineProcess.start(hub.url, "ana", hub.tokens["ana"], cache_dir, "--ignore-results-of", "resolve")
    try:
        await client.expect(lambda: client.online() and handoff_id in client.view(), what="online")
        await client.send(cmd="claim", handoff_id=handoff_id)
        await client.expect(
            lambda: client.view()[handoff_id]["sync"] == SyncState.SYNCED and client.online(pending=0),
            what="claim synced",
        )
        watch = await hub.peer("ana")
        request_id = await client.send(cmd="resolve", handoff_id=handoff_id, outcome=OUTCOME)
        await watch.next_event("handoff.updated")  # the hub has committed the outcome ...
        await client.expect(lambda: client.last("ignored_result") is not None, what="result unheard")
        assert client.online(pending=1)  # ... and the engine has not learnt it
    finally:
        await client.kill9()
    again = await EngineProcess.start(hub.url, "ana", hub.tokens["ana"], cache_dir)
    try:
        await again.expect(lambda: again.online(pending=0), what="synced after restart")
        assert again.view()[handoff_id] == {"status": "resolved", "sync": "synced", "version": 3}
        assert again.last("attention") is None or again.last("attention")["items"] == []
    finally:
        await again.stop()
    assert await resolved_events(watch, handoff_id) == 1
    on_hub = (await hub_view(hub, "ana"))[handoff_id]
    assert on_hub["version"] == 3 and on_hub["outcome"]["resolution"] == OUTCOME["resolution"]
    assert request_id


async def test_client_killed_right_after_recording_offline_delivers_the_outcome_once(hub, tmp_path, proxy_factory):
    bot = await hub.peer("bot")
    handoff_id = await escalate(bot)
    proxy = await proxy_factory(hub.hub.port)
    cache_dir = tmp_path / "desk"
    client = await EngineProcess.start(proxy.url, "ana", hub.tokens["ana"], cache_dir)
    try:
        await client.expect(lambda: client.online() and handoff_id in client.view(), what="online")
        await client.send(cmd="claim", handoff_id=handoff_id)
        await client.expect(
            lambda: client.view()[handoff_id]["sync"] == SyncState.SYNCED and client.online(pending=0),
            what="claim synced",
        )
        await proxy.block()
        await client.expect(lambda: not client.online(), what="offline")
        await client.send(cmd="resolve", handoff_id=handoff_id, outcome=OUTCOME)
    finally:
        await client.kill9()
    await proxy.unblock()
    watch = await hub.peer("ana")
    again = await EngineProcess.start(proxy.url, "ana", hub.tokens["ana"], cache_dir)
    try:
        await again.expect(
            lambda: again.online(pending=0) and again.view().get(handoff_id, {}).get("status") == "resolved",
            what="outcome delivered",
        )
    finally:
        await again.stop()
    assert await resolved_events(watch, handoff_id) == 1


@pytest.fixture
def hub_data(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "hubdata"
    tokens = {
        name: cli("hub", "user", "add", name, "--role", role, *extra, "--data", str(data)).stdout.strip()
        for name, role, extra in (
            ("ana", "agent", ("--queues", "billing")),
            ("bot", "source", ()),
        )
    }
    return data, tokens


async def test_hub_killed_and_restarted_the_engine_resumes_and_delivers(hub_data, engine_factory):
    data, tokens = hub_data
    first = HubProcess(data)
    try:
        bot = await Peer.open(first.url, tokens["bot"], "/v1/source")
        handoff_id = await escalate(bot)
        engine, seen = await engine_factory(first.url, "ana", tokens["ana"])
        await seen.wait_for(lambda: seen.online and handoff_id in seen.view)
        engine.claim(handoff_id)
        await processed(engine)
        await seen.until_synced()
    finally:
        first.kill9()
    await seen.wait_for(lambda: seen.link is Link.RECONNECTING, what="reconnecting")
    engine.resolve(handoff_id, OUTCOME)
    await processed(engine)
    assert seen.status.pending == 1
    second = HubProcess(data, "--port", str(first.port))
    try:
        engine.reconnect_now()
        await seen.until_synced(timeout=30)
        assert seen.handoff(handoff_id)["status"] == "resolved"
        assert seen.handoff(handoff_id)["_sync"] == SyncState.SYNCED
        assert sum(1 for d in seen.deltas if d.reset) == 2  # resumed by replay, no new snapshot
        ana = await Peer.open(second.url, tokens["ana"])
        snapshot = {h["id"]: h for f in ana.sync["frames"] if f["type"] == "snapshot" for h in f["handoffs"]}
        assert snapshot[handoff_id]["status"] == "resolved" and snapshot[handoff_id]["version"] == 3
        await ana.close()
    finally:
        second.stop()
