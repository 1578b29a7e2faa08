"""Talking to the customer: the composer, its drafts, saved replies and refused messages, wired.

The detail pane shows a handoff and holds the :class:`Composer`; this object connects both to
the bridge: what is sent goes to ``Bridge.reply``/``Bridge.note`` (the engine's outbox), the
drafts to ``Bridge.save_draft``, and the picker's choice is filled in
(:func:`agent_desk.client.canned.fill_placeholders`) before the agent edits it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from agent_desk.client.canned import fill_placeholders, opening_reply
from agent_desk.client.handoff_view import MessageView
from agent_desk.client.surface import AttentionItem, CannedReply, Handoff, Session
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.handoff.canned_manager import CannedManager
from agent_desk.ui.handoff.composer import NOTE
from agent_desk.ui.handoff.detail import DetailPane
from agent_desk.ui.handoff.dialogs import HandoffDialogs
from agent_desk.ui.handoff.saved_replies import SavedReplyPicker


class Conversation(QObject):
    """Connects the composer and the saved replies of the detail pane to the engine.

    Attributes:
        picker: the saved-reply popup.
        canned: the team's saved replies, as last reported.
    """

    def __init__(
        self,
        bridge: Bridge,
        detail: DetailPane,
        dialogs: HandoffDialogs,
        notice: Callable[[str], None],
        manager_action: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._detail = detail
        self._dialogs = dialogs
        self.canned: tuple[CannedReply, ...] = ()
        self.picker = SavedReplyPicker(detail)
        composer = detail.composer
        bridge.draftsLoaded.connect(self.on_drafts)
        bridge.cannedChanged.connect(self.on_canned)
        bridge.attentionChanged.connect(self.on_attention)
        composer.sendRequested.connect(self.on_send)
        composer.draftChanged.connect(self.on_draft)
        composer.pickRequested.connect(self.open_picker)
        composer.refused.connect(notice)
        self.picker.chosen.connect(self.on_chosen)
        detail.opening_line = self.suggestion_for
        self._window = parent
        self._manager_action = manager_action
        manager_action.triggered.connect(self.open_manager)
        bridge.sessionStarted.connect(self.on_session)
        self.manager: CannedManager | None = None

    def _agent_name(self) -> str:
        session = self._bridge.session
        return session.user.name if session is not None else ""

    def _handoff(self) -> Handoff | None:
        return self._detail.handoff

    # ---- from the engine ----------------------------------------------------------------------

    def on_drafts(self, drafts: Mapping[str, tuple[str, str]]) -> None:
        self._detail.drafts.update(drafts)
        self._detail.refresh()

    def on_session(self, session: Session) -> None:
        lead = session.user.role == "lead"
        self._manager_action.setVisible(lead)
        if not lead and self.manager is not None:
            self.manager.close()

    def on_canned(self, replies: tuple[CannedReply, ...]) -> None:
        self.canned = replies

    def on_attention(self, items: tuple[AttentionItem, ...]) -> None:
        """Replies and notes the hub refused show in their transcript, marked, with why."""
        failed: dict[str, list[tuple[MessageView, str]]] = {}
        for item in items:
            if item.kind not in ("reply", "note") or item.handoff_id is None:
                continue
            message = MessageView(
                role="agent" if item.kind == "reply" else "note",
                text=str(item.payload.get("text", "")),
                at=item.at,
                author=self._detail.me,
            )
            failed.setdefault(item.handoff_id, []).append((message, item.message))
        if failed != self._detail.failed:
            self._detail.failed = failed
            self._detail.refresh()

    # ---- from the person ----------------------------------------------------------------------

    def on_send(self, handoff_id: str, mode: str, text: str, then_resolve: bool) -> None:
        sent = self._bridge.note(handoff_id, text) if mode == NOTE else self._bridge.reply(handoff_id, text)
        if sent is not None:
            self._detail.drafts.pop(handoff_id, None)
        if then_resolve and self._detail.can("resolve"):
            self._dialogs.open_resolve(handoff_id)

    def on_draft(self, handoff_id: str, mode: str, text: str) -> None:
        if text:
            self._detail.drafts[handoff_id] = (mode, text)
        else:
            self._detail.drafts.pop(handoff_id, None)
        self._bridge.save_draft(handoff_id, mode, text)

    def open_picker(self) -> None:
        """The saved replies for the handoff's queue; the opening line first, before any reply."""
        handoff = self._handoff()
        if handoff is None or not self._detail.composer.handoff_id:
            return
        replies = list(self.canned)
        if self._detail.opening_due():
            replies.insert(0, opening_reply(handoff, self._agent_name()))
        name = self._agent_name()
        self.picker.open_for(
            replies,
            handoff.queue,
            self._detail.composer.edit,
            lambda text: fill_placeholders(text, handoff, name),
        )

    def on_chosen(self, reply: CannedReply) -> None:
        handoff = self._handoff()
        if handoff is None:
            return
        self._detail.composer.insert(fill_placeholders(reply.text, handoff, self._agent_name()))

    def open_manager(self) -> CannedManager:
        """The lead's saved-reply manager (one at a time)."""
        if self.manager is None or not self.manager.isVisible():
            session = self._bridge.session
            self.manager = CannedManager(self._bridge, session.queues if session else (), self._window)
            self.manager.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.manager.destroyed.connect(self._manager_closed)
            self.manager.show()
        self.manager.raise_()
        self.manager.activateWindow()
        return self.manager

    def _manager_closed(self) -> None:
        self.manager = None

    def suggestion_for(self, handoff: Handoff) -> str:
        return opening_reply(handoff, self._agent_name()).text
