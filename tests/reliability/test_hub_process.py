"""The hub as operators run it: a real process, killed, restarted, backed up, restored."""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.support.peers import Peer, escalate_body
from tests.support.processes import HubProcess, cli, self_signed


class DataFolder(type(Path())):  # a hub's --data folder that remembers its users' tokens
    tokens: dict[str, str]


@pytest.fixture
def data_dir(tmp_path):
    path = DataFolder(tmp_path / "data")
    tokens = {
        "lea": cli("hub", "user", "add", "lea", "--role", "lead", "--data", str(path)).stdout.strip(),
        "ana": cli(
            "hub", "user", "add", "ana", "--role", "agent", "--queues", "billing", "--data", str(path)
        ).stdout.strip(),
        "bot": cli("hub", "user", "add", "bot", "--role", "source", "--data", str(path)).stdout.strip(),
    }
    path.tokens = tokens
    return path


@pytest.fixture
def running(data_dir):
    procs: list[HubProcess] = []

    def start(*extra: str) -> HubProcess:
        proc = HubProcess(data_dir, *extra)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.stop()


def test_user_add_prints_only_the_token_and_list_never_shows_it(data_dir):
    token = data_dir.tokens["ana"]
    assert token.startswith("adk_") and len(token) >= 40 and "\n" not in token
    listing = cli("hub", "user", "list", "--data", str(data_dir)).stdout
    assert "ana" in listing and "agent" in listing and "billing" in listing
    assert all(t not in listing for t in data_dir.tokens.values())
    stored = (data_dir / "hub.sqlite3").read_bytes()
    assert data_dir.tokens["ana"].encode() not in stored
    again = cli("hub", "user", "add", "ana", "--role", "agent", "--data", str(data_dir), check=False)
    assert again.returncode != 0 and "exists" in again.stderr


async def test_kill_9_after_an_ok_result_loses_nothing(data_dir, running):
    hub = running()
    bot = await Peer.open(hub.url, data_dir.tokens["bot"], "/v1/source")
    ana = await Peer.open(hub.url, data_dir.tokens["ana"])
    epoch = ana.hello["epoch"]
    handoff_id = (await bot.call("escalate", **escalate_body(queue="billing")))["data"]["handoff_id"]
    claimed = await ana.call("claim", request_id="claim-before-kill", handoff_id=handoff_id)
    assert claimed["ok"]
    last_seq = max(e["seq"] for e in ana.events)
    hub.kill9()
    with pytest.raises(ConnectionClosed):
        await ana.call("presence", status="busy")
    hub2 = running()
    again = await Peer.open(hub2.url, data_dir.tokens["ana"], epoch=epoch, last_seq=last_seq)
    assert again.hello["epoch"] == epoch
    assert again.sync["frames"] == [] and again.sync["result"]["data"]["replayed"] is True
    repeat = await again.call("claim", request_id="claim-before-kill", handoff_id=handoff_id)
    assert repeat == claimed
    lea = await Peer.open(hub2.url, data_dir.tokens["lea"])
    [handoff] = lea.sync["frames"][0]["handoffs"]
    assert handoff["assignee"] == "ana" and handoff["version"] == 2


async def test_sigterm_closes_connections_with_1001_and_exits_cleanly(data_dir, running):
    hub = running()
    ana = await Peer.open(hub.url, data_dir.tokens["ana"])
    code = await asyncio.to_thread(hub.terminate)
    assert code == 0
    assert await ana.closed() == 1001
    assert not any("Traceback" in line for line in hub.stderr_lines)


async def test_revoking_a_user_closes_its_connections_with_4004(data_dir, running):
    hub = running()
    ana = await Peer.open(hub.url, data_dir.tokens["ana"])
    cli("hub", "user", "revoke", "ana", "--data", str(data_dir))
    assert await ana.closed(timeout=5) == 4004
    with pytest.raises(websockets.InvalidStatus) as refused:
        await Peer.open(hub.url, data_dir.tokens["ana"])
    assert refused.value.response.status_code == 401


async def test_backup_while_running_then_restore_keeps_epoch_and_resyncs_clients(data_dir, running, tmp_path):
    hub = running()
    bot = await Peer.open(hub.url, data_dir.tokens["bot"], "/v1/source")
    lea = await Peer.open(hub.url, data_dir.tokens["lea"])
    epoch = lea.hello["epoch"]
    first = (await bot.call("escalate", **escalate_body(queue="billing")))["data"]["handoff_id"]
    backup_file = tmp_path / "hub-backup.sqlite3"
    cli("hub", "backup", "--data", str(data_dir), str(backup_file))
    await bot.call("escalate", **escalate_body(queue="billing"))
    await lea.next_event("handoff.created")
    await lea.next_event("handoff.created")
    seen = max(e["seq"] for e in lea.events)
    refused = cli("hub", "restore", "--data", str(data_dir), str(backup_file), check=False)
    assert refused.returncode != 0 and "stop it" in refused.stderr
    await asyncio.to_thread(hub.terminate)
    cli("hub", "restore", "--data", str(data_dir), str(backup_file))
    hub2 = running()
    back = await Peer.open(hub2.url, data_dir.tokens["lea"], epoch=epoch, last_seq=seen)
    assert back.hello["epoch"] == epoch
    [snapshot] = back.sync["frames"]
    assert snapshot["type"] == "snapshot"
    assert [h["id"] for h in snapshot["handoffs"]] == [first]
    # New events never reuse a seq the client already saw with other content.
    bot2 = await Peer.open(hub2.url, data_dir.tokens["bot"], "/v1/source")
    await bot2.call("escalate", **escalate_body(queue="billing"))
    created = await back.next_event("handoff.created")
    assert created["seq"] > seen


def test_restore_refuses_a_file_that_is_not_a_backup(data_dir, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"definitely not sqlite" * 100)
    result = cli("hub", "restore", "--data", str(data_dir), str(junk), check=False)
    assert result.returncode == 2 and "not a hub backup" in result.stderr


async def test_healthz_auth_and_origin_rules_over_http(data_dir, running):
    hub = running("--allow-origin", "https://desk.example.com")
    base = f"http://127.0.0.1:{hub.port}"
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert response.status == 200 and response.read() == b'{"status": "ok"}'

    async def status_of(path: str, token: str | None, origin: str | None = None) -> int:
        try:
            ws = await Peer.open(hub.url, token, path, resume=False, origin=origin)
        except websockets.InvalidStatus as error:
            return error.response.status_code
        await ws.close()
        return 101

    tokens = data_dir.tokens
    assert await status_of("/v1/agent", None) == 401
    assert await status_of("/v1/agent", "adk_wrong") == 401
    assert await status_of("/v1/agent", tokens["bot"]) == 403
    assert await status_of("/v1/source", tokens["ana"]) == 403
    assert await status_of("/v1/agent", tokens["ana"], "https://evil.example.com") == 403
    assert await status_of("/v1/agent", tokens["ana"], "https://desk.example.com") == 101
    assert await status_of("/v1/agent", tokens["ana"]) == 101
    assert await status_of("/v1/source", tokens["bot"]) == 101


async def test_tls_when_given_a_certificate(data_dir, running, tmp_path):
    cert, key = self_signed(tmp_path)
    hub = running("--tls-cert", str(cert), "--tls-key", str(key))
    assert hub.scheme == "wss"
    trusting = ssl.create_default_context(cafile=str(cert))
    ana = await Peer.open(hub.url, data_dir.tokens["ana"], ssl=trusting)
    assert ana.sync["result"]["ok"]
    with pytest.raises(ssl.SSLCertVerificationError):
        await Peer.open(hub.url, data_dir.tokens["ana"], ssl=ssl.create_default_context())
