"""How the hub writes frames: once per loop turn, as valid text frames, never to a closed socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.protocol import State

from agent_desk.hub.wire import Outgoing, Turn, wire_frame


class FakeTransport:
    def __init__(self, backlog: int = 0) -> None:
        self.writes: list[bytes] = []
        self.backlog = backlog
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return self.backlog

    def is_closing(self) -> bool:
        return self.closing


class FakeProtocol:
    state = State.OPEN


class FakeWs:
    def __init__(self, transport: FakeTransport) -> None:
        self.transport = transport
        self.protocol = FakeProtocol()


async def next_turn() -> None:
    """Let the loop run the callbacks scheduled in this turn (the flush among them)."""
    done = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(done.set_result, None)
    await done


async def test_frames_queued_in_one_loop_turn_leave_in_one_write_in_order():
    transport, slow = FakeTransport(), []
    turn = Turn()
    out = Outgoing(FakeWs(transport), turn, lambda: slow.append(True))
    shared = wire_frame('{"type":"event","seq":1}')
    out.push(shared)
    out.send('{"type":"result","id":"a"}')
    assert transport.writes == []  # nothing before the turn ends
    await next_turn()
    assert transport.writes == [shared + wire_frame('{"type":"result","id":"a"}')]
    out.send("{}")
    await next_turn()
    assert transport.writes[1:] == [wire_frame("{}")] and slow == []


async def test_one_turn_writes_every_connection_that_has_frames_once():
    turn = Turn()
    transports = [FakeTransport() for _ in range(3)]
    outs = [Outgoing(FakeWs(t), turn, lambda: None) for t in transports]
    frame = wire_frame('{"type":"event"}')
    for out in outs[:2]:
        out.push(frame)
        out.push(frame)
    await next_turn()
    assert [t.writes for t in transports] == [[frame + frame], [frame + frame], []]


async def test_nothing_is_written_to_a_connection_that_is_closing():
    transport = FakeTransport()
    ws = FakeWs(transport)
    out = Outgoing(ws, Turn(), lambda: None)
    transport.closing = True
    out.send("{}")
    out.flush()
    ws.protocol.state = State.CLOSING
    transport.closing = False
    out.send("{}")
    out.flush()
    assert transport.writes == []


async def test_a_connection_whose_backlog_passes_the_limit_is_reported_too_slow():
    slow: list[bool] = []
    transport = FakeTransport(backlog=1001)
    out = Outgoing(FakeWs(transport), Turn(), lambda: slow.append(True), backlog_limit=1000)
    out.send("{}")
    out.flush()
    assert slow == [True]
    transport.backlog = 1000
    out.send("{}")
    out.flush()
    assert slow == [True]


@asynccontextmanager
async def server() -> AsyncIterator[tuple[asyncio.Queue[ServerConnection], str]]:
    """A websockets server as the hub runs it (no compression); yields its connections."""
    conns: asyncio.Queue[ServerConnection] = asyncio.Queue()

    async def handler(ws: ServerConnection) -> None:
        await conns.put(ws)
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, compression=None) as running:
        port = next(iter(running.sockets)).getsockname()[1]
        yield conns, f"ws://127.0.0.1:{port}"


async def test_a_websockets_client_reads_the_frames_as_text_messages_in_order():
    texts = ['{"n":1}', '{"text":"Grüße, 你好 😀"}', "x" * 70_000, '{"n":4}']
    async with server() as (conns, url), connect(url, compression=None, max_size=2**20) as client:
        ws = await conns.get()
        out = Outgoing(ws, Turn(), lambda: None)
        shared = wire_frame(texts[0])
        out.push(shared)
        for text in texts[1:]:
            out.send(text)
        got = [await asyncio.wait_for(client.recv(), 10) for _ in texts]
        assert got == texts


async def test_a_peer_that_stops_reading_is_reported_once_its_backlog_passes_the_limit():
    slow = asyncio.Event()
    async with server() as (conns, url), connect(url, compression=None, max_size=None):  # never reads
        ws = await conns.get()
        out = Outgoing(ws, Turn(), slow.set, backlog_limit=1024 * 1024)
        frame = wire_frame("y" * 1024 * 1024)
        for _ in range(64):  # far more than the kernel's socket buffers hold
            out.push(frame)
            out.flush()
            if slow.is_set():
                break
        assert slow.is_set()
