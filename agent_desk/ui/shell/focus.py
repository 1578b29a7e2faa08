"""The handoff in focus: the queue's highlighted row and the detail pane always show the same one.

When the handoff shown leaves the view (someone else took it, it was resolved, a filter hides
it), the detail follows the highlighted row or empties, and the person is told why. A handoff
the person just claimed is followed into Mine instead, so it stays in sight. The keys that act
on the handoff in focus (J/K, Enter, C, R) go through here, and each says why when it cannot act.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from agent_desk.client.surface import Handoff
from agent_desk.ui.handoff.detail import DetailPane
from agent_desk.ui.queue.filter import QueueFilter, View
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.pane import QueuePane
from agent_desk.ui.text import one_line


def _t(text: str) -> str:
    return QCoreApplication.translate("Focus", text)


def customer_of(handoff: Handoff | None) -> str:
    """The customer's name, to name a handoff in a sentence ("This handoff" when unknown)."""
    name = one_line(handoff.customer.name, 80) if handoff is not None else ""
    return name or _t("This handoff")


def why_not(action: str, handoff: Handoff | None, me: str, lead: bool) -> str:
    """Why ``action`` (claim, resolve, open) cannot act on ``handoff`` now, in words."""
    if handoff is None:
        return {
            "claim": _t("Nothing selected to claim: pick a handoff with J/K or the arrow keys."),
            "resolve": _t("Nothing selected to resolve: pick a handoff with J/K or the arrow keys."),
        }.get(action, _t("Nothing selected to open: pick a handoff with J/K or the arrow keys."))
    status = handoff.status
    assignee = one_line(handoff.assignee, 60)
    if status == "resolved":
        return _t("Already resolved.")
    if action == "claim":
        if status == "claimed":
            return (
                _t("You already hold this handoff.")
                if assignee == me
                else _t("Already claimed by %1.").replace("%1", assignee)
            )
        return _t("This handoff cannot be claimed now.")
    if status == "waiting":
        return _t("Claim it first (C): only a claimed handoff can be resolved.")
    if assignee != me and not lead:
        return _t("Claimed by %1: only they or a lead can resolve it.").replace("%1", assignee)
    return _t("This handoff cannot be resolved now.")


def why_left(name: str, handoff: Handoff | None, me: str) -> str:
    """Why the handoff shown left the view, in words (``handoff``: as it stands now, None: gone)."""
    if handoff is None:
        return _t("%1 is no longer on this desk: someone else took it, or it moved to a queue you do not see.").replace(
            "%1", name
        )
    status = handoff.status
    assignee = one_line(handoff.assignee, 60)
    if status == "claimed":
        who = _t("you") if assignee == me else assignee
        return _t("%1 left this view: claimed by %2.").replace("%1", name).replace("%2", who)
    if status == "resolved":
        by = one_line(handoff.outcome.recorded_by, 60) if handoff.outcome is not None else ""
        who = _t("you") if by == me else by
        if who:
            return _t("%1 left this view: resolved by %2.").replace("%1", name).replace("%2", who)
        return _t("%1 left this view: resolved.").replace("%1", name)
    if status == "waiting":
        queue = one_line(handoff.queue, 60)
        return _t("%1 left this view: waiting in %2.").replace("%1", name).replace("%2", queue)
    return _t("%1 left this view.").replace("%1", name)


class HandoffFocus(QObject):
    """Keeps the highlighted row and the detail pane on one handoff, and acts on it by key.

    Signals:
        claimRequested(str): claim this handoff (the person asked, and it can be claimed).
        resolveRequested(str): ask for the outcome of this handoff.
        viewRequested(str): show this view (to keep a handoff in sight).
        filtersClearRequested(): clear the search and the filters (to show a handoff asked for).
        noticed(str): tell the person something: why a key did nothing, why the detail changed.
    """

    claimRequested = Signal(str)
    resolveRequested = Signal(str)
    viewRequested = Signal(str)
    filtersClearRequested = Signal()
    noticed = Signal(str)

    def __init__(
        self, model: QueueModel, proxy: QueueFilter, pane: QueuePane, detail: DetailPane, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._proxy = proxy
        self._pane = pane
        self._detail = detail
        self._shown: Handoff | None = None
        self._claiming = ""  # a handoff the person asked to claim, followed into Mine
        self._moving = False  # the view or the filters change on this object's behalf
        self.lead = False

    # ---- showing ----------------------------------------------------------------------------

    @property
    def shown_id(self) -> str:
        return self._detail.handoff_id

    def _show(self, handoff: Handoff | None) -> None:
        self._shown = handoff
        self._detail.show_handoff(handoff)

    def refresh(self) -> None:
        """Show the handoff in focus as the queue holds it now."""
        self._show(self._model.handoff(self.shown_id) if self.shown_id else None)

    def on_handoff_chosen(self, handoff_id: str) -> None:
        """The person highlighted another row."""
        if handoff_id != self._claiming:
            self._claiming = ""
        if handoff_id != self.shown_id:
            self._show(self._model.handoff(handoff_id))

    def on_handoffs_updated(self, ids: frozenset[str] | None) -> None:
        """Refresh the handoff shown in place (leaving is settled by :meth:`after_change`)."""
        shown = self.shown_id
        if shown and (ids is None or shown in ids):
            handoff = self._model.handoff(shown)
            if handoff is not None:
                self._show(handoff)

    def after_change(self, reset: bool, had_rows: bool) -> None:
        """After the queue changed: the highlight and the detail agree again.

        Args:
            reset: the queue was replaced (a snapshot).
            had_rows: the view showed rows before the change.
        """
        shown = self.shown_id
        if not shown:
            if reset or not had_rows:
                self._pane.select_first_if_none()
            return
        if self._pane.follow(shown):
            return
        handoff = self._model.handoff(shown)
        if handoff is not None and shown == self._claiming and self._mine(handoff):
            self._claiming = ""
            with self._moving_view():
                self.viewRequested.emit(View.MINE.value)
            if self._pane.follow(shown):
                self._pane.reveal(shown)
                self.noticed.emit(
                    _t("%1 is yours now, in Mine (Ctrl+1 goes back to Waiting).").replace("%1", customer_of(handoff))
                )
                return
        self._left(handoff)

    def _mine(self, handoff: Handoff) -> bool:
        return handoff.status == "claimed" and handoff.assignee == self._model.me

    def _left(self, handoff: Handoff | None) -> None:
        """The handoff shown left the view: show the highlighted row, else nothing, and say why."""
        name = customer_of(self._shown)
        selected = self._pane.selected_id()
        self._show(self._model.handoff(selected) if selected else None)
        self.noticed.emit(why_left(name, handoff, self._model.me))

    def on_filters_changed(self) -> None:
        """The person changed the view or a filter: keep the handoff shown if it still shows,
        else show the highlighted row (the first when none is)."""
        if self._moving:
            return
        if self.shown_id and self._pane.follow(self.shown_id):
            return
        selected = self._pane.selected_id()
        if not selected and self._proxy.rowCount() > 0:
            self._pane.select_first_if_none()
            selected = self._pane.selected_id()
        self._show(self._model.handoff(selected) if selected else None)

    @contextmanager
    def _moving_view(self) -> Iterator[None]:
        self._moving = True
        try:
            yield
        finally:
            self._moving = False

    def open(self, handoff_id: str) -> None:
        """Show a handoff the person asked for, switching view and clearing filters when they
        hide it, so its row is highlighted."""
        handoff = self._model.handoff(handoff_id)
        if handoff is None:
            self.noticed.emit(_t("That handoff is no longer on this desk."))
            return
        with self._moving_view():
            if not self._pane.index_of(handoff_id).isValid():
                self.viewRequested.emit(self._view_for(handoff_id, handoff).value)
            if not self._pane.index_of(handoff_id).isValid():
                self.filtersClearRequested.emit()
        self._show(handoff)
        self._pane.reveal(handoff_id)

    def _view_for(self, handoff_id: str, handoff: Handoff) -> View:
        status = handoff.status
        if status == "waiting":
            return View.WAITING
        if self._mine(handoff):
            return View.MINE
        row = self._model.row_of(handoff_id)
        if status == "resolved" and row is not None and self._model.resolved_today(self._model.row_record(row)):
            return View.RESOLVED
        return View.ALL

    # ---- keys -------------------------------------------------------------------------------

    def claim(self, handoff_id: str) -> None:
        """Claim a handoff the person chose (the Claim button, or C)."""
        self._claiming = handoff_id
        self.claimRequested.emit(handoff_id)

    def on_claim_key(self) -> None:
        if self._detail.can("claim"):
            self.claim(self.shown_id)
        else:
            self.noticed.emit(why_not("claim", self._current(), self._model.me, self.lead))

    def on_resolve_key(self) -> None:
        if self._detail.can("resolve"):
            self.resolveRequested.emit(self.shown_id)
        else:
            self.noticed.emit(why_not("resolve", self._current(), self._model.me, self.lead))

    def _current(self) -> Handoff | None:
        """The handoff shown, as the queue holds it now."""
        return self._model.handoff(self.shown_id) if self.shown_id else None

    def on_open_key(self) -> None:
        """Move the keyboard into the conversation of the handoff shown, at its latest message."""
        if not self.shown_id:
            self.noticed.emit(why_not("open", None, self._model.me, self.lead))
            return
        transcript = self._detail.transcript
        transcript.setFocus(Qt.FocusReason.ShortcutFocusReason)
        messages = transcript.model()
        if messages is not None and messages.rowCount():
            latest = messages.index(messages.rowCount() - 1, 0)
            transcript.setCurrentIndex(latest)
            transcript.scrollTo(latest)

    def on_next_key(self) -> None:
        if not self._pane.select_next():
            self.noticed.emit(self._end_words(_t("That is the last handoff in this view.")))

    def on_previous_key(self) -> None:
        if not self._pane.select_previous():
            self.noticed.emit(self._end_words(_t("That is the first handoff in this view.")))

    def _end_words(self, at_end: str) -> str:
        return at_end if self._proxy.rowCount() else _t("No handoffs in this view.")
