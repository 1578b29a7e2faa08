"""The lead's figures: handoff and resolution rates, CSAT after handoff, waits, SLA breaches,
by queue and by trigger, charted over time; the team's targets and a banner when one is
passed. Fetched through the engine (``metrics``); only the targets check is computed here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from agent_desk.ui import labels
from agent_desk.ui.icons import Icons
from agent_desk.ui.metrics.charts import TrendCharts
from agent_desk.ui.metrics.period import PeriodPicker
from agent_desk.ui.metrics.targets import Breach, BreachBanner, TargetsEditor, find_breaches, number, parse_targets
from agent_desk.ui.row_model import AnyIndex, RowModel
from agent_desk.ui.text import format_rate, format_seconds, mapping_of, one_line
from agent_desk.ui.widgets import plain_label, set_tip

#: Refresh while the panel is shown.
AUTO_REFRESH_MS = 30_000
#: How often "updated 12 s ago" ticks.
TICK_MS = 1_000
#: Agents' feedback on a trigger's handovers, as the Feedback column words it.
FEEDBACK_KINDS = ("appropriate", "premature", "late")


def feedback_text(feedback: Mapping[str, Any]) -> str:
    """``appropriate 3 · premature 1 · late 0``; "—" when no agent gave any."""
    if not any(isinstance(feedback.get(k), int) for k in FEEDBACK_KINDS):
        return "—"
    return " · ".join(f"{k} {_int(feedback.get(k))}" for k in FEEDBACK_KINDS)


def _csat(figures: Mapping[str, Any]) -> str:
    value = figures.get("csat_avg")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    return f"{value:.1f}"


def _int(value: Any) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "—"


class BreakdownModel(RowModel[tuple[str, Mapping[str, Any]]]):
    """Figures per queue or per trigger, one row each."""

    def __init__(self, by_trigger: bool, parent: QObject | None = None) -> None:
        super().__init__(parent, columns=9 if by_trigger else 8)
        self._by_trigger = by_trigger

    def _columns(self) -> list[str]:
        columns = [
            self.tr("Trigger") if self._by_trigger else self.tr("Queue"),
            self.tr("Hand-\noffs"),
            self.tr("Rate"),
            self.tr("Resolved"),
            self.tr("CSAT"),
            self.tr("Wait\navg"),
            self.tr("Wait\np90"),
            self.tr("SLA\nbreaches"),
        ]
        if self._by_trigger:
            columns.append(self.tr("Feedback"))
        return columns

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            columns = self._columns()
            return columns[section] if 0 <= section < len(columns) else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(
                (Qt.AlignmentFlag.AlignLeft if section == 0 else Qt.AlignmentFlag.AlignRight)
                | Qt.AlignmentFlag.AlignVCenter
            )
        if role == Qt.ItemDataRole.ToolTipRole and self._by_trigger and section == 8:
            return self.tr("Agents' feedback on the handover: appropriate, premature, late")
        return None

    def text(self, row: int, column: int) -> str:
        name, f = self._rows[row]
        if column == 0:
            return labels.trigger_label(name) if self._by_trigger else one_line(name, 60)
        feedback = mapping_of(f.get("feedback"))
        values = [
            _int(f.get("handoffs")),
            format_rate(f.get("handoff_rate")),
            format_rate(f.get("resolution_rate")),
            _csat(f),
            format_seconds(f.get("wait_avg_s")),
            format_seconds(f.get("wait_p90_s")),
            _int(f.get("sla_breaches")),
            feedback_text(feedback),
        ]
        return values[column - 1] if 1 <= column <= len(values) else ""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.row_at(index) is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return self.text(index.row(), 0)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if index.column() == 0:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def set_figures(self, by_key: Mapping[str, Any] | None) -> None:
        self.beginResetModel()
        self._rows = [(str(k), v) for k, v in (by_key or {}).items() if isinstance(v, Mapping)]
        self._rows.sort(key=lambda item: -(item[1].get("handoffs") or 0))
        self.endResetModel()


class MetricCard(QFrame):
    """One figure: a big value and what it means."""

    def __init__(self, title: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MetricCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        self.value = plain_label("—", "MetricValue")
        self.caption = plain_label(title, "MetricLabel")
        self.detail = plain_label("", "MetricLabel")
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        layout.addWidget(self.detail)
        set_tip(self, tip, title)

    def set(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.setAccessibleName(f"{self.caption.text()}: {value}")


class MetricsPanel(QWidget):
    """Figures for a period, refreshed on demand and every 30 s while shown; leads only.

    Signals:
        refreshRequested(object, object, object): since, until (protocol times) and bucket_s.
        targetsSaveRequested(object): the targets the lead wants kept (key -> number or None).
        breachesFound(object): targets newly passed (a list of Breach), once per breach.
        openRequested(str, str): show the handoffs of a ``queue`` or ``trigger`` (its name).
        exportRequested(): the lead asked to save the view as CSV.
    """

    refreshRequested = Signal(object, object, object)
    targetsSaveRequested = Signal(object)
    breachesFound = Signal(object)
    openRequested = Signal(str, str)
    exportRequested = Signal()

    def __init__(self, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QueuePane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        body.setObjectName("QueuePane")
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(12)

        top = QHBoxLayout()
        top.addWidget(plain_label(self.tr("Metrics"), "PanelTitle"))
        top.addStretch(1)
        self.status = plain_label("", "MetricLabel")
        top.addWidget(self.status)
        self.period = PeriodPicker()
        top.addWidget(self.period)
        self.refresh_button = QPushButton(icons.icon("refresh", "text"), self.tr("Refresh"))
        set_tip(self.refresh_button, self.tr("Ask the hub for the figures again"), self.tr("Refresh metrics"))
        top.addWidget(self.refresh_button)
        icons.changed.connect(lambda: self.refresh_button.setIcon(icons.icon("refresh", "text")))
        self.export_button = QPushButton(self.tr("Export CSV…"))
        set_tip(self.export_button, self.tr("Save this view (figures, tables, series) as CSV"), self.tr("Export CSV"))
        self.export_button.setEnabled(False)
        top.addWidget(self.export_button)
        layout.addLayout(top)
        self.targets_editor = TargetsEditor()
        layout.addWidget(self.targets_editor)
        self.banner = BreachBanner()
        layout.addWidget(self.banner)

        grid = QGridLayout()
        grid.setSpacing(10)
        self.cards = {
            "handoff_rate": MetricCard(
                self.tr("Handoff rate"),
                self.tr("Conversations handed to a person, of all that ended or were handed over"),
            ),
            "resolution_rate": MetricCard(
                self.tr("Resolution rate"), self.tr("Resolved handoffs marked resolved, of all resolved")
            ),
            "csat": MetricCard(
                self.tr("CSAT after handoff"), self.tr("Average satisfaction (1 to 5) where the customer gave one")
            ),
            "time_to_escalation": MetricCard(
                self.tr("Time to escalation"), self.tr("From the start of the conversation to the handover, on average")
            ),
            "wait": MetricCard(self.tr("Wait, average"), self.tr("From handover to the first claim")),
            "wait_p90": MetricCard(self.tr("Wait, 90th percentile"), self.tr("Nine in ten were claimed within this")),
            "sla": MetricCard(self.tr("SLA breaches"), self.tr("Claimed after their target, or still waiting past it")),
            "handoffs": MetricCard(self.tr("Handoffs"), self.tr("Handed over in the period")),
            "offers": MetricCard(
                self.tr("Offers accepted"),
                self.tr("Routing by offers: offers the agents accepted, of all made, and how soon on average"),
            ),
        }
        for place, card in enumerate(self.cards.values()):
            grid.addWidget(card, place // 4, place % 4)
        layout.addLayout(grid)
        self.cards["offers"].hide()  # until a hub that routes by offers reports them
        self.charts_title = plain_label(self.tr("Over time"), "SectionLabel")
        layout.addWidget(self.charts_title)
        self.charts_title.hide()
        self._layout = layout
        # Made when the hub first answers with a series (agents never pay for them).
        self.charts: TrendCharts | None = None

        self.by_queue = BreakdownModel(False, self)
        self.by_trigger = BreakdownModel(True, self)
        self._tables: list[QTableView] = []
        for title, model in ((self.tr("By queue"), self.by_queue), (self.tr("By trigger"), self.by_trigger)):
            layout.addWidget(plain_label(title, "SectionLabel"))
            table = QTableView()
            table.setModel(model)
            table.setAccessibleName(title)
            table.setToolTip(title)
            table.setShowGrid(False)
            table.setWordWrap(False)
            table.setAlternatingRowColors(True)
            table.verticalHeader().hide()
            table.verticalHeader().setDefaultSectionSize(28)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            header = table.horizontalHeader()
            # Figures as wide as their content; the name takes what is left (cut with "…", the
            # whole name in its tooltip), so the table never scrolls sideways.
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(40)
            table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            table.setTextElideMode(Qt.TextElideMode.ElideRight)
            header.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._fit(table)
            self._tables.append(table)
            layout.addWidget(table)
        layout.addStretch(1)

        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.data: Mapping[str, Any] = {}
        self.bucket_s = 3600
        self.targets: dict[str, float | None] = parse_targets(None)
        self.breaches: list[Breach] = []
        self.updated_at: datetime | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(AUTO_REFRESH_MS)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.refresh)
        self._tick.timeout.connect(self.on_tick)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self.exportRequested)
        self.period.changed.connect(self.refresh)
        self.targets_editor.saveRequested.connect(self.targetsSaveRequested)
        self.banner.openRequested.connect(self.openRequested)
        self.by_queue.modelReset.connect(self.on_figures_reset)
        self.by_trigger.modelReset.connect(self.on_figures_reset)

    def on_figures_reset(self) -> None:
        for table in self._tables:
            self._fit(table)

    @staticmethod
    def _fit(table: QTableView) -> None:
        """Show every row: the panel scrolls as a whole, tables never scroll inside it."""
        rows = max(1, table.model().rowCount())
        height = table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize() + 4
        scroll = table.horizontalScrollBar().sizeHint().height() if table.horizontalScrollBar().isVisible() else 0
        table.setFixedHeight(height + scroll)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def refresh(self) -> None:
        self.status.setText(self.tr("Updating…"))
        period = self.period.period()
        self.bucket_s = period.bucket_s
        self._timer.start()  # the next automatic refresh is 30 s after this one
        self.refreshRequested.emit(period.since, period.until, period.bucket_s)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._tick.start()
        self.refresh()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self._timer.stop()
        self._tick.stop()

    def on_tick(self) -> None:
        if self.updated_at is None:
            return
        seconds = max(0, int((datetime.now() - self.updated_at).total_seconds()))
        if seconds < 60:
            text = self.tr("Updated %1 s ago").replace("%1", str(seconds))
        else:
            text = self.tr("Updated %1 min ago").replace("%1", str(seconds // 60))
        self.status.setText(text)

    def set_targets(self, targets: Mapping[str, Any] | None) -> None:
        """The team's targets (from the hub); the banner is checked again against them."""
        self.targets = parse_targets(targets)
        self.targets_editor.set_targets(self.targets)
        self._check_targets()

    def _check_targets(self) -> None:
        before = {b.identity for b in self.breaches}
        self.breaches = find_breaches(self.data, self.targets) if self.data else []
        self.banner.show_breaches(self.breaches)
        new = [b for b in self.breaches if b.identity not in before]
        if new:
            self.breachesFound.emit(new)

    def show_error(self, text: str) -> None:
        self.status.setText(self.tr("Could not update: %1").replace("%1", one_line(text, 200)))

    def show_metrics(self, data: Mapping[str, Any]) -> None:
        c = self.cards
        c["handoff_rate"].set(
            format_rate(data.get("handoff_rate")),
            self.tr("%1 conversations").replace("%1", _int(data.get("conversations"))),
        )
        c["resolution_rate"].set(
            format_rate(data.get("resolution_rate")), self.tr("%1 resolved").replace("%1", _int(data.get("resolved")))
        )
        count = data.get("csat_count")
        c["csat"].set(
            _csat(data), self.tr("1 rating") if count == 1 else self.tr("%1 ratings").replace("%1", _int(count))
        )
        c["time_to_escalation"].set(format_seconds(data.get("time_to_escalation_s")))
        c["wait"].set(format_seconds(data.get("wait_avg_s")))
        c["wait_p90"].set(format_seconds(data.get("wait_p90_s")))
        c["sla"].set(_int(data.get("sla_breaches")))
        c["handoffs"].set(_int(data.get("handoffs")))
        offers = data.get("offers")
        c["offers"].setVisible(isinstance(offers, int) and not isinstance(offers, bool) and offers > 0)
        c["offers"].set(
            self.tr("%1 of %2").replace("%1", _int(data.get("offers_accepted"))).replace("%2", _int(offers)),
            self.tr("accepted in %1 on average").replace("%1", format_seconds(data.get("offer_accept_s_avg"))),
        )
        self.by_queue.set_figures(data.get("by_queue") if isinstance(data.get("by_queue"), Mapping) else {})
        self.by_trigger.set_figures(data.get("by_trigger") if isinstance(data.get("by_trigger"), Mapping) else {})
        self.data = data
        self.export_button.setEnabled(True)
        series = data.get("series")
        has_series = isinstance(series, list) and bool(series)
        self.charts_title.setVisible(has_series)
        if has_series and isinstance(series, list):
            if self.charts is None:
                self.charts = TrendCharts()
                self._layout.insertWidget(self._layout.indexOf(self.charts_title) + 1, self.charts)
            self.charts.set_series(series, self.bucket_s, number(data.get("bot_csat_avg")))
        if self.charts is not None:
            self.charts.setVisible(has_series)
        if isinstance(data.get("targets"), Mapping):
            self.set_targets(data.get("targets"))
        else:
            self._check_targets()
        self.updated_at = datetime.now()
        self.on_tick()
