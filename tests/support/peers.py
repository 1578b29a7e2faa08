"""Real websockets peers for tests: a desktop-like agent and a bot-platform source."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

STEP_TIMEOUT = 10.0


def rid() -> str:
    return uuid.uuid4().hex


class Peer:
    """One websocket connection to the hub, with helpers to send requests and read frames."""

    def __init__(self, ws: ClientConnection, hello: dict[str, Any]) -> None:
        self.ws = ws
        self.hello = hello
        self.events: list[dict[str, Any]] = []  # every event frame received, in order
        self.frames: list[dict[str, Any]] = []  # every frame received after hello

    @classmethod
    async def open(
        cls,
        base: str,
        token: str | None,
        path: str = "/v1/agent",
        *,
        resume: bool = True,
        epoch: str | None = None,
        last_seq: int | None = None,
        **kwargs: Any,
    ) -> Peer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        ws = await connect(base + path, additional_headers=headers, max_size=2**21, **kwargs)
        hello = json.loads(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT))
        peer = cls(ws, hello)
        if resume and path == "/v1/agent":
            await peer.resume(epoch, last_seq)
        return peer

    async def recv(self, timeout: float = STEP_TIMEOUT) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        if frame.get("type") == "event":
            self.events.append(frame)
        return frame

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def call(self, type_: str, request_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Send a request; read frames until its result, which is returned."""
        request_id = request_id or rid()
        await self.send({"type": type_, "id": request_id, **fields})
        return await self.result(request_id)

    async def result(self, request_id: str) -> dict[str, Any]:
        while True:
            frame = await self.recv()
            if frame.get("type") == "result" and frame.get("id") == request_id:
                return frame

    async def resume(self, epoch: str | None = None, last_seq: int | None = None) -> dict[str, Any]:
        """Resume; returns {"frames": events/snapshots before synced, "synced": .., "result": ..}."""
        request_id = rid()
        await self.send(
            {
                "type": "resume",
                "id": request_id,
                "protocol": 1,
                "client_id": "test-client",
                "epoch": epoch,
                "last_seq": last_seq,
            }
        )
        before: list[dict[str, Any]] = []
        synced = None
        while True:
            frame = await self.recv()
            if frame["type"] == "synced":
                synced = frame
            elif frame["type"] == "result" and frame["id"] == request_id:
                self.sync = {"frames": before, "synced": synced, "result": frame}
                return self.sync
            elif synced is None:
                before.append(frame)

    async def subscribe(self, epoch: str | None = None, last_seq: int | None = None) -> dict[str, Any]:
        """A source's ``subscribe``; returns {"frames": events/snapshots before synced, "synced": .., "result": ..}."""
        request_id = rid()
        await self.send({"type": "subscribe", "id": request_id, "epoch": epoch, "last_seq": last_seq})
        before: list[dict[str, Any]] = []
        synced = None
        while True:
            frame = await self.recv()
            if frame["type"] == "synced":
                synced = frame
            elif frame["type"] == "result" and frame["id"] == request_id:
                self.sync = {"frames": before, "synced": synced, "result": frame}
                return self.sync
            elif synced is None:
                before.append(frame)

    async def next_event(self, kind: str | None = None, timeout: float = STEP_TIMEOUT) -> dict[str, Any]:
        while True:
            frame = await self.recv(timeout)
            if frame.get("type") == "event" and (kind is None or frame["kind"] == kind):
                return frame

    async def closed(self, timeout: float = STEP_TIMEOUT) -> int | None:
        """Read until the hub closes the connection; returns the close code."""
        try:
            while True:
                await self.recv(timeout)
        except Exception:  # noqa: BLE001 - any way the connection ends is what we wait for
            pass
        await asyncio.wait_for(self.ws.wait_closed(), timeout)
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()


def message(text: str, role: str = "customer", at: str = "2026-11-20T10:00:00Z") -> dict[str, Any]:
    return {"role": role, "text": text, "at": at}


def escalate_body(
    conversation_id: str | None = None,
    *,
    tier: str = "standard",
    messages: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "conversation": {
            "id": conversation_id or rid(),
            "started_at": "2026-11-20T09:58:00Z",
            "language": "en",
            "messages": messages
            or [
                message("I was charged twice for order #A-1029, I want a person now"),
                message("I can help with billing. Could you confirm the order number?", "bot"),
            ],
        },
        "customer": {"id": "c-1", "name": "Dana Whitfield", "tier": tier},
        **extra,
    }
