"""Which recorded requests go out next: one at a time per handoff, within the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_desk.client.batch import SnapshotItem, viewer_key
from agent_desk.client.cache import Cache
from agent_desk.client.outbox import build_entry
from agent_desk.client.sender import Sender, retry_delay
from agent_desk.protocol.visibility import Viewer
from tests.support.handoffs import make_handoff

ANA = Viewer.of("ana", "agent", ("billing", "vip"))
AT = "2026-11-20T10:30:00.000Z"


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    """A cache holding h_0001 and h_0002 (claimed by ana), with four requests recorded."""
    cache, _ = Cache.open(tmp_path / "cache.sqlite3", "ana")
    claimed = [make_handoff(n, status="claimed", assignee="ana") for n in (1, 2)]
    cache.apply_batch([SnapshotItem(10, claimed, "e1", viewer_key(ANA))], ANA)
    for entry in (
        build_entry("release", "r-1", AT, handoff_id="h_0001"),
        build_entry("resolve", "r-2", AT, handoff_id="h_0001", outcome={"resolution": "resolved"}),
        build_entry("release", "r-3", AT, handoff_id="h_0002"),
        build_entry("presence", "p-1", AT, status="busy"),
    ):
        cache.record(entry)
    yield cache
    cache.close()


def ids(sender: Sender) -> list[str]:
    return [e.request_id for e in sender.eligible()]


def test_one_request_per_handoff_goes_out_at_a_time_in_order(cache: Cache) -> None:
    sender = Sender(cache)
    assert ids(sender) == ["r-1", "r-3", "p-1"]
    sender.inflight.update(("r-1", "r-3"))
    assert ids(sender) == ["p-1"]  # r-2 waits for r-1's answer
    # a refusal to retry answers r-1 but leaves it in the outbox: r-1 goes again, never r-2 first
    assert sender.answered("r-1") and not sender.answered("r-1")
    assert ids(sender) == ["r-1", "p-1"]


def test_the_window_caps_what_is_in_flight(cache: Cache) -> None:
    sender = Sender(cache, window=2)
    assert ids(sender) == ["r-1", "r-3"]
    sender.inflight.update(("r-1", "r-3"))
    assert ids(sender) == []


def test_the_hub_says_how_long_to_wait_or_a_second_is_waited() -> None:
    assert retry_delay({"retry_after_ms": 2500}) == 2.5
    assert retry_delay({"code": "unavailable"}) == 1.0
