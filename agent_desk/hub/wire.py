"""Frames as they leave the hub: serialised once, written as bytes to every recipient.

The hub sends text frames unmasked and uncompressed, so the bytes of a frame are the same for
every connection; an event is serialised once however large its audience.
"""

from __future__ import annotations

from websockets.frames import Frame, Opcode


def wire_frame(text: str) -> bytes:
    """The websocket text frame carrying ``text``, as the hub writes it."""
    return Frame(Opcode.TEXT, text.encode("utf-8")).serialize(mask=False)
