"""Routing-by-offers benchmark: how soon an escalation's offer reaches its agent, against bare fan-out.

Run from the repository root (prints figures; not a test)::

    .venv/bin/python benchmarks/bench_offers.py            # 300 agents, 100 escalations/s, ~1 min
    .venv/bin/python benchmarks/bench_offers.py --quick    # 50 agents, 3 s phases, ~20 s

What it does, all on 127.0.0.1, in temporary folders:

1. Creates ``--agents`` agents (queue ``billing``, capacity 3) and one source in a fresh hub
   data folder and starts ``agent-desk hub serve --routing offer``; starts the baseline of
   ``bench_hub_fanout.py``, a bare websockets server (``_bare_broadcast.py``) relaying each
   frame its source sends to every other connection, with that runner's agents' process
   (``_fanout_clients.py``).
2. The hub's agents run in a process of their own (this file with ``--clients-process``, the
   same Sans-I/O reading as the fan-out clients). Every agent sees every waiting billing
   handoff, and each escalation is offered to one of them: that agent records receive time
   minus the send time the source put in ``brief`` for the ``handoff.updated`` whose ``offer``
   names it, then accepts the offer (``claim``) and resolves the handoff at once, so its
   capacity is free again, as a busy floor's would be.
3. For reference, a second hub serves the same floor with ``--routing pull``: there the agent
   a handoff's id falls to takes it (claims and resolves it) when its ``handoff.created``
   arrives, which is measured the same way.
4. This process is the source of all three, sending on a fixed schedule: ``escalate`` requests
   to the hubs, frames of the offer event's size to the baseline. Phases: a short warm-up of
   each, then ``--rate`` escalations/s for ``--seconds``, one after the other.
5. Prints the offer latency (p50, p99, max) at the offered agent, the pull hub's and the
   baseline's, and the ratio offer p99 / bare p99 (target <= 2), with offer p99 / pull p99.

The hub does more per escalation than the baseline: every agent gets the handoff's creation,
its offer and its claim (three fan-outs to all agents, where the baseline relays one frame),
and the claims and resolves are requests of their own. The CPU used during each phase by the
server (srv%), its clients (cli%) and everything outside this run (oth%) is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (ROOT, HERE):  # agent_desk and the fan-out runner, when run as benchmarks/bench_offers.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

P99_RATIO_TARGET = 2.0

# -- the agents' process (``--clients-process``) ------------------------------------------------

MARK = b'"brief":"T'
CREATED, UPDATED = b'"kind":"handoff.created"', b'"kind":"handoff.updated"'
RESUME = json.dumps(
    {"type": "resume", "id": "bench-resume", "protocol": 1, "client_id": "bench", "epoch": None, "last_seq": None},
    separators=(",", ":"),
).encode()


class Floor:
    """Figures of the current phase, shared by every agent."""

    def __init__(self) -> None:
        self.phase = b"0"
        self.latencies: list[float] = []
        self.stray = 0
        self.closed = 0
        self.claims_ok = 0
        self.claims_failed = 0
        self.resolves_ok = 0
        self.first_failure: str | None = None
        self.sample_len = 0

    def start(self, phase: int) -> None:
        self.phase = str(phase).encode()
        self.latencies = []
        self.stray = self.claims_ok = self.claims_failed = self.resolves_ok = 0
        self.first_failure = None


class OfferedAgent(asyncio.Protocol):
    """One agent's connection: measures the offers made to it, accepts and resolves each."""

    def __init__(
        self,
        uri: str,
        user_id: str,
        token: str,
        floor: Floor,
        ready: asyncio.Future[None],
        pick: tuple[int, int] | None = None,
    ) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.ws = ClientProtocol(parse_uri(uri), max_size=2**21)
        self.request = self.ws.connect()
        self.request.headers["Authorization"] = f"Bearer {token}"
        self.user_id = user_id
        # Offer routing: the offer naming this agent. Pull routing (the reference): every
        # created handoff, of which this agent takes those whose id falls to it (``pick``:
        # this agent's number and how many there are).
        self.pick = pick
        self.offer_mark = b'"offer":{"to":"' + user_id.encode() + b'"' if pick is None else CREATED
        self.floor = floor
        self.ready = ready
        self.live = False
        self.sent = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.ws.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        now = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101 and not self.ready.done():
                    self.ready.set_exception(ConnectionError(f"handshake failed: HTTP {event.status_code}"))
                else:
                    self.ws.send_text(RESUME)
                continue
            if event.opcode is not Opcode.TEXT:
                continue
            frame = event.data
            if frame.startswith(b'{"type":"event"'):
                if self.live and self.offer_mark in frame:
                    self._offered(frame, now)
            elif frame.startswith(b'{"type":"result"'):
                self._result(frame)
        self._flush()

    def _offered(self, frame: bytes, now: float) -> None:
        floor = self.floor
        i = frame.find(MARK)
        if i < 0 or (UPDATED if self.pick is None else CREATED) not in frame[:80]:
            return
        start = frame.find(b'"data":{"id":"') + len(b'"data":{"id":"')
        handoff_id = frame[start : frame.find(b'"', start)].decode()
        if self.pick is not None and int(handoff_id[-6:], 16) % self.pick[1] != self.pick[0]:
            return
        i += len(MARK)
        j = frame.find(b"|", i)
        if frame[i:j] != floor.phase:
            floor.stray += 1
        else:
            k = frame.find(b'"', j)
            floor.latencies.append(now - float(frame[j + 1 : k]))
            floor.sample_len = floor.sample_len or len(frame)
        self.sent += 1
        claim = {"type": "claim", "id": f"c-{self.sent}", "handoff_id": handoff_id}
        resolve = {
            "type": "resolve",
            "id": f"r-{self.sent}",
            "handoff_id": handoff_id,
            "outcome": {"resolution": "resolved"},
        }
        self.ws.send_text(json.dumps(claim, separators=(",", ":")).encode())
        self.ws.send_text(json.dumps(resolve, separators=(",", ":")).encode())

    def _result(self, frame: bytes) -> None:
        ok = b'"ok":true' in frame
        if b'"id":"bench-resume"' in frame:
            if ok:
                self.live = True
                if not self.ready.done():
                    self.ready.set_result(None)
            elif not self.ready.done():
                self.ready.set_exception(ConnectionError(f"resume failed: {frame[:200]!r}"))
            return
        floor = self.floor
        if b'"id":"c-' in frame:
            if ok:
                floor.claims_ok += 1
            else:
                floor.claims_failed += 1
                floor.first_failure = floor.first_failure or frame[:300].decode(errors="replace")
        elif ok:
            floor.resolves_ok += 1

    def _flush(self) -> None:
        if self.transport is None:
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.live:
            self.floor.closed += 1
        self.live = False
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"connection lost before ready: {exc}"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def clients_main(url: str, agents_file: Path, routing: str) -> int:
    """The agents' process: connect every agent, then answer ``phase N``/``count``/``stats``/``quit``."""
    from _fanout_clients import percentile, reply, serve_commands
    from websockets.uri import parse_uri

    pairs = [line.split() for line in agents_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    floor = Floor()
    agents: list[OfferedAgent] = []
    gate = asyncio.Semaphore(20)

    async def open_one(number: int, user_id: str, token: str) -> None:
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            pick = None if routing == "offer" else (number, len(pairs))
            agent = OfferedAgent(url, user_id, token, floor, ready, pick)
            agents.append(agent)
            await loop.create_connection(lambda: agent, uri.host, uri.port)
            await asyncio.wait_for(ready, 30)

    t0 = time.monotonic()
    try:
        await asyncio.gather(*(open_one(n, user_id, token) for n, (user_id, token) in enumerate(pairs)))
    except Exception as error:  # noqa: BLE001 - reported to the runner, which stops
        reply({"ready": False, "error": repr(error)})
        return 1
    reply({"ready": True, "connections": len(agents), "connect_s": time.monotonic() - t0, "pid": os.getpid()})

    def stats() -> dict[str, Any]:
        ordered = sorted(floor.latencies)
        return {
            "count": len(ordered),
            "p50": percentile(ordered, 0.5),
            "p99": percentile(ordered, 0.99),
            "max": ordered[-1] if ordered else None,
            "stray": floor.stray,
            "closed": floor.closed,
            "claims_ok": floor.claims_ok,
            "claims_failed": floor.claims_failed,
            "resolves_ok": floor.resolves_ok,
            "first_failure": floor.first_failure,
            "sample_len": floor.sample_len,
        }

    answers = {
        "count": lambda: {"count": len(floor.latencies), "resolves_ok": floor.resolves_ok, "closed": floor.closed},
        "stats": stats,
    }
    await serve_commands(floor.start, answers)
    for agent in agents:
        agent.close()
    await asyncio.sleep(0.05)
    return 0


# -- the runner -------------------------------------------------------------------------------


def floor_clients(fan: Any, children: Any, url: str, agents_file: Path, work: Path, routing: str) -> Any:
    """The agents' process (this file with ``--clients-process``), driven like the fan-out runner's."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--clients-process", "--url", url]
    argv += ["--agents-file", str(agents_file), "--routing", routing]
    return fan.Clients(children, url, agents_file, routing, work, argv=argv)


async def offer_phase(fan: Any, source: Any, clients: Any, cpu: Any, rate: float, seconds: float) -> dict[str, Any]:
    """Escalate at ``rate`` for ``seconds``; wait until every offer arrived and was resolved."""
    phase = next(fan._PHASES)
    await clients.acommand(f"phase {phase}")
    source.reset()
    count = max(1, round(rate * seconds))
    before = cpu.snapshot()
    sent, _took, lag = await source.schedule(phase, rate, count)
    loop = asyncio.get_running_loop()
    end = last_move = loop.time()
    last = -1
    notes = []
    while True:
        reply = await clients.acommand("count")
        now = loop.time()
        progress = reply["count"] + reply["resolves_ok"] + source.results_ok + source.results_failed
        if reply["resolves_ok"] >= sent and source.results_ok + source.results_failed >= sent:
            break
        if progress != last:
            last, last_move = progress, now
        elif now - last_move > 3.0:
            notes.append("stalled")
            break
        if now - end > 30.0:
            notes.append("drain timeout")
            break
        await asyncio.sleep(0.02)
    stats: dict[str, Any] = await clients.acommand("stats")
    stats.update(
        sent=sent,
        results_ok=source.results_ok,
        first_failure=stats["first_failure"] or source.first_failure,
        cpu=fan.CpuMeter.shares(before, cpu.snapshot()),
        notes=notes + ([f"source lagged {lag * 1000:.0f} ms"] if lag > 0.05 else []),
    )
    return stats


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _hub_row(name: str, hub: dict[str, Any]) -> None:
    cpu = hub["cpu"]
    print(
        f"{name:<5} at the agent {hub['count']}/{hub['sent']} (stray {hub['stray']}), claims ok {hub['claims_ok']} "
        f"failed {hub['claims_failed']}, resolved {hub['resolves_ok']}, escalations ok {hub['results_ok']}; "
        f"latency p50 {_ms(hub['p50'])} ms, p99 {_ms(hub['p99'])} ms, max {_ms(hub['max'])} ms; "
        f"srv {cpu.get('server', 0):.0f}% cli {cpu.get('clients', 0):.0f}% oth {cpu.get('other', 0):.0f}%"
        + (f"  [{'; '.join(hub['notes'])}]" if hub["notes"] else "")
    )
    if hub["first_failure"]:
        print(f"  first failure: {hub['first_failure']}")


def print_summary(args: argparse.Namespace, offer: dict[str, Any], pull: dict[str, Any], bare: Any) -> bool:
    print()
    print(f"== Offers: {args.agents} agents, {args.rate:g} escalations/s for {args.seconds:g} s ==")
    _hub_row("offer", offer)
    _hub_row("pull", pull)
    print(
        f"bare  frames {bare.delivered}/{bare.expected} ({bare.sample_len} bytes each); end-to-end p50 "
        f"{_ms(bare.p50)} ms, p99 {_ms(bare.p99)} ms, max {_ms(bare.max)} ms; "
        f"srv {bare.cpu.get('server', 0):.0f}% cli {bare.cpu.get('clients', 0):.0f}% "
        f"oth {bare.cpu.get('other', 0):.0f}%" + (f"  [{'; '.join(bare.notes)}]" if bare.notes else "")
    )
    for name, share in (("offer hub", offer["cpu"]), ("pull hub", pull["cpu"]), ("bare", bare.cpu)):
        if share.get("server_cpu_s") and offer["sent"]:
            print(f"  {name} process CPU per escalation: {share['server_cpu_s'] / offer['sent'] * 1000:.2f} ms")
    complete = offer["count"] == offer["sent"] and offer["claims_ok"] == offer["sent"] and offer["closed"] == 0
    print(f"every escalation offered once and accepted: {'yes' if complete else 'NO'}")
    if offer["p99"] is not None and pull["p99"]:
        print(
            f"offer p99 / pull p99 (the same floor, each handoff's creation at the agent that takes it) "
            f"= {_ms(offer['p99'])} / {_ms(pull['p99'])} = {offer['p99'] / pull['p99']:.2f}"
        )
    if offer["p99"] is None or not bare.p99:
        print("RATIO offer p99 / bare p99: not measurable")
        return False
    ratio = offer["p99"] / bare.p99
    met = ratio <= P99_RATIO_TARGET
    print(
        f"RATIO offer p99 / bare p99 = {_ms(offer['p99'])} / {_ms(bare.p99)} = {ratio:.2f} "
        f"(target <= {P99_RATIO_TARGET:g}) -> {'MET' if met else 'NOT MET'}"
    )
    return met and complete


class HubUnderTest:
    """One hub under test: its process, its agents' process, its source and CPU meter."""

    def __init__(self, routing: str, proc: Any, port: int, clients: Any) -> None:
        self.routing, self.proc, self.port, self.clients = routing, proc, port, clients
        self.source: Any = None
        self.cpu: Any = None


async def run(args: argparse.Namespace, children: Any, work: Path) -> bool:
    import bench_hub_fanout as fan
    from websockets.asyncio.client import connect

    t0 = time.monotonic()
    print(
        f"Offer routing benchmark: {args.agents} agents, {args.rate:g} escalations/s for {args.seconds:g} s; "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    hubs: dict[str, HubUnderTest] = {}
    source_tokens: dict[str, str] = {}
    tokens: list[str] = []
    for routing in ("offer", "pull"):
        data_dir = work / f"hub-{routing}"
        tokens, source_tokens[routing] = fan.create_users(data_dir, args.agents)
        agents_file = work / f"agents-{routing}.txt"
        agents_file.write_text("".join(f"agent{i:04d} {t}\n" for i, t in enumerate(tokens)), encoding="utf-8")
        proc, port = fan.start_hub(children, data_dir, work, routing=routing)
        url = f"ws://127.0.0.1:{port}/v1/agent"
        hubs[routing] = HubUnderTest(routing, proc, port, floor_clients(fan, children, url, agents_file, work, routing))
    tokens_file = work / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    bare_proc, bare_port = fan.start_bare(children, work)
    bare_clients = fan.Clients(children, f"ws://127.0.0.1:{bare_port}/agents", tokens_file, "bare", work)
    for hub in hubs.values():
        ready = await asyncio.to_thread(hub.clients.ready)
        hub.cpu = fan.CpuMeter(hub.proc.pid, ready["pid"])
        print(f"# {hub.routing} hub pid {hub.proc.pid}: {ready['connections']} agents in {ready['connect_s']:.1f} s")
    bare_ready = await asyncio.to_thread(bare_clients.ready)
    print(f"# bare pid {bare_proc.pid}: {bare_ready['connections']} clients in {bare_ready['connect_s']:.1f} s")
    opts: dict[str, Any] = {"compression": None, "max_size": 2**20, "open_timeout": 30}
    async with contextlib.AsyncExitStack() as stack:
        for routing, hub in hubs.items():
            ws = await stack.enter_async_context(
                connect(
                    f"ws://127.0.0.1:{hub.port}/v1/source",
                    additional_headers={"Authorization": f"Bearer {source_tokens[routing]}"},
                    **opts,
                )
            )
            hub.source = fan.Source(ws, "hub")
        bare_ws = await stack.enter_async_context(connect(f"ws://127.0.0.1:{bare_port}/source", **opts))
        bare = fan.Target(
            "bare", fan.Source(bare_ws, "bare"), bare_clients, fan.CpuMeter(bare_proc.pid, bare_ready["pid"])
        )
        warm = {}
        for routing, hub in hubs.items():  # warm-up; the offer event's size sets the baseline's
            warm[routing] = await offer_phase(fan, hub.source, hub.clients, hub.cpu, 20, 1.0)
        bare.source.frame_len = warm["offer"]["sample_len"] or 2000
        await fan.run_phase(bare, "warm-up", 20, 1.0, args.agents)
        fixed = {}
        for routing, hub in hubs.items():
            await fan.settle(hub.cpu, args.settle_s)
            fixed[routing] = await offer_phase(fan, hub.source, hub.clients, hub.cpu, args.rate, args.seconds)
        await fan.settle(bare.cpu, args.settle_s)
        baseline = await fan.run_phase(bare, "fixed", args.rate, args.seconds, args.agents)
        for hub in hubs.values():
            hub.source.reader.cancel()
        bare.source.reader.cancel()
    for clients in [*(hub.clients for hub in hubs.values()), bare_clients]:
        clients.quit()
    ok = print_summary(args, fixed["offer"], fixed["pull"], baseline)
    print(f"\ntotal {time.monotonic() - t0:.0f} s")
    return ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=300, help="agent connections (default 300)")
    parser.add_argument("--rate", type=float, default=100, help="escalations/s (default 100)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the measured phase (default 10)")
    parser.add_argument("--quick", action="store_true", help="a quick check: 50 agents, 3 s phases")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is not met")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, data)")
    parser.add_argument("--clients-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--agents-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--routing", default="offer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.settle_s = 30.0
    if args.quick:
        args.agents = min(args.agents, 50)
        args.seconds = min(args.seconds, 3)
        args.settle_s = 3.0
    if args.agents < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--agents, --rate and --seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.clients_process:
        return asyncio.run(clients_main(args.url, args.agents_file, args.routing))
    import bench_hub_fanout as fan

    children = fan.Children()
    work = Path(tempfile.mkdtemp(prefix="agent-desk-offers-"))

    def on_term(signum: int, _frame: Any) -> None:
        children.terminate_all()
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        ok = asyncio.run(run(args, children, work))
        return 1 if args.strict and not ok else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except RuntimeError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 2
    finally:
        children.close()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            with contextlib.suppress(OSError):
                shutil.rmtree(work)


if __name__ == "__main__":
    raise SystemExit(main())
