"""The centre of the desk: the view's title and filters above the ranked queue table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QVBoxLayout,
    QWidget,
)

from agent_desk.ui import labels
from agent_desk.ui.icons import Icons
from agent_desk.ui.queue.delegate import ROW_HEIGHT, QueueDelegate
from agent_desk.ui.queue.filter import QueueFilter, View
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.move_panel import MovePanel
from agent_desk.ui.queue.offer_card import OfferCard
from agent_desk.ui.queue.rows import Column
from agent_desk.ui.text import one_line
from agent_desk.ui.theme import ThemeManager
from agent_desk.ui.widgets import EmptyStateTable, plain_label, set_tip

#: How long a notice stays above the queue.
NOTICE_MS = 10_000
#: Column widths the table starts with (the brief takes what the others leave).
COLUMN_WIDTHS = {
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
#: Columns that give up width when the window is narrow: (preferred, minimum).
SHRINKABLE = {Column.CUSTOMER: (160, 112), Column.QUEUE: (88, 70), Column.TIER: (80, 72)}


class QueuePane(QWidget):
    """The queue as a person sees it: a title with the count, filters, a passing notice, the table.

    The pane turns the filter boxes into calls on the :class:`QueueFilter`, keeps its title and
    empty-state text in step with it, and says which handoff the person moves to; the window
    shows that handoff and tells the pane which one to :meth:`follow` after a change.

    Signals:
        handoffChosen(str): the person made another row current (a model change does not count).

    Attributes:
        view_title: the view's name and how many rows it shows.
        scope, tier, language, status: the filter boxes (status only in the All view).
        notice: a one-off message above the table; offer_card: the offer to answer, above it too;
        move_panel: a lead's moves, item by item, above it as well.
        table: the queue's view; delegate: paints its cells.
    """

    handoffChosen = Signal(str)

    _SELECT_ROW = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows

    def __init__(
        self,
        model: QueueModel,
        proxy: QueueFilter,
        themes: ThemeManager,
        icons: Icons,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._proxy = proxy
        self._following = False
        self._notice_offline_only = False
        #: Whether the status column shows offers in every view (a lead, on a hub with offers).
        self.offers_shown = False
        self.setObjectName("QueuePane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_filters())
        layout.addLayout(self._build_notice())
        self.offer_card = OfferCard(themes)
        offer_box = QVBoxLayout()
        offer_box.setContentsMargins(12, 8, 12, 0)
        offer_box.addWidget(self.offer_card)
        layout.addLayout(offer_box)
        self.move_panel = MovePanel()
        offer_box.addWidget(self.move_panel)
        layout.addWidget(self._build_table(themes, icons), 1)
        self.table.setColumnHidden(Column.STATUS, True)
        self.status.hide()
        self._connect_signals()

    # ---- construction ---------------------------------------------------------------------

    def _build_filters(self) -> QWidget:
        filters = QWidget()
        filters.setObjectName("FilterBar")
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
        return filters

    def _build_notice(self) -> QHBoxLayout:
        self.notice = plain_label("", "Notice", wrap=True)
        self.notice.setAccessibleName(self.tr("Notice"))
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        box = QHBoxLayout()
        box.setContentsMargins(12, 8, 12, 0)
        box.addWidget(self.notice)
        return box

    def _build_table(self, themes: ThemeManager, icons: Icons) -> EmptyStateTable:
        table = self.table = EmptyStateTable()
        table.setObjectName("QueueTable")
        table.setModel(self._proxy)
        self.delegate = QueueDelegate(self._model, themes, icons, table)
        table.setItemDelegate(self.delegate)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setMouseTracking(True)
        table.setWordWrap(False)
        table.setSortingEnabled(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setTabKeyNavigation(False)
        vertical = table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        table.flexible_column = Column.BRIEF
        table.shrinkable = {int(column): sizes for column, sizes in SHRINKABLE.items()}
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        set_tip(
            table,
            self.tr("Handoffs, most urgent first. J/K move, C claims, R resolves, Enter opens"),
            self.tr("Queue"),
        )
        return table

    def _connect_signals(self) -> None:
        self._notice_timer.timeout.connect(self.notice.hide)
        self._proxy.filtersChanged.connect(self.on_filters_changed)
        self._proxy.rowsInserted.connect(self.on_rows_changed)
        self._proxy.rowsRemoved.connect(self.on_rows_changed)
        self._proxy.modelReset.connect(self.on_rows_changed)
        self.scope.currentIndexChanged.connect(self.on_scope_changed)
        self.tier.currentIndexChanged.connect(self.on_tier_changed)
        self.language.currentIndexChanged.connect(self.on_language_changed)
        self.status.currentIndexChanged.connect(self.on_status_filter_changed)
        self.table.selectionModel().currentRowChanged.connect(self.on_current_row_changed)

    # ---- filters ----------------------------------------------------------------------------

    def on_scope_changed(self, index: int) -> None:
        self._proxy.set_my_queues_only(bool(self.scope.itemData(index)))

    def on_tier_changed(self, index: int) -> None:
        self._proxy.set_tier(self.tier.itemData(index) or None)

    def on_language_changed(self, index: int) -> None:
        self._proxy.set_language(self.language.itemData(index) or None)

    def on_status_filter_changed(self, index: int) -> None:
        self._proxy.set_status(self.status.itemData(index) or None)

    def on_filters_changed(self) -> None:
        self.update_view_title()
        self.update_empty_text()

    def on_rows_changed(self, *_args: Any) -> None:
        self.update_view_title()

    def show_offers(self, shown: bool) -> None:
        """Show whom each handoff is offered to, in every view (a lead on a hub with offers)."""
        self.offers_shown = shown
        self.set_view(self._proxy.view)

    def set_view(self, view: View) -> None:
        """Show one of the views."""
        self._proxy.set_view(view)
        self.status.setVisible(view == View.ALL)
        # Within one view every row has the same status; the column only earns its room in All,
        # and for a lead under routing by offers, where it says whom each handoff is offered to.
        self.table.setColumnHidden(Column.STATUS, view != View.ALL and not self.offers_shown)
        self.table.fit_columns()
        self.update_view_title()
        self.update_empty_text()

    def refresh_languages(self) -> None:
        """Offer the languages the queue holds now, keeping the one chosen."""
        seen = self._model.languages()
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

    # ---- words ------------------------------------------------------------------------------

    def view_name(self) -> str:
        return {
            View.WAITING: self.tr("Waiting"),
            View.MINE: self.tr("Mine"),
            View.RESOLVED: self.tr("Resolved today"),
            View.ALL: self.tr("All handoffs"),
        }[self._proxy.view]

    def update_view_title(self) -> None:
        shown = self._proxy.rowCount()
        text = f"{self.view_name()} · {shown}"
        if self._proxy.queue:
            text += " · " + one_line(self._proxy.queue, 40)
        self.view_title.setText(text)
        self.update_empty_text()

    def update_empty_text(self) -> None:
        qf = self._proxy
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

    def show_notice(self, text: str, offline_only: bool = False) -> None:
        """A one-off message above the queue, gone after a few seconds (never a modal).

        Args:
            offline_only: it holds only while the desk is offline (:meth:`on_online` hides it).
        """
        self.notice.setText(one_line(text, 400))
        self.notice.show()
        self._notice_offline_only = offline_only
        self._notice_timer.start(NOTICE_MS)

    def hide_notice(self) -> None:
        self._notice_timer.stop()
        self.notice.hide()

    def on_online(self) -> None:
        """The desk is connected again: a notice about being offline no longer holds."""
        if self._notice_offline_only and self.notice.isVisible():
            self.hide_notice()

    def clear_filters(self) -> None:
        """All queues, any tier, any language, any status (the search and the queue are the window's)."""
        for combo in (self.scope, self.tier, self.language, self.status):
            combo.setCurrentIndex(0)

    # ---- rows on screen and selection -------------------------------------------------------

    def index_of(self, handoff_id: str) -> QModelIndex:
        """The table's index of a handoff's row; invalid when the view does not show it."""
        row = self._model.row_of(handoff_id)
        return self._proxy.mapFromSource(self._model.index(row, 0)) if row is not None else QModelIndex()

    def select_first_if_none(self) -> None:
        if not self.table.selectionModel().hasSelection() and self._proxy.rowCount() > 0:
            self.table.selectionModel().setCurrentIndex(self._proxy.index(0, 0), self._SELECT_ROW)

    def on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self._following:
            return
        source = self._proxy.mapToSource(current)
        if source.isValid():
            selection = self.table.selectionModel()
            ctrl = QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier
            if not selection.isRowSelected(current.row()) and not ctrl:  # a filter moved it: follow
                with self.following():
                    selection.select(current, self._SELECT_ROW)
            self.handoffChosen.emit(self._model.row_record(source.row()).id)

    def selected_id(self) -> str:
        """The handoff of the selected row ("" when no row is selected)."""
        rows = self.table.selectionModel().selectedRows()
        source = self._proxy.mapToSource(rows[0]) if rows else QModelIndex()
        return self._model.row_record(source.row()).id if source.isValid() else ""

    def selected_ids(self) -> list[str]:
        """The handoffs of every selected row, in the queue's order (a lead selects many)."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        sources = (self._proxy.mapToSource(i) for i in rows)
        return [self._model.row_record(s.row()).id for s in sources if s.isValid()]

    def set_lead(self, lead: bool) -> None:
        """A lead selects many rows and drags them; an agent works one row at a time."""
        mode = QAbstractItemView.SelectionMode
        self.table.setSelectionMode(mode.ExtendedSelection if lead else mode.SingleSelection)
        self.table.setDragEnabled(lead)
        self.table.setDragDropMode(
            QAbstractItemView.DragDropMode.DragOnly if lead else QAbstractItemView.DragDropMode.NoDragDrop
        )
        policy = Qt.ContextMenuPolicy.CustomContextMenu if lead else Qt.ContextMenuPolicy.DefaultContextMenu
        self.table.setContextMenuPolicy(policy)

    def extend_selection(self, step: int) -> bool:
        """Add the next (+1) or previous (-1) row to the selection (Shift+J / Shift+K)."""
        current = self.table.currentIndex()
        row = current.row() + step if current.isValid() else 0
        if not 0 <= row < self._proxy.rowCount():
            return False
        index = self._proxy.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        with self.following():
            self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)
        return True

    def clear_selection(self) -> None:
        self.table.selectionModel().clearSelection()

    @contextmanager
    def following(self) -> Iterator[None]:
        """Rows that move meanwhile are the model's doing, not the person's choice."""
        self._following = True
        try:
            yield
        finally:
            self._following = False

    def follow(self, handoff_id: str) -> bool:
        """Highlight the row of a handoff without announcing it as the person's choice.

        Returns False when the view does not show it (nothing is highlighted then).
        """
        index = self.index_of(handoff_id) if handoff_id else QModelIndex()
        selection = self.table.selectionModel()
        if not index.isValid():
            selection.clearSelection()
            return False
        if not selection.isRowSelected(index.row()):
            with self.following():
                selection.setCurrentIndex(index, self._SELECT_ROW)
        return True

    @contextmanager
    def keeping_place(self) -> Iterator[None]:
        """Rows arriving or leaving above the row in focus do not move it on screen.

        The row kept in place is the selected one while it is on screen, else the one under the
        pointer; with neither, the list moves as rows come (new ones at the top show).
        """
        anchor = self._anchor()
        try:
            yield
        finally:
            if anchor is not None:
                self._restore(*anchor)

    def _anchor(self) -> tuple[str, int] | None:
        table = self.table
        if not table.isVisible():
            return None
        area = table.viewport().rect()
        rows = table.selectionModel().selectedRows()
        index = rows[0] if rows else QModelIndex()
        if not index.isValid() or not area.intersects(table.visualRect(index)):
            pointer = table.viewport().mapFromGlobal(QCursor.pos())
            index = table.indexAt(pointer) if area.contains(pointer) else QModelIndex()
        source = self._proxy.mapToSource(index) if index.isValid() else QModelIndex()
        if not source.isValid():
            return None
        return self._model.row_record(source.row()).id, table.rowViewportPosition(index.row())

    def _restore(self, handoff_id: str, top: int) -> None:
        index = self.index_of(handoff_id)
        if not index.isValid():
            return
        moved = self.table.rowViewportPosition(index.row()) - top
        if moved:
            self.table.updateGeometries()  # the scroll range, before Qt's delayed layout does it
            bar = self.table.verticalScrollBar()
            bar.setValue(bar.value() + moved)

    def reveal(self, handoff_id: str) -> None:
        """Select a handoff's row and scroll to it, when the view shows it."""
        index = self.index_of(handoff_id)
        if index.isValid():
            self.table.selectionModel().setCurrentIndex(index, self._SELECT_ROW)
            self.table.scrollTo(index)

    def select_next(self) -> bool:
        """Highlight the next row; False when there is none."""
        return self._move(+1)

    def select_previous(self) -> bool:
        """Highlight the previous row; False when there is none."""
        return self._move(-1)

    def _move(self, step: int) -> bool:
        rows = self._proxy.rowCount()
        if rows == 0:
            return False
        current = self.table.currentIndex()
        selection = self.table.selectionModel()
        if not current.isValid():
            row = 0
        elif not selection.isRowSelected(current.row()):
            row = current.row()  # the row in focus lost its highlight (its handoff left): take it
        else:
            row = current.row() + step
        row = max(0, min(rows - 1, row))
        index = self._proxy.index(row, 0)
        if index == current and selection.isRowSelected(row):
            return False
        selection.setCurrentIndex(index, self._SELECT_ROW)
        if index == current:
            self.on_current_row_changed(index, current)  # the same row: Qt announces no change
        self.table.scrollTo(index)
        return True

    def visible_source_rows(self) -> list[tuple[int, int]]:
        """Source rows the queue table shows now, as inclusive ranges (for the wait tick)."""
        if not self.table.isVisible() or self._proxy.rowCount() == 0:
            return []
        viewport = self.table.viewport()
        top = self.table.rowAt(0)
        bottom = self.table.rowAt(viewport.height() - 1)
        if top < 0:
            return []
        if bottom < 0:
            bottom = self._proxy.rowCount() - 1
        rows = sorted(self._proxy.source_row(r) for r in range(top, bottom + 1))
        ranges: list[tuple[int, int]] = []
        for row in rows:
            if ranges and row == ranges[-1][1] + 1:
                ranges[-1] = (ranges[-1][0], row)
            else:
                ranges.append((row, row))
        return ranges
