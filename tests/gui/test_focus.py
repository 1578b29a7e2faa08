"""The handoff in focus: the highlighted row and the detail always agree, keys say why they
cannot act, Enter moves into the conversation, and arriving rows do not move the one in focus."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest

from agent_desk.ui.queue.filter import View
from tests.gui.conftest import ThreadedHub
from tests.gui.desk_helpers import Desk, make_desk
from tests.support.handoffs import handoff
from tests.support.peers import Peer

WAIT_MS = 20_000


@pytest.fixture
def desk(qtbot: Any, settings: Any) -> Desk:
    made = make_desk(qtbot, settings)
    made.app.start_direct("ws://127.0.0.1:1", "ana", "token")
    qtbot.waitExposed(made.window)
    made.online()
    made.session()
    return made


def highlighted(window: Any) -> str:
    return window.queue_pane.selected_id()


def notice(window: Any) -> str:
    label = window.queue_pane.notice
    return label.text() if label.isVisible() else ""


def claim_as(hub: ThreadedHub, user: str, handoff_id: str) -> None:
    async def claim() -> None:
        peer = await Peer.open(hub.url, hub.tokens[user])
        try:
            result = await peer.call("claim", handoff_id=handoff_id)
            assert result["ok"], result
        finally:
            await peer.ws.close()

    hub.run(claim())


def test_when_someone_else_takes_the_handoff_shown_the_detail_empties_and_says_why(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    live_hub.add_user("ben", "agent", ("billing",))
    app = desk_for(live_hub, "lea")  # a lead keeps seeing it once it is claimed
    window = app.window
    first = live_hub.escalate(queue="billing", priority=1)["handoff_id"]
    second = live_hub.escalate(queue="billing", priority=2)["handoff_id"]
    qtbot.waitUntil(lambda: window.queue_filter.rowCount() == 2, timeout=WAIT_MS)
    window.open_handoff(first)
    window.table.setFocus()
    assert highlighted(window) == first and window.detail.handoff_id == first

    claim_as(live_hub, "ben", first)
    qtbot.waitUntil(lambda: window.queue_filter.rowCount() == 1, timeout=WAIT_MS)
    assert window.detail.handoff_id == "" and highlighted(window) == ""
    assert notice(window).endswith("left this view: claimed by ben.")

    QTest.keyClick(window.table, Qt.Key.Key_C)
    assert notice(window) == "Nothing selected to claim: pick a handoff with J/K or the arrow keys."
    QTest.keyClick(window.table, Qt.Key.Key_J)  # takes the row in focus
    assert highlighted(window) == second and window.detail.handoff_id == second


def test_keys_that_cannot_act_say_why(desk: Desk) -> None:
    window = desk.window
    window.table.setFocus()
    for key, words in (
        (Qt.Key.Key_C, "Nothing selected to claim: pick a handoff with J/K or the arrow keys."),
        (Qt.Key.Key_R, "Nothing selected to resolve: pick a handoff with J/K or the arrow keys."),
        (Qt.Key.Key_Return, "Nothing selected to open: pick a handoff with J/K or the arrow keys."),
        (Qt.Key.Key_J, "No handoffs in this view."),
    ):
        QTest.keyClick(window.table, key)
        assert notice(window) == words
    desk.handoffs(
        handoff(id="w", priority=1),
        handoff(id="theirs", priority=2, status="claimed", assignee="ben"),
    )
    assert window.detail.handoff_id == "w" and highlighted(window) == "w"  # the first to arrive
    QTest.keyClick(window.table, Qt.Key.Key_K)
    assert notice(window) == "That is the first handoff in this view."
    QTest.keyClick(window.table, Qt.Key.Key_R)
    assert notice(window) == "Claim it first (C): only a claimed handoff can be resolved."

    window.sidebar.select_view(View.ALL.value)
    window.open_handoff("theirs")
    QTest.keyClick(window.table, Qt.Key.Key_C)
    assert notice(window) == "Already claimed by ben."
    QTest.keyClick(window.table, Qt.Key.Key_R)
    assert notice(window) == "Claimed by ben: only they or a lead can resolve it."
    QTest.keyClick(window.table, Qt.Key.Key_J)
    assert notice(window) == "That is the last handoff in this view."
    assert desk.engine.calls == []  # nothing was sent


def test_a_handoff_the_person_claims_is_followed_into_mine(desk: Desk) -> None:
    desk.handoffs(handoff(id="a", priority=1), handoff(id="b", priority=2), reset=True)
    window = desk.window
    window.table.setFocus()
    assert window.detail.handoff_id == "a" and highlighted(window) == "a"
    QTest.keyClick(window.table, Qt.Key.Key_C)
    assert desk.engine.calls[-1][:2] == ("claim", ("a",))
    desk.handoffs({**handoff(id="a", priority=1), "status": "claimed", "assignee": "ana", "_sync": "pending"})
    assert window.queue_filter.view == View.MINE and window.sidebar.views.current_key() == View.MINE
    assert highlighted(window) == "a" and window.detail.handoff_id == "a"
    assert notice(window) == "Dana Whitfield is yours now, in Mine (Ctrl+1 goes back to Waiting)."


def test_a_filter_that_hides_the_handoff_shown_moves_the_detail_with_the_highlight(desk: Desk) -> None:
    desk.handoffs(
        handoff(id="vip", priority=2, tier="vip", name="Priya Raman"),
        handoff(id="std", priority=1, name="Omar Haddad"),
        reset=True,
    )
    window = desk.window
    window.open_handoff("std")
    window.queue_pane.tier.setCurrentIndex(window.queue_pane.tier.findData("vip"))
    assert highlighted(window) == "vip" and window.detail.handoff_id == "vip"
    assert window.detail.customer_name.text() == "Priya Raman"


def test_open_shows_the_row_of_a_handoff_outside_the_view(desk: Desk) -> None:
    desk.handoffs(handoff(id="w"), handoff(id="mine", status="claimed", assignee="ana"), reset=True)
    window = desk.window
    window.search.setText("nobody")
    window.open_handoff("mine")
    assert window.queue_filter.view == View.MINE and window.search.text() == ""
    assert highlighted(window) == "mine" and window.detail.handoff_id == "mine"


def test_enter_moves_into_the_conversation_visibly(desk: Desk, qtbot: Any) -> None:
    desk.handoffs(handoff(id="a"), reset=True)
    window = desk.window
    window.table.setFocus()
    transcript = window.detail.transcript
    before = transcript.grab().toImage()
    QTest.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(transcript.hasFocus, timeout=WAIT_MS)
    latest = transcript.model().rowCount() - 1
    assert [i.row() for i in transcript.selectionModel().selectedRows()] == [latest]
    assert transcript.grab().toImage() != before  # the focus ring and the message's outline show
    QTest.keyClick(transcript, Qt.Key.Key_Escape)
    assert window.table.hasFocus()


def test_arriving_rows_above_do_not_move_the_row_in_focus(desk: Desk, qtbot: Any) -> None:
    window = desk.window
    window.resize(1200, 500)
    QCursor.setPos(QPoint(-100, -100))  # the pointer is not over the queue
    rows = [handoff(id=f"h{n:02d}", priority=3, escalated=float(n)) for n in range(40)]
    desk.handoffs(*rows, reset=True)
    table = window.table
    window.open_handoff("h20")
    table.scrollTo(window.queue_pane.index_of("h20"), table.ScrollHint.PositionAtCenter)
    top = table.visualRect(window.queue_pane.index_of("h20")).top()
    assert top > 0

    desk.handoffs(*(handoff(id=f"p{n}", priority=1, escalated=float(n)) for n in range(3)))
    assert window.queue_filter.rowCount() == 43
    assert table.visualRect(window.queue_pane.index_of("h20")).top() == top
    assert highlighted(window) == "h20" and window.detail.handoff_id == "h20"

    desk.handoffs(removed=("h00", "h01"))
    assert table.visualRect(window.queue_pane.index_of("h20")).top() == top


def test_with_nothing_in_focus_new_rows_show_at_the_top(desk: Desk) -> None:
    window = desk.window
    QCursor.setPos(QPoint(-100, -100))
    desk.handoffs(*(handoff(id=f"h{n:02d}", priority=3, escalated=float(n)) for n in range(10)), reset=True)
    window.detail.show_handoff(None)
    window.queue_pane.clear_selection()
    desk.handoffs(handoff(id="urgent", priority=1))
    assert window.table.verticalScrollBar().value() == 0
    assert window.table.rowAt(0) == window.queue_pane.index_of("urgent").row()
