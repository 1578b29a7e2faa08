"""The lead's figures, fetched through the engine when the metrics panel asks for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject

from agent_desk.ui.bridge import Bridge
from agent_desk.ui.metrics.panel import MetricsPanel


class MetricsFeed(QObject):
    """Asks the engine for figures when the panel wants them; shows the answer to the last ask.

    An answer to an earlier ask is dropped: the period may have changed since.
    """

    def __init__(self, bridge: Bridge, panel: MetricsPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._panel = panel
        self._request: str | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._panel.refreshRequested.connect(self.on_refresh_requested)
        self._bridge.metricsReady.connect(self.on_metrics)

    def on_refresh_requested(self, since: str | None, until: str | None) -> None:
        self._request = self._bridge.request_metrics(since, until)
        if self._request is None:
            self._panel.show_error(self.tr("not signed in"))

    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None:
        if request_id != self._request:
            return
        if data is not None:
            self._panel.show_metrics(data)
        else:
            self._panel.show_error(error or self.tr("no answer"))
