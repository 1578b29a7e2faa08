"""A TCP proxy in front of the hub, so a test can cut the network under a live connection."""

from __future__ import annotations

import asyncio
import contextlib


class Proxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target_port``.

    ``cut()`` drops every open connection at once (as a network failure would: no close
    frame); ``block()`` also refuses new ones until ``unblock()``; ``hold()`` stops passing
    what the hub sends (the client's requests still reach it) until ``release()``.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._downstream = asyncio.Event()
        self._downstream.set()
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer.transport, up_writer.transport)
        self._transports.update(pair)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, gate: asyncio.Event | None) -> None:
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while data := await src.read(65536):
                    if gate is not None:
                        await gate.wait()
                    if dst.transport.is_closing():
                        break
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        try:
            await asyncio.gather(pipe(reader, up_writer, None), pipe(up_reader, writer, self._downstream))
        finally:
            self._transports.difference_update(pair)
            for transport in pair:
                transport.abort()

    def cut(self) -> None:
        """Drop every open connection abruptly."""
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    def hold(self) -> None:
        """Stop forwarding what the hub sends (it queues up) until :meth:`release`."""
        self._downstream.clear()

    def release(self) -> None:
        self._downstream.set()

    async def block(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            self.cut()
            await self._server.wait_closed()
            self._server = None
        self.cut()

    async def unblock(self) -> None:
        """Accept connections again, on the same port."""
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        self.release()
        await self.block()
