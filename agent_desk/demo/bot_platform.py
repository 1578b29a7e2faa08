"""The simulated bot platform's ear on the hub: it subscribes to its conversations' events.

When a person replies to a customer the hub sends ``agent.message``; the platform relays the text
to the customer (their :class:`Mailbox`) and confirms it with ``delivered``. It also follows
who holds each conversation (``handoff.claimed``, ``handoff.requeued``, ``handoff.resolved``),
so customers stop waiting-room chatter once a person has taken over and go quiet once their
case is resolved. A hub that does not speak these additions leaves the platform deaf; the
conversations then play as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from agent_desk.demo.link import Frame, HubRefused, LinkClosed, SourceClient
from agent_desk.protocol.codes import Code

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Mailbox:
    """One handed-over conversation as the platform knows it.

    Attributes:
        status: waiting, claimed or resolved.
        inbox: texts relayed from the person who holds it, not yet read by the customer.
        changed: set on every change; the customer clears it before looking.
    """

    conversation_id: str
    handoff_id: str | None = None
    status: str = "waiting"
    assignee_name: str | None = None
    inbox: deque[str] = field(default_factory=deque)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, status: str, handoff_id: str | None = None, assignee_name: str | None = None) -> None:
        if handoff_id is not None:
            self.handoff_id = handoff_id
        if self.status != "resolved":  # a late event never reopens what was resolved
            self.status = status
        self.assignee_name = assignee_name if status == "claimed" else None
        self.changed.set()


@dataclass
class PlatformStats:
    relayed: int = 0
    confirmed: int = 0


class BotPlatform:
    """Subscribes on the source connection it shares with the simulator; relays and confirms.

    Args:
        client: the source connection (its ``on_frame`` and ``on_connect`` become the platform's).

    Attributes:
        subscribed: whether the hub sends this platform its conversations' events.
    """

    def __init__(self, client: SourceClient) -> None:
        self.client = client
        client.on_frame = self._on_frame
        client.on_connect = self._subscribe
        self.subscribed = False
        self.stats = PlatformStats()
        self._epoch: str | None = None
        self._seq: int | None = None
        self._mailboxes: dict[str, Mailbox] = {}
        self._done: set[str] = set()  # conversations whose handoff was resolved
        self._relayed: set[tuple[str, int]] = set()
        self._snapshot: set[str] | None = None  # conversations listed by a snapshot in parts
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> bool:
        """Connect and subscribe; returns whether the hub relays agent messages."""
        await self.client.connection()
        return self.subscribed

    def mailbox(self, conversation_id: str) -> Mailbox:
        """The conversation's mailbox (made on first use: an event may come before the customer)."""
        box = self._mailboxes.get(conversation_id)
        if box is None and conversation_id in self._done:
            return Mailbox(conversation_id, status="resolved")
        if box is None:
            box = self._mailboxes[conversation_id] = Mailbox(conversation_id)
        return box

    def forget(self, conversation_id: str) -> None:
        """The customer has left: drop the mailbox."""
        self._mailboxes.pop(conversation_id, None)
        self._done.discard(conversation_id)

    async def _subscribe(self, ws: ClientConnection) -> None:
        features = self.client.features
        if features is not None and "source_events" not in features:
            self.subscribed = False
            log.info("the hub does not send source events; customers will not hear from agents")
            return
        result = await self.client.exchange(ws, "subscribe", epoch=self._epoch, last_seq=self._seq)
        self._epoch = self.client.hello.get("epoch")
        self.subscribed = bool(result.get("ok"))
        if result.get("code") == Code.UNKNOWN_TYPE:
            log.info("the hub does not speak subscribe; customers will not hear from agents")
        elif not result.get("ok"):
            log.warning("subscribing to source events was refused: %s", result.get("message"))

    # -- what the hub sends ------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        kind = frame.get("type")
        if kind == "event":
            self._seq = int(frame.get("seq", self._seq or 0))
            self._on_event(str(frame.get("kind", "")), frame.get("data") or {})
        elif kind == "snapshot":
            self._on_snapshot(frame)
        elif kind == "synced":
            self._seq = int(frame.get("seq", self._seq or 0))

    def _on_snapshot(self, frame: Frame) -> None:
        listed = self._snapshot if self._snapshot is not None else set()
        for conversation in frame.get("conversations") or ():
            cid = str(conversation.get("conversation_id"))
            listed.add(cid)
            hid = conversation.get("handoff_id")
            self.mailbox(cid).update(str(conversation.get("status", "waiting")), hid, conversation.get("assignee_name"))
            for message in conversation.get("undelivered") or ():
                self._relay(cid, str(hid), message)
        self._snapshot = listed
        if frame.get("final", True):
            self._snapshot = None
            self._seq = int(frame.get("seq", self._seq or 0))
            for cid, box in list(self._mailboxes.items()):  # not listed: resolved meanwhile
                if cid not in listed and box.handoff_id is not None:
                    self._resolved(cid)

    def _on_event(self, kind: str, data: dict[str, Any]) -> None:
        cid = str(data.get("conversation_id", ""))
        hid = data.get("handoff_id")
        if kind == "handoff.claimed":
            self.mailbox(cid).update("claimed", hid, data.get("assignee_name"))
        elif kind == "handoff.requeued":
            self.mailbox(cid).update("waiting", hid)
        elif kind == "handoff.resolved":
            self._resolved(cid)
        elif kind == "agent.message":
            self._relay(cid, str(hid), data.get("message") or {})

    def _resolved(self, conversation_id: str) -> None:
        self._done.add(conversation_id)
        box = self._mailboxes.pop(conversation_id, None)
        if box is not None:
            box.update("resolved")

    def _relay(self, conversation_id: str, handoff_id: str, message: dict[str, Any]) -> None:
        """Pass an agent's message to the customer, then confirm it to the hub."""
        index = message.get("index")
        if not isinstance(index, int) or (handoff_id, index) in self._relayed:
            return  # replayed after a reconnect: the customer has it already
        self._relayed.add((handoff_id, index))
        box = self.mailbox(conversation_id)
        box.handoff_id = handoff_id
        box.inbox.append(str(message.get("text", "")))
        box.changed.set()
        self.stats.relayed += 1
        task = asyncio.create_task(self._confirm(handoff_id, index))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _confirm(self, handoff_id: str, index: int) -> None:
        try:
            await self.client.call("delivered", handoff_id=handoff_id, index=index)
        except HubRefused as refused:
            log.warning("delivery of message %d of %s was refused: %s", index, handoff_id, refused)
        except LinkClosed:
            return
        else:
            self.stats.confirmed += 1

    async def stop(self) -> None:
        """Cancel the confirmations still in flight."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
