"""Received frames to applied batches, without a socket: a real cache file, frames as text."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agent_desk.client.cache import Cache
from agent_desk.client.commit_thread import CommitThread
from agent_desk.client.connection import Ending
from agent_desk.client.gc_pause import GcPause
from agent_desk.client.inbound import Backlog, Inbound, Stop
from agent_desk.client.outbox import build_entry
from agent_desk.client.presence import Presence
from agent_desk.client.queries import Queries
from agent_desk.client.reports import Reports
from agent_desk.client.sender import Sender
from agent_desk.client.surface import StorageProblem, Why
from agent_desk.protocol.messages import encode
from agent_desk.protocol.visibility import Viewer
from tests.client_support.listener import RecordingListener
from tests.support.handoffs import event, make_handoff

ANA = Viewer.of("ana", "agent", ("billing", "vip"))
AT = "2026-11-20T10:30:00.000Z"


@dataclass
class Desk:
    """The parts an :class:`Inbound` works with, on a cache file in ``tmp_path``."""

    cache: Cache
    listener: RecordingListener
    reports: Reports
    sender: Sender
    resumed: list[Mapping[str, Any]] = field(default_factory=list)

    def inbound(
        self, resume_id: str | None = None, ending: Ending | None = None, commit_thread: bool = False
    ) -> Inbound:
        def on_resumed(frame: Mapping[str, Any]) -> Ending | None:
            self.resumed.append(frame)
            return ending

        return Inbound(
            self.cache,
            ANA,
            "e1",
            resume_id=resume_id,
            on_resumed=on_resumed,
            reports=self.reports,
            presence=Presence(self.reports),
            sender=self.sender,
            queries=Queries(self.reports, self.sender),
            committer=CommitThread() if commit_thread else None,
            gc_pause=GcPause(),
        )


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    cache, notices = Cache.open(tmp_path / "cache.sqlite3", "ana")
    assert notices == []
    listener = RecordingListener()
    reports = Reports(listener)
    reports.cache = cache
    yield Desk(cache, listener, reports, Sender(cache))
    cache.close()


def backlog_of(*frames: Mapping[str, Any] | str | bytes | None) -> Backlog:
    """A backlog holding ``frames`` (dicts are encoded as the hub writes them)."""
    backlog = Backlog()
    for frame in frames:
        backlog.put(encode(dict(frame)) if isinstance(frame, Mapping) else frame)
    return backlog


async def test_a_burst_is_applied_in_one_batch_and_reported_once(desk: Desk) -> None:
    created = [event(10 + n, make_handoff(n), "handoff.created") for n in range(1, 51)]
    inbound = desk.inbound(commit_thread=True)
    stop = await inbound.run(backlog_of(*created, None))  # None: the connection ended
    assert stop is None
    assert desk.cache.last_seq == 60 and len(desk.cache.held()) == 50
    assert len(desk.listener.deltas) == 1 and len(desk.listener.deltas[0].upserts) == 50
    assert gc.isenabled()  # the collector runs again once the burst is applied


async def test_a_snapshot_sent_in_parts_over_two_batches_replaces_the_held_set(desk: Desk) -> None:
    inbound = desk.inbound()
    first = {"type": "snapshot", "seq": 20, "handoffs": [make_handoff(1)], "final": False}
    last = {"type": "snapshot", "seq": 20, "handoffs": [make_handoff(2)], "final": True}
    assert await inbound.process([encode(first)]) is None
    assert desk.cache.held() == [] and desk.listener.deltas == []  # nothing until the final part
    assert await inbound.process([encode(last), encode({"type": "synced", "seq": 20})]) is None
    assert sorted(h["id"] for h in desk.cache.held()) == ["h_0001", "h_0002"]
    assert desk.cache.epoch == "e1" and desk.cache.last_seq == 20
    assert desk.listener.deltas[-1].reset


async def test_the_resume_result_goes_to_the_session_which_may_end_it(desk: Desk) -> None:
    refused = Ending("The hub could not resume the session: no.")
    inbound = desk.inbound(resume_id="r-1", ending=refused)
    answer = {"type": "result", "id": "r-1", "ok": False, "code": "bad_request", "message": "no"}
    stop = await inbound.run(backlog_of(answer))
    assert stop == Stop(refused)
    assert [dict(f) for f in desk.resumed] == [answer]


async def test_an_answer_clears_the_request_it_answers(desk: Desk) -> None:
    desk.cache.record(build_entry("presence", "p-1", AT, status="busy"))
    desk.sender.inflight.add("p-1")
    await desk.inbound().run(backlog_of({"type": "result", "id": "p-1", "ok": True}, None))
    assert desk.cache.outbox() == [] and desk.sender.inflight == set()


async def test_a_retryable_refusal_keeps_the_request_to_send_again(desk: Desk) -> None:
    desk.cache.record(build_entry("presence", "p-1", AT, status="busy"))
    desk.sender.inflight.add("p-1")
    refusal = {"type": "result", "id": "p-1", "ok": False, "code": "rate_limited", "retry_after_ms": 5000}
    await desk.inbound().run(backlog_of(refusal, None))
    assert [e.request_id for e in desk.cache.outbox()] == ["p-1"]
    assert desk.sender.inflight == set() and desk.cache.attention() == ()


async def test_frames_that_are_not_events_or_json_are_skipped(desk: Desk) -> None:
    good = event(11, make_handoff(1), "handoff.created")
    cut = encode(good)[:40]  # starts like an event frame, cut short
    stop = await desk.inbound().run(backlog_of(b"\x00binary", "not json", cut, good, None))
    assert stop is None and [h["id"] for h in desk.cache.held()] == ["h_0001"]


@pytest.mark.logs_errors
async def test_a_batch_that_cannot_be_stored_ends_the_session_in_words(desk: Desk) -> None:
    desk.cache.limit_pages(0)
    handoffs = [make_handoff(n) for n in range(1, 201)]
    stop = await desk.inbound().run(backlog_of({"type": "snapshot", "seq": 5, "handoffs": handoffs, "final": True}))
    assert stop is not None and stop.close_reason == "client cannot store updates"
    assert stop.ending.why is Why.CANNOT_SAVE and not stop.ending.final
    assert desk.reports.storage_problem == StorageProblem("the disk is full")
    assert desk.cache.held() == [] and gc.isenabled()
