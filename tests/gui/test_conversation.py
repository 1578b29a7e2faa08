"""The agent talks to the customer, through the real engine and a real hub: replies, delivery,
offline replies, notes, saved replies and drafts."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from agent_desk.client.surface import AttentionItem, Link
from agent_desk.hub import handoffs
from agent_desk.ui.app import DeskApp
from agent_desk.ui.handoff.canned_manager import CannedManager
from agent_desk.ui.handoff.resolve_dialog import ResolveDialog
from agent_desk.ui.handoff.transcript import Message
from tests.gui.conftest import ThreadedHub
from tests.gui.desk_helpers import make_desk
from tests.support.handoffs import at, handoff
from tests.support.peers import Peer

WAIT_MS = 20_000


@pytest.fixture
def source(live_hub: ThreadedHub) -> Peer:
    """The bot platform's second connection, subscribed to hear back about its conversations."""
    peer: Peer = live_hub.run(Peer.open(live_hub.url, live_hub.tokens["bot"], "/v1/source"))
    live_hub.run(peer.subscribe())
    return peer


def claimed_handoff(qtbot: Any, live_hub: ThreadedHub, app: DeskApp) -> str:
    """A billing handoff escalated by the bot, claimed by the desk's user and shown in detail."""
    handoff_id = str(live_hub.escalate(queue="billing", priority=2)["handoff_id"])
    qtbot.waitUntil(lambda: app.window.queue_model.handoff(handoff_id) is not None, timeout=WAIT_MS)
    app.bridge.claim(handoff_id)
    me = app.window.me
    qtbot.waitUntil(
        lambda: (h := app.window.queue_model.handoff(handoff_id)) is not None and h.get("assignee") == me,
        timeout=WAIT_MS,
    )
    app.window.open_handoff(handoff_id)
    qtbot.waitUntil(lambda: app.window.detail.composer.isVisible(), timeout=WAIT_MS)
    return handoff_id


def type_and_send(qtbot: Any, app: DeskApp, text: str) -> None:
    edit = app.window.detail.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def shown_messages(app: DeskApp) -> list[Message]:
    model = app.window.detail.transcript_model
    return [model.message(row) for row in range(model.rowCount())]


def last_agent_message(app: DeskApp) -> Message | None:
    found = [m for m in shown_messages(app) if m.role == "agent"]
    return found[-1] if found else None


def test_a_reply_reaches_the_source_which_confirms_it_and_the_desk_shows_it_delivered(
    live_hub: ThreadedHub, desk_for: Any, source: Peer, qtbot: Any
) -> None:
    app = desk_for(live_hub, "ana")
    handoff_id = claimed_handoff(qtbot, live_hub, app)
    claimed = live_hub.run(source.next_event("handoff.claimed"))
    assert claimed["data"]["handoff_id"] == handoff_id

    type_and_send(qtbot, app, "I see the double charge on #A-1029. Let me take it from here.")
    assert app.window.detail.composer.edit.toPlainText() == ""
    relayed = live_hub.run(source.next_event("agent.message"))
    message = relayed["data"]["message"]
    assert message["text"] == "I see the double charge on #A-1029. Let me take it from here."
    assert message["role"] == "agent" and message["delivered_at"] is None
    qtbot.waitUntil(lambda: (m := last_agent_message(app)) is not None and m.state() == "✓ sent", timeout=WAIT_MS)

    answer = live_hub.run(source.call("delivered", handoff_id=handoff_id, index=message["index"]))
    assert answer["ok"], answer
    qtbot.waitUntil(
        lambda: (m := last_agent_message(app)) is not None and m.state().startswith("✓✓ delivered"), timeout=WAIT_MS
    )
    assert [m.text for m in shown_messages(app)].count(message["text"]) == 1


def test_a_reply_typed_offline_is_sent_once_after_reconnecting(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    app = desk_for(live_hub, "ana")
    handoff_id = claimed_handoff(qtbot, live_hub, app)

    live_hub.stop()
    qtbot.waitUntil(lambda: app.bridge.status is not None and app.bridge.status.link != Link.ONLINE, timeout=WAIT_MS)
    type_and_send(qtbot, app, "Refund started while the line was down")
    qtbot.waitUntil(
        lambda: (m := last_agent_message(app)) is not None and m.state() == "◷ waiting to sync", timeout=WAIT_MS
    )

    live_hub.start()
    listener: Peer = live_hub.run(Peer.open(live_hub.url, live_hub.tokens["bot"], "/v1/source"))
    live_hub.run(listener.subscribe())
    app.bridge.reconnect_now()
    relayed = live_hub.run(listener.next_event("agent.message"))
    assert relayed["data"]["message"]["text"] == "Refund started while the line was down"
    qtbot.waitUntil(lambda: (m := last_agent_message(app)) is not None and m.state() == "✓ sent", timeout=WAIT_MS)
    # the hub holds it once, and the outbox is empty: it will never go again
    assert app.window.sync_summary.text() == "All changes synced"
    texts = [m.text for m in shown_messages(app) if m.role == "agent"]
    assert texts == ["Refund started while the line was down"]
    assert live_hub.hub is not None
    store = live_hub.hub.store
    stored = live_hub.call(store.read, lambda conn: handoffs.load(conn, handoff_id))
    assert stored is not None
    assert [m["text"] for m in stored["transcript"] if m["role"] == "agent"] == texts


def test_a_note_is_shown_as_a_note_and_never_reaches_the_source(
    live_hub: ThreadedHub, desk_for: Any, source: Peer, qtbot: Any
) -> None:
    app = desk_for(live_hub, "ana")
    claimed_handoff(qtbot, live_hub, app)
    composer = app.window.detail.composer
    composer.edit.setFocus()
    QTest.keyClick(composer.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert composer.mode == "note"
    assert composer.mode_hint.text() == "Not sent to the customer"
    type_and_send(qtbot, app, "VIP: refund approved by the lead")
    qtbot.waitUntil(lambda: any(m.role == "note" for m in shown_messages(app)), timeout=WAIT_MS)
    note = next(m for m in shown_messages(app) if m.role == "note")
    assert "only the team sees this" in note.header()

    composer.toggle_note()
    assert composer.mode == "reply"
    type_and_send(qtbot, app, "Your refund is approved")
    # the first thing the source hears after the claim is the reply: the note never went out
    live_hub.run(source.next_event("handoff.claimed"))
    relayed = live_hub.run(source.next_event())
    assert relayed["kind"] == "agent.message"
    assert relayed["data"]["message"]["text"] == "Your refund is approved"


def test_a_saved_reply_made_by_a_lead_is_inserted_with_its_placeholders_filled(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    lead = desk_for(live_hub, "lea")
    manager = lead.window.conversation.open_manager()
    assert isinstance(manager, CannedManager)
    manager.title.setText("Double charge")
    manager.queues.setText("billing")
    manager.text.setPlainText("Hi {customer_first_name}, I'm {agent_name}. Order {order} is refunded. {unknown}")
    manager.save_button.click()
    qtbot.waitUntil(lambda: manager.list.count() == 1, timeout=WAIT_MS)

    app = desk_for(live_hub, "ana")
    qtbot.waitUntil(lambda: len(app.bridge.canned) == 1, timeout=WAIT_MS)
    claimed_handoff(qtbot, live_hub, app)
    composer = app.window.detail.composer
    composer.edit.setFocus()
    QTest.keyClick(composer.edit, Qt.Key.Key_Slash)
    picker = app.window.conversation.picker
    qtbot.waitUntil(picker.isVisible, timeout=WAIT_MS)
    titles = [picker.list.item(i).text() for i in range(picker.list.count())]
    assert titles == ["Opening line", "Double charge"]
    QTest.keyClicks(picker.filter, "double")
    QTest.keyClick(picker.filter, Qt.Key.Key_Return)
    assert not picker.isVisible()
    assert composer.edit.toPlainText() == "Hi Dana, I'm Ana. Order A-1029 is refunded. {unknown}"


def test_a_draft_survives_switching_handoffs_and_a_restart(live_hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    app = desk_for(live_hub, "ana")
    handoff_id = claimed_handoff(qtbot, live_hub, app)
    QTest.keyClicks(app.window.detail.composer.edit, "Half-written answer")
    app.window.detail.show_handoff(None)  # away: the draft is saved at once
    app.shutdown()

    again = desk_for(live_hub, "ana")
    qtbot.waitUntil(lambda: again.window.queue_model.handoff(handoff_id) is not None, timeout=WAIT_MS)
    again.window.open_handoff(handoff_id)
    qtbot.waitUntil(lambda: again.window.detail.composer.edit.toPlainText() == "Half-written answer", timeout=WAIT_MS)


def test_live_messages_scroll_into_view_unless_the_agent_scrolled_up_then_a_pill_says_so(
    qtbot: Any, settings: Any
) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "t")
    desk.online()
    desk.session()
    lines = [
        {"index": i, "role": "customer" if i % 2 else "bot", "text": f"line {i} " * 12, "at": at(i)} for i in range(40)
    ]
    item = handoff(id="h-live", status="claimed", assignee="ana", transcript=lines, version=2)
    desk.handoffs(item)
    window = desk.window
    window.resize(1300, 700)
    window.show()
    window.open_handoff("h-live")
    view = window.detail.transcript
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=WAIT_MS)

    more = [*lines, {"index": 40, "role": "customer", "text": "are you there?", "at": at(41)}]
    desk.handoffs({**item, "transcript": more, "version": 3})
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=WAIT_MS)  # followed: at the bottom
    assert not view.new_messages.isVisible()

    bar.setValue(0)  # the agent scrolls up to read
    more = [*more, {"index": 41, "role": "customer", "text": "hello?", "at": at(42)}]
    desk.handoffs({**item, "transcript": more, "version": 4})
    qtbot.waitUntil(view.new_messages.isVisible, timeout=WAIT_MS)
    assert bar.value() == 0  # the list did not move under the reader
    assert view.new_messages.text() == "↓ 1 new message"
    view.new_messages.click()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=WAIT_MS)
    assert not view.new_messages.isVisible()


def test_a_reply_the_hub_refused_shows_in_its_transcript_with_why(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "t")
    desk.online()
    desk.session()
    desk.handoffs(handoff(id="h-refused", status="claimed", assignee="ana", version=2))
    desk.window.open_handoff("h-refused")
    refused = AttentionItem(
        request_id="r1",
        kind="reply",
        handoff_id="h-refused",
        code="not_assignee",
        message="only the person holding the handoff replies to the customer",
        payload={"handoff_id": "h-refused", "text": "Your refund is on its way"},
        at=at(90),
    )
    with qtbot.waitSignal(desk.app.bridge.attentionChanged, timeout=WAIT_MS):
        desk.engine.report("on_attention", (refused,))
    failed = last_agent_message(desk.app)
    assert failed is not None and failed.text == "Your refund is on its way"
    assert failed.state() == "⚠ not sent: only the person holding the handoff replies to the customer"


def test_ctrl_enter_sends_and_opens_resolve_and_shift_enter_starts_a_new_line(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    app = desk_for(live_hub, "ana")
    claimed_handoff(qtbot, live_hub, app)
    edit = app.window.detail.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, "Refund done.")
    QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(edit, "Anything else?")
    assert edit.toPlainText() == "Refund done.\nAnything else?"
    QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.window.findChild(ResolveDialog) is not None, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: (m := last_agent_message(app)) is not None and m.text == "Refund done.\nAnything else?",
        timeout=WAIT_MS,
    )
