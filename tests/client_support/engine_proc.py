"""The desktop engine alone in a process, driven through stdin, reporting on stdout (JSON lines).

    AGENT_DESK_TOKEN=... python -m tests.client_support.engine_proc --hub URL --user NAME \\
        --cache-dir DIR [--ignore-results-of KIND]

Commands (one JSON object per line): {"cmd": "claim"|"release", "handoff_id": ...},
{"cmd": "resolve", "handoff_id": ..., "outcome": {...}}, {"cmd": "stop"}. After a command is
stored in the cache the process prints {"event": "recorded", "request_id": ...}. Reports:
"status", "view" (id -> status, _sync, version), "attention", "notice".

``--ignore-results-of resolve`` makes the engine deaf to the hub's answers to resolves, so a
test can kill the process after the hub committed an outcome but before the engine learnt it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

from agent_desk.client.engine import Engine
from agent_desk.client.surface import (
    AttentionItem,
    CannedReply,
    ConnectionStatus,
    HandoffDelta,
    Notice,
    Session,
    TokenNotice,
    UserInfo,
)

_print_lock = threading.Lock()


def say(**fields: Any) -> None:
    with _print_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


class PrintingListener:
    def __init__(self) -> None:
        self.view: dict[str, dict[str, Any]] = {}

    def on_status(self, status: ConnectionStatus) -> None:
        why = status.why.value if status.why is not None else None
        say(event="status", link=status.link.value, pending=status.pending, why=why, detail=status.detail)

    def on_session(self, session: Session) -> None:
        say(event="session", user=session.user.id)

    def on_handoffs(self, delta: HandoffDelta) -> None:
        if delta.reset:
            self.view = {}
        for handoff in delta.upserts:
            self.view[str(handoff["id"])] = {
                "status": handoff["status"],
                "sync": handoff["_sync"],
                "version": handoff["version"],
            }
        for handoff_id in delta.removed:
            self.view.pop(handoff_id, None)
        say(event="view", view=self.view)

    def on_presence(self, user: UserInfo) -> None:
        say(event="presence", user=user.id, presence=user.presence)

    def on_attention(self, items: tuple[AttentionItem, ...]) -> None:
        say(event="attention", items=[{"request_id": i.request_id, "code": i.code} for i in items])

    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None:
        say(event="metrics", request_id=request_id, error=error)

    def on_notice(self, notice: Notice) -> None:
        say(event="notice", kind=notice.kind.value)

    def on_token(self, notice: TokenNotice) -> None:
        say(event="token", persisted=notice.persisted)

    def on_drafts(self, drafts: Mapping[str, tuple[str, str]]) -> None:
        say(event="drafts", handoffs=sorted(drafts))

    def on_canned(self, replies: tuple[CannedReply, ...]) -> None:
        say(event="canned", titles=[r.title for r in replies])

    def on_targets(self, targets: Mapping[str, Any]) -> None:
        say(event="targets", targets=dict(targets))


def deafen(kind: str) -> None:
    """Make every engine ignore the hub's results for requests of ``kind``."""
    original = Engine._classify_result

    def classify(self: Engine, frame: dict[str, Any], items: list[Any], after: list[Any]) -> None:
        cache = self._cache
        entry = cache.entry(str(frame.get("id"))) if cache is not None else None
        if entry is not None and entry.kind == kind:
            say(event="ignored_result", request_id=entry.request_id)
            return
        original(self, frame, items, after)

    Engine._classify_result = classify  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--ignore-results-of")
    args = parser.parse_args()
    if args.ignore_results_of:
        deafen(args.ignore_results_of)
    engine = Engine(
        args.hub,
        args.user,
        os.environ["AGENT_DESK_TOKEN"],
        PrintingListener(),
        cache_dir=args.cache_dir,
    )
    engine.start()
    for line in sys.stdin:
        command = json.loads(line)
        kind = command.pop("cmd")
        if kind == "stop":
            break
        request_id = getattr(engine, kind)(**command)
        engine.call(lambda: None)  # the command is handled: it is in the cache file now
        say(event="recorded", request_id=request_id, cmd=kind)
    engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
