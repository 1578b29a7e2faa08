"""The main window: top bar, sidebar, ranked queue, detail, bottom bar; wired in one place.

The window shows what the bridge reports and turns each person's action into one bridge call.
It owns no socket, no database and no rule: ranking lives in the queue model, filtering in the
proxy, sync in the engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    HandoffDelta,
    Link,
    Session,
    TokenNotice,
    UserInfo,
)
from agent_desk.ui import labels
from agent_desk.ui.attention import AttentionPanel
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.connection import ConnectionIndicator, ConnectionTracker, describe, sync_summary
from agent_desk.ui.detail import DetailPane
from agent_desk.ui.icons import Icons
from agent_desk.ui.keymap import KeymapDialog
from agent_desk.ui.metrics_panel import MetricsPanel
from agent_desk.ui.notify import Notifier
from agent_desk.ui.queue_delegate import ROW_HEIGHT, QueueDelegate
from agent_desk.ui.queue_filter import QueueFilter, View
from agent_desk.ui.queue_model import Column, QueueModel
from agent_desk.ui.reassign_dialog import ReassignDialog
from agent_desk.ui.resolve_dialog import ResolveDialog
from agent_desk.ui.settings import DeskSettings
from agent_desk.ui.sidebar import Sidebar
from agent_desk.ui.team import AgentsPanel
from agent_desk.ui.text import one_line, parse_ts
from agent_desk.ui.theme import ThemeManager
from agent_desk.ui.widgets import EmptyStateTable, plain_label, set_tip

log = logging.getLogger(__name__)

NOTICE_MS = 10_000
PRESENCES = ("available", "busy", "away")


class DeskWindow(QMainWindow):
    """The desktop's one window.

    Signals:
        signInAgainRequested(str): the session ended for good (revoked token, ...); the app
            shows the sign-in dialog with this reason.
        signOutRequested(): the person chose Sign out.

    Attributes:
        queue_model, queue_filter: the ranked rows and the filtered view of them.
        table: the queue's view; detail: the handoff in focus.
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
        self._applying = False
        self._shown_once = False
        self._metrics_request: str | None = None
        self._title_base = self.tr("Agent Desk")
        self.setObjectName("DeskWindow")
        self.setWindowTitle(self._title_base)
        self.setWindowIcon(icons.app_icon())
        self.resize(1360, 820)
        self.queue_model = QueueModel(clock=clock, parent=self)
        self.queue_filter = QueueFilter(self)
        self.queue_filter.setSourceModel(self.queue_model)
        self.queue_model.set_visible_rows(self.visible_source_rows)
        self.connection = ConnectionTracker(parent=self)
        self._build()
        self.notifier = Notifier(self, icons, settings, self)
        self._build_shortcuts()
        self._connect_signals()
        self._restore_layout()
        self._update_connection()
        self._update_empty_text()
        self._update_view_title()

    # ---- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        top = QWidget(objectName="TopBar")
        top.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        bar = QHBoxLayout(top)
        bar.setContentsMargins(14, 8, 12, 8)
        bar.setSpacing(10)
        logo = QLabel()
        logo.setPixmap(self.icons.app_icon().pixmap(20, 20))
        bar.addWidget(logo)
        bar.addWidget(plain_label(self.tr("Agent Desk"), "AppTitle"))
        self.search = QLineEdit(objectName="SearchField")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("Search customers, briefs, queues   /"))
        self.search.addAction(self.icons.icon("search", "muted"), QLineEdit.ActionPosition.LeadingPosition)
        set_tip(self.search, self.tr("Search the queue (/); Esc clears"), self.tr("Search"))
        bar.addWidget(self.search, 1)
        bar.addStretch(1)
        self.presence = QComboBox()
        for value in PRESENCES:
            self.presence.addItem(self.icons.icon("dot", value), labels.presence_label(value), value)
        set_tip(self.presence, self.tr("Your presence; while busy, no sounds or notifications"), self.tr("Presence"))
        bar.addWidget(self.presence)
        self.connection_indicator = ConnectionIndicator(self.icons)
        bar.addWidget(self.connection_indicator)
        self.user_label = plain_label("", "UserLabel")
        self.user_label.setAccessibleName(self.tr("Signed in as"))
        bar.addWidget(self.user_label)
        self.menu_button = QToolButton()
        self.menu_button.setText("⋯")
        self.menu_button.setProperty("flat", True)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        set_tip(self.menu_button, self.tr("Theme, notifications, keyboard map, sign out"), self.tr("Menu"))
        self.menu_button.setMenu(self._build_menu())
        bar.addWidget(self.menu_button)

        self.sidebar = Sidebar(self.themes, self.icons)

        self.queue_pane = QWidget(objectName="QueuePane")
        self.queue_pane.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        pane = QVBoxLayout(self.queue_pane)
        pane.setContentsMargins(0, 0, 0, 0)
        pane.setSpacing(0)
        filters = QWidget(objectName="FilterBar")
        filters.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(filters)
        row.setContentsMargins(14, 8, 12, 8)
        row.setSpacing(8)
        self.view_title = plain_label("", "ViewTitle")
        row.addWidget(self.view_title)
        row.addStretch(1)
        self.scope = QComboBox()
        self.scope.addItem(self.tr("All queues I see"), False)
        self.scope.addItem(self.tr("My queues"), True)
        set_tip(self.scope, self.tr("Only your own queues, or every queue you can see"), self.tr("Queue scope"))
        self.tier = QComboBox()
        self.tier.addItem(self.tr("Any tier"), "")
        for tier in ("vip", "premium", "standard", "free"):
            self.tier.addItem(labels.tier_name(tier), tier)
        set_tip(self.tier, self.tr("Show one customer tier"), self.tr("Tier filter"))
        self.language = QComboBox()
        self.language.addItem(self.tr("Any language"), "")
        set_tip(self.language, self.tr("Show one conversation language"), self.tr("Language filter"))
        self.status = QComboBox()
        self.status.addItem(self.tr("Any status"), "")
        for status in ("waiting", "claimed", "resolved"):
            self.status.addItem(labels.status_label(status), status)
        set_tip(self.status, self.tr("Show one status (All view)"), self.tr("Status filter"))
        for combo in (self.scope, self.tier, self.language, self.status):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            row.addWidget(combo)
        pane.addWidget(filters)
        self.notice = plain_label("", "Notice", wrap=True)
        self.notice.setAccessibleName(self.tr("Notice"))
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.hide)
        notice_box = QHBoxLayout()
        notice_box.setContentsMargins(12, 8, 12, 0)
        notice_box.addWidget(self.notice)
        pane.addLayout(notice_box)
        self.table = EmptyStateTable()
        self.table.setObjectName("QueueTable")
        self.table.setModel(self.queue_filter)
        self.delegate = QueueDelegate(self.queue_model, self.themes, self.icons, self.table)
        self.table.setItemDelegate(self.delegate)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setMouseTracking(True)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setTabKeyNavigation(False)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        widths = {
            Column.PRIORITY: 38,
            Column.TIER: 80,
            Column.CUSTOMER: 160,
            Column.QUEUE: 88,
            Column.BRIEF: 240,
            Column.SIGNALS: 80,
            Column.LANGUAGE: 46,
            Column.STATUS: 110,
            Column.WAIT: 76,
        }
        for column, width in widths.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        self.table.flexible_column = Column.BRIEF
        self.table.shrinkable = {Column.CUSTOMER: (160, 112), Column.QUEUE: (88, 70), Column.TIER: (80, 72)}
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        set_tip(
            self.table,
            self.tr("Handoffs, most urgent first. J/K move, C claims, R resolves, Enter opens"),
            self.tr("Queue"),
        )
        pane.addWidget(self.table, 1)
        self.table.setColumnHidden(Column.STATUS, True)
        self.status.hide()

        self.agents_panel = AgentsPanel(self.themes, self.icons)
        self.metrics_panel = MetricsPanel(self.icons)
        self.attention_panel = AttentionPanel(self.icons, self.describe_handoff)
        self.center = QStackedWidget()
        for widget in (self.queue_pane, self.agents_panel, self.metrics_panel, self.attention_panel):
            self.center.addWidget(widget)

        self.detail = DetailPane(self.themes, self.icons)
        self.detail.set_user("", False)
        self.detail.setMinimumWidth(380)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.center)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([190, 770, 400])

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(top)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(body)

        status = self.statusBar()
        status.setSizeGripEnabled(False)
        self.sync_summary = plain_label("", "SyncSummary")
        self.sync_summary.setAccessibleName(self.tr("Sync"))
        status.addWidget(self.sync_summary, 1)
        self.attention_button = QPushButton(self.icons.icon("attention", "danger"), "")
        self.attention_button.setProperty("flat", True)
        set_tip(self.attention_button, self.tr("Open the list of refused changes"), self.tr("Needs attention"))
        self.attention_button.hide()
        status.addPermanentWidget(self.attention_button)
        self.reconnect_button = QPushButton(self.tr("Reconnect now"))
        set_tip(self.reconnect_button, self.tr("Try to reach the hub now instead of waiting"), self.tr("Reconnect now"))
        self.reconnect_button.hide()
        status.addPermanentWidget(self.reconnect_button)
        self.sign_in_button = QPushButton(self.tr("Sign in again…"))
        set_tip(self.sign_in_button, self.tr("Sign in with a new token"), self.tr("Sign in again"))
        self.sign_in_button.hide()
        status.addPermanentWidget(self.sign_in_button)

        self.setTabOrder(self.search, self.presence)
        self.setTabOrder(self.presence, self.menu_button)
        self.setTabOrder(self.menu_button, self.sidebar.views)
        self.setTabOrder(self.sidebar.views, self.sidebar.queues)
        self.setTabOrder(self.sidebar.queues, self.scope)
        self.setTabOrder(self.scope, self.tier)
        self.setTabOrder(self.tier, self.language)
        self.setTabOrder(self.language, self.status)
        self.setTabOrder(self.status, self.table)
        self.setTabOrder(self.table, self.detail.transcript)

    def _build_menu(self) -> QMenu:
        menu = QMenu(self)
        theme_menu = menu.addMenu(self.tr("Theme"))
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode, text in (
            ("system", self.tr("Follow the system")),
            ("light", self.tr("Light")),
            ("dark", self.tr("Dark")),
        ):
            action = QAction(text, self, checkable=True)
            action.setData(mode)
            action.setChecked(self.themes.mode == mode)
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action
        group.triggered.connect(self.on_theme_chosen)
        menu.addSeparator()
        self.notify_action = QAction(self.tr("Notify me of urgent handoffs"), self, checkable=True)
        self.notify_action.setChecked(self.settings.notify)
        self.notify_action.toggled.connect(self.on_notify_toggled)
        menu.addAction(self.notify_action)
        self.sound_action = QAction(self.tr("Play a sound with them"), self, checkable=True)
        self.sound_action.setChecked(self.settings.sound)
        self.sound_action.toggled.connect(self.on_sound_toggled)
        menu.addAction(self.sound_action)
        menu.addSeparator()
        keys = QAction(self.tr("Keyboard map"), self)
        keys.setShortcut(QKeySequence(Qt.Key.Key_F1))
        keys.triggered.connect(self.show_keymap)
        menu.addAction(keys)
        self.addAction(keys)
        sign_out = QAction(self.tr("Sign out"), self)
        sign_out.triggered.connect(self.signOutRequested.emit)
        menu.addAction(sign_out)
        quit_action = QAction(self.tr("Quit"), self)
        quit_action.setShortcut(
            QKeySequence(QKeySequence.StandardKey.Quit)
            if not QKeySequence(QKeySequence.StandardKey.Quit).isEmpty()
            else QKeySequence("Ctrl+Q")
        )
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        self.addAction(quit_action)
        return menu

    def _shortcut(self, keys: str | QKeySequence, slot: Callable[[], Any]) -> QShortcut:
        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)
        return shortcut

    def _build_shortcuts(self) -> None:
        self.shortcuts = {
            "next": self._shortcut("J", self.select_next),
            "previous": self._shortcut("K", self.select_previous),
            "claim": self._shortcut("C", self.claim_current),
            "resolve": self._shortcut("R", self.resolve_current),
            "search": self._shortcut("/", self.focus_search),
            "escape": self._shortcut("Esc", self.on_escape),
            "waiting": self._shortcut("Ctrl+1", lambda: self.sidebar.select_view(View.WAITING)),
            "mine": self._shortcut("Ctrl+2", lambda: self.sidebar.select_view(View.MINE)),
            "resolved": self._shortcut("Ctrl+3", lambda: self.sidebar.select_view(View.RESOLVED)),
            "all": self._shortcut("Ctrl+4", lambda: self.sidebar.select_view(View.ALL)),
            "available": self._shortcut("Ctrl+Shift+A", lambda: self.choose_presence("available")),
            "busy": self._shortcut("Ctrl+Shift+B", lambda: self.choose_presence("busy")),
            "away": self._shortcut("Ctrl+Shift+W", lambda: self.choose_presence("away")),
        }
        open_keys = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table)
        open_keys.setContext(Qt.ShortcutContext.WidgetShortcut)
        open_keys.activated.connect(self.open_current)
        enter_keys = QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table)
        enter_keys.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter_keys.activated.connect(self.open_current)

    def _connect_signals(self) -> None:
        bridge = self.bridge
        bridge.sessionStarted.connect(self.on_session)
        bridge.statusChanged.connect(self.on_status)
        bridge.handoffsChanged.connect(self.on_handoffs)
        bridge.presenceChanged.connect(self.on_presence)
        bridge.attentionChanged.connect(self.on_attention)
        bridge.metricsReady.connect(self.on_metrics)
        bridge.noticed.connect(self.show_notice)
        bridge.tokenNoticed.connect(self.on_token_notice)

        self.queue_model.countsChanged.connect(self.on_counts_changed)
        self.queue_model.handoffsUpdated.connect(self.on_handoffs_updated)
        self.queue_filter.filtersChanged.connect(self.on_filters_changed)
        self.queue_filter.rowsInserted.connect(self._update_view_title)
        self.queue_filter.rowsRemoved.connect(self._update_view_title)
        self.queue_filter.modelReset.connect(self._update_view_title)
        self.connection.changed.connect(self._update_connection)

        self.table.selectionModel().currentRowChanged.connect(self.on_current_row_changed)
        self.table.activated.connect(self.on_table_activated)
        self.search.textChanged.connect(self.queue_filter.set_search)
        self.search.returnPressed.connect(self.focus_table)
        self.scope.currentIndexChanged.connect(self.on_scope_changed)
        self.tier.currentIndexChanged.connect(self.on_tier_changed)
        self.language.currentIndexChanged.connect(self.on_language_changed)
        self.status.currentIndexChanged.connect(self.on_status_filter_changed)
        self.presence.activated.connect(self.on_presence_chosen)

        self.sidebar.viewChosen.connect(self.on_view_chosen)
        self.sidebar.queueChosen.connect(self.on_queue_chosen)
        self.sidebar.panelChosen.connect(self.on_panel_chosen)

        self.detail.claimRequested.connect(self.claim)
        self.detail.releaseRequested.connect(self.release)
        self.detail.resolveRequested.connect(self.open_resolve)
        self.detail.reassignRequested.connect(self.open_reassign)

        self.metrics_panel.refreshRequested.connect(self.on_metrics_refresh)
        self.attention_panel.openRequested.connect(self.open_handoff)
        self.attention_panel.retryRequested.connect(self.on_attention_retry)
        self.attention_panel.dismissRequested.connect(self.bridge.dismiss_attention)
        self.attention_button.clicked.connect(lambda: self.on_panel_chosen("attention"))
        self.reconnect_button.clicked.connect(self.bridge.reconnect_now)
        self.sign_in_button.clicked.connect(self.on_sign_in_again)
        self.notifier.activated.connect(self.bring_to_front)
        self.themes.changed.connect(self.on_theme_changed)

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
        self.sidebar.set_lead(self.lead)
        queues = list(session.queues) if self.lead or not user.queues else list(user.queues)
        self.sidebar.set_queues(queues, self.queue_model.counts().waiting_by_queue)
        self.queue_filter.set_my_queues_only(self.queue_filter.my_queues_only, user.queues)
        self.scope.setVisible(bool(user.queues))
        self.agents_panel.model.set_users(session.users)
        self._set_presence_combo(user.presence)
        self.notifier.set_presence(user.presence)
        role = labels.role_label("lead") if self.lead else self.tr("agent")
        self.user_label.setText(f"{one_line(user.name, 60) or user.id} ({role.lower()})")
        # Qt appends " — Agent Desk" (the application display name) to window titles itself.
        self._title_base = one_line(user.name, 60) or user.id
        self._update_title()
        self._refresh_languages()
        self._refresh_detail()

    def on_status(self, status: ConnectionStatus) -> None:
        self.connection.set_status(status)
        if (
            status.final
            and status.link == Link.OFFLINE
            and status.reason
            and not status.reason.startswith("Signed out")
        ):
            self.sign_in_button.show()
            self.signInAgainRequested.emit(status.reason)
        elif status.link == Link.ONLINE:
            self.sign_in_button.hide()

    def on_handoffs(self, delta: HandoffDelta) -> None:
        # Rows leaving the view move the table's current row; that is not the person's choice,
        # so the detail keeps what it shows (a handoff just claimed stays in focus).
        self._applying = True
        try:
            self.queue_model.apply(delta)
        finally:
            self._applying = False
        self._sync_selection()
        self.notifier.on_handoffs(delta)
        if delta.reset or delta.upserts:
            self._refresh_languages()

    def on_presence(self, user: UserInfo) -> None:
        if user.id == self.me:
            self._set_presence_combo(user.presence)
            self.notifier.set_presence(user.presence)
        self.agents_panel.model.update_user(user)

    def on_attention(self, items: tuple[AttentionItem, ...]) -> None:
        self.attention_items = tuple(items)
        self.attention_panel.model.set_items(self.attention_items)
        count = len(self.attention_items)
        self.attention_button.setText(
            self.tr("%1 need attention").replace("%1", str(count)) if count != 1 else self.tr("1 needs attention")
        )
        self.attention_button.setVisible(count > 0)
        self.on_counts_changed()
        self._update_connection()

    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None:
        if request_id != self._metrics_request:
            return
        if data is not None:
            self.metrics_panel.show_metrics(data)
        else:
            self.metrics_panel.show_error(error or self.tr("no answer"))

    def on_token_notice(self, notice: TokenNotice) -> None:
        if not notice.persisted:
            self.show_notice(notice.message)

    def show_notice(self, text: str) -> None:
        """A one-off message above the queue, gone after a few seconds (never a modal)."""
        self.notice.setText(one_line(text, 400))
        self.notice.show()
        self._notice_timer.start(NOTICE_MS)
        log.info("notice: %s", one_line(text, 400))

    # ---- model slots ----------------------------------------------------------------------------

    def on_counts_changed(self) -> None:
        counts = self.queue_model.counts(len(self.attention_items))
        if self.lead:
            self.agents_panel.model.set_active(self.queue_model.claimed_by())
        self.sidebar.set_counts(counts)
        self.notifier.set_waiting(counts.waiting)
        self._update_title()

    def on_handoffs_updated(self, ids: frozenset[str] | None) -> None:
        shown = self.detail.handoff_id
        if shown and (ids is None or shown in ids):
            if self.queue_model.handoff(shown) is None:
                self.detail.show_handoff(None)  # it left this desk (taken by someone else)
            else:
                self._refresh_detail()
        self._update_view_title()

    def _sync_selection(self) -> None:
        """After a model change: highlight the row the detail shows, or nothing if it is gone."""
        shown = self.detail.handoff_id
        if not shown:
            current = self.table.currentIndex()
            if current.isValid():
                self.on_current_row_changed(current, QModelIndex())
            else:
                self._select_first_if_none()
            return
        row = self.queue_model.row_of(shown)
        index = self.queue_filter.mapFromSource(self.queue_model.index(row, 0)) if row is not None else QModelIndex()
        selection = self.table.selectionModel()
        if index.isValid():
            if not selection.isRowSelected(index.row()):
                self._applying = True
                try:
                    selection.setCurrentIndex(
                        index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                    )
                finally:
                    self._applying = False
        else:
            selection.clearSelection()

    def on_filters_changed(self) -> None:
        self._update_view_title()
        self._update_empty_text()

    def _refresh_detail(self) -> None:
        handoff = self.queue_model.handoff(self.detail.handoff_id) if self.detail.handoff_id else None
        self.detail.show_handoff(handoff)

    def _select_first_if_none(self) -> None:
        if not self.table.selectionModel().hasSelection() and self.queue_filter.rowCount() > 0:
            self.table.selectRow(0)

    # ---- selection and navigation ----------------------------------------------------------------

    def current_handoff_id(self) -> str:
        return self.detail.handoff_id

    def on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self._applying:
            return
        source = self.queue_filter.mapToSource(current)
        if not source.isValid():
            return
        record = self.queue_model.row_record(source.row())
        if record.id != self.detail.handoff_id:
            self.detail.show_handoff(record.handoff)

    def on_table_activated(self, _index: QModelIndex) -> None:
        self.open_current()

    def _move(self, step: int) -> None:
        rows = self.queue_filter.rowCount()
        if rows == 0:
            return
        current = self.table.currentIndex()
        row = current.row() + step if current.isValid() else 0
        row = max(0, min(rows - 1, row))
        index = self.queue_filter.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)

    def select_next(self) -> None:
        self._move(+1)

    def select_previous(self) -> None:
        self._move(-1)

    def open_current(self) -> None:
        if self.detail.handoff_id:
            self.detail.transcript.setFocus()
            model = self.detail.transcript_model
            if model.rowCount():
                self.detail.transcript.setCurrentIndex(model.index(model.rowCount() - 1, 0))

    def open_handoff(self, handoff_id: str) -> None:
        """Show a handoff in the detail pane, selecting its row when the view holds it."""
        handoff = self.queue_model.handoff(handoff_id)
        self.on_panel_chosen("queue")
        if handoff is None:
            self.show_notice(self.tr("That handoff is no longer on this desk."))
            return
        self.detail.show_handoff(handoff)
        row = self.queue_model.row_of(handoff_id)
        if row is not None:
            index = self.queue_filter.mapFromSource(self.queue_model.index(row, 0))
            if index.isValid():
                self.table.selectRow(index.row())
                self.table.scrollTo(index)

    def focus_search(self) -> None:
        self.on_panel_chosen("queue")
        self.search.setFocus()
        self.search.selectAll()

    def focus_table(self) -> None:
        self.table.setFocus()
        if not self.table.currentIndex().isValid():
            self._select_first_if_none()

    def on_escape(self) -> None:
        if self.search.hasFocus() or self.search.text():
            self.search.clear()
        if self.center.currentWidget() is not self.queue_pane:
            self.on_panel_chosen("queue")
        self.focus_table()

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # ---- actions ---------------------------------------------------------------------------------

    def claim(self, handoff_id: str) -> None:
        self.bridge.claim(handoff_id)

    def release(self, handoff_id: str) -> None:
        self.bridge.release(handoff_id)

    def claim_current(self) -> None:
        if self.detail.can("claim"):
            self.claim(self.detail.handoff_id)

    def resolve_current(self) -> None:
        if self.detail.can("resolve"):
            self.open_resolve(self.detail.handoff_id)

    def open_resolve(self, handoff_id: str) -> ResolveDialog | None:
        handoff = self.queue_model.handoff(handoff_id)
        if handoff is None:
            return None
        dialog = ResolveDialog(handoff, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.recorded.connect(self.on_resolve_recorded)
        dialog.open()
        self.resolve_dialog = dialog
        return dialog

    def on_resolve_recorded(self, handoff_id: str, outcome: dict[str, Any]) -> None:
        self.bridge.resolve(handoff_id, outcome)
        self.focus_table()

    def open_reassign(self, handoff_id: str) -> ReassignDialog | None:
        handoff = self.queue_model.handoff(handoff_id)
        if handoff is None:
            return None
        users = self.agents_panel.model.users() if self.lead else []
        queues = list(self.session.queues) if self.session else []
        dialog = ReassignDialog(handoff, users, queues, self.lead, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.on_reassign_chosen)
        dialog.open()
        return dialog

    def on_reassign_chosen(self, handoff_id: str, to_user: str | None, to_queue: str | None) -> None:
        self.bridge.reassign(handoff_id, to_user=to_user, to_queue=to_queue)

    def on_presence_chosen(self, index: int) -> None:
        self.choose_presence(str(self.presence.itemData(index)))

    def choose_presence(self, presence: str) -> None:
        self._set_presence_combo(presence)
        self.notifier.set_presence(presence)
        self.bridge.set_presence(presence)

    def _set_presence_combo(self, presence: str) -> None:
        index = self.presence.findData(presence)
        if index >= 0 and index != self.presence.currentIndex():
            self.presence.blockSignals(True)
            self.presence.setCurrentIndex(index)
            self.presence.blockSignals(False)

    def on_metrics_refresh(self, since: str | None, until: str | None) -> None:
        self._metrics_request = self.bridge.request_metrics(since, until)
        if self._metrics_request is None:
            self.metrics_panel.show_error(self.tr("not signed in"))

    def on_attention_retry(self, item: AttentionItem) -> None:
        self.bridge.retry_attention(item.request_id)

    def on_sign_in_again(self) -> None:
        status = self.connection.status
        self.signInAgainRequested.emit(status.reason if status and status.reason else "")

    # ---- filters and views --------------------------------------------------------------------------

    def on_view_chosen(self, view: str) -> None:
        self.queue_filter.set_view(View(view))
        self.status.setVisible(View(view) == View.ALL)
        # Within one view every row has the same status; the column only earns its room in All.
        self.table.setColumnHidden(Column.STATUS, View(view) != View.ALL)
        self.table.fit_columns()
        self._update_view_title()
        self._update_empty_text()

    def on_queue_chosen(self, queue: str) -> None:
        self.queue_filter.set_queue(queue or None)

    def on_panel_chosen(self, panel: str) -> None:
        widget = {
            "queue": self.queue_pane,
            "agents": self.agents_panel,
            "metrics": self.metrics_panel,
            "attention": self.attention_panel,
        }.get(panel, self.queue_pane)
        self.sidebar.show_panel(panel if widget is not self.queue_pane else "queue", self.queue_filter.view)
        if self.center.currentWidget() is not widget:
            self.center.setCurrentWidget(widget)

    def on_scope_changed(self, index: int) -> None:
        self.queue_filter.set_my_queues_only(bool(self.scope.itemData(index)))

    def on_tier_changed(self, index: int) -> None:
        self.queue_filter.set_tier(self.tier.itemData(index) or None)

    def on_language_changed(self, index: int) -> None:
        self.queue_filter.set_language(self.language.itemData(index) or None)

    def on_status_filter_changed(self, index: int) -> None:
        self.queue_filter.set_status(self.status.itemData(index) or None)

    def _refresh_languages(self) -> None:
        seen = self.queue_model.languages()
        current = self.language.currentData() or ""
        have = [self.language.itemData(i) for i in range(1, self.language.count())]
        if have == seen:
            return
        self.language.blockSignals(True)
        while self.language.count() > 1:
            self.language.removeItem(1)
        for language in seen:
            self.language.addItem(language.upper(), language)
        index = self.language.findData(current)
        self.language.setCurrentIndex(max(0, index))
        self.language.blockSignals(False)

    def visible_source_rows(self) -> list[tuple[int, int]]:
        """Source rows the queue table shows now, as inclusive ranges (for the wait tick)."""
        if not self.table.isVisible() or self.queue_filter.rowCount() == 0:
            return []
        viewport = self.table.viewport()
        top = self.table.rowAt(0)
        bottom = self.table.rowAt(viewport.height() - 1)
        if top < 0:
            return []
        if bottom < 0:
            bottom = self.queue_filter.rowCount() - 1
        rows = sorted(self.queue_filter.source_row(r) for r in range(top, bottom + 1))
        ranges: list[tuple[int, int]] = []
        for row in rows:
            if ranges and row == ranges[-1][1] + 1:
                ranges[-1] = (ranges[-1][0], row)
            else:
                ranges.append((row, row))
        return ranges

    def view_name(self) -> str:
        return {
            View.WAITING: self.tr("Waiting"),
            View.MINE: self.tr("Mine"),
            View.RESOLVED: self.tr("Resolved today"),
            View.ALL: self.tr("All handoffs"),
        }[self.queue_filter.view]

    def _update_view_title(self, *_args: Any) -> None:
        shown = self.queue_filter.rowCount()
        text = f"{self.view_name()} · {shown}"
        if self.queue_filter.queue:
            text += " · " + one_line(self.queue_filter.queue, 40)
        self.view_title.setText(text)
        self._update_empty_text()

    def _update_empty_text(self) -> None:
        qf = self.queue_filter
        if qf.search or qf.tier or qf.language or qf.status or qf.queue:
            text = self.tr("Nothing matches these filters. Esc clears the search.")
        elif qf.view == View.WAITING:
            text = self.tr("No one is waiting. New handoffs appear here.")
        elif qf.view == View.MINE:
            text = self.tr("You hold no handoffs. Pick one from Waiting and press C to claim it.")
        elif qf.view == View.RESOLVED:
            text = self.tr("Nothing resolved yet today.")
        else:
            text = self.tr("This desk holds no handoffs yet.")
        self.table.set_empty_text(text)

    def _update_title(self) -> None:
        waiting = self.queue_model.counts().waiting
        if not self.notifier.has_tray and waiting:
            self.setWindowTitle(f"({waiting}) {self._title_base}")
        else:
            self.setWindowTitle(self._title_base)

    def _update_connection(self) -> None:
        status = self.connection.status
        retry_left = self.connection.retry_left()
        state, text, tip = describe(status, retry_left)
        self.connection_indicator.show_state(state, text, tip)
        summary_state, summary = sync_summary(status, len(self.attention_items), retry_left)
        self.sync_summary.setText(summary)
        if self.sync_summary.property("state") != summary_state:
            self.sync_summary.setProperty("state", summary_state)
            self.sync_summary.style().unpolish(self.sync_summary)
            self.sync_summary.style().polish(self.sync_summary)
        self.reconnect_button.setVisible(status is not None and status.link == Link.RECONNECTING)

    # ---- menu ---------------------------------------------------------------------------------

    def on_theme_chosen(self, action: QAction) -> None:
        mode = str(action.data())
        self.settings.theme = mode
        self.themes.set_mode(mode)

    def on_theme_changed(self, _theme: Any) -> None:
        for value in PRESENCES:
            index = self.presence.findData(value)
            self.presence.setItemIcon(index, self.icons.icon("dot", value))
        for action in self.search.actions()[:1]:
            action.setIcon(self.icons.icon("search", "muted"))
        self.attention_button.setIcon(self.icons.icon("attention", "danger"))
        self._update_connection()
        self.table.viewport().update()

    def on_notify_toggled(self, enabled: bool) -> None:
        self.settings.notify = enabled
        self.sound_action.setEnabled(enabled)

    def on_sound_toggled(self, enabled: bool) -> None:
        self.settings.sound = enabled

    def show_keymap(self) -> None:
        dialog = KeymapDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def describe_handoff(self, handoff_id: str | None) -> str:
        if not handoff_id:
            return ""
        handoff = self.queue_model.handoff(handoff_id)
        if handoff is None:
            return handoff_id
        customer = handoff.get("customer") if isinstance(handoff.get("customer"), Mapping) else {}
        return one_line(customer.get("name"), 80) or handoff_id
