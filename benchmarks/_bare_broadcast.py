"""Fan-out benchmark baseline: a bare websockets server that relays every frame a source sends.

Run by ``bench_hub_fanout.py``. Listens on 127.0.0.1 (port 0 = any free one) and prints
``bare broadcast listening on ws://127.0.0.1:PORT`` when ready. A connection on ``/source``
is the source: each text frame it sends is handed verbatim to ``websockets.broadcast`` for every
other connection, and answered with a small result frame (as the hub answers each escalate).
Every other path is a receiver. Same websockets settings as the hub: no compression, 1 MiB
frames, ping every 20 s. Exits on SIGTERM/SIGINT or when stdin closes (the runner went away).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

RECEIVERS: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    path = ws.request.path if ws.request is not None else "/"
    if path.startswith("/source"):
        n = 0
        try:
            async for message in ws:
                broadcast(RECEIVERS, message)
                n += 1
                broadcast([ws], f'{{"type":"result","id":"{n}","ok":true,"data":{{}}}}')
        except ConnectionClosed:
            pass
        return
    RECEIVERS.add(ws)
    try:
        await ws.wait_closed()
    finally:
        RECEIVERS.discard(ws)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    # stdin closing means the runner is gone: stop too.
    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    async with serve(
        handler,
        "127.0.0.1",
        args.port,
        compression=None,
        max_size=2**20,
        ping_interval=20,
        ping_timeout=20,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"bare broadcast listening on ws://127.0.0.1:{port}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
