"""Fan-out benchmark helper: N cheap websocket receivers in one process, on one asyncio loop.

Run by ``bench_hub_fanout.py``; not meant to be started by hand. Usage::

    python _fanout_clients.py --url ws://127.0.0.1:PORT/v1/agent --tokens FILE --mode hub|bare

Each receiver is websockets' Sans-I/O ``ClientProtocol`` driven by a plain ``asyncio.Protocol``:
``data_received`` feeds the bytes to the protocol and handles every complete frame right there,
synchronously, so reading a frame costs no task switch and no coroutine. The protocol's own
answers (pongs to the server's pings, the closing handshake) go back to the transport after
every read.

A frame counts when its raw text holds ``"brief":"T<phase>|<send time>``: the receive time of
the TCP read that completed it minus the embedded send time is its end-to-end latency. Frames
of another phase are counted as stray (a previous, overloaded phase still draining).

Control: one command per line on stdin, one JSON reply per line on stdout.
``phase N`` starts phase N (clears the figures); ``count`` gives the running count; ``stats``
gives the figures of the phase; ``quit`` (or EOF on stdin) closes everything and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

MARK = b'"brief":"T'
MARK_LEN = len(MARK)
RESUME = json.dumps(
    {
        "type": "resume",
        "id": "bench-resume",
        "protocol": 1,
        "client_id": "bench",
        "epoch": None,
        "last_seq": None,
    },
    separators=(",", ":"),
).encode()
RESULT_MARK = b'"type":"result"'
OP_TEXT = Opcode.TEXT


class Collector:
    """Figures of the current phase, shared by every receiver."""

    def __init__(self) -> None:
        self.phase = b"0"
        self.latencies: list[float] = []
        self.stray = 0
        self.closed = 0
        self.first_rx = 0.0
        self.last_rx = 0.0
        self.sample_len = 0
        self.receivers: list[Receiver] = []

    def start(self, phase: int) -> None:
        self.phase = str(phase).encode()
        self.latencies = []
        self.stray = 0
        self.first_rx = 0.0
        self.last_rx = 0.0
        for r in self.receivers:
            r.count = 0


class Receiver(asyncio.Protocol):
    """One websocket connection, read without a task per frame."""

    def __init__(self, uri: str, token: str | None, mode: str, col: Collector, ready: asyncio.Future[None]) -> None:
        self.ws = ClientProtocol(parse_uri(uri), max_size=2**20)
        self.request = self.ws.connect()
        if token:
            self.request.headers["Authorization"] = f"Bearer {token}"
        self.mode = mode
        self.col = col
        self.ready = ready
        self.live = False  # resumed (hub) or open (bare): frames are measured
        self.count = 0
        self.transport: asyncio.Transport | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.ws.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.time()
        ws = self.ws
        ws.receive_data(data)
        events = ws.events_received()
        if self.live:
            col = self.col
            phase = col.phase
            lat = col.latencies
            n = 0
            for frame in events:
                if frame.opcode is not OP_TEXT:
                    continue
                d = frame.data
                i = d.find(MARK)
                if i < 0:
                    continue
                i += MARK_LEN
                j = d.find(b"|", i)
                if d[i:j] != phase:
                    col.stray += 1
                    continue
                k = d.find(b'"', j)
                lat.append(now - float(d[j + 1 : k]))
                n += 1
                if not col.sample_len:
                    col.sample_len = len(d)
            if n:
                self.count += n
                if not col.first_rx:
                    col.first_rx = now
                col.last_rx = now
        else:
            self._handshake(events)
        self._flush()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.live:
            self.col.closed += 1
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"connection lost before ready: {exc}"))
        self.live = False

    # -- helpers ---------------------------------------------------------------------------

    def _handshake(self, events: list[Any]) -> None:
        for ev in events:
            if isinstance(ev, Response):
                if ev.status_code != 101 or self.ws.handshake_exc is not None:
                    if not self.ready.done():
                        self.ready.set_exception(ConnectionError(f"handshake failed: HTTP {ev.status_code}"))
                    return
                if self.mode == "bare":
                    self._go_live()
                else:
                    self.ws.send_text(RESUME)
            elif ev.opcode is OP_TEXT and RESULT_MARK in ev.data:
                if b'"ok":true' not in ev.data:
                    if not self.ready.done():
                        self.ready.set_exception(ConnectionError(f"resume failed: {ev.data[:200]!r}"))
                    return
                self._go_live()

    def _go_live(self) -> None:
        self.live = True
        if not self.ready.done():
            self.ready.set_result(None)

    def _flush(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                transport.write_eof()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The ``q`` quantile of ``sorted_values`` (nearest rank), or None when there are none."""
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _stats(col: Collector) -> dict[str, Any]:
    lat = sorted(col.latencies)
    counts = [r.count for r in col.receivers]
    return {
        "count": len(lat),
        "stray": col.stray,
        "closed": col.closed,
        "p50": percentile(lat, 0.50),
        "p90": percentile(lat, 0.90),
        "p99": percentile(lat, 0.99),
        "p999": percentile(lat, 0.999),
        "max": lat[-1] if lat else None,
        "mean": (sum(lat) / len(lat)) if lat else None,
        "first_rx": col.first_rx,
        "last_rx": col.last_rx,
        "min_per_conn": min(counts) if counts else 0,
        "max_per_conn": max(counts) if counts else 0,
        "sample_len": col.sample_len,
    }


def reply(obj: dict[str, Any]) -> None:
    """One answer to the runner: a JSON line on stdout."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def serve_commands(start: Callable[[int], None], answers: dict[str, Callable[[], dict[str, Any]]]) -> None:
    """Answer the runner's lines on stdin until ``quit`` or its end: ``phase N`` calls ``start(N)``;
    any other word is answered by ``answers[word]()``."""
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str | None] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, None)

    threading.Thread(target=read_stdin, daemon=True).start()
    while True:
        command = await commands.get()
        if command is None or command == "quit":
            return
        word, _, rest = command.partition(" ")
        if word == "phase":
            start(int(rest))
            reply({"ok": True})
        elif word in answers:
            reply(answers[word]())
        else:
            reply({"error": f"unknown command {command!r}"})


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", required=True, help="file with one token per line (bare: any lines)")
    parser.add_argument("--mode", choices=["hub", "bare"], required=True)
    parser.add_argument("--parallel", type=int, default=20, help="connections opened at once")
    args = parser.parse_args()

    lines = Path(args.tokens).read_text(encoding="utf-8").splitlines()
    tokens = [line.strip() for line in lines if line.strip()]
    uri = parse_uri(args.url)
    loop = asyncio.get_running_loop()
    col = Collector()
    gate = asyncio.Semaphore(args.parallel)

    async def open_one(token: str) -> None:
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            receiver = Receiver(args.url, token if args.mode == "hub" else None, args.mode, col, ready)
            col.receivers.append(receiver)
            await loop.create_connection(lambda: receiver, uri.host, uri.port)
            await asyncio.wait_for(ready, 30)

    t0 = time.monotonic()
    try:
        await asyncio.gather(*(open_one(t) for t in tokens))
    except Exception as error:  # noqa: BLE001 - reported to the runner, which stops
        reply({"ready": False, "error": repr(error)})
        return 1
    reply(
        {
            "ready": True,
            "connections": len(col.receivers),
            "connect_s": time.monotonic() - t0,
            "pid": os.getpid(),
        }
    )

    answers = {
        "count": lambda: {"count": len(col.latencies), "stray": col.stray, "closed": col.closed},
        "stats": lambda: _stats(col),
    }
    await serve_commands(col.start, answers)
    for receiver in col.receivers:
        receiver.close()
    await asyncio.sleep(0.05)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
