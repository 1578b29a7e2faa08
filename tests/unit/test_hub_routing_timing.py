"""Routing by offers on the hub's loop: the expiry alarm, and the offered agent written first."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from types import SimpleNamespace

from websockets.protocol import State

from agent_desk.hub.offer_clock import OfferAlarm
from agent_desk.hub.wire import Outgoing, Turn
from agent_desk.protocol.timefmt import format_time, utc_now


async def test_the_alarm_rings_when_the_earliest_offer_expires_and_can_be_set_from_another_thread():
    rang = asyncio.Event()

    async def ring() -> None:
        rang.set()

    alarm = OfferAlarm(asyncio.get_running_loop(), utc_now, ring)
    far = format_time(utc_now() + timedelta(hours=1))
    alarm.due(far)
    soon = format_time(utc_now() - timedelta(seconds=1))  # already past: rings at once
    setter = threading.Thread(target=alarm.due, args=(soon,))
    setter.start()
    setter.join()
    await asyncio.wait_for(rang.wait(), 5)
    alarm.stop()
    alarm._set(soon)  # what ``due`` runs on the loop: a stopped alarm sets no timer
    assert alarm._timer is None


class Transport:
    def __init__(self, name: str, written: list[str]) -> None:
        self.name, self.written = name, written

    def write(self, _data: bytes) -> None:
        self.written.append(self.name)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


async def test_the_agent_a_handoff_is_offered_to_is_written_first_in_its_loop_turn():
    written: list[str] = []
    turn = Turn()
    outs = {
        name: Outgoing(
            SimpleNamespace(protocol=SimpleNamespace(state=State.OPEN), transport=Transport(name, written)),
            turn,
            lambda: None,
        )
        for name in ("ana", "ben", "cal")
    }
    for name in ("ana", "ben", "cal"):
        outs[name].push(b"created")
    outs["ana"].push(b"offered")
    outs["cal"].push(b"offered to cal", first=True)
    outs["ben"].push(b"offered")
    turn.flush()  # what the end of the loop turn runs
    assert written == ["cal", "ana", "ben"]  # each once, cal first
