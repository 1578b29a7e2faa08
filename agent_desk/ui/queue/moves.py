"""A lead moves work: to a queue or a person, one handoff or many, and sees each result.

The ways in (the queue's context menu, M and its picker, a drop on a queue or a person, "Move all
waiting" on a queue in the sidebar) all end in :meth:`MoveDesk.request`. A move to a person who
is offline, away or at capacity first asks once, inline (:class:`MovePanel`). Each handoff is one
``bridge.reassign`` with the version the desk saw, so a handoff that changed meanwhile (claimed
by someone, resolved) comes back refused instead of being taken from under them. The panel
follows every handoff of the move until the hub has it where it was sent (synced) or refused it
(a "needs attention" item with the hub's code and message).

An agent never gets any of this: the controls are off unless :meth:`set_lead` turns them on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from agent_desk.client.handoff_view import SyncState
from agent_desk.client.surface import AttentionItem, Handoff, HandoffDelta, UserInfo
from agent_desk.ui import labels
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.queue.drag import MoveTarget
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.move_panel import MoveLine, MovePanel, MoveState
from agent_desk.ui.queue.move_picker import MovePicker
from agent_desk.ui.queue.pane import QueuePane
from agent_desk.ui.text import one_line

#: Presences that make a move to a person ask first.
ABSENT = ("offline", "away")


@dataclass(frozen=True, slots=True)
class Tracked:
    """One handoff of the move on show."""

    handoff_id: str
    customer: str
    request_id: str | None
    state: MoveState
    refusal: AttentionItem | None = None


def placed(handoff: Handoff, target: MoveTarget) -> bool:
    """Whether the handoff stands where the move sent it."""
    if target.kind == "agent":
        return handoff.status == "claimed" and handoff.assignee == target.key
    return handoff.status == "waiting" and handoff.queue == target.key


def refusal_reason(handoff: Handoff | None, item: AttentionItem | None, me: str) -> str:
    """Why a handoff was not moved, in words: what happened meanwhile, and where it stands now."""
    hub = one_line(item.message, 160) or item.code if item is not None else ""
    if handoff is None or handoff.sync == SyncState.PENDING:
        return hub or QApplication.translate("Moves", "the hub refused it")
    tr = partial(QApplication.translate, "Moves")
    if handoff.status == "claimed" and handoff.assignee and handoff.assignee != me:
        why = tr("claimed by %1 meanwhile").replace("%1", one_line(handoff.assignee, 40))
    elif handoff.status == "resolved":
        why = tr("resolved meanwhile")
    else:
        why = hub or tr("the hub refused it")
        hub = ""
    now = (
        tr("now %1 in %2").replace("%1", labels.status_label(handoff.status)).replace("%2", one_line(handoff.queue, 40))
    )
    return f"{why} · {now}" + (f" ({item.code}: {hub})" if item is not None and hub else "")


class MoveDesk(QObject):
    """Moves handoffs for a lead and shows how each move went.

    Args:
        bridge: takes each reassign; reports handoffs and refusals.
        model: the handoffs the desk holds; pane: the queue (selection, menu, results panel).
        users: the people with what each holds now; queues: the hub's queues.
        reassign_dialog: opens the Reassign dialog for one handoff.
        window: where M and Shift+J/K work.

    Attributes:
        lead: whether the lead controls are on.
        target: where the move on show went; tracked: its handoffs, in order.
        pending: a move waiting for the person's answer to the question, or None.
        menu, picker: the last context menu and picker opened (tests reach them).
    """

    def __init__(
        self,
        bridge: Bridge,
        model: QueueModel,
        pane: QueuePane,
        users: Callable[[], list[UserInfo]],
        queues: Callable[[], list[str]],
        reassign_dialog: Callable[[str], object],
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._model = model
        self._pane = pane
        self._panel: MovePanel = pane.move_panel
        self._users = users
        self._queues = queues
        self._reassign_dialog = reassign_dialog
        self._window = window
        self.lead = False
        self.me = ""
        self.target: MoveTarget | None = None
        self.tracked: list[Tracked] = []
        self.pending: tuple[list[str], MoveTarget] | None = None
        self.menu: QMenu | None = None
        self.picker: MovePicker | None = None
        self.keys: dict[str, QShortcut] = {}
        for name, key, slot in (
            ("move", "M", self.on_move_key),
            ("extend_next", "Shift+J", partial(self.on_extend_key, +1)),
            ("extend_previous", "Shift+K", partial(self.on_extend_key, -1)),
        ):
            shortcut = QShortcut(QKeySequence(key), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.setEnabled(False)
            shortcut.activated.connect(slot)
            self.keys[name] = shortcut
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._bridge.handoffsChanged.connect(self.on_handoffs)
        self._bridge.attentionChanged.connect(self.on_attention)
        self._pane.table.customContextMenuRequested.connect(self.on_context_menu)
        self._panel.confirmed.connect(self.on_confirmed)
        self._panel.cancelled.connect(self.on_cancelled)

    def set_lead(self, lead: bool, me: str) -> None:
        """Turn the lead controls on or off (every ``hello``)."""
        self.lead = lead
        self.me = me
        self._pane.set_lead(lead)
        for shortcut in self.keys.values():
            shortcut.setEnabled(lead)

    # ---- where to -----------------------------------------------------------------------------

    def targets(self) -> list[MoveTarget]:
        """The queues, then the people (available first), as places to move to."""
        queues = [MoveTarget("queue", q, q) for q in self._queues()]
        order = {"available": 0, "busy": 1, "away": 2, "offline": 3}
        people = sorted(self._users(), key=lambda u: (order.get(u.presence, 4), u.name.casefold()))
        return queues + [MoveTarget("agent", u.id, one_line(u.name, 60) or u.id) for u in people]

    def user(self, user_id: str) -> UserInfo | None:
        return next((u for u in self._users() if u.id == user_id), None)

    def person_text(self, user: UserInfo) -> str:
        load = f"{user.active}/{user.capacity}" if user.capacity is not None else str(user.active)
        return f"{one_line(user.name, 60) or user.id} · {labels.presence_label(user.presence)} · {load}"

    def doubt(self, ids: Sequence[str], target: MoveTarget) -> str:
        """Why a move to a person needs a yes first ("" when it does not)."""
        user = self.user(target.key) if target.kind == "agent" else None
        if user is None:
            return ""
        name = one_line(user.name, 60) or user.id
        count = len(ids)
        what = self.tr("1 handoff") if count == 1 else self.tr("%1 handoffs").replace("%1", str(count))
        if user.presence in ABSENT:
            state = labels.presence_label(user.presence).lower()
            return (
                self.tr("%1 is %2. Move %3 to them anyway?")
                .replace("%1", name)
                .replace("%2", state)
                .replace("%3", what)
            )
        if user.capacity is not None and user.active + count > user.capacity:
            at = f"{user.active}/{user.capacity}"
            return (
                self.tr("%1 holds %2 already. Move %3 to them anyway?")
                .replace("%1", name)
                .replace("%2", at)
                .replace("%3", what)
            )
        return ""

    # ---- asking to move -------------------------------------------------------------------------

    def request(self, ids: Sequence[str], target: MoveTarget) -> None:
        """Move handoffs, asking first when the person is absent or full."""
        ids = [i for i in dict.fromkeys(ids) if self._model.handoff(i) is not None]
        if not self.lead or not ids:
            return
        question = self.doubt(ids, target)
        if question:
            self.pending = (ids, target)
            self._panel.ask(question)
            return
        self.move(ids, target)

    def on_confirmed(self) -> None:
        pending, self.pending = self.pending, None
        self._panel.end_question()
        if pending is not None:
            self.move(*pending)

    def on_cancelled(self) -> None:
        self.pending = None
        self._panel.end_question()

    def move(self, ids: Sequence[str], target: MoveTarget) -> None:
        """One reassign a handoff, each with the version the desk saw; then follow them."""
        self.target = target
        self.tracked = []
        for handoff_id in ids:
            handoff = self._model.handoff(handoff_id)
            if handoff is None:
                continue
            request_id = self._bridge.reassign(
                handoff_id, to_user=target.to_user, to_queue=target.to_queue, expected_version=handoff.version or None
            )
            state = MoveState.PENDING if request_id else MoveState.REFUSED
            self.tracked.append(Tracked(handoff_id, handoff.customer.name, request_id, state))
        self._show()

    def move_all_waiting(self, queue: str, target: MoveTarget) -> None:
        """Every handoff waiting in ``queue`` to ``target``."""
        ids = [
            i for i in self._model.ids() if (h := self._model.handoff(i)) and h.status == "waiting" and h.queue == queue
        ]
        if not ids:
            self._pane.show_notice(self.tr("No one is waiting in %1.").replace("%1", one_line(queue, 40)))
            return
        self.request(ids, target)

    # ---- following the move ------------------------------------------------------------------------

    def on_handoffs(self, delta: HandoffDelta) -> None:
        if self.tracked and self.target is not None:
            self._settle()
            self._show()

    def on_attention(self, items: tuple[AttentionItem, ...]) -> None:
        if not self.tracked:
            return
        by_request = {i.request_id: i for i in items}
        for n, item in enumerate(self.tracked):
            refused = by_request.get(item.request_id or "")
            if refused is not None and item.state == MoveState.PENDING:
                self.tracked[n] = replace(item, state=MoveState.REFUSED, refusal=refused)
        self._show()

    def _settle(self) -> None:
        assert self.target is not None
        for n, item in enumerate(self.tracked):
            handoff = self._model.handoff(item.handoff_id)
            if item.state != MoveState.PENDING or handoff is None or handoff.sync != SyncState.SYNCED:
                continue
            if placed(handoff, self.target):
                self.tracked[n] = replace(item, state=MoveState.MOVED)

    def lines(self) -> list[MoveLine]:
        out = []
        for item in self.tracked:
            reason = ""
            if item.state == MoveState.REFUSED:
                if item.request_id is None:
                    reason = self.tr("not recorded on this computer")
                else:
                    reason = refusal_reason(self._model.handoff(item.handoff_id), item.refusal, self.me)
            out.append(MoveLine(item.handoff_id, item.customer, item.state, reason))
        return out

    def _show(self) -> None:
        if self.target is None or not self.tracked:
            return
        states = [t.state for t in self.tracked]
        moved, refused = states.count(MoveState.MOVED), states.count(MoveState.REFUSED)
        title = self.tr("Moving %1 to %2").replace("%1", str(len(states))).replace("%2", self.target.name)
        title += " · " + self.tr("%1 moved").replace("%1", str(moved))
        if refused:
            title += " · " + self.tr("%1 not moved").replace("%1", str(refused))
        self._panel.show_results(title, self.lines())

    # ---- the ways in ----------------------------------------------------------------------------------

    def menu_for(self, ids: Sequence[str], parent: QWidget | None = None) -> QMenu:
        """The queue's context menu for these handoffs: Move to ▸ queues and people, Reassign…"""
        menu = QMenu(parent)
        count = len(ids)
        menu.setTitle(self.tr("Move %1").replace("%1", str(count)))
        move = menu.addMenu(self.tr("Move to"))
        move.setObjectName("MoveToMenu")
        targets = self.targets()
        for target in targets:
            if target is targets[0] or target.kind != targets[targets.index(target) - 1].kind:
                move.addSection(self.tr("Queues") if target.kind == "queue" else self.tr("People"))
            user = self.user(target.key) if target.kind == "agent" else None
            action = move.addAction(self.person_text(user) if user else target.name)
            action.setData(target)
            action.triggered.connect(partial(self.request, list(ids), target))
        reassign = menu.addAction(self.tr("Reassign…"))
        reassign.setEnabled(count == 1)
        if count == 1:
            reassign.triggered.connect(partial(self._reassign_dialog, ids[0]))
        return menu

    def on_context_menu(self, pos: QPoint) -> None:
        if not self.lead:
            return
        table = self._pane.table
        index = table.indexAt(pos)
        if index.isValid() and not table.selectionModel().isRowSelected(index.row()):
            table.selectRow(index.row())
        ids = self._pane.selected_ids()
        if not ids:
            return
        self.menu = self.menu_for(ids, table)
        self.menu.popup(table.viewport().mapToGlobal(pos))

    def open_picker(self, ids: Sequence[str]) -> MovePicker | None:
        """The type-ahead picker for these handoffs (M)."""
        if not self.lead or not ids:
            return None
        count = len(ids)
        title = self._model.describe(ids[0]) if count == 1 else self.tr("%1 handoffs").replace("%1", str(count))
        picker = MovePicker(self.tr("Move %1 to…").replace("%1", title), self.targets(), self._window)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.chosen.connect(partial(self.request, list(ids)))
        picker.open()
        picker.activateWindow()
        picker.search.setFocus()
        self.picker = picker
        return picker

    def on_move_key(self) -> None:
        if _typing() or not self._pane.isVisible():
            return
        ids = self._pane.selected_ids()
        if not ids:
            self._pane.show_notice(self.tr("Nothing selected to move"))
            return
        self.open_picker(ids)

    def on_extend_key(self, step: int) -> None:
        if not _typing() and self._pane.isVisible():
            self._pane.extend_selection(step)

    def queue_menu(self, queue: str, parent: QWidget | None = None) -> QMenu:
        """A queue's menu in the sidebar: Move all waiting ▸ the other queues."""
        menu = QMenu(parent)
        move = menu.addMenu(self.tr("Move all waiting to"))
        for target in self.targets():
            if target.kind == "queue" and target.key != queue:
                action = move.addAction(target.name)
                action.setData(target)
                action.triggered.connect(partial(self.move_all_waiting, queue, target))
        return menu


def _typing() -> bool:
    """Whether the keyboard is in a text field (M and J/K are letters there)."""
    focus = QApplication.focusWidget()
    return focus is not None and (focus.inherits("QLineEdit") or focus.inherits("QPlainTextEdit"))
