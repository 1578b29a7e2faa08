"""The local cache on real SQLite files, without sockets: events, snapshots, outbox, faults."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from agent_desk.client import cache_db
from agent_desk.client import cache_recovery as cache_module
from agent_desk.client.batch import AnswerItem, EventItem, SnapshotItem, SyncedItem, viewer_key
from agent_desk.client.cache import Cache, CacheWriteError
from agent_desk.client.outbox import OutboxEntry, RequestRefused, build_entry
from agent_desk.client.surface import NoticeKind, SyncState
from agent_desk.protocol.visibility import Viewer
from tests.client_support import make_first_schema_cache as first
from tests.support.handoffs import event, make_handoff

ANA = Viewer.of("ana", "agent", ("billing", "vip"))
FIRST_SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "client_cache_v1.sqlite3"
AT = "2026-11-20T10:30:00.000Z"
OUTCOME = {"resolution": "resolved", "csat": 5}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "cache.sqlite3"


def open_cache(path: Path) -> Cache:
    cache, notices = Cache.open(path, "ana")
    assert notices == []
    return cache


def snapshot(cache: Cache, handoffs: list[dict], seq: int = 10, epoch: str = "e1") -> None:
    cache.apply_batch([SnapshotItem(seq, handoffs, epoch, viewer_key(ANA))], ANA)


def result(
    entry: OutboxEntry,
    ok: bool = True,
    handoff: dict | None = None,
    code: str = "conflict",
    message: str = "refused",
) -> AnswerItem:
    frame: dict = {"type": "result", "id": entry.request_id, "ok": ok}
    if not ok:
        frame.update(code=code, message=message)
    if handoff is not None:
        frame["data"] = {"handoff": handoff}
    return AnswerItem(entry, frame)


def held(cache: Cache) -> dict[str, dict]:
    return {h["id"]: dict(h) for h in cache.held()}


def test_events_apply_once_in_order_and_move_last_seq(path):
    cache = open_cache(path)
    one = make_handoff(1)
    outcome = cache.apply_batch(
        [
            EventItem(event(5, one, "handoff.created")),
            EventItem(event(6, make_handoff(1, version=2, priority=1))),
            EventItem(event(7, make_handoff(1, version=2, priority=3))),  # same version again: no change
            EventItem(event(8, make_handoff(1))),
        ],  # older version: no change
        ANA,
    )
    assert cache.last_seq == 8
    assert held(cache)["h_0001"]["priority"] == 1
    assert outcome.delta is not None and [h["priority"] for h in outcome.delta.upserts] == [1]
    again = cache.apply_batch([EventItem(event(6, make_handoff(1, version=2, priority=4)))], ANA)
    assert again.delta is None and held(cache)["h_0001"]["priority"] == 1


def test_message_added_appends_to_the_transcript_once(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1)])
    message = {"index": 2, "role": "customer", "text": "Hello?", "at": AT}
    added = {
        "type": "event",
        "seq": 11,
        "kind": "message.added",
        "at": AT,
        "data": {"handoff_id": "h_0001", "version": 2, "message": message},
    }
    cache.apply_batch([EventItem(added), EventItem(dict(added, seq=12))], ANA)
    kept = held(cache)["h_0001"]
    assert kept["version"] == 2 and kept["transcript"][-1] == message and len(kept["transcript"]) == 3
    assert cache.last_seq == 12


def added(seq: int, number: int, version: int, text: str) -> dict:
    message = {"index": version, "role": "customer", "text": text, "at": AT}
    data = {"handoff_id": f"h_{number:04d}", "version": version, "message": message}
    return {"type": "event", "seq": seq, "kind": "message.added", "at": AT, "data": data}


def message_rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT handoff_id, version, message FROM messages ORDER BY seq").fetchall()
    conn.close()
    return rows


def test_chat_messages_are_stored_apart_until_the_handoff_is_written_whole(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1), make_handoff(2)])
    first, second = added(11, 1, 2, "Hello?"), added(12, 1, 3, 'Still "here"')
    text = json.dumps(second["data"], separators=(",", ":"), ensure_ascii=False)
    outcome = cache.apply_batch([EventItem(first), EventItem(second, text), EventItem(added(13, 2, 2, "Hi"))], ANA)
    assert outcome.delta is not None
    assert [(h["id"], h["version"]) for h in outcome.delta.upserts] == [
        ("h_0001", 3),
        ("h_0002", 2),
    ]
    # each message is one small row; the handoff rows are not rewritten
    assert [(h, v, json.loads(m)["text"]) for h, v, m in message_rows(path)] == [
        ("h_0001", 2, "Hello?"),
        ("h_0001", 3, 'Still "here"'),
        ("h_0002", 2, "Hi"),
    ]
    assert message_rows(path)[1][2] == json.dumps(second["data"]["message"], separators=(",", ":"))
    kept = held(cache)["h_0001"]
    assert kept["version"] == 3 and [m["text"] for m in kept["transcript"][-2:]] == [
        "Hello?",
        'Still "here"',
    ]
    cache.close()
    again = open_cache(path)  # read back: rows merged into the transcript, versions known
    assert held(again)["h_0001"] == kept and again.holds("h_0001")
    assert again.apply_batch([EventItem(added(14, 1, 3, "late"))], ANA).delta is None
    # a whole new state of the handoff replaces its rows
    newer = make_handoff(1, version=4, priority=1)
    again.apply_batch([EventItem(event(15, newer))], ANA)
    assert [r[0] for r in message_rows(path)] == ["h_0002"]
    assert held(again)["h_0001"] == {**newer, "_sync": SyncState.SYNCED}


def test_a_message_after_a_whole_handoff_in_the_same_batch_lands_after_it(path):
    cache = open_cache(path)
    snapshot(cache, [])
    made = make_handoff(7)
    cache.apply_batch([EventItem(event(11, made, "handoff.created")), EventItem(added(12, 7, 2, "Hello?"))], ANA)
    expected = {
        **made,
        "version": 2,
        "transcript": [*made["transcript"], added(12, 7, 2, "Hello?")["data"]["message"]],
    }
    assert {k: v for k, v in held(cache)["h_0007"].items() if k != "_sync"} == expected
    cache.close()
    again = open_cache(path)
    assert {k: v for k, v in held(again)["h_0007"].items() if k != "_sync"} == expected


def test_a_request_recorded_after_chat_messages_keeps_them(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1, status="claimed", assignee="ana", version=2)])
    cache.apply_batch([EventItem(added(11, 1, 3, "Are you there?"))], ANA)
    cache.close()
    cache = open_cache(path)  # the hub state is read back from the file, with the message
    shown, problem = cache.record(build_entry("resolve", "r-1", AT, handoff_id="h_0001", outcome=OUTCOME))
    assert problem is None and shown is not None and shown["version"] == 3
    assert shown["transcript"][-1]["text"] == "Are you there?"
    assert message_rows(path) == []  # written whole with the request
    cache.close()
    again = open_cache(path)
    kept = held(again)["h_0001"]
    assert kept["status"] == "resolved" and kept["transcript"][-1]["text"] == "Are you there?"


def test_a_batch_committed_on_another_thread_is_waited_for(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1)])
    staged = cache.stage_batch([EventItem(event(11, make_handoff(1, version=2, priority=1)))], ANA)
    committer = threading.Timer(0.2, staged.commit)
    started = time.monotonic()
    committer.start()
    assert held(cache)["h_0001"]["priority"] == 1  # waits for the commit: never half a batch
    assert time.monotonic() - started >= 0.15
    outcome = cache.finish_batch(staged)
    assert cache.last_seq == 11 and outcome.delta is not None
    committer.join()


@pytest.mark.logs_errors
def test_a_failed_commit_applies_nothing(path, monkeypatch):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1)])
    staged = cache.stage_batch([EventItem(event(11, make_handoff(1, version=2, priority=1)))], ANA)
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13  # type: ignore[attr-defined]

    class FullDisk:  # the transaction's commit fails; closing the connection rolls it back
        def commit(self) -> None:
            raise DBAPIError.instance("COMMIT", None, full, sqlite3.Error)

    monkeypatch.setattr(staged, "_transaction", FullDisk())
    staged.commit()
    with pytest.raises(CacheWriteError) as failure:
        cache.finish_batch(staged)
    assert failure.value.reason == "the disk is full"
    assert cache.last_seq == 10 and held(cache)["h_0001"]["priority"] == 2
    assert cache.apply_batch([EventItem(event(11, make_handoff(1, version=2)))], ANA).delta


def test_the_wal_is_checkpointed_once_the_engine_is_quiet(path, monkeypatch):
    monkeypatch.setattr(cache_db.Checkpointer, "QUIET_S", 0.05)
    monkeypatch.setattr(cache_db.Checkpointer, "MIN_BYTES", 1)
    cache = open_cache(path)
    snapshot(cache, [make_handoff(n) for n in range(200)])
    assert path.stat().st_size <= 16 * 1024  # the pages are in the WAL so far
    assert cache._checkpointer is not None and cache._checkpointer.checkpointed.wait(10)
    assert path.stat().st_size >= 200 * 1024  # copied into the file by the checkpoint thread
    cache.close()


def test_an_event_that_hides_a_handoff_drops_it(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1), make_handoff(2)])
    outcome = cache.apply_batch(
        [
            EventItem(event(11, make_handoff(1, version=2, status="claimed", assignee="ben"))),
            EventItem(event(12, make_handoff(2, version=2, queue="technical"))),
            EventItem(event(13, make_handoff(3, queue="technical"), "handoff.created")),
        ],
        ANA,
    )
    assert held(cache) == {}
    assert outcome.delta is not None and set(outcome.delta.removed) == {"h_0001", "h_0002"}


def test_snapshot_replaces_what_is_held_but_keeps_handoffs_with_unsent_requests(path):
    cache = open_cache(path)
    snapshot(
        cache,
        [
            make_handoff(1),
            make_handoff(2, status="claimed", assignee="ana", version=2),
            make_handoff(3),
        ],
    )
    resolve = build_entry("resolve", "r-1", AT, handoff_id="h_0002", outcome=OUTCOME)
    cache.record(resolve)
    snapshot(cache, [make_handoff(4)], seq=50, epoch="e2")
    kept = held(cache)
    assert set(kept) == {"h_0002", "h_0004"}
    assert kept["h_0002"]["status"] == "resolved" and kept["h_0002"]["_sync"] == SyncState.PENDING
    assert (cache.epoch, cache.last_seq) == ("e2", 50)


def test_a_recorded_request_and_its_optimistic_change_survive_a_reopen(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1, status="claimed", assignee="ana", version=2)])
    entry = build_entry("resolve", "r-1", AT, handoff_id="h_0001", outcome=OUTCOME)
    shown, problem = cache.record(entry)
    assert problem is None and shown is not None
    assert shown["status"] == "resolved" and shown["_sync"] == SyncState.PENDING
    assert shown["outcome"]["csat"] == 5 and shown["outcome"]["recorded_by"] == "ana"
    cache.close()
    again = open_cache(path)
    assert [e.request_id for e in again.outbox()] == ["r-1"]
    assert again.outbox()[0].fields["outcome"] == OUTCOME
    assert held(again)["h_0001"]["_sync"] == SyncState.PENDING
    assert (again.epoch, again.last_seq) == ("e1", 10)


def test_hub_updates_do_not_wipe_out_a_pending_change(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1, status="claimed", assignee="ana", version=2)])
    cache.record(build_entry("resolve", "r-1", AT, handoff_id="h_0001", outcome=OUTCOME))
    newer = make_handoff(1, status="claimed", assignee="ana", version=3, priority=1)
    cache.apply_batch([EventItem(event(11, newer))], ANA)
    shown = held(cache)["h_0001"]
    assert shown["status"] == "resolved" and shown["priority"] == 1 and shown["version"] == 3


def test_an_ok_result_clears_the_outbox_and_takes_the_hubs_handoff(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1)])
    claim = build_entry("claim", "c-1", AT, handoff_id="h_0001")
    cache.record(claim)
    hub = make_handoff(1, status="claimed", assignee="ana", version=2, claimed_at=AT)
    outcome = cache.apply_batch([EventItem(event(11, hub)), result(claim, handoff=hub), SyncedItem(11, "e1")], ANA)
    assert cache.pending == 0 and [a.entry.request_id for a in outcome.answered] == ["c-1"]
    shown = held(cache)["h_0001"]
    assert shown["_sync"] == SyncState.SYNCED and shown["assignee"] == "ana" and shown["version"] == 2


def test_a_final_refusal_rolls_back_and_keeps_what_was_recorded_in_attention(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1, status="claimed", assignee="ana", version=2)])
    resolve = build_entry("resolve", "r-1", AT, handoff_id="h_0001", outcome=OUTCOME)
    cache.record(resolve)
    theirs = make_handoff(1, status="claimed", assignee="ben", version=3)
    outcome = cache.apply_batch(
        [
            result(
                resolve,
                ok=False,
                handoff=theirs,
                code="not_assignee",
                message="no longer assigned to you",
            )
        ],
        ANA,
    )
    assert outcome.attention_changed and cache.pending == 0
    assert held(cache) == {}  # it is ben's now: not visible to ana
    (item,) = cache.attention()
    assert (item.kind, item.code, item.handoff_id) == ("resolve", "not_assignee", "h_0001")
    assert item.payload["outcome"] == OUTCOME and item.payload["handoff"]["assignee"] == "ben"
    assert cache.dismiss("r-1") is not None and cache.attention() == ()


def test_a_refusal_without_the_hubs_handoff_restores_the_last_known_state(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1, status="claimed", assignee="ana", version=2)])
    release = build_entry("release", "x-1", AT, handoff_id="h_0001")
    cache.record(release)
    assert held(cache)["h_0001"]["status"] == "waiting"
    cache.apply_batch([result(release, ok=False, code="internal", message="internal error")], ANA)
    shown = held(cache)["h_0001"]
    assert shown["status"] == "claimed" and shown["_sync"] == SyncState.ATTENTION


def test_requests_for_handoffs_not_held_or_too_large_are_refused(path):
    cache = open_cache(path)
    with pytest.raises(RequestRefused):
        cache.record(build_entry("claim", "c-1", AT, handoff_id="h_9999"))
    with pytest.raises(RequestRefused):
        build_entry(
            "resolve",
            "r-1",
            AT,
            handoff_id="h_0001",
            outcome={"resolution": "resolved", "notes": "x" * 10_001},
        )
    assert cache.pending == 0


def test_the_first_schema_file_opens_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(FIRST_SCHEMA_FILE, path)
    cache = open_cache(path)
    assert (cache.epoch, cache.last_seq, cache.client_id) == (
        "epoch-first",
        41,
        "first-schema-client",
    )
    assert cache.viewer_key == viewer_key(first.VIEWER)
    kept = held(cache)
    assert set(kept) == {"h_0002", "h_0003"}
    assert kept["h_0002"]["status"] == "resolved" and kept["h_0002"]["_sync"] == SyncState.PENDING
    (entry,) = cache.outbox()
    assert entry.request_id == first.RESOLVE_ID and entry.fields["outcome"]["csat"] == 4
    (item,) = cache.attention()
    assert item.request_id == first.REFUSED_ID and item.code == "conflict"
    # and it keeps working: the hub accepts the resolve
    hub = make_handoff(2, status="resolved", assignee="ana", version=3)
    cache.apply_batch([result(entry, handoff=hub)], first.VIEWER)
    assert cache.pending == 0 and held(cache)["h_0002"]["_sync"] == SyncState.SYNCED


def test_opening_an_older_schema_runs_each_migration_step(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(FIRST_SCHEMA_FILE, path)
    steps: list[int] = []
    current = cache_module.SCHEMA_VERSION
    for version in range(1, current):  # the real steps, noted
        real = cache_db.MIGRATIONS[version]
        monkeypatch.setitem(
            cache_db.MIGRATIONS,
            version,
            lambda conn, real=real, version=version: (steps.append(version), real(conn)),
        )

    def one_more(conn):
        steps.append(current)
        conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setitem(cache_db.MIGRATIONS, current, one_more)
    monkeypatch.setattr(cache_module, "SCHEMA_VERSION", current + 1)
    cache = open_cache(path)
    assert steps == list(range(1, current + 1))
    assert len(cache.outbox()) == 1 and cache.last_seq == 41
    cache.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(current + 1),)
    assert conn.execute("SELECT attempts FROM outbox").fetchall() == [(0,)]
    conn.close()


def test_the_first_schema_file_is_migrated_to_the_current_schema(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(FIRST_SCHEMA_FILE, path)
    open_cache(path).close()
    conn = sqlite3.connect(path)
    version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name='handoffs'")}
    messages = conn.execute("SELECT count(*) FROM messages").fetchone()
    conn.close()
    assert version == (str(cache_module.SCHEMA_VERSION),) and messages == (0,)
    # schema 2 dropped the indexes no query used; the primary key's own index stays
    assert not {i for i in indexes if i.startswith("ix_handoffs")}


def test_a_cache_from_a_newer_release_is_set_aside_keeping_its_outbox(tmp_path):
    path = tmp_path / "new.sqlite3"
    shutil.copyfile(FIRST_SCHEMA_FILE, path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    cache, notices = Cache.open(path, "ana")
    (notice,) = notices
    assert (notice.kind, notice.detail, notice.count) == (NoticeKind.CACHE_NEWER, "99", 1)
    assert notice.path is not None and notice.path.startswith("new.sqlite3.corrupt-")
    assert [e.request_id for e in cache.outbox()] == [first.RESOLVE_ID]
    assert cache.epoch is None and held(cache) == {}
    assert list(tmp_path.glob("new.sqlite3.corrupt-*"))


def test_a_file_that_is_not_a_database_is_moved_aside_and_rebuilt(path):
    path.write_bytes(b"this is not sqlite" * 500)
    cache, notices = Cache.open(path, "ana")
    assert [(n.kind, n.count) for n in notices] == [(NoticeKind.CACHE_DAMAGED, 0)] and notices[0].detail
    (aside,) = path.parent.glob("cache.sqlite3.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not sqlite")
    assert cache.epoch is None and cache.last_seq is None and cache.pending == 0
    snapshot(cache, [make_handoff(1)])
    assert set(held(cache)) == {"h_0001"}


def _damage_table(path: Path, table: str) -> None:
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()[0]
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff\x13garbage" * (page_size // 9))


def test_a_damaged_file_is_moved_aside_and_its_readable_outbox_carried_over(tmp_path):
    path = tmp_path / "damaged.sqlite3"
    shutil.copyfile(FIRST_SCHEMA_FILE, path)
    _damage_table(path, "handoffs")
    assert cache_db.integrity_problem(path) is not None
    cache, notices = Cache.open(path, "ana")
    assert [(n.kind, n.count) for n in notices] == [(NoticeKind.CACHE_DAMAGED, 1)]
    assert [e.request_id for e in cache.outbox()] == [first.RESOLVE_ID]
    assert [i.request_id for i in cache.attention()] == [first.REFUSED_ID]
    assert cache.last_seq is None and held(cache) == {}  # rebuilt from the hub's snapshot
    hub = make_handoff(2, status="claimed", assignee="ana", version=2)
    snapshot(cache, [hub], seq=60)
    assert held(cache)["h_0002"]["status"] == "resolved"  # the carried-over resolve shows again


@pytest.mark.logs_errors
def test_a_full_disk_keeps_a_recorded_request_in_memory_until_it_can_be_saved(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1, status="claimed", assignee="ana", version=2)])
    cache.limit_pages(0)
    long_notes = {"resolution": "resolved", "notes": "n" * 9000}
    shown, problem = cache.record(build_entry("resolve", "r-1", AT, handoff_id="h_0001", outcome=long_notes))
    assert problem == "the disk is full"
    assert shown is not None and shown["status"] == "resolved"
    assert cache.pending == 1 and cache.unsaved == 1  # still sent; not yet on disk
    with pytest.raises(CacheWriteError):
        cache.save_unsaved()
    cache.limit_pages(None)
    assert cache.save_unsaved() == 1 and cache.unsaved == 0
    cache.close()
    again = open_cache(path)
    assert [e.request_id for e in again.outbox()] == ["r-1"]
    assert held(again)["h_0001"]["outcome"]["notes"] == "n" * 9000


@pytest.mark.logs_errors
def test_a_full_disk_rejects_a_batch_whole(path):
    cache = open_cache(path)
    snapshot(cache, [make_handoff(1)])
    cache.limit_pages(0)
    burst = [EventItem(event(11 + n, make_handoff(100 + n), "handoff.created")) for n in range(60)]
    with pytest.raises(CacheWriteError) as failure:
        cache.apply_batch(burst, ANA)
    assert failure.value.reason == "the disk is full"
    assert cache.last_seq == 10 and set(held(cache)) == {"h_0001"}
    cache.limit_pages(None)
    cache.apply_batch(burst, ANA)
    assert cache.last_seq == 70 and len(held(cache)) == 61


def test_an_unusable_cache_path_falls_back_to_memory_with_a_notice(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where a folder should be")
    cache, notices = Cache.open(blocked / "cache.sqlite3", "ana")
    assert cache.path is None and [n.kind for n in notices] == [NoticeKind.CACHE_IN_MEMORY]
    assert notices[0].path == str(blocked / "cache.sqlite3") and notices[0].detail
    snapshot(cache, [make_handoff(1)])
    assert set(held(cache)) == {"h_0001"}


def test_each_hub_and_user_gets_its_own_file_name():
    names = {
        cache_db.cache_file_name("ws://hub:8765", "ana"),
        cache_db.cache_file_name("ws://hub:8765", "ben"),
        cache_db.cache_file_name("wss://hub:8765", "ana"),
    }
    assert len(names) == 3 and all(n.startswith("cache-") and n.endswith(".sqlite3") for n in names)


def test_the_data_of_an_event_is_cut_out_of_the_frame_only_in_the_hubs_layout():
    from agent_desk.client.inbound import _data_text
    from agent_desk.protocol.messages import encode

    hub = encode(event(11, make_handoff(1)))
    assert json.loads(_data_text(hub, json.loads(hub))) == make_handoff(1)
    message = encode(added(12, 1, 2, 'say "data":{ here'))
    assert _data_text(message, json.loads(message)) == encode(json.loads(message)["data"])
    odd = [
        '{"type":"event","seq":{"data":{"x":1}},"kind":"handoff.updated","at":"t","data":{}}',
        '{"type":"event","seq":1,"kind":"handoff.updated","data":{"id":"h"},"at":"t"}',
        '{"type":"event","seq":1,"kind":"handoff.updated","at":"t","data":{"id":"h"},"x":1}',
        '{"type":"event","seq":1,"kind":"presence.changed","at":"t","data":{"user":"a"}}',
    ]
    assert [_data_text(text, json.loads(text)) for text in odd] == [None] * len(odd)
