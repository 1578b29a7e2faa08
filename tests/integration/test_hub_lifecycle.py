"""Keepalive, schema versions, and secrets kept out of logs."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import sqlite3

import pytest
from websockets.exceptions import InvalidStatus

from agent_desk.hub import db
from agent_desk.hub.models import SCHEMA_VERSION
from agent_desk.hub.store import Store, StoreError


async def test_a_peer_that_never_answers_pings_is_closed(hub_factory):
    running = await hub_factory(ping_interval_s=0.2, ping_timeout_s=0.2)
    token = running.add_user("ana", "agent", ("billing",))
    reader, writer = await asyncio.open_connection("127.0.0.1", running.hub.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /v1/agent HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    assert b"101" in status
    # Read (and never answer) until the hub gives up on us and closes the TCP connection.
    received = b""
    while True:
        chunk = await asyncio.wait_for(reader.read(4096), 10)
        if not chunk:
            break
        received += chunk
    assert b"\x89" in received  # a ping frame (FIN + opcode 9) was sent before closing
    writer.close()


def test_a_store_from_a_newer_release_is_refused_and_an_older_one_kept(tmp_path):
    store = Store(db.open_engine(tmp_path))
    store.open()
    epoch = store.epoch
    store.add_user("ana", "agent", ["billing"])
    store.close()
    with sqlite3.connect(db.database_path(tmp_path)) as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    newer = Store(db.open_engine(tmp_path))
    with pytest.raises(StoreError, match="newer than this release"):
        newer.open()
    newer.close()
    with sqlite3.connect(db.database_path(tmp_path)) as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
    again = Store(db.open_engine(tmp_path))
    again.open()
    assert again.epoch == epoch and [u.id for u in again.list_users()] == ["ana"]
    again.close()


async def test_tokens_never_reach_the_log(hub, caplog):
    with caplog.at_level(logging.DEBUG):
        ana = await hub.peer("ana")
        await ana.call("presence", status="busy")
        await ana.close()
        from tests.support.peers import Peer

        with pytest.raises(InvalidStatus) as refused:
            await Peer.open(hub.url, "adk_not-a-real-token")
        assert refused.value.response.status_code == 401
    hub_records = [r for r in caplog.records if r.name.startswith("agent_desk")]
    assert any("Authorization" in r.getMessage() for r in hub_records)  # headers were logged...
    logged = "\n".join(r.getMessage() for r in hub_records)
    assert all(token not in logged for token in hub.tokens.values())
    assert "adk_not-a-real-token" not in logged  # ...with every token redacted
