"""A scripted hub for bench_client.py, in its own process so it does not share the GIL.

    python benchmarks/_scripted_hub.py FRAMES_JSON

FRAMES_JSON holds {"parts": [...], "burst": [...], "seq": N}: pre-encoded frames. For every
connection: ``hello``; on ``resume``: the snapshot parts (or one empty part), ``synced``, the
result; then every burst frame as fast as possible. Prints ``port N`` once listening and
``sent T0 T1`` (time.monotonic() before the first and after the last timed frame: the burst,
or the snapshot when there is no burst) per connection.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

MAX_FRAME_BYTES = 1024 * 1024
AT = "2026-11-20T10:00:00.000Z"
HELLO = json.dumps(
    {
        "type": "hello",
        "protocol": 1,
        "epoch": "bench",
        "server_time": AT,
        "user": {
            "id": "ana",
            "name": "ana",
            "role": "agent",
            "queues": ["billing"],
            "languages": [],
            "presence": "available",
        },
        "queues": ["billing", "technical"],
        "sla_targets_s": {"1": 60, "2": 180, "3": 600, "4": 1800},
    },
    separators=(",", ":"),
)


async def main(script: dict[str, Any]) -> None:
    parts: list[str] = script["parts"]
    burst: list[str] = script["burst"]
    seq: int = script["seq"]

    async def handle(ws: ServerConnection) -> None:
        await ws.send(HELLO)
        resume = json.loads(await ws.recv())
        started = time.monotonic()
        for part in parts or [f'{{"type":"snapshot","seq":{seq},"handoffs":[],"final":true}}']:
            await ws.send(part)
        await ws.send(json.dumps({"type": "synced", "seq": seq}))
        await ws.send(json.dumps({"type": "result", "id": resume["id"], "ok": True, "data": {}}))
        if burst:
            started = time.monotonic()
            for frame in burst:
                await ws.send(frame)
        print(f"sent {started} {time.monotonic()}", flush=True)
        await ws.wait_closed()

    async with serve(handle, "127.0.0.1", 0, max_size=MAX_FRAME_BYTES, compression=None) as server:
        print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        asyncio.run(main(json.load(handle)))
