"""Desktop engine benchmark: bursts and snapshots into the local cache, and outbox flushes.

Run from the repository root (prints figures; not a test)::

    .venv/bin/python benchmarks/bench_client.py            # full run, about 2-3 minutes
    .venv/bin/python benchmarks/bench_client.py --quick    # smaller, about 20 s

Everything runs on 127.0.0.1 in temporary folders:

1. Burst. A scripted hub (a plain websockets server in its own process) greets, answers
   ``resume``, then sends ``--events`` pre-encoded event frames as fast as it can: handoffs
   created, messages added, handoffs changed and handed to other agents (dropped), then one
   marker handoff. Measured on the same frames: the real engine (its own thread, real SQLite
   cache: one transaction and one delta per batch), from the first event sent until its delta
   holding the marker arrives; a baseline client that only receives and ``json.loads`` each
   frame; and a reference that adds plain ``sqlite3`` executemany. ``--rounds`` rounds of all
   three (a fresh cache each time), each printed; the figures compared are the medians.
   Target: engine >= 40% of the baseline's events/s.
2. Snapshot. The scripted hub sends ``--snapshot`` handoffs as snapshot parts under the frame
   limit; measured from the first part sent to the engine's reset delta. Target: < 2 s.
3. Outbox flush. A real hub (in this process); ``--outcomes`` handoffs claimed by the agent;
   the hub stops, the engine records one resolve per handoff offline, the hub starts again on
   the same port, and the time from the engine being back online to an empty outbox is
   measured: once at the hub's default agent rate limit (100 frames in any 10 s) and once
   with it raised.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect

from agent_desk.client.engine import Engine
from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    HandoffDelta,
    Link,
    Notice,
    Session,
    TokenNotice,
    UserInfo,
)
from agent_desk.protocol.codes import MAX_FRAME_BYTES
from agent_desk.protocol.messages import encode

BURST_TARGET = 0.40
SNAPSHOT_LIMIT_S = 2.0
AT = "2026-11-20T10:00:00.000Z"


# -- frames ---------------------------------------------------------------------------------


def handoff(number: int, rng: random.Random) -> dict[str, Any]:
    """A realistic handoff: six-message transcript, reasons, customer, attempts (about 2.5 KB)."""
    texts = [
        f"I was charged twice for order #A-{number} and I want it fixed today",
        "I can help with billing. Could you confirm the order number and the card used?",
        "It is the same order, the visa ending 4242, both charges are from Monday",
        "Thanks. I have raised a refund request, it can take 5-7 working days.",
        "That is not acceptable, this is the second time. I want to speak to a person now.",
        "I understand. Let me bring in a colleague who can look into this right away.",
    ]
    return {
        "id": f"h_{number:06d}",
        "conversation_id": f"conv-{number}",
        "source": "bot",
        "version": 1,
        "status": "waiting",
        "queue": "billing",
        "priority": rng.randint(1, 4),
        "tier": rng.choice(["vip", "premium", "standard", "free"]),
        "language": "en",
        "channel": "web",
        "conversation_started_at": "2026-11-20T09:58:00.000Z",
        "escalated_at": AT,
        "claimed_at": None,
        "resolved_at": None,
        "assignee": None,
        "category": "billing_dispute",
        "brief": "Double charge on one order; second occurrence; customer asks for a person.",
        "sentiment": {"compound": -0.61, "trend": -0.25},
        "reasons": [
            {"trigger": "explicit_request", "detail": "asked for a person", "message_index": 4},
            {"trigger": "negative_sentiment", "detail": "sentiment fell to -0.61", "score": -0.61},
        ],
        "customer": {
            "id": f"c-{number}",
            "name": "Dana Whitfield",
            "tier": "standard",
            "lifetime_value": 1840.5,
            "email": "dana@example.com",
            "locale": "en-GB",
        },
        "attempts": [
            {"step": "lookup_order", "result": "succeeded", "at": AT},
            {"step": "refund_request", "result": "failed", "at": AT},
        ],
        "transcript": [
            {"index": i, "role": "customer" if i % 2 == 0 else "bot", "text": t, "at": AT} for i, t in enumerate(texts)
        ],
        "outcome": None,
    }


def burst_frames(count: int, seed: int = 1) -> list[str]:
    """``count`` event frames: 25% created, 45% messages, 20% updates, 10% claimed by others."""
    rng = random.Random(seed)
    frames: list[str] = []
    live: dict[str, dict[str, Any]] = {}
    number = 0
    seq = 100
    while len(frames) < count:
        seq += 1
        roll = rng.random()
        if roll < 0.25 or len(live) < 50:
            number += 1
            made = handoff(number, rng)
            live[made["id"]] = made
            frames.append(encode({"type": "event", "seq": seq, "kind": "handoff.created", "at": AT, "data": made}))
            continue
        target = live[rng.choice(list(live))]
        target["version"] += 1
        if roll < 0.70:
            message = {
                "index": len(target["transcript"]),
                "role": "customer",
                "text": "Hello? Anyone there?",
                "at": AT,
            }
            target["transcript"] = [*target["transcript"][-20:], message]
            data = {"handoff_id": target["id"], "version": target["version"], "message": message}
            frames.append(encode({"type": "event", "seq": seq, "kind": "message.added", "at": AT, "data": data}))
        elif roll < 0.90:
            target["priority"] = rng.randint(1, 4)
            frames.append(
                encode(
                    {
                        "type": "event",
                        "seq": seq,
                        "kind": "handoff.updated",
                        "at": AT,
                        "data": target,
                    }
                )
            )
        else:
            target.update(status="claimed", assignee="ben", claimed_at=AT)
            frames.append(
                encode(
                    {
                        "type": "event",
                        "seq": seq,
                        "kind": "handoff.updated",
                        "at": AT,
                        "data": target,
                    }
                )
            )
            del live[target["id"]]
    marker = handoff(999_999, rng)
    frames.append(encode({"type": "event", "seq": seq + 1, "kind": "handoff.created", "at": AT, "data": marker}))
    return frames


def snapshot_parts(count: int, seq: int) -> list[str]:
    rng = random.Random(2)
    parts: list[str] = []
    chunk: list[str] = []
    size = 0
    for number in range(count):
        text = encode(handoff(number, rng))
        if chunk and size + len(text) + 1 > MAX_FRAME_BYTES - 4096:
            parts.append(f'{{"type":"snapshot","seq":{seq},"handoffs":[{",".join(chunk)}],"final":false}}')
            chunk, size = [], 0
        chunk.append(text)
        size += len(text) + 1
    parts.append(f'{{"type":"snapshot","seq":{seq},"handoffs":[{",".join(chunk)}],"final":true}}')
    return parts


# -- a scripted hub (its own process) ---------------------------------------------------------


class ScriptedHub:
    """benchmarks/_scripted_hub.py in a child process, replaying pre-encoded frames."""

    def __init__(self, parts: list[str], burst: list[str], seq: int, folder: Path) -> None:
        self.script = folder / f"script-{len(parts)}-{len(burst)}.json"
        self.script.write_text(json.dumps({"parts": parts, "burst": burst, "seq": seq}), encoding="utf-8")
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_scripted_hub.py"), str(self.script)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline().split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def sent(self) -> tuple[float, float]:
        """(first, last) time.monotonic() of the timed frames of the latest connection."""
        assert self.proc is not None and self.proc.stdout is not None
        _, first, last = self.proc.stdout.readline().split()
        return float(first), float(last)


class Waiter:
    """An engine listener that notes when a delta satisfies a condition."""

    def __init__(self, done: Callable[[HandoffDelta], bool]) -> None:
        self.done_when = done
        self.done = threading.Event()
        self.at = 0.0
        self.batches = 0

    def on_handoffs(self, delta: HandoffDelta) -> None:
        self.batches += 1
        if not self.done.is_set() and self.done_when(delta):
            self.at = time.monotonic()
            self.done.set()

    def on_status(self, status: ConnectionStatus) -> None: ...
    def on_session(self, session: Session) -> None: ...
    def on_presence(self, user: UserInfo) -> None: ...
    def on_attention(self, items: tuple[AttentionItem, ...]) -> None: ...
    def on_metrics(self, request_id: str, data: Any, error: str | None) -> None: ...
    def on_notice(self, notice: Notice) -> None: ...
    def on_token(self, notice: TokenNotice) -> None: ...
    def on_drafts(self, drafts: Any) -> None: ...
    def on_canned(self, replies: Any) -> None: ...
    def on_targets(self, targets: Any) -> None: ...


def run_engine_against(hub: ScriptedHub, done: Callable[[HandoffDelta], bool], folder: Path) -> tuple[float, int]:
    """Seconds from the first timed frame sent to the delta that satisfies ``done``; deltas seen."""
    waiter = Waiter(done)
    engine = Engine(hub.url, "ana", "bench-token", waiter, cache_dir=folder)
    engine.start()
    try:
        assert waiter.done.wait(600), "the engine never applied the marker"
    finally:
        engine.stop()
    first, _ = hub.sent()
    return waiter.at - first, waiter.batches


async def _resume(ws: Any, client_id: str) -> None:
    """Read hello, resume from nothing, and read until the resume's result."""
    json.loads(await ws.recv())
    resume = {"type": "resume", "id": "r", "protocol": 1, "client_id": client_id, "epoch": None, "last_seq": None}
    await ws.send(encode(resume))
    while json.loads(await ws.recv()).get("type") != "result":
        pass


def run_baseline_against(hub: ScriptedHub, count: int) -> float:
    """Receive and decode ``count`` frames after the resume result; seconds from the first sent."""

    async def client() -> float:
        async with connect(hub.url + "/v1/agent", max_size=MAX_FRAME_BYTES, compression=None) as ws:
            await _resume(ws, "b")
            for _ in range(count):
                json.loads(await ws.recv())
            return time.monotonic()

    ended = asyncio.run(client())
    first, _ = hub.sent()
    return ended - first


def run_plain_sqlite_against(hub: ScriptedHub, count: int, path: Path) -> float:
    """Reference: receive, decode, re-encode ``data`` and plain ``sqlite3`` executemany
    (1,000 rows per transaction, WAL) with nothing else: no visibility, versions or deltas."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS h (id TEXT PRIMARY KEY, version INTEGER, data TEXT)")

    def store(rows: list[tuple[str, int, str]]) -> None:
        db.execute("BEGIN")
        db.executemany("INSERT OR REPLACE INTO h VALUES (?, ?, ?)", rows)
        db.execute("COMMIT")

    async def client() -> float:
        async with connect(hub.url + "/v1/agent", max_size=MAX_FRAME_BYTES, compression=None) as ws:
            await _resume(ws, "p")
            rows: list[tuple[str, int, str]] = []
            for _ in range(count):
                data = json.loads(await ws.recv())["data"]
                rows.append((data.get("id") or data["handoff_id"], data["version"], json.dumps(data)))
                if len(rows) == 1000:
                    store(rows)
                    rows = []
            store(rows)
            return time.monotonic()

    try:
        ended = asyncio.run(client())
    finally:
        db.close()
    first, _ = hub.sent()
    return ended - first


def settle_disk() -> None:
    """Let the OS write out what the last run wrote (tens of MB of SQLite pages) before the
    next one is timed: on 2 cores, writeback running under a timed run slows it by a tenth."""
    if hasattr(os, "sync"):
        os.sync()


def bench_burst(events: int, rounds: int, folder: Path) -> None:
    frames = burst_frames(events)
    total = len(frames)
    size = sum(len(f) for f in frames) / total
    print(f"\n1. burst of {total:,} events (mean frame {size:,.0f} bytes), {rounds} round(s)")
    print("   round   baseline s   reference s   engine s (deltas)   engine / baseline")
    runs: list[tuple[float, float, float]] = []
    with ScriptedHub([], frames, 100, folder) as hub:
        for number in range(1, rounds + 1):
            baseline = run_baseline_against(hub, total)
            plain = run_plain_sqlite_against(hub, total, folder / f"plain-{number}.sqlite3")
            settle_disk()
            engine_s, batches = run_engine_against(
                hub,
                lambda d: any(h["id"] == "h_999999" for h in d.upserts),
                folder / f"burst-{number}",
            )
            settle_disk()
            runs.append((baseline, plain, engine_s))
            print(
                f"   {number:5d}   {baseline:10.3f}   {plain:11.3f}   {engine_s:8.3f} ({batches:2d})"
                f"   {baseline / engine_s:17.0%}"
            )
    baseline, plain, engine_s = (statistics.median(r[k] for r in runs) for k in range(3))
    base_rate, engine_rate = total / baseline, total / engine_s
    ratio = engine_rate / base_rate
    which = "median of the rounds" if rounds > 1 else "one round"
    print(f"   {which}:")
    print(f"   baseline (receive + json.loads): {baseline:6.2f} s  {base_rate:10,.0f} events/s")
    print(
        f"   reference (+ plain sqlite3):     {plain:6.2f} s  {total / plain:10,.0f} events/s"
        f"  ({baseline / plain:.0%} of baseline)"
    )
    print(f"   engine (applied into SQLite):    {engine_s:6.2f} s  {engine_rate:10,.0f} events/s")
    print(
        f"   engine / baseline = {ratio:.0%}  (target >= {BURST_TARGET:.0%}: "
        f"{'met' if ratio >= BURST_TARGET else 'NOT met'})"
    )


def bench_snapshot(count: int, folder: Path) -> None:
    parts = snapshot_parts(count, 5000)
    with ScriptedHub(parts, [], 5000, folder) as hub:
        elapsed, _ = run_engine_against(hub, lambda d: d.reset and len(d.upserts) == count, folder / "snapshot")
    print(f"\n2. snapshot of {count:,} handoffs in {len(parts)} parts ({sum(map(len, parts)) / 1e6:.1f} MB)")
    print(
        f"   applied in {elapsed:.2f} s  (target < {SNAPSHOT_LIMIT_S:.0f} s: "
        f"{'met' if elapsed < SNAPSHOT_LIMIT_S else 'NOT met'})"
    )


# -- a real hub: the outbox flush -----------------------------------------------------------


class Flush(Waiter):
    def __init__(self) -> None:
        super().__init__(lambda d: False)
        self.status: ConnectionStatus | None = None
        self.changed = threading.Condition()

    def on_status(self, status: ConnectionStatus) -> None:
        with self.changed:
            self.status = status
            self.changed.notify_all()

    def wait(self, predicate: Callable[[ConnectionStatus], bool], timeout: float) -> None:
        with self.changed:
            ok = self.changed.wait_for(lambda: self.status is not None and predicate(self.status), timeout)
        assert ok, f"timed out; status {self.status}"


async def bench_flush(outcomes: int, rate_agent: int | None, folder: Path) -> None:
    from agent_desk.hub.server import Hub, HubConfig
    from tests.support.peers import Peer, escalate_body

    data = folder / f"hub-{rate_agent}"
    extra = {"rate_agent": rate_agent} if rate_agent else {}
    config = HubConfig(data_dir=data, port=0, rate_lead=100_000, rate_source=100_000, **extra)
    hub = Hub(config)
    await hub.start()
    tokens = {
        name: hub.store.add_user(name, role, queues)
        for name, role, queues in (
            ("ana", "agent", ("billing",)),
            ("lea", "lead", ()),
            ("bot", "source", ()),
        )
    }
    url = f"ws://127.0.0.1:{hub.port}"
    bot = await Peer.open(url, tokens["bot"], "/v1/source")
    lea = await Peer.open(url, tokens["lea"])
    ids = []
    for _ in range(outcomes):
        result = await bot.call("escalate", **escalate_body(queue="billing", priority=2))
        ids.append(result["data"]["handoff_id"])
    for handoff_id in ids:
        assert (await lea.call("reassign", handoff_id=handoff_id, to_user="ana"))["ok"]
    await bot.close()
    await lea.close()
    flush = Flush()
    engine = Engine(url, "ana", tokens["ana"], flush, cache_dir=folder / f"desk-{rate_agent}")
    engine.start()
    try:
        await asyncio.to_thread(flush.wait, lambda s: s.link is Link.ONLINE, 60)
        await hub.stop()
        await asyncio.to_thread(flush.wait, lambda s: s.link is not Link.ONLINE, 60)
        for handoff_id in ids:
            engine.resolve(handoff_id, {"resolution": "resolved", "csat": 4})
        await asyncio.to_thread(flush.wait, lambda s: s.pending == outcomes, 60)
        hub = Hub(HubConfig(data_dir=data, port=hub.port, rate_lead=100_000, rate_source=100_000, **extra))
        await hub.start()
        engine.reconnect_now()
        await asyncio.to_thread(flush.wait, lambda s: s.link is Link.ONLINE, 60)
        online = time.perf_counter()
        await asyncio.to_thread(flush.wait, lambda s: s.pending == 0, 900)
        elapsed = time.perf_counter() - online
    finally:
        await asyncio.to_thread(engine.stop)
        await hub.stop()
    limit = f"{rate_agent:,}" if rate_agent else "100 (default)"
    print(
        f"   agent rate limit {limit:>14} frames/10 s: {outcomes:,} outcomes flushed in {elapsed:7.2f} s "
        f"({outcomes / elapsed:,.0f}/s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5, help="burst rounds (medians compared)")
    parser.add_argument("--snapshot", type=int, default=10_000)
    parser.add_argument("--outcomes", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="smaller figures, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.events, args.snapshot, args.outcomes, args.rounds = 5_000, 2_000, 120, 1
    folder = Path(tempfile.mkdtemp(prefix="bench-client-"))
    try:
        print(f"Agent Desk engine benchmark (Python {sys.version.split()[0]})")
        await asyncio.to_thread(bench_burst, args.events, max(1, args.rounds), folder)
        await asyncio.to_thread(bench_snapshot, args.snapshot, folder)
        print(f"\n3. {args.outcomes:,} outcomes recorded offline, flushed after the hub came back")
        await bench_flush(args.outcomes, 20_000, folder)
        await bench_flush(args.outcomes, None, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
