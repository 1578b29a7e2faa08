"""The desktop engine against a hub that sends broken frames among good ones.

The real hub never does this, so a small scripted websockets server plays the hub here: it
greets, answers ``resume``, then sends good events with malformed ones in between, all in
one burst (so they reach the engine in one batch and through its fast path for frames laid
out as the hub writes them).
"""

# ruff: noqa: F811  # pytest fixtures are imported by name and used as parameters

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from agent_desk.client.surface import Link
from agent_desk.protocol.messages import encode
from tests.client_support.fixtures import engine_factory, held  # noqa: F401 - fixtures
from tests.support.handoffs import make_handoff

HELLO = {
    "type": "hello",
    "protocol": 1,
    "epoch": "e1",
    "server_time": "2026-11-20T10:00:00.000Z",
    "user": {"id": "ana", "name": "Ana", "role": "agent", "queues": ["billing"], "languages": []},
    "queues": ["billing"],
    "sla_targets_s": {"1": 60, "2": 180, "3": 600, "4": 1800},
}


def event(seq: int, kind: str, data: dict[str, Any]) -> str:
    return encode({"type": "event", "seq": seq, "kind": kind, "at": "2026-11-20T10:00:01.000Z", "data": data})


class ScriptedHub:
    """Greets and answers ``resume`` (the first: an empty snapshot at seq 10, then ``burst``
    at once; later ones: nothing new since their ``last_seq``)."""

    def __init__(self, burst: list[str | bytes]) -> None:
        self.burst = burst
        self.url = ""
        self.resumes: list[dict[str, Any]] = []

    async def handle(self, ws: ServerConnection) -> None:
        await ws.send(encode(HELLO))
        resume = json.loads(await ws.recv())
        self.resumes.append(resume)
        if resume["last_seq"] is None:
            await ws.send(encode({"type": "snapshot", "seq": 10, "handoffs": [], "final": True}))
            await ws.send(encode({"type": "synced", "seq": 10}))
        else:  # nothing happened since: no replay
            await ws.send(encode({"type": "synced", "seq": resume["last_seq"]}))
        await ws.send(encode({"type": "result", "id": resume["id"], "ok": True, "data": {}}))
        if len(self.resumes) == 1:
            for frame in self.burst:
                await ws.send(frame)
        await ws.wait_closed()


@pytest.fixture
async def scripted() -> AsyncIterator[Any]:
    servers: list[Any] = []

    async def start(burst: list[str | bytes]) -> ScriptedHub:
        hub = ScriptedHub(burst)
        server = await serve(hub.handle, "127.0.0.1", 0)
        servers.append(server)
        hub.url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        return hub

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_broken_frames_in_a_burst_are_skipped_and_every_good_event_is_applied(scripted, engine_factory, caplog):
    caplog.set_level(logging.WARNING, logger="agent_desk.client")
    first, second = make_handoff(1), make_handoff(2)
    message = {
        "index": 1,
        "role": "customer",
        "text": "<script>alert(1)</script> hello?",
        "at": "2026-11-20T10:00:02.000Z",
    }
    burst: list[str | bytes] = [
        event(11, "handoff.created", first),
        '{"type":"event","seq":12,"kind":"handoff.created","data":{"id":"h_0009"',  # cut short
        '{"type":"event","seq":13,"kind":"handoff.created","type":"result"}',  # not an event
        '{"type":"event","seq":14,"kind":"handoff.created","at":"x","data":[1,2]}',  # data no object
        b"\x00\x01binary",
        "[1, 2, 3]",
        "not json at all",
        event(15, "message.added", {"handoff_id": first["id"], "version": 2, "message": message}),
        event(16, "handoff.created", second),
    ]
    hub = await scripted(burst)
    engine, seen = await engine_factory(hub.url, "ana", "token")
    await seen.wait_for(lambda: set(seen.view) == {"h_0001", "h_0002"}, what="both good handoffs")
    shown = seen.view["h_0001"]
    assert shown["version"] == 2
    assert shown["transcript"][-1]["text"] == "<script>alert(1)</script> hello?"
    stored = await held(engine)
    assert set(stored) == {"h_0001", "h_0002"}
    assert stored["h_0001"]["transcript"][-1] == message
    assert engine.status.link is Link.ONLINE
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "not JSON" in warnings and "not a well-formed event" in warnings
    assert "binary frame" in warnings
    # the cache is at the last seq of the burst: the desktop started again resumes after it
    await asyncio.to_thread(engine.stop)
    _, seen_again = await engine_factory(hub.url, "ana", "token")
    await seen_again.until_online()
    assert hub.resumes[1]["epoch"] == "e1" and hub.resumes[1]["last_seq"] == 16
    assert set(seen_again.view) == {"h_0001", "h_0002"}
