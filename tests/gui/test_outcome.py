"""A resolved handoff shows its outcome as it was recorded, at the time it was recorded."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from agent_desk.client.surface import Link
from agent_desk.protocol.timefmt import utc_now
from agent_desk.ui.app import DeskApp
from agent_desk.ui.handoff.outcome import OutcomeCard, format_when
from agent_desk.ui.handoff.resolve_dialog import ResolveDialog
from agent_desk.ui.text import format_clock, parse_ts
from tests.gui.conftest import ThreadedHub
from tests.gui.factories import view
from tests.support.handoffs import BASE, at, handoff

WAIT_MS = 20_000


def held(app: DeskApp, handoff_id: str) -> dict[str, Any]:
    found = app.window.queue_model.handoff(handoff_id)
    return dict(found) if found is not None else {}


def shown_lines(card: OutcomeCard) -> dict[str, str]:
    lines = {
        "result": card.result,
        "csat": card.csat,
        "disposition": card.disposition,
        "feedback": card.feedback,
        "notes": card.notes,
        "recorded": card.recorded,
    }
    return {name: label.text() for name, label in lines.items() if label.isVisibleTo(card)}


def test_an_offline_resolve_shows_its_outcome_and_when_it_was_recorded_not_synced(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    app = desk_for(live_hub, "ana")
    window = app.window
    handoff_id = live_hub.escalate(queue="billing")["handoff_id"]
    qtbot.waitUntil(lambda: held(app, handoff_id).get("status") == "waiting", timeout=WAIT_MS)
    window.open_handoff(handoff_id)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_C)
    claimed = {"status": "claimed", "_sync": "synced"}
    qtbot.waitUntil(lambda: claimed.items() <= held(app, handoff_id).items(), timeout=WAIT_MS)
    assert not window.detail.outcome.isVisible()

    live_hub.stop()
    qtbot.waitUntil(lambda: app.bridge.status is not None and app.bridge.status.link != Link.ONLINE, timeout=WAIT_MS)
    QTest.keyClick(window.table, Qt.Key.Key_R)
    dialog = window.findChild(ResolveDialog)
    assert dialog is not None
    dialog.set_csat(4)
    dialog.disposition.setEditText("refund issued")
    dialog.notes.setPlainText("Refunded the duplicate charge.")
    dialog.set_feedback("late")
    QTest.keyClick(dialog.notes, Qt.Key.Key_Return)  # Enter records it
    qtbot.waitUntil(lambda: held(app, handoff_id).get("_sync") == "pending", timeout=WAIT_MS)
    recorded = held(app, handoff_id)["outcome"]["recorded_at"]
    window.open_handoff(handoff_id)
    expected = {
        "result": "Resolved",
        "csat": "4 of 5",
        "disposition": "refund issued",
        "feedback": "Too late",
        "notes": "Refunded the duplicate charge.",
        "recorded": f"by you at {format_when(parse_ts(recorded))}",
    }
    assert window.detail.outcome.isVisible() and shown_lines(window.detail.outcome) == expected

    # The hub comes back, its clock three hours on: the outcome keeps the time it was recorded.
    live_hub.config = dataclasses.replace(live_hub.config, clock=lambda: utc_now() + timedelta(hours=3))
    live_hub.start()
    app.bridge.reconnect_now()
    done = {"status": "resolved", "_sync": "synced"}
    qtbot.waitUntil(lambda: done.items() <= held(app, handoff_id).items(), timeout=WAIT_MS)
    synced = held(app, handoff_id)
    assert synced["outcome"]["recorded_at"] == recorded
    assert (parse_ts(synced["resolved_at"]) or 0) - (parse_ts(recorded) or 0) > 3 * 3600 - 60
    window.open_handoff(handoff_id)
    assert shown_lines(window.detail.outcome) == expected


def test_someone_elses_outcome_names_them_and_long_notes_are_cut(qtbot: Any) -> None:
    card = OutcomeCard()
    qtbot.addWidget(card)
    notes = "Called the customer back. " * 40
    outcome = {"resolution": "follow_up", "recorded_by": "ben", "recorded_at": at(90), "notes": notes}
    card.show_handoff(view(handoff(status="resolved", resolved=600, outcome=outcome)), me="ana")
    lines = shown_lines(card)
    assert lines["result"] == "Needs follow-up"
    assert lines["recorded"] == f"by ben at {format_when(BASE.timestamp() + 90)}"
    assert len(lines["notes"]) == 400 and lines["notes"].endswith("…")
    assert "Called the customer back." in card.notes.toolTip()
    card.show_handoff(view(handoff(status="claimed", assignee="ben")), me="ana")
    assert card.isHidden()


def test_the_time_recorded_names_the_day_unless_it_is_today() -> None:
    moment = BASE.timestamp() + 90
    assert format_when(moment, now=moment + 60) == format_clock(moment)
    assert format_when(moment, now=moment + 3 * 86_400) == f"20 Nov {format_clock(moment)}"
