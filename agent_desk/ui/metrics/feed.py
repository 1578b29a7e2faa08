"""The lead's figures and targets, fetched through the engine when the metrics panel asks for
them; a passed target notified once; the view exported to CSV."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from agent_desk.ui.bridge import Bridge
from agent_desk.ui.metrics.export import metrics_csv
from agent_desk.ui.metrics.panel import MetricsPanel
from agent_desk.ui.metrics.targets import Breach, describe
from agent_desk.ui.notify import Notifier


class MetricsFeed(QObject):
    """Asks the engine for figures when the panel wants them; shows the answer to the last ask.

    An answer to an earlier ask is dropped: the period may have changed since.

    Signals:
        queueRequested(str): show the queue view filtered to this queue.
        searchRequested(str): show the queue view searched for this (a trigger's name).
        panelRequested(str): show this panel (``queue``).
        exported(str): the CSV was written to this path.

    Attributes:
        notifier: tells the lead once per target passed (None: the banner only).
    """

    queueRequested = Signal(str)
    searchRequested = Signal(str)
    panelRequested = Signal(str)
    exported = Signal(str)
    #: Internal: a file written off the GUI thread (path, error or ""), delivered back to it.
    _written = Signal(str, str)

    def __init__(
        self,
        bridge: Bridge,
        panel: MetricsPanel,
        parent: QObject | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._panel = panel
        self.notifier = notifier
        self._request: str | None = None
        self._targets_request: str | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._written.connect(self._on_written, Qt.ConnectionType.QueuedConnection)
        self._panel.refreshRequested.connect(self.on_refresh_requested)
        self._panel.targetsSaveRequested.connect(self.on_targets_save_requested)
        self._bridge.targetsChanged.connect(self._panel.set_targets)  # another lead changed them
        self._panel.breachesFound.connect(self.on_breaches_found)
        self._panel.openRequested.connect(self.on_open_requested)
        self._panel.exportRequested.connect(self.on_export_requested)
        self._bridge.metricsReady.connect(self.on_metrics)

    def on_refresh_requested(self, since: str | None, until: str | None, bucket_s: int | None = None) -> None:
        self._request = self._bridge.request_metrics(since, until, bucket_s)
        if self._request is None:
            self._panel.show_error(self.tr("not signed in"))

    def on_targets_save_requested(self, targets: Mapping[str, float | None]) -> None:
        self._targets_request = self._bridge.set_targets(targets)
        if self._targets_request is None:
            self._panel.show_error(self.tr("targets not saved"))

    def on_breaches_found(self, breaches: list[Breach]) -> None:
        if self.notifier is None or not breaches:
            return
        title = (
            self.tr("Target passed")
            if len(breaches) == 1
            else self.tr("%1 targets passed").replace("%1", str(len(breaches)))
        )
        self.notifier.notify(title, "\n".join(describe(b) for b in breaches))

    def on_open_requested(self, where: str, name: str) -> None:
        if where == "queue":
            self.queueRequested.emit(name)
        else:
            self.queueRequested.emit("")
            self.searchRequested.emit(name)
        self.panelRequested.emit("queue")

    def on_export_requested(self) -> None:
        parent = self._panel if isinstance(self._panel, QWidget) else None
        path, _filter = QFileDialog.getSaveFileName(
            parent, self.tr("Export metrics"), "metrics.csv", self.tr("CSV files (*.csv)")
        )
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        """Write the view's last answer to ``path``: the text is made here, the file is written on
        a thread of its own (a slow or full disk never holds the window), ``exported`` follows."""
        text = metrics_csv(self._panel.data)

        def write() -> None:
            try:
                Path(path).write_text(text, encoding="utf-8")
            except OSError as error:
                self._written.emit(path, str(error) or type(error).__name__)
            else:
                self._written.emit(path, "")

        threading.Thread(target=write, name="metrics-export", daemon=True).start()

    def _on_written(self, path: str, error: str) -> None:
        if error:
            self._panel.show_error(self.tr("could not save %1: %2").replace("%1", path).replace("%2", error))
        else:
            self.exported.emit(path)

    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None:
        if request_id == self._targets_request:
            self._targets_request = None
            if data is not None:
                self._panel.set_targets(data.get("targets"))
            else:
                self._panel.show_error(self.tr("targets not saved: %1").replace("%1", error or self.tr("no answer")))
            return
        if request_id != self._request:
            return
        if data is not None:
            self._panel.show_metrics(data)
        else:
            self._panel.show_error(error or self.tr("no answer"))
