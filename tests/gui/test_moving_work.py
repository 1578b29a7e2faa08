"""A lead moves work against a real hub through the real engine: by the queue's menu, by drag and
drop onto a person or a queue, by M and its picker, many at once with one taken meanwhile, a whole
queue's waiting, an away person asked about first; an agent never sees any of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QMimeData, QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu

from agent_desk.client.surface import Link
from agent_desk.ui.app import DeskApp
from agent_desk.ui.queue.drag import MoveTarget
from agent_desk.ui.queue.move_picker import MovePicker
from tests.gui.conftest import ThreadedHub
from tests.support.peers import Peer

WAIT_MS = 20_000


@pytest.fixture
def hub(live_hub: ThreadedHub) -> ThreadedHub:
    live_hub.add_user("ben", "agent", ("billing",))
    return live_hub


@pytest.fixture
def desk_for(qtbot: Any, settings: Any, tmp_path: Path) -> Iterator[Callable[[ThreadedHub, str], DeskApp]]:
    made: list[DeskApp] = []

    def start(hub: ThreadedHub, user: str) -> DeskApp:
        app = DeskApp(settings=settings, cache_dir=str(tmp_path / f"cache-{user}"))
        qtbot.addWidget(app.window)
        app.start_direct(hub.url, user, hub.tokens[user])
        made.append(app)
        app.window.show()
        qtbot.waitUntil(
            lambda: app.bridge.status is not None and app.bridge.status.link == Link.ONLINE, timeout=WAIT_MS
        )
        return app

    yield start
    for app in made:
        app.shutdown()


def online(hub: ThreadedHub, qtbot: Any, lead: DeskApp, user: str) -> Peer:
    """Sign ``user`` in (available) and wait until the lead's desk sees it."""
    peer: Peer = hub.run(Peer.open(hub.url, hub.tokens[user]))
    model = lead.window.agents_panel.model
    qtbot.waitUntil(lambda: any(u.id == user and u.presence == "available" for u in model.users()), timeout=WAIT_MS)
    return peer


def customer(name: str, cid: str) -> dict[str, Any]:
    return {"id": cid, "name": name, "tier": "standard"}


def escalate(hub: ThreadedHub, name: str, queue: str = "billing") -> str:
    return str(hub.escalate(queue=queue, customer=customer(name, name.lower().replace(" ", "-")))["handoff_id"])


def placed(app: DeskApp, handoff_id: str, **expected: Any) -> bool:
    found = app.window.queue_model.handoff(handoff_id)
    return found is not None and all(found.get(k) == v for k, v in expected.items())


def wait_held(qtbot: Any, app: DeskApp, *ids: str) -> None:
    qtbot.waitUntil(lambda: all(app.window.queue_model.handoff(i) is not None for i in ids), timeout=WAIT_MS)


def select(app: DeskApp, *ids: str) -> None:
    pane = app.window.queue_pane
    selection = pane.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for handoff_id in ids:
        index = pane.index_of(handoff_id)
        assert index.isValid(), handoff_id
        selection.select(index, flags)
    assert sorted(pane.selected_ids()) == sorted(ids)


def drag_mime(app: DeskApp) -> QMimeData:
    """What the queue's view puts on a drag of the selected rows (QAbstractItemView.startDrag)."""
    table = app.window.table
    return table.model().mimeData(table.selectionModel().selectedIndexes())


def drop(view: QAbstractItemView, row: int, mime: QMimeData) -> bool:
    """Deliver a drag onto ``row`` of ``view`` as a person's drag would: enter, move, drop."""
    point = view.visualRect(view.model().index(row, 0)).center()
    viewport = view.viewport()
    action = Qt.DropAction.MoveAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, action, mime, buttons, keys)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(point, action, mime, buttons, keys)
    QApplication.sendEvent(viewport, move)
    if not move.isAccepted():
        return False
    dropped = QDropEvent(point.toPointF(), action, mime, buttons, keys)
    QApplication.sendEvent(viewport, dropped)
    return dropped.isAccepted()


def results(app: DeskApp) -> list[str]:
    return app.window.queue_pane.move_panel.lines()


def all_settled(app: DeskApp, count: int) -> bool:
    lines = results(app)
    return len(lines) == count and not any(line.startswith("◷") for line in lines)


def action_for(menu: QMenu, target: MoveTarget) -> Any:
    for action in menu.actions():
        sub = action.menu()
        if sub is not None:
            found = action_for(sub, target)
            if found is not None:
                return found
        elif action.data() == target:
            return action
    return None


def row_of(view: QAbstractItemView, text: str) -> int:
    model = view.model()
    for row in range(model.rowCount()):
        if text in str(model.index(row, 0).data()):
            return row
    raise AssertionError(f"{text!r} not in the view")


def test_a_lead_moves_a_handoff_to_a_queue_from_the_context_menu(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    first = escalate(hub, "Dana Whitfield")
    wait_held(qtbot, lea, first)
    window = lea.window
    point = window.table.visualRect(window.queue_pane.index_of(first)).center()
    window.table.customContextMenuRequested.emit(point)
    menu = window.lead_desk.moves.menu
    assert menu is not None
    titles = [a.text() for a in menu.actions()]
    assert titles == ["Move to", "Reassign…"]
    action = action_for(menu, MoveTarget("queue", "vip", "vip"))
    assert action is not None
    action.trigger()
    qtbot.waitUntil(lambda: placed(lea, first, queue="vip", status="waiting", _sync="synced"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: results(lea) == ["✓ Dana Whitfield — moved"], timeout=WAIT_MS)
    assert window.queue_pane.move_panel.title.text() == "Moving 1 to vip · 1 moved"


def test_dropping_rows_on_an_agent_reassigns_them_all(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    first, second = escalate(hub, "Dana Whitfield"), escalate(hub, "Omar Haddad")
    wait_held(qtbot, lea, first, second)
    ana = online(hub, qtbot, lea, "ana")
    select(lea, first, second)
    mime = drag_mime(lea)
    lea.window.sidebar.team.select_key("agents")
    lea.window.on_panel_chosen("agents")
    agents = lea.window.agents_panel.table
    assert drop(agents, row_of(agents, "ana"), mime)
    assert lea.window.lead_desk.drops["agents"].hint.startswith("Move 2 handoffs to ana")  # said while dragging
    for handoff_id in (first, second):
        qtbot.waitUntil(
            lambda h=handoff_id: placed(lea, h, status="claimed", assignee="ana", _sync="synced"), timeout=WAIT_MS
        )
    qtbot.waitUntil(lambda: all_settled(lea, 2), timeout=WAIT_MS)
    assert sorted(results(lea)) == ["✓ Dana Whitfield — moved", "✓ Omar Haddad — moved"]
    hub.run(ana.close())


def test_dropping_a_row_on_a_queue_in_the_sidebar_moves_it(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    first = escalate(hub, "Dana Whitfield")
    escalate(hub, "Lucía Fernández", "vip")  # the hub knows the queue vip
    wait_held(qtbot, lea, first)
    select(lea, first)
    queues = lea.window.sidebar.queues
    qtbot.waitUntil(lambda: queues.nav.row_of("vip") >= 0, timeout=WAIT_MS)
    assert not drop(queues, queues.nav.row_of(""), drag_mime(lea))  # "All queues" is no place to move to
    assert drop(queues, queues.nav.row_of("vip"), drag_mime(lea))
    qtbot.waitUntil(lambda: placed(lea, first, queue="vip", status="waiting", _sync="synced"), timeout=WAIT_MS)


def test_m_opens_the_picker_and_enter_moves_the_selection(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    first, second, third = (escalate(hub, n) for n in ("Dana Whitfield", "Omar Haddad", "Tyler Brooks"))
    wait_held(qtbot, lea, first, second, third)
    ben = online(hub, qtbot, lea, "ben")
    window = lea.window
    window.open_handoff(first)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_J, Qt.KeyboardModifier.ShiftModifier)  # extends to the next row
    assert len(window.queue_pane.selected_ids()) == 2
    QTest.keyClick(window.table, Qt.Key.Key_M)
    picker = window.findChild(MovePicker)
    assert picker is not None and picker.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is picker.search, timeout=WAIT_MS)
    QTest.keyClicks(picker.search, "be")  # ben, a person
    assert picker.current_target() == MoveTarget("agent", "ben", "ben")
    moving = window.queue_pane.selected_ids()
    QTest.keyClick(picker.search, Qt.Key.Key_Return)
    for handoff_id in moving:
        qtbot.waitUntil(
            lambda h=handoff_id: placed(lea, h, status="claimed", assignee="ben", _sync="synced"), timeout=WAIT_MS
        )
    left = ({first, second, third} - set(moving)).pop()
    assert placed(lea, left, status="waiting")
    hub.run(ben.close())


def test_a_bulk_move_shows_moved_and_why_not_for_one_claimed_meanwhile(
    hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    lea = desk_for(hub, "lea")
    names = ("Dana Whitfield", "Omar Haddad", "Tyler Brooks")
    ids = [escalate(hub, n) for n in names]
    wait_held(qtbot, lea, *ids)
    select(lea, *ids)
    ben: Peer = hub.run(Peer.open(hub.url, hub.tokens["ben"]))
    # Ben claims one while the lead's desk still shows it waiting (no Qt events run in between).
    assert hub.run(ben.call("claim", handoff_id=ids[1]))["ok"]
    lea.window.lead_desk.moves.request(lea.window.queue_pane.selected_ids(), MoveTarget("queue", "vip", "vip"))
    qtbot.waitUntil(lambda: all_settled(lea, 3), timeout=WAIT_MS)
    shown = results(lea)
    assert "✓ Dana Whitfield — moved" in shown and "✓ Tyler Brooks — moved" in shown
    refused = next(line for line in shown if "Omar Haddad" in line)
    assert refused.startswith("⚠ Omar Haddad — not moved: claimed by ben meanwhile · now Claimed in billing")
    assert "conflict" in refused
    assert placed(lea, ids[1], status="claimed", assignee="ben", queue="billing")
    assert lea.window.queue_pane.move_panel.title.text() == "Moving 3 to vip · 2 moved · 1 not moved"
    assert any(item.kind == "reassign" and item.handoff_id == ids[1] for item in lea.window.attention_items)
    hub.run(ben.close())


def test_move_all_waiting_moves_a_whole_queue(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    billing = [escalate(hub, n) for n in ("Dana Whitfield", "Omar Haddad")]
    vip = escalate(hub, "Lucía Fernández", "vip")
    wait_held(qtbot, lea, *billing, vip)
    queues = lea.window.sidebar.queues
    point = queues.visualRect(queues.nav.index(queues.nav.row_of("billing"), 0)).center()
    queues.customContextMenuRequested.emit(point)
    menu = lea.window.lead_desk.menu
    assert [a.text() for a in menu.actions()] == ["Move all waiting to"]
    action = action_for(menu, MoveTarget("queue", "vip", "vip"))
    assert action is not None
    action.trigger()
    for handoff_id in billing:
        qtbot.waitUntil(lambda h=handoff_id: placed(lea, h, queue="vip", _sync="synced"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all_settled(lea, 2), timeout=WAIT_MS)
    assert lea.window.queue_model.counts().waiting_by_queue.get("billing", 0) == 0


def test_moving_to_an_away_agent_asks_once_inline(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    lea = desk_for(hub, "lea")
    first, second = escalate(hub, "Dana Whitfield"), escalate(hub, "Omar Haddad")
    wait_held(qtbot, lea, first, second)
    ana = online(hub, qtbot, lea, "ana")
    assert hub.run(ana.call("presence", status="away"))["ok"]
    model = lea.window.agents_panel.model
    qtbot.waitUntil(lambda: any(u.id == "ana" and u.presence == "away" for u in model.users()), timeout=WAIT_MS)
    moves = lea.window.lead_desk.moves
    moves.request([first, second], MoveTarget("agent", "ana", "ana"))
    panel = lea.window.queue_pane.move_panel
    assert panel.asking() and panel.question.text() == "ana is away. Move 2 handoffs to them anyway?"
    assert placed(lea, first, status="waiting") and placed(lea, second, status="waiting")
    panel.cancel_button.click()
    assert not panel.asking() and moves.pending is None
    moves.request([first, second], MoveTarget("agent", "ana", "ana"))
    panel.confirm_button.click()
    assert not panel.asking()
    for handoff_id in (first, second):
        qtbot.waitUntil(lambda h=handoff_id: placed(lea, h, assignee="ana", _sync="synced"), timeout=WAIT_MS)
    hub.run(ana.close())


def no_lead_controls(app: DeskApp, ids: Sequence[str]) -> None:
    window = app.window
    table = window.table
    assert table.selectionMode() == QAbstractItemView.SelectionMode.SingleSelection
    assert not table.dragEnabled()
    assert table.contextMenuPolicy() != Qt.ContextMenuPolicy.CustomContextMenu
    assert not window.sidebar.team.isVisibleTo(window)  # no Agents, Metrics or Floor
    assert not window.sidebar.queues.acceptDrops()


def test_an_agent_never_sees_the_lead_controls(hub: ThreadedHub, desk_for: Any, qtbot: Any) -> None:
    ana = desk_for(hub, "ana")
    first = escalate(hub, "Dana Whitfield")
    wait_held(qtbot, ana, first)
    window = ana.window
    no_lead_controls(ana, [first])
    window.open_handoff(first)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_M)
    assert window.findChild(MovePicker) is None
    window.table.customContextMenuRequested.emit(QPoint(5, 5))
    assert window.lead_desk.moves.menu is None
    queues = window.sidebar.queues
    qtbot.waitUntil(lambda: queues.nav.row_of("vip") >= 0, timeout=WAIT_MS)
    mime = window.queue_model.mimeData([window.queue_model.index(0, 0)])
    assert not drop(queues, queues.nav.row_of("vip"), mime)
    window.lead_desk.moves.request([first], MoveTarget("queue", "vip", "vip"))
    assert not window.queue_pane.move_panel.isVisibleTo(window)
    assert placed(ana, first, queue="billing", status="waiting")
