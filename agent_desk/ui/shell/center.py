"""The centre of the window: the queue, or one of the panels that take its place."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QWidget

from agent_desk.ui.icons import Icons
from agent_desk.ui.metrics.panel import MetricsPanel
from agent_desk.ui.queue.filter import QueueFilter
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.pane import QueuePane
from agent_desk.ui.sync.attention import AttentionPanel
from agent_desk.ui.team.agents import AgentsPanel
from agent_desk.ui.team.floor import FloorPanel
from agent_desk.ui.theme import ThemeManager

#: The panels by the names the sidebar uses; "queue" is the queue pane.
PANELS = ("queue", "agents", "metrics", "attention", "floor")


class CenterStack(QStackedWidget):
    """One of: the queue, the team (leads), the metrics (leads), Needs attention, the floor (leads).

    Attributes:
        queue_pane, agents_panel, metrics_panel, attention_panel, floor_panel: the panels.
    """

    def __init__(
        self,
        model: QueueModel,
        proxy: QueueFilter,
        themes: ThemeManager,
        icons: Icons,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.queue_pane = QueuePane(model, proxy, themes, icons)
        self.agents_panel = AgentsPanel(themes, icons)
        self.metrics_panel = MetricsPanel(icons)
        self.attention_panel = AttentionPanel(icons, model.describe)
        self.floor_panel = FloorPanel()
        self._panels: dict[str, QWidget] = dict(
            zip(
                PANELS,
                (self.queue_pane, self.agents_panel, self.metrics_panel, self.attention_panel, self.floor_panel),
                strict=True,
            )
        )
        for widget in self._panels.values():
            self.addWidget(widget)

    @staticmethod
    def known(panel: str) -> str:
        """``panel`` when it is one of :data:`PANELS`, else "queue"."""
        return panel if panel in PANELS else "queue"

    def show_panel(self, panel: str) -> None:
        widget = self._panels[self.known(panel)]
        if self.currentWidget() is not widget:
            self.setCurrentWidget(widget)
