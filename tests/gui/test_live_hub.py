"""The desktop against a real hub through the real engine: claim, resolve, offline, threads."""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QThread
from PySide6.QtTest import QTest

from agent_desk.client.surface import Link
from agent_desk.ui.app import DeskApp
from agent_desk.ui.handoff.detail import DetailPane
from agent_desk.ui.handoff.resolve_dialog import ResolveDialog
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.shell.sidebar import Sidebar
from agent_desk.ui.shell.window import DeskWindow
from tests.gui.conftest import ThreadedHub
from tests.support.peers import message

WAIT_MS = 20_000


def held(app: DeskApp, handoff_id: str) -> dict[str, Any] | None:
    found = app.window.queue_model.handoff(handoff_id)
    return dict(found) if found is not None else None


def wait_for(qtbot: Any, app: DeskApp, handoff_id: str, **expected: Any) -> None:
    def check() -> None:
        found = held(app, handoff_id)
        assert found is not None
        for key, value in expected.items():
            assert found.get(key) == value, (key, found.get(key))

    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_claim_then_resolve_through_the_real_engine(live_hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    app = desk_for(live_hub, "ana")
    window = app.window
    handoff_id = live_hub.escalate(queue="billing", priority=1)["handoff_id"]
    wait_for(qtbot, app, handoff_id, status="waiting")
    window.open_handoff(handoff_id)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_C)
    wait_for(qtbot, app, handoff_id, status="claimed", assignee="ana", _sync="synced")
    assert "Synced" in window.detail.sync_label.text()
    QTest.keyClick(window.table, Qt.Key.Key_R)
    dialog = window.findChild(ResolveDialog)
    assert dialog is not None
    dialog.set_csat(4)
    dialog.set_feedback("appropriate")
    QTest.keyClick(dialog.notes, Qt.Key.Key_Return)
    wait_for(qtbot, app, handoff_id, status="resolved", _sync="synced")
    outcome = held(app, handoff_id)["outcome"]
    assert outcome["csat"] == 4 and outcome["escalation_feedback"] == "appropriate" and outcome["recorded_by"] == "ana"
    window.sidebar.select_view("resolved")
    assert window.queue_filter.rowCount() == 1


def test_offline_resolve_shows_pending_then_synced(live_hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    app = desk_for(live_hub, "ana")
    window = app.window
    handoff_id = live_hub.escalate(queue="billing")["handoff_id"]
    wait_for(qtbot, app, handoff_id, status="waiting")
    app.bridge.claim(handoff_id)
    wait_for(qtbot, app, handoff_id, status="claimed", _sync="synced")

    live_hub.stop()
    qtbot.waitUntil(lambda: app.bridge.status is not None and app.bridge.status.link != Link.ONLINE, timeout=WAIT_MS)
    window.open_handoff(handoff_id)
    dialog = window.open_resolve(handoff_id)
    assert dialog is not None
    dialog.accept()
    wait_for(qtbot, app, handoff_id, _sync="pending")
    qtbot.waitUntil(lambda: "1 change waiting to sync" in window.sync_summary.text(), timeout=WAIT_MS)
    assert "Pending sync" in window.detail.sync_label.text()

    live_hub.start()  # same port, same data
    app.bridge.reconnect_now()
    wait_for(qtbot, app, handoff_id, status="resolved", _sync="synced")
    qtbot.waitUntil(lambda: window.sync_summary.text() == "All changes synced", timeout=WAIT_MS)
    assert window.connection_indicator.label.text() == "Online · synced"


def test_hostile_transcript_from_the_hub_is_text(live_hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    app = desk_for(live_hub, "ana")
    hostile = "<script>alert(1)</script><b>x</b><img src=x>\x1b[31mred \u202eevil"
    handoff_id = live_hub.escalate(queue="billing", messages=[message(hostile), message("<i>bot</i>", "bot")])[
        "handoff_id"
    ]
    wait_for(qtbot, app, handoff_id, status="waiting")
    app.window.open_handoff(handoff_id)
    model = app.window.detail.transcript_model
    texts = [model.message(r).text for r in range(model.rowCount())]
    assert texts[0] == "<script>alert(1)</script><b>x</b><img src=x>red evil"
    assert texts[1] == "<i>bot</i>"


def test_no_widget_or_model_is_touched_from_the_engine_thread(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any, monkeypatch: Any, caplog: Any
) -> None:
    gui = QCoreApplication.instance().thread()
    off_thread: list[str] = []
    calls = [0]

    def watch(cls: type, name: str) -> None:
        original = getattr(cls, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if QThread.currentThread() != gui or threading.current_thread() is not threading.main_thread():
                off_thread.append(f"{cls.__name__}.{name}")
            return original(*args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    for cls in (DeskWindow, DeskApp):
        for name, _member in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("on_") or name in ("show_notice", "_update_connection", "_refresh_detail"):
                watch(cls, name)
    for cls, names in (
        (QueueModel, ("apply", "tick", "set_user")),
        (DetailPane, ("show_handoff",)),
        (Sidebar, ("set_counts", "set_queues")),
    ):
        for name in names:
            watch(cls, name)

    with caplog.at_level(logging.ERROR):
        app = desk_for(live_hub, "lea")
        ids = [live_hub.escalate(queue=q)["handoff_id"] for q in ("billing", "technical", "vip")]
        for handoff_id in ids:
            wait_for(qtbot, app, handoff_id, status="waiting")
        app.bridge.claim(ids[0])
        app.bridge.set_presence("busy")
        wait_for(qtbot, app, ids[0], status="claimed", _sync="synced")
    assert calls[0] > 10
    assert off_thread == []
    assert not [r for r in caplog.records if "listener failed" in r.getMessage()]


def test_the_offline_notice_goes_by_itself_once_the_hub_is_back(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    app = desk_for(live_hub, "ana")
    window = app.window
    handoff_id = live_hub.escalate(queue="billing")["handoff_id"]
    wait_for(qtbot, app, handoff_id, status="waiting")
    window.open_handoff(handoff_id)
    window.table.setFocus()
    live_hub.stop()
    qtbot.waitUntil(lambda: app.bridge.status is not None and app.bridge.status.link != Link.ONLINE, timeout=WAIT_MS)
    QTest.keyClick(window.table, Qt.Key.Key_C)  # a new claim needs the hub
    notice = window.queue_pane.notice
    qtbot.waitUntil(notice.isVisible, timeout=WAIT_MS)
    assert notice.text() == "You are offline: a new claim needs the hub. Try again once Agent Desk is connected."

    live_hub.start()
    app.bridge.reconnect_now()
    qtbot.waitUntil(lambda: app.bridge.status is not None and app.bridge.status.link == Link.ONLINE, timeout=WAIT_MS)
    assert not notice.isVisible()  # gone with the reason for it, no Esc needed
    QTest.keyClick(window.table, Qt.Key.Key_C)
    wait_for(qtbot, app, handoff_id, status="claimed", assignee="ana", _sync="synced")
