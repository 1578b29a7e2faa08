"""The hub as a real process, started through the ``agent-desk`` command line."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

READY = re.compile(r"listening on (wss?)://[^:]+:(\d+)")
#: How long a hub may take to say it is listening before the test gives up on it.
READY_TIMEOUT_S = 30.0


def cli(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``agent-desk ARGS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "agent_desk", *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
        env=env,
    )


class HubProcess:
    """``agent-desk hub serve`` in a child process."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent_desk", "hub", "serve", "--data", str(data_dir), "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr_lines: list[str] = []
        line = self._first_line(READY_TIMEOUT_S)
        match = READY.search(line)
        if not match:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise RuntimeError(f"hub did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.scheme, self.port = match.group(1), int(match.group(2))
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _first_line(self, timeout: float) -> str:
        """The first line the hub prints, or "" when it prints none within ``timeout`` seconds."""
        lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            return lines.get(timeout=timeout)
        except queue.Empty:
            return ""

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid two days, and its key (PEM files)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
