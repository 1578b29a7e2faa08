"""Drive tests/client_support/engine_proc.py from an async test."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class EngineProcess:
    """The engine in a child process; ``kill9()`` ends it without any chance to clean up."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, hub_url: str, user: str, token: str, cache_dir: Path, *extra: str) -> EngineProcess:
        env = dict(os.environ, AGENT_DESK_TOKEN=token)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.client_support.engine_proc",
            "--hub",
            hub_url,
            "--user",
            user,
            "--cache-dir",
            str(cache_dir),
            *extra,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
            env=env,
        )
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.lines.append(json.loads(line))
            self._changed.set()
        self._changed.set()

    def last(self, event: str) -> dict[str, Any] | None:
        return next((line for line in reversed(self.lines) if line["event"] == event), None)

    async def expect(self, predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        """Wait until ``predicate()`` holds, re-checking after every line the process prints."""
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()
            if predicate():
                return
            if self._reader.done():
                raise AssertionError(f"the engine process ended while waiting for {what}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; last lines {self.lines[-5:]}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    def online(self, pending: int | None = None) -> bool:
        status = self.last("status")
        return status is not None and status["link"] == "online" and (pending is None or status["pending"] == pending)

    def view(self) -> dict[str, dict[str, Any]]:
        line = self.last("view")
        return line["view"] if line else {}

    async def send(self, **command: Any) -> str | None:
        """Give a command; returns its request id once the engine has stored it."""
        assert self.proc.stdin is not None
        before = len([line for line in self.lines if line["event"] == "recorded"])
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        await self.proc.stdin.drain()
        await self.expect(
            lambda: len([x for x in self.lines if x["event"] == "recorded"]) > before,
            what=f"{command['cmd']} recorded",
        )
        return self.last("recorded")["request_id"]  # type: ignore[index]

    async def kill9(self) -> None:
        self.proc.kill()
        await self.proc.wait()
        await self._reader

    async def stop(self) -> None:
        if self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b'{"cmd": "stop"}\n')
            await self.proc.stdin.drain()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self._reader
