"""The lead's floor against a real hub: queues, people, breaches, live as things change; rows
dropped on a person there are moved to them."""

from __future__ import annotations

from typing import Any

from agent_desk.client.surface import UserInfo
from agent_desk.ui.app import DeskApp
from agent_desk.ui.queue.drag import MoveTarget
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.team.floor_model import BreachHistory, count_floor
from tests.gui import test_moving_work as moving
from tests.gui.conftest import ThreadedHub
from tests.gui.factories import delta
from tests.gui.test_moving_work import WAIT_MS, drag_mime, drop, escalate, online, placed, row_of, select, wait_held
from tests.support.handoffs import BASE, at, handoff

#: The same hub (lea, ana, ben, a bot) and desks as the moving-work tests.
hub = moving.hub
desk_for = moving.desk_for


def cells(model: Any, key: str) -> list[str]:
    for row in range(model.rowCount()):
        if model.index(row, 0).data(0x0100) == key:
            return [str(model.index(row, c).data()) for c in range(model.columnCount())]
    return []


def open_floor(app: DeskApp) -> Any:
    sidebar = app.window.sidebar
    assert sidebar.team.isVisibleTo(app.window)
    index = sidebar.team.nav.index(sidebar.team.nav.row_of("floor"), 0)
    sidebar.team.clicked.emit(index)
    floor = app.window.center.floor_panel
    assert app.window.center.currentWidget() is floor
    return floor


def test_the_floor_counts_queues_people_and_breaches_live(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    ids = [escalate(hub, n) for n in ("Dana Whitfield", "Omar Haddad")]
    wait_held(qtbot, lea, *ids)
    ben = online(hub, qtbot, lea, "ben")
    floor = open_floor(lea)
    qtbot.waitUntil(lambda: cells(floor.queues_model, "billing")[:2] == ["billing", "2"], timeout=WAIT_MS)
    # no breach yet, none near its target; ben online for it; nobody has handled one yet
    assert cells(floor.queues_model, "billing")[3:] == ["0", "0", "1", "—"]  # too soon for a trend
    assert cells(floor.agents_model, "ben")[4:] == ["0", "—"]
    assert cells(floor.agents_model, "ben")[1] == "● Available" and cells(floor.agents_model, "ben")[3] == "0/3"
    assert floor.breaches_model.rowCount() == 0
    # An hour later both wait past their target.
    model = lea.window.queue_model
    model.set_clock_offset(model.now() - model._clock() + 3600)
    qtbot.waitUntil(lambda: floor.breaches_model.rowCount() == 2, timeout=WAIT_MS)
    assert cells(floor.queues_model, "billing")[3] == "2 ▲"
    assert floor.breaches_title.text() == "Past their target · 2"
    assert hub.run(ben.call("claim", handoff_id=ids[0]))["ok"]
    qtbot.waitUntil(lambda: cells(floor.agents_model, "ben")[3] == "1/3", timeout=WAIT_MS)
    assert floor.breaches_model.rowCount() == 1
    outcome = {"resolution": "resolved", "csat": 5}
    assert hub.run(ben.call("resolve", handoff_id=ids[0], outcome=outcome))["ok"]
    qtbot.waitUntil(lambda: cells(floor.agents_model, "ben")[3:5] == ["0/3", "1"], timeout=WAIT_MS)
    assert cells(floor.agents_model, "ben")[5] != "—"  # an average handle time, claim to resolve
    assert hub.run(ben.call("presence", status="away"))["ok"]
    qtbot.waitUntil(lambda: cells(floor.agents_model, "ben")[1] == "○ Away", timeout=WAIT_MS)
    assert cells(floor.agents_model, "ben")[2] in ("0:00", "0:01", "0:02")
    assert cells(floor.queues_model, "billing")[5] == "0"  # nobody online for billing now
    # Open on a breach shows it in the queue.
    floor.breaches.selectRow(0)
    floor.open_button.click()
    assert lea.window.center.currentWidget() is lea.window.queue_pane
    assert lea.window.detail.handoff_id == ids[1]
    hub.run(ben.close())


def test_rows_dropped_on_a_person_on_the_floor_are_moved_to_them(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    first = escalate(hub, "Dana Whitfield")
    wait_held(qtbot, lea, first)
    ana = online(hub, qtbot, lea, "ana")
    select(lea, first)
    mime = drag_mime(lea)
    floor = open_floor(lea)
    qtbot.waitUntil(lambda: bool(cells(floor.agents_model, "ana")), timeout=WAIT_MS)
    assert drop(floor.agents, row_of(floor.agents, "ana"), mime)
    qtbot.waitUntil(lambda: placed(lea, first, status="claimed", assignee="ana", _sync="synced"), timeout=WAIT_MS)
    assert lea.window.lead_desk.moves.target == MoveTarget("agent", "ana", "ana")
    hub.run(ana.close())


def test_near_counts_what_waits_close_to_its_target_and_aht_averages_claim_to_resolve(qapp: Any) -> None:
    now = BASE.timestamp() + 170  # priority 2's target is 180 s: one waiting since BASE is near it
    model = QueueModel(clock=lambda: now)
    resolved = handoff(status="resolved", assignee="ben", escalated=-400, resolved=100, version=3, claimed_at=at(40))
    model.apply(delta(upserts=(handoff(priority=2, escalated=0), handoff(priority=2, escalated=150), resolved)))
    ben = UserInfo("ben", "Ben", "agent", ("billing",), presence="available", capacity=3)
    floor = count_floor(model, ["billing"], [ben], {})
    (billing,) = floor.queues
    assert (billing.waiting, billing.near, billing.breaches, billing.online) == (2, 1, 0, 1)
    (agent,) = floor.agents
    assert agent.today == 1 and agent.aht_s == 60.0  # claimed at +40 s, resolved at +100 s


def test_the_trend_says_whether_a_queues_breaches_rose_or_fell_over_the_last_minutes() -> None:
    history = BreachHistory()
    assert history.trend(0.0, {"billing": 1}) == {}  # not watched long enough to say
    assert history.trend(30.0, {"billing": 2}) == {}
    assert history.trend(120.0, {"billing": 3, "vip": 1}) == {"billing": 2, "vip": 1}
    # ten minutes on, against the oldest count kept (at 120 s): both fell
    assert history.trend(700.0, {"billing": 0}) == {"billing": -3, "vip": -1}
