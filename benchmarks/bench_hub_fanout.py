"""Hub fan-out benchmark: escalations from one source, pushed to N agents; against a bare baseline.

Run from the repository root (prints figures; not a test)::

    .venv/bin/python benchmarks/bench_hub_fanout.py            # full run, about 3-5 minutes
    .venv/bin/python benchmarks/bench_hub_fanout.py --quick    # about 20 s smoke run

What it does, all on 127.0.0.1, in temporary folders:

1. Creates ``--agents`` agent users (queue ``billing``) and one source in a fresh hub data
   folder and starts ``agent-desk hub serve``; starts the baseline, a bare websockets server
   (``_bare_broadcast.py``) that relays each frame its source sends to every other connection
   with ``websockets.broadcast``. Each server has its own process, and so has each server's
   set of agents (``_fanout_clients.py``: websockets' Sans-I/O protocol under a plain
   ``asyncio.Protocol``, so reading a frame costs no task switch). The hub's agents resume.
2. This process is the source of both: it sends on a fixed schedule (results are read by a
   separate task, never holding up the schedule), each frame carrying its send time in
   ``brief``: to the hub ``escalate`` requests, each pushed to every agent as a
   ``handoff.created`` event; to the baseline frames of that event's size. The clients record
   receive time minus send time per frame and count what arrived.
3. Phases: a short warm-up of each; then ``--rate`` escalations/s for ``--seconds``, hub and
   baseline back to back (the headline figures); then for each a rate ladder
   (``--step-seconds`` per step) that stops at the first step with p99 >= 100 ms or anything
   lost (frames, results, connections).
4. Prints the tables, hub p99 / bare p99 at ``--rate`` (target <= 2) and hub max rate /
   bare max rate (target >= 0.70), and whether each target is met.

The clients share the machine's 2 cores with the servers, so other work on the machine skews
the figures: the CPU used during each phase by the server (srv%), its clients (cli%) and every
process outside this run (oth%) is shown, in % of one core; the run waits for outside load to
pass before each phase and repeats a phase that it disturbed anyway (see DISTURBED_PCT).
Every child process is ended when the run ends, also on errors or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # agent_desk, when run as benchmarks/bench_hub_fanout.py
    sys.path.insert(0, str(ROOT))

P99_LIMIT_S = 0.100
P99_RATIO_TARGET = 2.0
MAX_RATE_RATIO_TARGET = 0.70
#: Other processes using more than this share of one core (%) during a phase disturb it: a
#: disturbed fixed phase, or a disturbed failing step, is run again (at most RETRIES times;
#: none with --quick). Before each phase the run waits up to 30 s for such load to pass
#: (90 s in all; 5 s with --quick).
DISTURBED_PCT = 30.0
RETRIES = 2
DEFAULT_LADDER = [100, 125, 150, 175, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 1000]


# -- child processes ------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Linux: the child gets SIGTERM if this runner dies without cleaning up."""
    with contextlib.suppress(Exception):  # best effort, not on every platform
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Children:
    """Every process this run started; all are ended by ``close``."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[Any]] = []

    def start(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        proc = subprocess.Popen(argv, preexec_fn=preexec, **kwargs)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(5)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()

    def terminate_all(self) -> None:
        """Ask every child to stop now, without waiting (from a signal handler)."""
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)

    def close(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                self.stop(proc)
        self.procs.clear()


def _wait_for_line(path: Path, needle: str, proc: subprocess.Popen[Any], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if needle in line:
                    return line
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{path.name}: no {needle!r} (exit code {proc.poll()})")


def _tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def create_users(data_dir: Path, agents: int) -> tuple[list[str], str]:
    """Agent tokens and the source token, written straight into a fresh store."""
    from agent_desk.hub import db
    from agent_desk.hub.store import Store

    store = Store(db.open_engine(data_dir))
    store.open()
    try:
        tokens = [store.add_user(f"agent{i:04d}", "agent", ["billing"], []) for i in range(agents)]
        source = store.add_user("bench-source", "source", [], [])
    finally:
        store.close()
    return tokens, source


def start_hub(
    children: Children, data_dir: Path, work: Path, routing: str | None = None
) -> tuple[subprocess.Popen[Any], int]:
    """``agent-desk hub serve`` on a free port (``routing``: its ``--routing``, named in its logs)."""
    name = f"hub-{routing}" if routing else "hub"
    out, err = work / f"{name}.stdout", work / f"{name}.stderr"
    argv = [sys.executable, "-m", "agent_desk", "hub", "serve", "--data", str(data_dir), "--host", "127.0.0.1"]
    argv += ["--port", "0", "--rate-source", str(10**9)]
    if routing:
        argv += ["--routing", routing]
    proc = children.start(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out.open("w"), stderr=err.open("w"))
    try:
        line = _wait_for_line(out, "listening on ws://", proc, 60)
    except RuntimeError:
        raise RuntimeError(f"the hub did not start:\n{_tail(err)}") from None
    return proc, int(line.rsplit(":", 1)[1])


def start_bare(children: Children, work: Path) -> tuple[subprocess.Popen[Any], int]:
    out, err = work / "bare.stdout", work / "bare.stderr"
    proc = children.start(
        [sys.executable, str(HERE / "_bare_broadcast.py"), "--port", "0"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=out.open("w"),
        stderr=err.open("w"),
    )
    try:
        line = _wait_for_line(out, "listening on ws://", proc, 30)
    except RuntimeError:
        raise RuntimeError(f"the bare server did not start:\n{_tail(err)}") from None
    return proc, int(line.rsplit(":", 1)[1])


class Clients:
    """The agents' process, driven line by line over its stdin/stdout.

    ``argv`` starts another agents' process that answers the same lines (default: this runner's
    ``_fanout_clients.py``).
    """

    def __init__(
        self, children: Children, url: str, tokens_file: Path, mode: str, work: Path, argv: list[str] | None = None
    ) -> None:
        self.err = work / f"clients-{mode}.stderr"
        if argv is None:
            argv = [sys.executable, str(HERE / "_fanout_clients.py"), "--url", url, "--tokens", str(tokens_file)]
            argv += ["--mode", mode]
        self.proc = children.start(
            argv,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err.open("w"),
            text=True,
            bufsize=1,
        )
        self.lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the clients process stopped:\n{_tail(self.err)}")
        return json.loads(line)

    def ready(self) -> dict[str, Any]:
        reply = self._read()
        if not reply.get("ready"):
            raise RuntimeError(f"the clients could not connect: {reply.get('error')}\n{_tail(self.err)}")
        return reply

    def command(self, text: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        with self.lock:
            self.proc.stdin.write(text + "\n")
            self.proc.stdin.flush()
            return self._read()

    def quit(self) -> None:
        """Close every connection and let the process end."""
        with contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    async def acommand(self, text: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.command, text)


# -- the source -----------------------------------------------------------------------------


class Source:
    """Sends frames on a schedule; a separate task reads the server's results."""

    def __init__(self, ws: ClientConnection, kind: str, frame_len: int = 0) -> None:
        self.ws = ws
        self.kind = kind
        self.frame_len = frame_len
        self.nonce = uuid.uuid4().hex[:8]
        self.results_ok = 0
        self.results_failed = 0
        self.first_failure: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in self.ws:
                text = message if isinstance(message, str) else message.decode()
                if '"type":"result"' not in text:
                    continue  # hello
                if '"ok":true' in text:
                    self.results_ok += 1
                else:
                    self.results_failed += 1
                    if self.first_failure is None:
                        self.first_failure = text[:300]

    def reset(self) -> None:
        self.results_ok = self.results_failed = 0
        self.first_failure = None

    def frame(self, phase: int, i: int, sent_at: float) -> str:
        brief = f"T{phase}|{sent_at:.6f}"
        if self.kind == "hub":
            key = f"{self.nonce}-{phase}-{i}"
            return json.dumps(
                {
                    "type": "escalate",
                    "id": key,
                    "conversation": {
                        "id": f"conv-{key}",
                        "started_at": "2026-11-20T10:00:00Z",
                        "language": "en",
                        "messages": [
                            {
                                "role": "customer",
                                "text": "I was charged twice for my subscription this month. "
                                "Please refund the second charge.",
                                "at": "2026-11-20T10:00:00Z",
                            },
                        ],
                    },
                    "customer": {"id": "c1", "name": "Dana", "tier": "standard"},
                    "queue": "billing",
                    "priority": 2,
                    "brief": brief,
                    "reasons": [{"trigger": "source_decision", "detail": "bench"}],
                },
                separators=(",", ":"),
            )
        head = (
            f'{{"type":"event","seq":{i + 1},"kind":"handoff.created",'
            f'"at":"2026-11-20T10:00:00Z","data":{{"brief":"{brief}","pad":"'
        )
        tail = '"}}'
        pad = max(0, self.frame_len - len(head) - len(tail))
        return head + "x" * pad + tail

    async def schedule(self, phase: int, rate: float, count: int) -> tuple[int, float, float]:
        """Send ``count`` frames at ``rate``/s; returns (sent, seconds taken, worst lag behind)."""
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.02
        worst_lag = 0.0
        for i in range(count):
            target = start + i / rate
            delay = target - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                worst_lag = max(worst_lag, -delay)
            await self.ws.send(self.frame(phase, i, time.time()))
        return count, loop.time() - start, worst_lag


# -- CPU accounting (Linux /proc; empty elsewhere) -------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _machine_busy() -> float:
    """CPU seconds all cores spent busy so far (everything but idle and iowait)."""
    try:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(values) - values[3] - values[4]) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


class CpuMeter:
    """Per-phase CPU share (% of one core) of the server, the clients, and everything else."""

    #: Every process of this run (both servers, both clients); "other" excludes them all.
    all_pids: ClassVar[set[int]] = set()

    def __init__(self, server_pid: int, clients_pid: int) -> None:
        self.pids = {"server": server_pid, "clients": clients_pid, "runner": os.getpid()}
        CpuMeter.all_pids.update(self.pids.values())

    def snapshot(self) -> tuple[float, dict[str, float], float, float]:
        mine = {k: _proc_cpu(p) for k, p in self.pids.items()}
        rest = sum(_proc_cpu(p) for p in CpuMeter.all_pids - set(self.pids.values()))
        return time.monotonic(), mine, rest, _machine_busy()

    @staticmethod
    def shares(before: Any, after: Any) -> dict[str, float]:
        wall = max(1e-9, after[0] - before[0])
        ours = {k: (after[1][k] - before[1][k]) / wall * 100 for k in after[1]}
        rest = (after[2] - before[2]) / wall * 100
        machine = (after[3] - before[3]) / wall * 100
        ours["other"] = max(0.0, machine - sum(ours.values()) - rest)
        ours["server_cpu_s"] = after[1]["server"] - before[1]["server"]
        return ours


class SettleBudget:
    """Seconds the whole run may still spend waiting for outside load to pass."""

    left = 90.0


async def settle(meter: CpuMeter, limit_s: float = 30.0) -> None:
    """Wait (at most ``limit_s``, and within the run's budget) until processes outside this
    run leave the CPU mostly idle."""
    start = time.monotonic()
    deadline = start + min(limit_s, SettleBudget.left)
    told = False
    while True:
        before = meter.snapshot()
        await asyncio.sleep(0.5)
        other = CpuMeter.shares(before, meter.snapshot())["other"]
        now = time.monotonic()
        if other <= DISTURBED_PCT or now > deadline:
            if told:
                SettleBudget.left = max(0.0, SettleBudget.left - (now - start))
            return
        if not told:
            print(
                f"# other processes use {other:.0f}% of a core; waiting for them to settle",
                flush=True,
            )
            told = True


# -- phases ---------------------------------------------------------------------------------


@dataclass
class Target:
    """One server under test, its agents' process and its source connection."""

    name: str
    source: Source
    clients: Clients
    cpu: CpuMeter
    fixed: PhaseResult | None = None
    ladder: list[PhaseResult] = field(default_factory=list)
    sample_len: int = 0

    @property
    def max_rate(self) -> float:
        best = 0.0
        for step in self.ladder:
            if not step.passed:
                break
            best = step.rate
        return best

    @property
    def ladder_capped(self) -> bool:
        return bool(self.ladder) and all(s.passed for s in self.ladder)


@dataclass
class PhaseResult:
    server: str
    label: str
    rate: float
    seconds: float
    agents: int
    sent: int = 0
    send_s: float = 0.0
    send_lag: float = 0.0
    expected: int = 0
    delivered: int = 0
    stray: int = 0
    closed: int = 0
    results_ok: int = 0
    results_failed: int = 0
    first_failure: str | None = None
    p50: float | None = None
    p99: float | None = None
    max: float | None = None
    frames_per_s: float = 0.0
    sample_len: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unreliable: bool = False  # disturbed by other processes in its last repeat

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    @property
    def passed(self) -> bool:
        return (
            self.lost == 0
            and self.closed == 0
            and self.results_ok == self.sent
            and self.p99 is not None
            and self.p99 < P99_LIMIT_S
        )


_PHASES = iter(range(1, 1_000_000))


async def run_phase(target: Target, label: str, rate: float, seconds: float, agents: int) -> PhaseResult:
    """Send at ``rate`` for ``seconds``, wait until everything arrived (or stalled), collect."""
    source, clients = target.source, target.clients
    phase = next(_PHASES)
    res = PhaseResult(target.name, label, rate, seconds, agents)
    await clients.acommand(f"phase {phase}")
    source.reset()
    count = max(1, round(rate * seconds))
    before = target.cpu.snapshot()
    first_send = time.time()
    res.sent, res.send_s, res.send_lag = await source.schedule(phase, rate, count)
    res.expected = res.sent * agents
    # Drain: until everything arrived, or nothing moved for 3 s (lost), at most 30 s.
    loop = asyncio.get_running_loop()
    end = loop.time()
    last, last_move = -1, end
    while True:
        reply = await clients.acommand("count")
        now = loop.time()
        answered = source.results_ok + source.results_failed
        if reply["count"] >= res.expected and answered >= res.sent:
            break
        progress = reply["count"] + answered
        if progress != last:
            last, last_move = progress, now
        elif now - last_move > 3.0:
            res.notes.append("stalled")
            break
        if now - end > 30.0:
            res.notes.append("drain timeout")
            break
        await asyncio.sleep(0.02)
    res.cpu = CpuMeter.shares(before, target.cpu.snapshot())
    st = await clients.acommand("stats")
    res.delivered = st["count"]
    res.stray = st["stray"]
    res.closed = st["closed"]
    res.p50, res.p99, res.max = st["p50"], st["p99"], st["max"]
    res.sample_len = st["sample_len"]
    if st["last_rx"]:
        res.frames_per_s = res.delivered / max(1e-9, st["last_rx"] - first_send)
    res.results_ok, res.results_failed = source.results_ok, source.results_failed
    res.first_failure = source.first_failure
    if res.send_lag > 0.05:
        res.notes.append(f"source lagged {res.send_lag * 1000:.0f} ms")
    if st["min_per_conn"] != st["max_per_conn"]:
        res.notes.append(f"per agent {st['min_per_conn']}..{st['max_per_conn']}")
    if res.stray:
        res.notes.append(f"{res.stray} stray frames of an earlier phase")
    return res


def _disturbed(res: PhaseResult) -> bool:
    return res.cpu.get("other", 0.0) > DISTURBED_PCT


async def steady_phase(
    target: Target, label: str, rate: float, seconds: float, args: argparse.Namespace
) -> PhaseResult:
    """``run_phase`` on a quiet machine: repeats a phase that other processes disturbed.

    A fixed phase is repeated whenever it was disturbed (its p99 feeds a ratio); a ladder step
    only when it was disturbed and failed (a pass under extra load is still a pass).
    """
    for attempt in range(args.retries + 1):
        await settle(target.cpu, args.settle_s)
        res = await run_phase(target, label, rate, seconds, args.agents)
        if not _disturbed(res) or (label == "step" and res.passed):
            return res
        if attempt == args.retries:
            res.notes.append("disturbed by other processes")
            res.unreliable = True
            return res
        res.notes.append("disturbed by other processes; repeating")
        _print_row(res)
    raise AssertionError("unreachable")


async def run_ladder(target: Target, args: argparse.Namespace) -> None:
    for rate in args.ladder_rates:
        step = await steady_phase(target, "step", rate, args.step_seconds, args)
        target.ladder.append(step)
        _print_row(step)
        if not step.passed:
            break


# -- output ---------------------------------------------------------------------------------

HEADER = (
    f"{'server':<6} {'phase':<7} {'esc/s':>6} {'sent':>6} {'expected':>9} {'delivered':>9} "
    f"{'lost':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'frames/s':>9} "
    f"{'srv%':>5} {'cli%':>5} {'oth%':>5}  verdict"
)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _describe(r: PhaseResult) -> str:
    why = []
    if r.lost:
        why.append(f"lost {r.lost}")
    if r.closed:
        why.append(f"{r.closed} connections closed")
    if r.results_ok != r.sent:
        why.append(f"results ok {r.results_ok}/{r.sent}")
        if r.first_failure:
            why.append(f"first failure {r.first_failure}")
    if r.p99 is None or r.p99 >= P99_LIMIT_S:
        why.append("p99 >= 100 ms")
    return ", ".join(why) or "ok"


def _pct(r: PhaseResult, key: str) -> str:
    return f"{r.cpu[key]:.0f}" if key in r.cpu else "-"


def _print_row(r: PhaseResult) -> None:
    verdict = "pass" if r.passed else "FAIL (" + _describe(r) + ")"
    notes = f"  [{'; '.join(r.notes)}]" if r.notes else ""
    print(
        f"{r.server:<6} {r.label:<7} {r.rate:>6.0f} {r.sent:>6} {r.expected:>9} {r.delivered:>9} "
        f"{r.lost:>6} {_ms(r.p50):>8} {_ms(r.p99):>8} {_ms(r.max):>8} {r.frames_per_s:>9.0f} "
        f"{_pct(r, 'server'):>5} {_pct(r, 'clients'):>5} {_pct(r, 'other'):>5}  {verdict}{notes}",
        flush=True,
    )


def _met(flag: bool) -> str:
    return "MET" if flag else "NOT MET"


def summarize(hub: Target, bare: Target, args: argparse.Namespace) -> bool:
    print()
    print(
        f"== Summary: {args.agents} agents, handoff.created frame {hub.sample_len} bytes "
        f"(baseline frames padded to the same size) =="
    )
    print(HEADER)
    for target in (hub, bare):
        if target.fixed:
            _print_row(target.fixed)
    print()
    hf, bf = hub.fixed, bare.fixed
    assert hf is not None and bf is not None
    for r in (hf, bf):
        if r.cpu.get("server_cpu_s") and r.sent:
            per = r.cpu["server_cpu_s"] / r.sent * 1000
            print(f"  {r.server} process CPU per escalation: {per:.2f} ms")
    lost_ok = hf.lost == 0 and hf.closed == 0 and hf.results_ok == hf.sent
    print(f"At {args.rate:g} escalations/s for {args.seconds:g} s:")
    print(
        f"  nothing lost (hub): expected {hf.expected}, delivered {hf.delivered}, "
        f"results ok {hf.results_ok}/{hf.sent} -> {_met(lost_ok)}"
    )
    p99_ok = hf.p99 is not None and hf.p99 < P99_LIMIT_S
    print(f"  hub p99 {_ms(hf.p99)} ms < 100 ms -> {_met(p99_ok)}")
    if hf.p99 is not None and bf.p99:
        ratio = hf.p99 / bf.p99
        r_ok = ratio <= P99_RATIO_TARGET
        print(
            f"  RATIO hub p99 / bare p99 = {_ms(hf.p99)} / {_ms(bf.p99)} = {ratio:.2f} "
            f"(target <= {P99_RATIO_TARGET:g}) -> {_met(r_ok)}"
        )
    else:
        r_ok = False
        print("  RATIO hub p99 / bare p99: not measurable")
    print()
    print(f"Highest rate with p99 < 100 ms and nothing lost ({args.step_seconds:g} s per step):")
    for t in (hub, bare):
        steps = ", ".join(f"{s.rate:g}{'' if s.passed else ' FAIL'}" for s in t.ladder)
        capped = " (top of the ladder; may sustain more)" if t.ladder_capped else ""
        print(
            f"  {t.name:<4}: {t.max_rate:g} escalations/s "
            f"= {t.max_rate * args.agents:,.0f} frames/s{capped}   [steps: {steps}]"
        )
    if bare.max_rate > 0:
        ratio = hub.max_rate / bare.max_rate
        m_ok = ratio >= MAX_RATE_RATIO_TARGET
        print(
            f"  RATIO hub max / bare max = {hub.max_rate:g} / {bare.max_rate:g} = {ratio:.2f} "
            f"(target >= {MAX_RATE_RATIO_TARGET:.2f}) -> {_met(m_ok)}"
        )
    else:
        m_ok = False
        print("  RATIO hub max / bare max: not measurable (the baseline passed no step)")
    if hub.max_rate == 0:
        print(f"  (hub max 0: even the first step, {args.ladder_rates[0]:g}/s, failed)")
    disturbed = [r for t in (hub, bare) for r in [t.fixed, *t.ladder] if r and r.unreliable]
    if disturbed:
        print(
            f"\nWARNING: {len(disturbed)} phase(s) ran while other processes used more than "
            f"{DISTURBED_PCT:.0f}% of a core (column oth%), even after {args.retries} repeat(s); "
            f"their figures and the verdicts built on them are not reliable."
        )
    ok = lost_ok and p99_ok and r_ok and m_ok
    print()
    print("All targets met." if ok else "Some targets NOT met (see above).")
    return ok


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=300, help="agent connections (default 300)")
    parser.add_argument("--rate", type=float, default=100, help="escalations/s of the fixed phase (default 100)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the fixed phase (default 10)")
    parser.add_argument("--step-seconds", type=float, default=5, help="length of each ladder step (default 5)")
    parser.add_argument(
        "--ladder",
        default=",".join(str(r) for r in DEFAULT_LADDER),
        help="comma-separated escalation rates to step through (stops at the first failure)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="about 20 s smoke run: 100 agents, 3 s fixed phase, short 3-step ladder",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, data)")
    args = parser.parse_args(argv)
    args.retries, args.settle_s = RETRIES, 30.0
    SettleBudget.left = 90.0
    if args.quick:
        args.retries, args.settle_s = 0, 3.0
        SettleBudget.left = 5.0
        args.agents = min(args.agents, 100)
        args.seconds = min(args.seconds, 3)
        args.step_seconds = min(args.step_seconds, 1.5)
        args.ladder = "100,200,400"
    args.ladder_rates = [float(x) for x in args.ladder.split(",") if x.strip()]
    if args.agents < 1 or args.rate <= 0 or args.seconds <= 0 or not args.ladder_rates:
        parser.error("--agents, --rate, --seconds and --ladder must be positive")
    return args


async def run(args: argparse.Namespace, children: Children, work: Path) -> bool:
    t0 = time.monotonic()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Hub fan-out benchmark: {args.agents} agents, fixed {args.rate:g} escalations/s for "
        f"{args.seconds:g} s, ladder {args.ladder} ({args.step_seconds:g} s per step); "
        f"{os.cpu_count()} CPUs, load average {load:.2f}",
        flush=True,
    )
    data_dir = work / "hub-data"
    tokens, source_token = create_users(data_dir, args.agents)
    tokens_file = work / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n", encoding="utf-8")

    hub_proc, hub_port = start_hub(children, data_dir, work)
    bare_proc, bare_port = start_bare(children, work)
    hub_clients = Clients(children, f"ws://127.0.0.1:{hub_port}/v1/agent", tokens_file, "hub", work)
    bare_clients = Clients(children, f"ws://127.0.0.1:{bare_port}/agents", tokens_file, "bare", work)
    hub_ready = await asyncio.to_thread(hub_clients.ready)
    bare_ready = await asyncio.to_thread(bare_clients.ready)
    print(
        f"# hub pid {hub_proc.pid} (port {hub_port}): {hub_ready['connections']} agents resumed in "
        f"{hub_ready['connect_s']:.1f} s, clients pid {hub_ready['pid']}",
        flush=True,
    )
    print(
        f"# bare pid {bare_proc.pid} (port {bare_port}): {bare_ready['connections']} clients in "
        f"{bare_ready['connect_s']:.1f} s, clients pid {bare_ready['pid']}",
        flush=True,
    )

    opts: dict[str, Any] = {"compression": None, "max_size": 2**20, "open_timeout": 30}
    async with (
        connect(
            f"ws://127.0.0.1:{hub_port}/v1/source",
            additional_headers={"Authorization": f"Bearer {source_token}"},
            **opts,
        ) as hub_ws,
        connect(f"ws://127.0.0.1:{bare_port}/source", **opts) as bare_ws,
    ):
        hub = Target("hub", Source(hub_ws, "hub"), hub_clients, CpuMeter(hub_proc.pid, hub_ready["pid"]))
        bare = Target(
            "bare",
            Source(bare_ws, "bare"),
            bare_clients,
            CpuMeter(bare_proc.pid, bare_ready["pid"]),
        )
        # Warm-up; the hub's event size sets the baseline's frame size.
        warm = await run_phase(hub, "warm-up", 20, 1.0, args.agents)
        if not warm.passed:
            print(f"  ! hub warm-up: {_describe(warm)}", flush=True)
        hub.sample_len = bare.sample_len = warm.sample_len or 1000
        bare.source.frame_len = hub.sample_len
        warm = await run_phase(bare, "warm-up", 20, 1.0, args.agents)
        if not warm.passed:
            print(f"  ! bare warm-up: {_describe(warm)}", flush=True)
        print(HEADER, flush=True)
        # The two fixed-rate phases back to back, then each ladder.
        for target in (hub, bare):
            target.fixed = await steady_phase(target, "fixed", args.rate, args.seconds, args)
            _print_row(target.fixed)
        for target in (hub, bare):
            await run_ladder(target, args)
        for target in (hub, bare):
            target.source.reader.cancel()
    for clients in (hub_clients, bare_clients):
        clients.quit()
    ok = summarize(hub, bare, args)
    print(f"\ntotal {time.monotonic() - t0:.0f} s")
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    children = Children()
    work = Path(tempfile.mkdtemp(prefix="agent-desk-fanout-"))

    def on_term(signum: int, _frame: Any) -> None:
        children.terminate_all()  # their sockets close, so nothing waits on them below
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        ok = asyncio.run(run(args, children, work))
        return 1 if args.strict and not ok else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except RuntimeError as error:  # a process did not start or stopped; its log tail is in it
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 2
    finally:
        children.close()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
