"""Frames as they leave the hub: serialised once, queued per connection, written once per loop turn.

This is the one module that writes to a websocket's transport directly, bypassing
``ServerConnection.send``. The hub sends text frames unmasked and uncompressed, so the bytes of
a frame are the same for every connection: an event is serialised once however large its
audience (``websockets.broadcast`` frames it again for every connection), and everything
queued for a connection in one loop turn (a batch of requests' events, then results) leaves in
one ``transport.write``, one system call instead of one per frame.

Why it is worth it: with ``benchmarks/bench_hub_fanout.py`` (300 agents, 100 escalations/s,
each event to every agent) the hub process spent 5.0-5.7 ms of CPU per escalation writing this
way, and 6.3-7.1 ms with each frame sent through ``websockets.broadcast``; its highest rate with
p99 under 100 ms fell from 125-200 to 0-125 escalations/s. Fan-out is most of what the hub does
per event, and the loop that does it also reads every request.

What this skips of websockets' own sending, and why that is safe here:

- Its send lock and fragmentation: the hub sends whole text frames only, all from the event
  loop, so frames never interleave.
- Its backpressure (``drain``): a connection whose unsent output grows beyond
  ``backlog_limit`` is reported too slow and closed instead (1013, try again later); it catches
  up by resuming.
- Its state checks: nothing is written once the connection is no longer open; ping, pong and
  close frames still go through websockets, between whole frames.

``tests/integration/test_hub_wire.py`` pins this behaviour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import State

log = logging.getLogger(__name__)

#: A connection whose unsent output grows beyond this is too slow to follow.
MAX_WRITE_BACKLOG = 32 * 1024 * 1024


def wire_frame(text: str) -> bytes:
    """The websocket text frame carrying ``text``, as the hub writes it."""
    return Frame(Opcode.TEXT, text.encode("utf-8")).serialize(mask=False)


class Turn:
    """Flushes every connection with queued frames once, at the end of the current loop turn.

    Connections marked ``first`` (the agent a handoff was just offered to) are written before
    the others.
    """

    def __init__(self) -> None:
        self._dirty: list[Outgoing] = []
        self._first: list[Outgoing] = []

    def mark(self, out: Outgoing, first: bool = False) -> None:
        """``out`` has frames queued; flush it at the end of this loop turn."""
        if not self._dirty and not self._first:
            asyncio.get_running_loop().call_soon(self.flush)
        (self._first if first else self._dirty).append(out)

    def flush(self) -> None:
        """Write what every marked connection has queued (a connection marked twice is written
        once: the second time it has nothing left)."""
        first, self._first = self._first, []
        dirty, self._dirty = self._dirty, []
        for out in first:
            out.flush()
        for out in dirty:
            out.flush()


class Outgoing:
    """The frames queued for one connection, written in one piece.

    Args:
        ws: the connection.
        turn: flushes this queue at the end of the loop turn in which frames were queued.
        too_slow: called once the transport holds more than ``backlog_limit`` unsent bytes
            (the caller closes the connection).
    """

    def __init__(
        self,
        ws: ServerConnection,
        turn: Turn,
        too_slow: Callable[[], None],
        backlog_limit: int = MAX_WRITE_BACKLOG,
    ) -> None:
        self.ws = ws
        self.turn = turn
        self.too_slow = too_slow
        self.backlog_limit = backlog_limit
        self._frames: list[bytes] = []
        self._first = False  # marked to be written first in this loop turn

    def send(self, text: str) -> None:
        """Queue a text frame; it is written with the rest of this loop turn's."""
        self.push(wire_frame(text))

    def push(self, frame: bytes, first: bool = False) -> None:
        """Queue a frame already serialised by :func:`wire_frame` (shared by its audience);
        ``first``: write this connection before the others of the loop turn."""
        if not self._frames or (first and not self._first):
            self.turn.mark(self, first)
            self._first = self._first or first
        self._frames.append(frame)

    def flush(self) -> None:
        """Write everything queued now, in one write; dropped when the connection is not open."""
        if not self._frames:
            return
        data = b"".join(self._frames) if len(self._frames) > 1 else self._frames[0]
        self._frames.clear()
        self._first = False
        transport = self.ws.transport
        if self.ws.protocol.state is not State.OPEN or transport is None or transport.is_closing():
            return
        transport.write(data)
        if transport.get_write_buffer_size() > self.backlog_limit:
            self.too_slow()
