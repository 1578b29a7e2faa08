"""Routing by offers on the desktop, against a real hub served with offers: the card, Accept,
Decline, expiry, presence, a hub restart, and what a lead sees."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from agent_desk.client.surface import Link
from agent_desk.ui.app import DeskApp
from agent_desk.ui.queue.rows import Column
from tests.gui.conftest import ThreadedHub
from tests.support.peers import Peer

WAIT_MS = 20_000


def offer_hub(tmp_path: Path, timeout_s: float) -> ThreadedHub:
    hub = ThreadedHub(tmp_path / "hub")
    hub.config = dataclasses.replace(hub.config, routing="offer", offer_timeout_s=timeout_s)
    hub.start()
    hub.add_user("lea", "lead")
    hub.add_user("ana", "agent", ("billing",))
    hub.add_user("ben", "agent", ("billing",))
    hub.add_user("bot", "source")
    return hub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[ThreadedHub]:
    running = offer_hub(tmp_path, 30.0)
    yield running
    running.close()


def card_shows(app: DeskApp, handoff_id: str) -> bool:
    card = app.window.queue_pane.offer_card
    return card.isVisibleTo(app.window) and card.offer is not None and card.offer.handoff_id == handoff_id


def test_an_offer_reaches_the_agent_as_a_card_and_accept_claims_it(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    app = desk_for(hub, "ana")
    load = app.window.top_bar.load
    assert load.text() == "0 of 3" and load.isVisibleTo(app.window)
    with qtbot.waitSignal(app.window.notifier.alerted, timeout=WAIT_MS) as alert:
        handoff_id = hub.escalate(queue="billing", priority=1)["handoff_id"]
    assert alert.args[0] == "Offer: Dana Whitfield"
    qtbot.waitUntil(lambda: card_shows(app, handoff_id), timeout=WAIT_MS)
    card = app.window.queue_pane.offer_card
    assert "Dana Whitfield" in card.title.text() and "P1" in card.title.text()
    assert 0 < card.left_s() <= 30
    app.window.table.setFocus()
    QTest.keyClick(app.window.table, Qt.Key.Key_A)
    qtbot.waitUntil(
        lambda: (
            (h := app.window.queue_model.handoff(handoff_id)) is not None
            and h.status == "claimed"
            and h.assignee == "ana"
            and h.offer is None
        ),
        timeout=WAIT_MS,
    )
    assert not card.isVisibleTo(app.window)
    qtbot.waitUntil(lambda: load.text() == "1 of 3", timeout=WAIT_MS)


def test_a_decline_moves_the_offer_to_the_next_agent_at_once(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    ana = desk_for(hub, "ana")
    ben = desk_for(hub, "ben")
    handoff_id = hub.escalate(queue="billing")["handoff_id"]
    qtbot.waitUntil(lambda: card_shows(ana, handoff_id) or card_shows(ben, handoff_id), timeout=WAIT_MS)
    first, second = (ana, ben) if card_shows(ana, handoff_id) else (ben, ana)
    first.window.queue_pane.offer_card.decline_button.click()
    qtbot.waitUntil(lambda: card_shows(second, handoff_id), timeout=WAIT_MS)
    assert not card_shows(first, handoff_id)


def test_an_offer_left_unanswered_moves_on_when_it_expires(tmp_path: Path, desk_for: Any, qtbot: Any) -> None:
    hub = offer_hub(tmp_path, 1.0)
    try:
        ana = desk_for(hub, "ana")
        ben = desk_for(hub, "ben")
        handoff_id = hub.escalate(queue="billing")["handoff_id"]
        qtbot.waitUntil(lambda: card_shows(ana, handoff_id) or card_shows(ben, handoff_id), timeout=WAIT_MS)
        first, second = (ana, ben) if card_shows(ana, handoff_id) else (ben, ana)
        qtbot.waitUntil(lambda: card_shows(second, handoff_id), timeout=WAIT_MS)
        assert not card_shows(first, handoff_id)
    finally:
        hub.close()


def test_an_agent_set_away_gets_no_offers(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    ana = desk_for(hub, "ana")
    ben = desk_for(hub, "ben")
    lea: Peer = hub.run(Peer.open(hub.url, hub.tokens["lea"]))
    hub.run(lea.resume())
    ana.window.choose_presence("away")
    while (changed := hub.run(lea.next_event("presence.changed")))["data"]["user"] != "ana":
        pass  # the hub has ana away once the lead hears it
    assert changed["data"]["presence"] == "away"
    handoff_id = hub.escalate(queue="billing")["handoff_id"]
    qtbot.waitUntil(lambda: card_shows(ben, handoff_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: ana.window.queue_model.handoff(handoff_id) is not None, timeout=WAIT_MS)
    assert not ana.window.queue_pane.offer_card.isVisibleTo(ana.window)
    hub.run(lea.close())


def test_a_pending_offer_and_its_expiry_survive_a_hub_restart(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    ana = desk_for(hub, "ana")
    handoff_id = hub.escalate(queue="billing")["handoff_id"]
    qtbot.waitUntil(lambda: card_shows(ana, handoff_id), timeout=WAIT_MS)
    card = ana.window.queue_pane.offer_card
    assert card.offer is not None
    expires = card.offer.expires_at
    hub.stop()
    qtbot.waitUntil(lambda: ana.bridge.status is not None and ana.bridge.status.link != Link.ONLINE, timeout=WAIT_MS)
    hub.start()
    ana.bridge.reconnect_now()
    qtbot.waitUntil(lambda: ana.bridge.status is not None and ana.bridge.status.link == Link.ONLINE, timeout=WAIT_MS)
    assert card_shows(ana, handoff_id) and card.offer is not None and card.offer.expires_at == expires


def test_a_lead_sees_whom_a_handoff_is_offered_to(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    desk_for(hub, "ana")
    lead = desk_for(hub, "lea")
    handoff_id = hub.escalate(queue="billing")["handoff_id"]
    model = lead.window.queue_model
    qtbot.waitUntil(lambda: (h := model.handoff(handoff_id)) is not None and h.offer is not None, timeout=WAIT_MS)
    row = model.row_of(handoff_id)
    assert row is not None
    status = model.data(model.index(row, Column.STATUS), Qt.ItemDataRole.ToolTipRole)
    assert str(status).startswith("Offered to ana (round 1); ") and str(status).endswith(" left to answer")
    assert str(model.data(model.index(row, Column.STATUS))).startswith("→ ana · ")
    assert not lead.window.table.isColumnHidden(Column.STATUS)
    assert not lead.window.queue_pane.offer_card.isVisibleTo(lead.window)  # offers are for agents
    assert not lead.window.top_bar.load.isVisibleTo(lead.window)


def test_a_lead_reads_the_offer_figures_in_metrics(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    ana = desk_for(hub, "ana")
    lead = desk_for(hub, "lea")
    handoff_id = hub.escalate(queue="billing")["handoff_id"]
    qtbot.waitUntil(lambda: card_shows(ana, handoff_id), timeout=WAIT_MS)
    ana.window.queue_pane.offer_card.accept_button.click()
    qtbot.waitUntil(
        lambda: (h := lead.window.queue_model.handoff(handoff_id)) is not None and h.status == "claimed",
        timeout=WAIT_MS,
    )
    lead.window.show()
    lead.window.on_panel_chosen("metrics")
    card = lead.window.metrics_panel.cards["offers"]
    qtbot.waitUntil(lambda: card.isVisibleTo(lead.window), timeout=WAIT_MS)
    assert card.value.text() == "1 of 1"
    assert card.detail.text().startswith("accepted in ")
