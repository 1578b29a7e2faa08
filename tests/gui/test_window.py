"""The window as a person uses it: keyboard, actions, connection state, views, notifications."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from agent_desk.client.surface import AttentionItem, ConnectionStatus, Link, UserInfo, Why
from agent_desk.ui.handoff.resolve_dialog import ResolveDialog
from agent_desk.ui.queue.filter import View
from agent_desk.ui.shell.keymap import KeymapDialog
from tests.gui.desk_helpers import WAIT_MS, Desk, make_desk
from tests.gui.factories import session, view
from tests.support.handoffs import handoff


@pytest.fixture
def desk(qtbot: Any, settings: Any) -> Desk:
    made = make_desk(qtbot, settings)
    made.app.start_direct("ws://127.0.0.1:1", "ana", "token")
    qtbot.waitExposed(made.window)
    made.online()
    made.session()
    return made


def ids_shown(desk: Desk) -> list[str]:
    proxy = desk.window.queue_filter
    return [desk.window.queue_model.row_record(proxy.source_row(r)).id for r in range(proxy.rowCount())]


def key(widget: QWidget, text_or_key: Any, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, text_or_key, modifier)


def test_keyboard_moves_claims_and_resolves(desk: Desk) -> None:
    desk.handoffs(handoff(id="a", priority=1), handoff(id="b", priority=2), handoff(id="c", priority=3), reset=True)
    window = desk.window
    window.table.setFocus()
    assert window.detail.handoff_id == "a"  # the most urgent is selected to begin with
    key(window.table, Qt.Key.Key_J)
    key(window.table, Qt.Key.Key_J)
    assert window.detail.handoff_id == "c"
    key(window.table, Qt.Key.Key_K)
    key(window.table, Qt.Key.Key_K)
    assert window.detail.handoff_id == "a"
    key(window.table, Qt.Key.Key_C)
    assert desk.engine.calls[-1][:2] == ("claim", ("a",))
    # The engine's optimistic change arrives: claimed by ana, pending sync.
    desk.handoffs(
        {**handoff(id="a", priority=1), "status": "claimed", "assignee": "ana", "_sync": "pending", "version": 2}
    )
    assert window.detail.handoff_id == "a"  # the detail keeps the claimed handoff
    assert "Pending sync" in window.detail.sync_label.text()
    key(window.table, Qt.Key.Key_R)
    dialog = window.findChild(ResolveDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.set_csat(5)
    QTest.keyClick(dialog.notes, Qt.Key.Key_Return)  # Enter records it
    assert not dialog.isVisible()
    name, args, _ = desk.engine.calls[-1]
    assert name == "resolve" and args[0] == "a"
    assert args[1]["resolution"] == "resolved" and args[1]["csat"] == 5


def test_views_search_and_escape(desk: Desk) -> None:
    desk.handoffs(
        handoff(id="w", name="Dana Whitfield"),
        handoff(id="m", status="claimed", assignee="ana", name="Omar Haddad"),
        handoff(id="r", status="resolved", assignee="ana", resolved=150, name="Mei Chen"),
        reset=True,
    )
    window = desk.window
    window.table.setFocus()
    assert ids_shown(desk) == ["w"]
    key(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.queue_filter.view == View.MINE and ids_shown(desk) == ["m"]
    key(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert ids_shown(desk) == ["r"]
    key(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    key(window.table, Qt.Key.Key_Slash)
    assert window.search.hasFocus()
    QTest.keyClicks(window.search, "nobody")
    assert ids_shown(desk) == []
    assert "Nothing matches" in window.table.empty_text()
    key(window.search, Qt.Key.Key_Escape)
    assert window.search.text() == "" and ids_shown(desk) == ["w"]
    assert window.table.hasFocus()


def test_empty_queue_says_something_useful(desk: Desk) -> None:
    assert desk.window.table.empty_text() == "No one is waiting. New handoffs appear here."


def test_f1_opens_the_keyboard_map(desk: Desk) -> None:
    desk.window.table.setFocus()
    key(desk.window.table, Qt.Key.Key_F1)
    dialog = desk.window.findChild(KeymapDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_connection_state_is_always_in_words(desk: Desk) -> None:
    window = desk.window
    assert window.connection_indicator.label.text() == "Online · synced"
    assert window.sync_summary.text() == "All changes synced"
    desk.status(ConnectionStatus(Link.RECONNECTING, retry_in_s=4.2, pending=2, why=Why.REFUSED))
    assert window.connection_indicator.label.text() == "Reconnecting in 5 s"
    assert window.sync_summary.text() == "2 changes waiting to sync · reconnecting in 5 s"
    assert "connection refused" in window.connection_indicator.toolTip()
    assert window.reconnect_button.isVisible()
    QTest.mouseClick(window.reconnect_button, Qt.MouseButton.LeftButton)
    assert desk.engine.calls[-1][0] == "reconnect_now"
    desk.status(ConnectionStatus(Link.OFFLINE, pending=3, why=Why.SIGNED_OUT))
    assert window.connection_indicator.label.text() == "Offline · 3 changes waiting"


def test_presence_choice_goes_to_the_engine_and_busy_is_quiet(desk: Desk, qtbot: Any) -> None:
    window = desk.window
    key(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert desk.engine.calls[-1][:2] == ("set_presence", ("busy",))
    assert window.presence.currentData() == "busy"
    with qtbot.assertNotEmitted(window.notifier.alerted):
        desk.handoffs(handoff(id="p1", priority=1))
    window.choose_presence("available")
    with qtbot.waitSignal(window.notifier.alerted, timeout=WAIT_MS) as blocker:
        desk.handoffs(handoff(id="vip", priority=3, tier="vip", name="Dana Whitfield"))
    assert "VIP" in blocker.args[0] and "Dana Whitfield" in blocker.args[0]


def test_no_notification_for_a_snapshot_or_an_ordinary_handoff(desk: Desk, qtbot: Any) -> None:
    with qtbot.assertNotEmitted(desk.window.notifier.alerted):
        desk.handoffs(handoff(priority=1), reset=True)
        desk.handoffs(handoff(priority=3))


def test_without_a_tray_the_waiting_count_is_in_the_title(desk: Desk) -> None:
    assert not desk.window.notifier.has_tray  # offscreen has no system tray
    desk.handoffs(handoff(), handoff(), reset=True)
    # Qt shows it as "(2) Ana — Agent Desk": the application name is appended by Qt itself.
    assert desk.window.windowTitle() == "(2) Ana"


def test_detail_follows_the_transcript_live(desk: Desk) -> None:
    item = handoff(id="live")
    desk.handoffs(item, reset=True)
    desk.window.open_handoff("live")
    assert desk.window.detail.transcript_model.rowCount() == 2
    grown = {
        **item,
        "version": 2,
        "transcript": [
            *item["transcript"],
            {"index": 2, "role": "customer", "text": "Hello?", "at": "2026-11-20T10:00:30Z", "sentiment": 0.0},
        ],
    }
    desk.handoffs(grown)
    assert desk.window.detail.transcript_model.rowCount() == 3


def test_attention_items_can_be_acted_on(desk: Desk) -> None:
    desk.handoffs(handoff(id="h1", name="Dana Whitfield"), reset=True)
    item = AttentionItem(
        "r9",
        "resolve",
        "h1",
        "not_assignee",
        "It was reassigned meanwhile.",
        {"outcome": {"resolution": "resolved", "csat": 4}},
        "2026-11-20T10:05:00Z",
    )
    with desk.qtbot.waitSignal(desk.app.bridge.attentionChanged, timeout=WAIT_MS):
        desk.engine.report("on_attention", (item,))
    window = desk.window
    assert window.sidebar.attention.isVisible()
    assert window.attention_button.isVisible() and window.attention_button.text() == "1 needs attention"
    assert window.sync_summary.text() == "All other changes synced"  # said once, on the button
    window.on_panel_chosen("attention")
    panel = window.attention_panel
    assert "Dana Whitfield" in panel.model.data(panel.model.index(0, 0))
    QTest.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    assert desk.engine.calls[-1][:2] == ("retry_attention", ("r9",))
    QTest.mouseClick(panel.dismiss_button, Qt.MouseButton.LeftButton)
    assert desk.engine.calls[-1][:2] == ("dismiss_attention", ("r9",))
    QTest.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert window.detail.handoff_id == "h1" and window.center.currentWidget() is window.queue_pane


def test_lead_sees_agents_reassigns_and_fetches_metrics(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "lea", "token")
    team = (
        UserInfo("ana", "Ana", "agent", ("billing",), presence="available", active=1),
        UserInfo("ben", "Ben", "agent", presence="away"),
    )
    desk.online()
    desk.session(session("lea", "lead", (), team))
    desk.handoffs(handoff(id="h1", queue="billing"), reset=True)
    window = desk.window
    assert window.sidebar.team.isVisibleTo(window)
    assert window.agents_panel.model.rowCount() == 2
    with qtbot.waitSignal(desk.app.bridge.presenceChanged, timeout=WAIT_MS):
        desk.engine.report("on_presence", UserInfo("ben", "Ben", "agent", presence="busy", active=2))
    desk.handoffs(handoff(id="h2", status="claimed", assignee="ben"))
    presences = {u.id: (u.presence, u.active) for u in window.agents_panel.model.users()}
    # Presence from the hub; what each holds counted live from the queue the lead sees.
    assert presences == {"ana": ("available", 0), "ben": ("busy", 1)}
    window.open_handoff("h1")
    dialog = window.open_reassign("h1")
    assert dialog is not None
    dialog.person.setCurrentIndex(dialog.person.findData("ben"))
    dialog.accept()
    assert desk.engine.calls[-1] == ("reassign", ("h1",), {"to_user": "ben", "to_queue": None})
    window.on_panel_chosen("metrics")
    assert desk.engine.calls[-1][0] == "request_metrics"
    request_id = f"r{len(desk.engine.calls)}"
    with qtbot.waitSignal(desk.app.bridge.metricsReady, timeout=WAIT_MS):
        desk.engine.report(
            "on_metrics",
            request_id,
            {
                "handoffs": 9,
                "handoff_rate": 0.25,
                "csat_avg": 4.5,
                "csat_count": 2,
                "by_queue": {"billing": {"handoffs": 9}},
                "by_trigger": {},
            },
            None,
        )
    assert window.metrics_panel.cards["handoff_rate"].value.text() == "25%"
    assert window.metrics_panel.cards["csat"].value.text() == "4.5"
    assert window.metrics_panel.by_queue.rowCount() == 1


INPUT_TYPES = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QAbstractItemView)


def unnamed_controls(root: QWidget) -> list[str]:
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INPUT_TYPES):
            continue
        parent = widget.parentWidget()
        if isinstance(parent, QComboBox) or (parent is not None and isinstance(parent.parentWidget(), QComboBox)):
            continue  # a combo box's own line edit and popup list
        if widget.objectName().startswith("qt_") or type(widget).__name__ in ("QHeaderView", "QScrollBar"):
            continue
        if isinstance(widget, QAbstractButton) and isinstance(parent, QLineEdit):
            continue  # the clear button inside a line edit
        if not widget.accessibleName() or not widget.toolTip():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} {getattr(widget, 'text', lambda: '')()!r}")
    return missing


def test_every_control_has_an_accessible_name_and_a_tooltip(desk: Desk) -> None:
    desk.handoffs(handoff(id="h1", status="claimed", assignee="ana"), reset=True)
    desk.window.open_handoff("h1")
    assert unnamed_controls(desk.window) == []
    dialog = desk.window.open_resolve("h1")
    assert dialog is not None
    assert unnamed_controls(dialog) == []
    dialog.reject()


def test_tab_order_runs_from_search_to_queue_to_detail(desk: Desk) -> None:
    window = desk.window
    chain: list[QWidget] = []
    widget: QWidget = window.search
    for _ in range(2000):  # a guard against a chain that never closes, not a size limit
        chain.append(widget)
        widget = widget.nextInFocusChain()
        if widget is window.search:
            break
    wanted = [
        window.search,
        window.presence,
        window.sidebar.views,
        window.sidebar.queues,
        window.tier,
        window.table,
        window.detail.transcript,
        window.detail.claim_button,
    ]
    positions = [chain.index(w) for w in wanted]
    assert positions == sorted(positions)


def test_resolve_dialog_records_every_field(qtbot: Any) -> None:
    dialog = ResolveDialog(view(handoff(id="h")))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("follow_up"))
    dialog.set_csat(3)
    dialog.disposition.setEditText("refund issued")
    dialog.notes.setPlainText("Called back; refund in 3 days")
    dialog.set_feedback("late")
    recorded: list[tuple[str, dict[str, Any]]] = []
    dialog.recorded.connect(lambda h, o: recorded.append((h, o)))
    QTest.keyClick(dialog.resolution, Qt.Key.Key_Return)
    assert recorded == [
        (
            "h",
            {
                "resolution": "follow_up",
                "csat": 3,
                "disposition": "refund issued",
                "notes": "Called back; refund in 3 days",
                "escalation_feedback": "late",
            },
        )
    ]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_window_remembers_its_layout(desk: Desk, settings: Any) -> None:
    desk.window.splitter.setSizes([200, 700, 420])
    desk.window.close()
    assert settings.layout("splitter") is not None
    QApplication.processEvents()


def test_without_a_tray_one_log_line_says_so_and_badges_still_render(qtbot: Any, settings: Any, caplog: Any) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="agent_desk.ui.notify"):
        desk = make_desk(qtbot, settings)
    lines = [r for r in caplog.records if "No system tray" in r.getMessage()]
    assert len(lines) == 1
    notifier = desk.window.notifier
    assert not notifier.badge_icon(5).isNull() and not notifier.badge_icon(120).isNull()


def test_an_agent_can_only_transfer_to_a_queue(desk: Desk) -> None:
    desk.handoffs(handoff(id="mine", status="claimed", assignee="ana", queue="billing"), handoff(id="w"), reset=True)
    window = desk.window
    window.open_handoff("w")
    assert not window.detail.reassign_button.isVisibleTo(window)  # a waiting one: claim it first
    window.open_handoff("mine")
    assert window.detail.reassign_button.text() == "Transfer…"
    dialog = window.open_reassign("mine")
    assert dialog is not None and not dialog.to_person.isVisibleTo(dialog)
    dialog.queue.setCurrentIndex(dialog.queue.findData("vip"))
    dialog.accept()
    assert desk.engine.calls[-1] == ("reassign", ("mine",), {"to_user": None, "to_queue": "vip"})


def test_the_chips_beside_the_brief_never_contradict_it(desk: Desk) -> None:
    """A calm brief gets no "negative" chip; a negative-sentiment reason shows its own reading."""
    calm = handoff(
        id="calm",
        brief="Priya Raman (VIP) wants to cancel; customer is calm.",
        sentiment={"compound": -0.2, "trend": 0.0},
        reasons=[
            {
                "trigger": "sensitive_topic",
                "topic": "cancellation",
                "detail": "Cancellation",
                "score": 0.91,
                "message_index": 0,
            }
        ],
    )
    upset = handoff(
        id="upset",
        brief="Omar Haddad is angry about a late parcel.",
        sentiment={"compound": 0.1, "trend": 0.4},
        reasons=[{"trigger": "negative_sentiment", "detail": "Angry", "score": -0.72, "message_index": 0}],
    )
    desk.handoffs(calm, upset, reset=True)

    def chips() -> set[str]:
        return {w.text() for w in desk.window.detail.findChildren(QLabel) if w.objectName() == "Chip"}

    desk.window.open_handoff("calm")
    desk.qtbot.waitUntil(lambda: chips() == {"sensitive topic", "sentiment -0.20"}, timeout=WAIT_MS)
    desk.window.open_handoff("upset")
    # The reason's own reading, not the overall +0.10 of the handoff.
    desk.qtbot.waitUntil(lambda: chips() == {"negative sentiment -0.72"}, timeout=WAIT_MS)


def test_what_the_bot_tried_reads_as_words(desk: Desk) -> None:
    steps = [
        {"step": "check_refund_status", "result": "failed", "at": "2026-11-20T09:59:00.000Z"},
        {"step": "resend_receipt", "result": "unknown", "at": "2026-11-20T09:59:30.000Z"},
    ]
    desk.handoffs(handoff(id="tried", attempts=steps), reset=True)
    desk.window.open_handoff("tried")
    assert desk.window.detail.attempts.text() == "1. Check refund status ✗ failed\n2. Resend receipt ? unclear"
