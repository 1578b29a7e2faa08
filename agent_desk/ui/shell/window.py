"""The main window: top bar, sidebar, ranked queue, detail, bottom bar; wired in one place.

The window shows what the bridge reports and turns each person's action into one bridge call.
It owns no socket, no database and no rule: ranking lives in the queue model, filtering in the
proxy, sync in the engine. Its parts build themselves (:class:`TopBar`, :class:`Sidebar`,
:class:`QueuePane`, :class:`DetailPane`, :class:`SyncStatusBar`, :class:`DeskMenu`,
:class:`DeskKeys`); the window lays them out and connects them in :meth:`_connect_signals`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QSplitter, QVBoxLayout, QWidget

from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    HandoffDelta,
    Link,
    Notice,
    Session,
    TokenNotice,
    UserInfo,
    Why,
)
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.handoff.conversation import Conversation
from agent_desk.ui.handoff.detail import DetailPane
from agent_desk.ui.handoff.dialogs import HandoffDialogs
from agent_desk.ui.handoff.reassign_dialog import ReassignDialog
from agent_desk.ui.handoff.resolve_dialog import ResolveDialog
from agent_desk.ui.icons import Icons
from agent_desk.ui.metrics.feed import MetricsFeed
from agent_desk.ui.notify import Notifier
from agent_desk.ui.queue.filter import QueueFilter, View
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.offers import OfferDesk
from agent_desk.ui.settings import DeskSettings
from agent_desk.ui.shell.center import CenterStack
from agent_desk.ui.shell.focus import HandoffFocus
from agent_desk.ui.shell.keymap import KeymapDialog
from agent_desk.ui.shell.menu import DeskMenu
from agent_desk.ui.shell.shortcuts import DeskKeys
from agent_desk.ui.shell.sidebar import ALL_QUEUES, Sidebar
from agent_desk.ui.shell.status_bar import SyncStatusBar
from agent_desk.ui.shell.top_bar import TopBar
from agent_desk.ui.sync.connection import ConnectionTracker, status_words
from agent_desk.ui.sync.notices import OFFLINE_ONLY, notice_words, token_words
from agent_desk.ui.team.lead import LeadDesk
from agent_desk.ui.text import one_line, parse_ts
from agent_desk.ui.theme import ThemeManager

log = logging.getLogger(__name__)


class DeskWindow(QMainWindow):
    """The desktop's one window.

    Signals:
        signInAgainRequested(str): the session ended for good (revoked token, ...); the app
            shows the sign-in dialog with this reason.
        signOutRequested(): the person chose Sign out.

    Attributes:
        queue_model, queue_filter: the ranked rows and the filtered view of them.
        top_bar, sidebar, center, detail, status_bar, menu, keys: the window's parts.
        queue_pane, agents_panel, metrics_panel, attention_panel: what the centre shows.
        table: the queue's view; search, presence, connection_indicator: in the top bar;
        tier: a filter above the queue; sync_summary, attention_button, reconnect_button,
        sign_in_button: in the bottom bar.
        dialogs: resolve and reassign; metrics_feed: the lead's figures from the engine.
        focus: keeps the highlighted row and the detail on one handoff; the keys act through it.
        lead_desk: a lead's moves, drop targets and floor (:mod:`agent_desk.ui.team.lead`).
    """

    signInAgainRequested = Signal(str)
    signOutRequested = Signal()

    def __init__(
        self,
        bridge: Bridge,
        themes: ThemeManager,
        icons: Icons,
        settings: DeskSettings,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.themes = themes
        self.icons = icons
        self.settings = settings
        self.session: Session | None = None
        self.me = ""
        self.lead = False
        self.attention_items: tuple[AttentionItem, ...] = ()
        self._shown_once = False
        self._title_base = self.tr("Agent Desk")
        self.setObjectName("DeskWindow")
        self.setWindowTitle(self._title_base)
        self.setWindowIcon(icons.app_icon())
        self.resize(1360, 820)
        self.queue_model = QueueModel(clock=clock, parent=self)
        self.queue_filter = QueueFilter(self)
        self.queue_filter.setSourceModel(self.queue_model)
        self.connection = ConnectionTracker(parent=self)
        self._build()
        self.queue_model.set_visible_rows(self.queue_pane.visible_source_rows)
        self.notifier = Notifier(self, icons, settings, self)
        self.keys = DeskKeys(self, self.table)
        self.focus = HandoffFocus(self.queue_model, self.queue_filter, self.queue_pane, self.detail, self)
        self.dialogs = HandoffDialogs(self.bridge, self.queue_model, self)
        self.offers = OfferDesk(bridge, self.queue_pane.offer_card, self.notifier, self, self._hub_now)
        self.conversation = Conversation(
            bridge, self.detail, self.dialogs, self.queue_pane.show_notice, self.menu.canned_action, self
        )
        self.metrics_feed = MetricsFeed(self.bridge, self.metrics_panel, self, self.notifier)
        self.metrics_feed.queueRequested.connect(self.on_queue_chosen)
        self.metrics_feed.searchRequested.connect(self.search.setText)
        self.metrics_feed.panelRequested.connect(self.on_panel_chosen)
        self._connect_signals()
        self.lead_desk = LeadDesk(self)  # after the window's own slots: it reads what they set
        self._restore_layout()
        self.on_connection_changed()
        self.queue_pane.update_empty_text()
        self.queue_pane.update_view_title()

    # ---- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        self.top_bar = TopBar(self.icons)
        self.search = self.top_bar.search
        self.presence = self.top_bar.presence
        self.connection_indicator = self.top_bar.connection_indicator
        self.menu = DeskMenu(self.settings, self.themes, self)
        self.top_bar.menu_button.setMenu(self.menu)
        self.addAction(self.menu.keymap_action)
        self.addAction(self.menu.quit_action)
        self.sidebar = Sidebar(self.themes, self.icons)
        self.center = CenterStack(self.queue_model, self.queue_filter, self.themes, self.icons)
        self.queue_pane = self.center.queue_pane
        self.table = self.queue_pane.table
        self.tier = self.queue_pane.tier
        self.agents_panel = self.center.agents_panel
        self.metrics_panel = self.center.metrics_panel
        self.attention_panel = self.center.attention_panel
        self.detail = DetailPane(self.themes, self.icons)
        self.detail.set_user("", False)
        self.detail.setMinimumWidth(380)
        self.splitter = self._build_splitter(self.sidebar, self.center, self.detail)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.top_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(body)
        self.status_bar = SyncStatusBar(self.icons)
        self.setStatusBar(self.status_bar)
        self.sync_summary = self.status_bar.sync_summary
        self.attention_button = self.status_bar.attention_button
        self.reconnect_button = self.status_bar.reconnect_button
        self.sign_in_button = self.status_bar.sign_in_button
        self._set_tab_order()

    @staticmethod
    def _build_splitter(*panes: QWidget) -> QSplitter:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(1)
        for pane in panes:
            splitter.addWidget(pane)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([190, 770, 400])
        return splitter

    def _set_tab_order(self) -> None:
        """From the search through the sidebar and the filters to the queue and the conversation."""
        pane = self.queue_pane
        chain = [
            self.search,
            self.presence,
            self.top_bar.menu_button,
            self.sidebar.views,
            self.sidebar.queues,
            pane.scope,
            pane.tier,
            pane.language,
            pane.status,
            self.table,
            self.detail.transcript,
        ]
        for first, second in pairwise(chain):
            self.setTabOrder(first, second)

    def _connect_signals(self) -> None:
        bridge = self.bridge
        bridge.sessionStarted.connect(self.on_session)
        bridge.statusChanged.connect(self.on_status)
        bridge.handoffsChanged.connect(self.on_handoffs)
        bridge.presenceChanged.connect(self.on_presence)
        bridge.attentionChanged.connect(self.on_attention)
        bridge.noticed.connect(self.on_notice)
        bridge.tokenNoticed.connect(self.on_token_notice)

        self.queue_model.countsChanged.connect(self.on_counts_changed)
        self.queue_model.handoffsUpdated.connect(self.on_handoffs_updated)
        self.queue_filter.filtersChanged.connect(self.focus.on_filters_changed)
        self.connection.changed.connect(self.on_connection_changed)

        focus = self.focus
        self.queue_pane.handoffChosen.connect(focus.on_handoff_chosen)
        self.table.activated.connect(focus.on_open_key)
        focus.claimRequested.connect(self.bridge.claim)
        focus.resolveRequested.connect(self.open_resolve)
        focus.viewRequested.connect(self.sidebar.select_view)
        focus.filtersClearRequested.connect(self.on_filters_clear_requested)
        focus.noticed.connect(self.queue_pane.show_notice)
        self.search.textChanged.connect(self.queue_filter.set_search)
        self.search.returnPressed.connect(self.on_queue_focus_requested)
        self.top_bar.presenceChosen.connect(self.on_presence_chosen)

        self.sidebar.viewChosen.connect(self.on_view_chosen)
        self.sidebar.queueChosen.connect(self.on_queue_chosen)
        self.sidebar.panelChosen.connect(self.on_panel_chosen)

        self.detail.claimRequested.connect(focus.claim)
        self.detail.releaseRequested.connect(self.bridge.release)
        self.detail.resolveRequested.connect(self.dialogs.open_resolve)
        self.detail.reassignRequested.connect(self.on_reassign_requested)
        self.dialogs.resolveRecorded.connect(self.on_queue_focus_requested)

        self.attention_panel.openRequested.connect(self.on_attention_open)
        self.attention_panel.retryRequested.connect(self.on_attention_retry)
        self.attention_panel.dismissRequested.connect(self.bridge.dismiss_attention)
        self.attention_button.clicked.connect(self.on_attention_button)
        self.reconnect_button.clicked.connect(self.bridge.reconnect_now)
        self.sign_in_button.clicked.connect(self.on_sign_in_again)
        self.notifier.activated.connect(self.on_notifier_activated)
        self.themes.changed.connect(self.on_theme_changed)

        self.menu.keymap_action.triggered.connect(self.on_keymap_requested)
        self.menu.sign_out_action.triggered.connect(self.signOutRequested.emit)
        self.menu.quit_action.triggered.connect(self.close)

        keys = self.keys
        keys.nextRequested.connect(focus.on_next_key)
        keys.previousRequested.connect(focus.on_previous_key)
        keys.claimRequested.connect(focus.on_claim_key)
        keys.resolveRequested.connect(focus.on_resolve_key)
        keys.searchRequested.connect(self.on_search_key)
        keys.escapeRequested.connect(self.on_escape)
        keys.openRequested.connect(focus.on_open_key)
        keys.viewRequested.connect(self.sidebar.select_view)
        keys.presenceRequested.connect(self.on_presence_chosen)

    # ---- layout memory ------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.layout("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = self.settings.layout("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_layout(self) -> None:
        self.settings.save_layout("geometry", self.saveGeometry())
        self.settings.save_layout("splitter", self.splitter.saveState())
        self.settings.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.table.setFocus()  # the queue takes the keys, not the search field

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.notifier.hide()
        super().closeEvent(event)

    # ---- bridge slots -------------------------------------------------------------------------

    def on_session(self, session: Session) -> None:
        self.session = session
        user = session.user
        self.me = user.id
        self.lead = user.role == "lead"
        self.queue_model.set_user(user.id)
        self.queue_model.set_sla_targets(session.sla_targets_s)
        server = parse_ts(session.server_time)
        if server is not None:
            self.queue_model.set_clock_offset(server - time.time())
        self.detail.set_user(user.id, self.lead)
        self.offers.set_user(user.id)
        self.queue_pane.show_offers(self.lead and "offers" in session.features)
        self.focus.lead = self.lead
        self.sidebar.set_lead(self.lead)
        queues = list(session.queues) if self.lead or not user.queues else list(user.queues)
        self.sidebar.set_queues(queues, self.queue_model.counts().waiting_by_queue)
        self.queue_filter.set_my_queues_only(self.queue_filter.my_queues_only, user.queues)
        self.queue_pane.scope.setVisible(bool(user.queues))
        self.agents_panel.model.set_users(session.users)
        self.top_bar.show_presence(user.presence)
        self.notifier.set_presence(user.presence)
        self.top_bar.show_user(user, self.lead)
        self.on_counts_changed()
        # Qt appends " — Agent Desk" (the application display name) to window titles itself.
        self._title_base = one_line(user.name, 60) or user.id
        self._update_title()
        self.queue_pane.refresh_languages()
        self.focus.refresh()

    def on_status(self, status: ConnectionStatus) -> None:
        self.connection.set_status(status)
        if status.final and status.link == Link.OFFLINE and status.why not in (None, Why.SIGNED_OUT):
            self.sign_in_button.show()
            self.signInAgainRequested.emit(status_words(status, self.connection.hub))
        elif status.link == Link.ONLINE:
            self.sign_in_button.hide()
            self.queue_pane.on_online()

    def on_handoffs(self, delta: HandoffDelta) -> None:
        # Rows that move meanwhile are not the person's choice; the focus settles afterwards
        # (the detail follows the highlighted row, and the row in focus keeps its place).
        had_rows = self.queue_filter.rowCount() > 0
        with self.queue_pane.following(), self.queue_pane.keeping_place():
            self.queue_model.apply(delta)
        self.focus.after_change(delta.reset, had_rows)
        self.notifier.on_handoffs(delta)
        if delta.reset or delta.upserts:
            self.queue_pane.refresh_languages()

    def on_presence(self, user: UserInfo) -> None:
        if user.id == self.me:
            self.top_bar.show_presence(user.presence)
            self.notifier.set_presence(user.presence)
        self.agents_panel.model.update_user(user)

    def on_attention(self, items: tuple[AttentionItem, ...]) -> None:
        self.attention_items = tuple(items)
        self.attention_panel.model.set_items(self.attention_items)
        self.status_bar.show_attention(len(self.attention_items))
        self.on_counts_changed()
        self.on_connection_changed()

    def on_token_notice(self, notice: TokenNotice) -> None:
        if not notice.persisted:
            self.queue_pane.show_notice(token_words(notice))

    def on_notice(self, notice: Notice) -> None:
        """A one-off report above the queue, gone after a few seconds (never a modal)."""
        text = notice_words(notice)
        self.queue_pane.show_notice(text, offline_only=notice.kind in OFFLINE_ONLY)
        log.info("notice (%s): %s", notice.kind.value, one_line(text, 400))

    # ---- model slots ----------------------------------------------------------------------------

    def on_counts_changed(self) -> None:
        counts = self.queue_model.counts(len(self.attention_items))
        capacity = self.session.user.capacity if self.session is not None and not self.lead else None
        self.top_bar.show_load(self.queue_model.claimed_by().get(self.me, 0), capacity)
        if self.lead:
            self.agents_panel.model.set_active(self.queue_model.claimed_by())
        self.sidebar.set_counts(counts)
        self.notifier.set_waiting(counts.waiting)
        self._update_title()

    def on_handoffs_updated(self, ids: frozenset[str] | None) -> None:
        self.focus.on_handoffs_updated(ids)
        self.queue_pane.update_view_title()

    # ---- selection and navigation ----------------------------------------------------------------

    def _hub_now(self) -> datetime:
        """The hub's time now: the desk's clock corrected by the hub's ``server_time``."""
        return datetime.fromtimestamp(self.queue_model.now(), UTC)

    def current_handoff_id(self) -> str:
        return self.detail.handoff_id

    def open_handoff(self, handoff_id: str) -> None:
        """Show a handoff with its row highlighted (in the view, and with the filters, that show it)."""
        self.on_panel_chosen("queue")
        self.focus.open(handoff_id)

    def on_filters_clear_requested(self) -> None:
        self.search.clear()
        self.sidebar.queues.select_key(ALL_QUEUES)
        self.queue_pane.clear_filters()

    def on_search_key(self) -> None:
        self.on_panel_chosen("queue")
        self.search.setFocus()
        self.search.selectAll()

    def on_queue_focus_requested(self) -> None:
        self.table.setFocus()
        if not self.table.currentIndex().isValid():
            self.queue_pane.select_first_if_none()

    def on_escape(self) -> None:
        self.queue_pane.hide_notice()
        if self.search.hasFocus() or self.search.text():
            self.search.clear()
        if self.center.currentWidget() is not self.queue_pane:
            self.on_panel_chosen("queue")
        self.on_queue_focus_requested()

    def on_notifier_activated(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # ---- actions ---------------------------------------------------------------------------------

    def open_resolve(self, handoff_id: str) -> ResolveDialog | None:
        return self.dialogs.open_resolve(handoff_id)

    def on_reassign_requested(self, handoff_id: str) -> None:
        self.open_reassign(handoff_id)

    def open_reassign(self, handoff_id: str) -> ReassignDialog | None:
        users = self.agents_panel.model.users() if self.lead else []
        queues = list(self.session.queues) if self.session else []
        return self.dialogs.open_reassign(handoff_id, users, queues, self.lead)

    def on_presence_chosen(self, presence: str) -> None:
        self.choose_presence(presence)

    def choose_presence(self, presence: str) -> None:
        self.top_bar.show_presence(presence)
        self.notifier.set_presence(presence)
        self.bridge.set_presence(presence)

    def on_attention_open(self, handoff_id: str) -> None:
        self.open_handoff(handoff_id)

    def on_attention_retry(self, item: AttentionItem) -> None:
        self.bridge.retry_attention(item.request_id)

    def on_attention_button(self) -> None:
        self.on_panel_chosen("attention")

    def on_sign_in_again(self) -> None:
        status = self.connection.status
        self.signInAgainRequested.emit(status_words(status, self.connection.hub))

    # ---- views and panels ---------------------------------------------------------------------------

    def on_view_chosen(self, view: str) -> None:
        self.queue_pane.set_view(View(view))

    def on_queue_chosen(self, queue: str) -> None:
        self.queue_filter.set_queue(queue or None)

    def on_panel_chosen(self, panel: str) -> None:
        panel = self.center.known(panel)
        self.sidebar.show_panel(panel, self.queue_filter.view)
        self.center.show_panel(panel)

    def _update_title(self) -> None:
        waiting = self.queue_model.counts().waiting
        if not self.notifier.has_tray and waiting:
            self.setWindowTitle(f"({waiting}) {self._title_base}")
        else:
            self.setWindowTitle(self._title_base)

    def on_connection_changed(self) -> None:
        status = self.connection.status
        retry_left = self.connection.retry_left()
        self.connection_indicator.show_status(status, retry_left, self.connection.hub)
        self.status_bar.show_sync(status, len(self.attention_items), retry_left, self.connection.hub)

    # ---- theme and menu -----------------------------------------------------------------------

    def on_theme_changed(self, _theme: Any) -> None:
        self.top_bar.refresh_icons()
        self.status_bar.refresh_icons()
        self.on_connection_changed()
        self.table.viewport().update()

    def on_keymap_requested(self) -> None:
        dialog = KeymapDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
