"""``agent-desk --smoke-test``: prove an installed (or bundled) Agent Desk works, with no display.

It loads every resource of the manifest (:mod:`agent_desk.manifest`), renders every icon, starts
an embedded hub in a temporary folder, hands one scripted conversation over from a bot, opens the
main window signed in as a lead, and waits until that handoff is visible in the queue. Exit code
0 means all of that happened; otherwise a line on stderr says what failed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: How long the window may take to show the scripted handoff.
DEFAULT_TIMEOUT_S = 30.0
LEAD, BOT = "smoke-lead", "smoke-bot"
CONVERSATION = "smoke-conversation"


class SmokeFailure(Exception):
    """A step of the smoke test failed; the message says which and why."""


def _escalate_body() -> dict[str, Any]:
    def message(text: str, role: str) -> dict[str, str]:
        return {"role": role, "text": text, "at": "2026-01-05T10:00:00Z"}

    return {
        "conversation": {
            "id": CONVERSATION,
            "started_at": "2026-01-05T09:58:00Z",
            "language": "en",
            "messages": [
                message("I was charged twice for my order, I want a person now", "customer"),
                message("I can help with billing. Could you confirm the order number?", "bot"),
            ],
        },
        "customer": {"id": "smoke-customer", "name": "Smoke Test", "tier": "standard"},
    }


def _check_resources() -> int:
    from PySide6.QtSvg import QSvgRenderer

    from agent_desk import manifest
    from agent_desk._resources import resources_dir

    problems = manifest.load_all()
    root = resources_dir()
    for item in manifest.RESOURCES:
        if item.kind == "icon" and (root / item.path).is_file() and not QSvgRenderer(str(root / item.path)).isValid():
            problems.append(f"{item.path}: Qt cannot render it")
    if problems:
        raise SmokeFailure(f"resources in {root} did not load:\n  " + "\n  ".join(problems))
    return len(manifest.RESOURCES)


def _start_hub(data_dir: Path) -> tuple[Any, str]:
    from agent_desk.demo.launcher import EmbeddedHub
    from agent_desk.demo.link import SourceClient
    from agent_desk.hub.server import HubConfig

    embedded = EmbeddedHub(HubConfig(data_dir=data_dir, host="127.0.0.1", port=0))
    try:
        embedded.start()
        assert embedded.hub is not None
        store = embedded.hub.store
        lead_token = embedded.call(store.add_user, LEAD, "lead", (), (), 1)
        bot_token = embedded.call(store.add_user, BOT, "source", (), (), 1)

        async def escalate() -> None:
            bot = SourceClient(embedded.url, bot_token)
            try:
                await bot.call("escalate", **_escalate_body())
            finally:
                await bot.close()

        embedded.run(escalate())
    except BaseException:
        embedded.close()
        raise
    return embedded, lead_token


def _open_window(url: str, token: str, folder: Path, timeout_s: float) -> None:
    from PySide6.QtCore import QSettings, QTimer

    from agent_desk.ui.app import DeskApp, ensure_application
    from agent_desk.ui.settings import DeskSettings

    app = ensure_application()
    settings = DeskSettings(QSettings(str(folder / "desk.ini"), QSettings.Format.IniFormat))
    desk = DeskApp(settings=settings, cache_dir=str(folder / "cache"), early_start=(url, LEAD, token))
    desk.window.show()
    deadline = time.monotonic() + timeout_s
    outcome: list[str] = []

    def shown() -> bool:
        window = desk.window
        proxy = window.queue_filter
        rows = (window.queue_model.row_record(proxy.source_row(r)) for r in range(proxy.rowCount()))
        return window.isVisible() and any(row.handoff.conversation_id == CONVERSATION for row in rows)

    def check() -> None:
        if shown():
            outcome.append("")
            app.quit()
        elif time.monotonic() > deadline:
            status = desk.bridge.status
            outcome.append(f"the window did not show the scripted handoff within {timeout_s:.0f} s (link: {status})")
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(50)
    try:
        app.exec()
    finally:
        timer.stop()
        desk.window.close()
        desk.shutdown()
    if not outcome or outcome[0]:
        raise SmokeFailure(outcome[0] if outcome else "the event loop ended early")


def run_smoke_test(timeout_s: float = DEFAULT_TIMEOUT_S) -> int:
    """Run the smoke test offscreen; returns the process exit code (0: passed)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="agent-desk-smoke-"))
    try:
        count = _check_resources()
        embedded, token = _start_hub(folder / "hub")
        try:
            _open_window(embedded.url, token, folder, timeout_s)
        finally:
            embedded.close()
    except SmokeFailure as error:
        print(f"agent-desk smoke test FAILED: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - any failure is the verdict, said in words
        print(f"agent-desk smoke test FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"agent-desk smoke test passed: {count} resources loaded, the window showed a handed-over "
        f"conversation from an embedded hub, in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    return 0
