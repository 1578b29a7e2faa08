"""The bridge: engine-thread reports become GUI-thread signals, deltas coalesce per frame."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QThread

from agent_desk.client.surface import ConnectionStatus, HandoffDelta, Link, Notice, NoticeKind
from agent_desk.ui.bridge import Bridge, merge_deltas
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.sync.notices import notice_words
from agent_desk.ui.threads import WrongThread, ensure_gui_thread
from tests.gui.factories import FakeEngine, delta
from tests.support.handoffs import handoff

WAIT_MS = 5_000


def on_gui_thread() -> bool:
    return QThread.currentThread() == QCoreApplication.instance().thread()


def test_merge_applies_in_order_and_a_reset_discards_what_came_before() -> None:
    a1, b1 = handoff(id="a"), handoff(id="b")
    a2 = {**a1, "version": 2}
    merged = merge_deltas([delta(upserts=(a1, b1)), delta(upserts=(a2,), removed=("b",))])
    assert [h["version"] for h in merged.upserts] == [2] and merged.removed == ("b",) and not merged.reset
    merged = merge_deltas([delta(upserts=(a1,)), delta(upserts=(b1,), reset=True), delta(removed=("b",))])
    assert merged.reset and merged.upserts == () and merged.removed == ()
    merged = merge_deltas([delta(removed=("a",)), delta(upserts=(a2,))])
    assert merged.upserts == (a2,) and merged.removed == ()


def test_reports_from_the_engine_thread_arrive_on_the_gui_thread(
    bridge: Bridge, fake_engine: FakeEngine, qtbot: Any
) -> None:
    seen: list[bool] = []
    bridge.statusChanged.connect(lambda _s: seen.append(on_gui_thread()))
    bridge.handoffsChanged.connect(lambda _d: seen.append(on_gui_thread()))
    with qtbot.waitSignal(bridge.statusChanged, timeout=WAIT_MS):
        fake_engine.report("on_status", ConnectionStatus(Link.ONLINE))
    with qtbot.waitSignal(bridge.handoffsChanged, timeout=WAIT_MS):
        fake_engine.report("on_handoffs", delta(upserts=(handoff(),)))
    assert seen == [True, True]


def test_a_burst_of_deltas_becomes_one_update_per_frame(bridge: Bridge, qtbot: Any) -> None:
    deltas: list[HandoffDelta] = []
    bridge.handoffsChanged.connect(deltas.append)

    def burst() -> None:
        for i in range(500):
            bridge.on_handoffs(delta(upserts=(handoff(id=f"h{i}"),)))

    thread = threading.Thread(target=burst)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: sum(len(d.upserts) for d in deltas) == 500, timeout=WAIT_MS)
    assert len(deltas) <= 3  # all arrived well within a frame or two


def test_commands_go_to_the_engine_and_return_its_request_id(bridge: Bridge, fake_engine: FakeEngine) -> None:
    assert bridge.claim("h1") == "r1"
    bridge.resolve("h1", {"resolution": "resolved", "csat": 5})
    bridge.reassign("h1", to_queue="vip")
    bridge.set_presence("busy")
    assert [c[0] for c in fake_engine.calls] == ["claim", "resolve", "reassign", "set_presence"]
    assert fake_engine.calls[2][2] == {"to_user": None, "to_queue": "vip"}


def test_a_refused_command_becomes_a_notice(bridge: Bridge, fake_engine: FakeEngine, qtbot: Any) -> None:
    from agent_desk.client.outbox import RequestRefused

    def refuse(*_a: Any, **_k: Any) -> None:
        raise RequestRefused("notes are longer than 10,000 characters")

    fake_engine.resolve = refuse  # type: ignore[method-assign]
    with qtbot.waitSignal(bridge.noticed) as blocker:
        assert bridge.resolve("h1", {"resolution": "resolved"}) is None
    notice = blocker.args[0]
    assert (notice.kind, notice.action, notice.handoff_id) == (NoticeKind.NOT_RECORDED, "resolve", "h1")
    assert notice_words(notice) == "Could not record this resolution: notes are longer than 10,000 characters."


def test_after_shutdown_late_reports_are_dropped(bridge: Bridge, fake_engine: FakeEngine, qtbot: Any) -> None:
    bridge.shutdown()
    assert fake_engine.stopped
    with qtbot.assertNotEmitted(bridge.statusChanged, wait=100):
        fake_engine.report("on_status", ConnectionStatus(Link.OFFLINE))


def test_gui_only_code_refuses_to_run_on_a_worker_thread(qapp: Any) -> None:
    model = QueueModel(tick_ms=0)
    errors: list[BaseException] = []

    def worker() -> None:
        for call in (lambda: ensure_gui_thread("test"), lambda: model.apply(delta(upserts=(handoff(),)))):
            try:
                call()
            except WrongThread as error:
                errors.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert len(errors) == 2
    assert model.rowCount() == 0
    ensure_gui_thread("main")  # and the GUI thread passes


@pytest.mark.parametrize(
    "method,args",
    [
        ("on_session", (None,)),
        ("on_presence", (None,)),
        ("on_attention", ((),)),
        ("on_metrics", ("id", None, "err")),
        ("on_notice", (Notice(NoticeKind.CLAIM_NEEDS_HUB),)),
        ("on_token", (None,)),
    ],
)
def test_every_listener_method_is_delivered_on_the_gui_thread(
    bridge: Bridge, fake_engine: FakeEngine, qtbot: Any, method: str, args: tuple[Any, ...]
) -> None:
    signal = {
        "on_session": bridge.sessionStarted,
        "on_presence": bridge.presenceChanged,
        "on_attention": bridge.attentionChanged,
        "on_metrics": bridge.metricsReady,
        "on_notice": bridge.noticed,
        "on_token": bridge.tokenNoticed,
    }[method]
    threads: list[bool] = []
    signal.connect(lambda *_a: threads.append(on_gui_thread()))
    with qtbot.waitSignal(signal, timeout=WAIT_MS):
        fake_engine.report(method, *args)
    assert threads == [True]
