"""The period's figures over time (``metrics`` ``series``), one small chart per figure.

Drawn with pyqtgraph. Colours follow the application palette, so the charts change with the
light and dark themes. A figure the hub does not know for a bucket (null) leaves a gap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from agent_desk.ui.text import parse_ts
from agent_desk.ui.widgets import plain_label

#: Series colours: (light theme, dark theme), colour-blind safe (Okabe-Ito).
MAIN_COLOR = ("#0072B2", "#56B4E9")
BOT_COLOR = ("#D55E00", "#E69F00")


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One chart: its key in ``series``, title, unit scale (value times scale) and unit label."""

    key: str
    title: str
    scale: float = 1.0
    unit: str = ""


CHARTS = (
    ChartSpec("handoff_rate", "Handoff rate", 100.0, "%"),
    ChartSpec("time_to_escalation_s", "Time to escalation", 1 / 60, "min"),
    ChartSpec("wait_avg_s", "Wait, average", 1 / 60, "min"),
    ChartSpec("sla_breaches", "SLA breaches", 1.0, ""),
    ChartSpec("resolution_rate", "Resolution rate", 100.0, "%"),
    ChartSpec("csat_avg", "CSAT: handoff (solid), bot alone (dashed)", 1.0, ""),
)


def series_values(series: Sequence[Mapping[str, Any]], key: str, scale: float = 1.0) -> tuple[list[float], list[float]]:
    """The bucket starts (epoch seconds) and ``key``'s values (NaN where null) of ``series``."""
    xs: list[float] = []
    ys: list[float] = []
    for bucket in series:
        start = parse_ts(bucket.get("start")) if isinstance(bucket, Mapping) else None
        if start is None:
            continue
        value = bucket.get(key)
        xs.append(start)
        ys.append(value * scale if isinstance(value, int | float) and not isinstance(value, bool) else math.nan)
    return xs, ys


class TrendChart(QWidget):
    """A title and one plot (a line, or bars for counts); a reference line when given."""

    def __init__(self, spec: ChartSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        title = spec.title + (f" ({spec.unit})" if spec.unit else "")
        layout.addWidget(plain_label(title, "MetricLabel"))
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.plot.setFixedHeight(170)
        self.plot.setMinimumWidth(120)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setAccessibleName(title)
        layout.addWidget(self.plot)
        self.curve = self.plot.plot([], [], name=self.tr("after handoff"), connect="finite")
        self.bot_curve = (
            self.plot.plot([], [], name=self.tr("bot alone"), connect="finite") if spec.key == "csat_avg" else None
        )
        self.reference = pg.InfiniteLine(angle=0, movable=False)
        self.reference.hide()
        self.plot.addItem(self.reference)
        self.bars: pg.BarGraphItem | None = None
        self.values: list[float] = []  # what is charted (scaled), for tests and the accessible text
        self.bot_values: list[float] = []
        self.bot_reference: float | None = None
        self.restyle()

    def set_series(
        self, series: Sequence[Mapping[str, Any]], bucket_s: int, bot_reference: float | None = None
    ) -> None:
        """Chart ``series``; ``bot_reference`` (the window's bot CSAT) is a dashed line."""
        starts, ys = series_values(series, self.spec.key, self.spec.scale)
        xs = [x + bucket_s / 2 for x in starts]  # each point in the middle of its bucket
        self.values = ys
        if self.spec.key == "sla_breaches":
            if self.bars is not None:
                self.plot.removeItem(self.bars)
            heights = [0.0 if math.isnan(y) else y for y in ys]
            self.bars = pg.BarGraphItem(x=xs, height=heights, width=bucket_s * 0.8)
            self.plot.addItem(self.bars)
            self.curve.setData([], [])
        elif any(not math.isnan(y) for y in ys):
            self.curve.setData(xs, ys, connect="finite")
        else:
            self.curve.setData([], [])
        if self.bot_curve is not None:
            _starts, by = series_values(series, "bot_csat_avg")
            self.bot_values = by if any(not math.isnan(v) for v in by) else []
            self.bot_curve.setData(xs if self.bot_values else [], self.bot_values, connect="finite")
        self.bot_reference = bot_reference if not self.bot_values else None
        if self.bot_reference is not None:
            self.reference.setPos(self.bot_reference)
            self.reference.show()
        else:
            self.reference.hide()
        if self.spec.key == "csat_avg":
            self.plot.setYRange(1, 5, padding=0.05)
        elif self.spec.unit == "%":
            self.plot.setYRange(0, 100, padding=0.05)
        if starts:
            self.plot.setXRange(starts[0], starts[-1] + bucket_s, padding=0)
        self.restyle()

    def restyle(self) -> None:
        """Take the colours of the current palette (light or dark theme)."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        dark = background.lightness() < 128
        main = QColor(MAIN_COLOR[dark])
        bot = QColor(BOT_COLOR[dark])
        grid = QColor(text)
        grid.setAlpha(40)
        self.plot.setBackground(background)
        item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(grid))
            axis.setTextPen(pg.mkPen(text))
        item.showGrid(x=False, y=True, alpha=0.15)
        item.getAxis("left").setStyle(maxTickLevel=0)
        item.getAxis("bottom").setStyle(maxTickLevel=0)
        item.getAxis("bottom").setHeight(28)  # room for the times, whatever the range
        item.getAxis("left").setWidth(36)
        self.curve.setPen(pg.mkPen(main, width=2))
        self.curve.setSymbol("o")
        self.curve.setSymbolSize(4)
        self.curve.setSymbolBrush(main)
        self.curve.setSymbolPen(main)
        if self.bot_curve is not None:
            self.bot_curve.setPen(pg.mkPen(bot, width=2, style=Qt.PenStyle.DashLine))
            self.bot_curve.setSymbol("t")
            self.bot_curve.setSymbolSize(5)
            self.bot_curve.setSymbolBrush(bot)
            self.bot_curve.setSymbolPen(bot)
        self.reference.setPen(pg.mkPen(bot, width=2, style=Qt.PenStyle.DashLine))
        if self.bars is not None:
            fill = QColor(main)
            fill.setAlpha(180)
            self.bars.setOpts(brush=fill, pen=pg.mkPen(main))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.restyle()


class TrendCharts(QWidget):
    """The six charts in a grid of three columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        self.charts = {spec.key: TrendChart(spec) for spec in CHARTS}
        for number, chart in enumerate(self.charts.values()):
            grid.addWidget(chart, number // 3, number % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)

    def set_series(self, series: Sequence[Mapping[str, Any]], bucket_s: int, bot_reference: float | None) -> None:
        for chart in self.charts.values():
            chart.set_series(series, bucket_s, bot_reference if chart.spec.key == "csat_avg" else None)
