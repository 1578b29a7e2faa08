"""A batch committed on the commit thread: off the event loop, and waited for by the cache."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from pathlib import Path

import pytest

from agent_desk.client.batch import EventItem, SnapshotItem, viewer_key
from agent_desk.client.cache import Cache
from agent_desk.client.commit_thread import THREAD_NAME, CommitThread, StagedBatch
from agent_desk.protocol.visibility import Viewer
from tests.support.handoffs import event, make_handoff

ANA = Viewer.of("ana", "agent", ("billing", "vip"))
WAIT_S = 10.0


def staged_change(path: Path) -> tuple[Cache, StagedBatch]:
    """A cache holding h_0001 at priority 2, and a staged batch that makes it priority 1."""
    cache, notices = Cache.open(path, "ana")
    assert notices == []
    cache.apply_batch([SnapshotItem(10, [make_handoff(1)], "e1", viewer_key(ANA))], ANA)
    staged = cache.stage_batch([EventItem(event(11, make_handoff(1, version=2, priority=1)))], ANA)
    return cache, staged


async def test_a_batch_commits_on_the_commit_thread_while_the_loop_runs_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, staged = staged_change(tmp_path / "cache.sqlite3")
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    loop_ran = threading.Event()
    threads: list[str] = []
    commit = staged.commit

    def commit_once_the_loop_ran() -> None:
        threads.append(threading.current_thread().name)
        loop.call_soon_threadsafe(started.set)
        assert loop_ran.wait(WAIT_S), "the event loop was blocked while the batch committed"
        commit()

    monkeypatch.setattr(staged, "commit", commit_once_the_loop_ran)
    committer = CommitThread()
    try:
        pending = asyncio.ensure_future(committer.commit(staged))
        await started.wait()  # the loop runs while the commit is under way
        loop_ran.set()
        await pending
    finally:
        committer.close()
    assert threads[0].startswith(THREAD_NAME)
    outcome = cache.finish_batch(staged)
    assert outcome.delta is not None and [h["priority"] for h in outcome.delta.upserts] == [1]
    assert cache.last_seq == 11 and cache.get("h_0001")["priority"] == 1  # type: ignore[index]
    cache.close()


def test_the_cache_waits_for_a_commit_still_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache, staged = staged_change(tmp_path / "cache.sqlite3")
    cache_waits = threading.Event()
    wait, commit = staged.wait, staged.commit

    def noted_wait() -> None:
        cache_waits.set()
        wait()

    def commit_once_the_cache_waits() -> None:
        assert cache_waits.wait(WAIT_S), "the cache used the file before the commit was done"
        commit()

    monkeypatch.setattr(staged, "wait", noted_wait)
    monkeypatch.setattr(staged, "commit", commit_once_the_cache_waits)
    committer = CommitThread()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as engine_thread:
            committed = engine_thread.submit(asyncio.run, committer.commit(staged))
            shown = cache.get("h_0001")  # the cache waits for the commit before it reads
            committed.result(WAIT_S)  # raises what failed on the commit thread
    finally:
        committer.close()
    assert shown is not None and shown["priority"] == 1 and staged.done.is_set()
    assert cache.finish_batch(staged).delta is not None and cache.last_seq == 11
    cache.close()
