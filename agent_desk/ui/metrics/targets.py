"""The team's targets: what a lead set (kept on the hub), which are passed, and the banner.

A target is passed when the period's figure is above it: time to escalation, wait p90, SLA
breaches per hour, and the handoff-rate spike (this hour's rate over the same hour's weekly
average, above the target ratio). The banner names the figure and the queue or trigger behind
it: the ``by_queue``/``by_trigger`` entry that is worst on that figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from agent_desk.client.lead_requests import TARGET_KEYS
from agent_desk.ui import labels
from agent_desk.ui.text import format_seconds, parse_ts
from agent_desk.ui.widgets import plain_label, set_tip


def number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse_targets(value: Any) -> dict[str, float | None]:
    """The known targets out of a hub answer (unknown keys dropped, non-numbers off)."""
    given = value if isinstance(value, Mapping) else {}
    return {key: number(given.get(key)) for key in TARGET_KEYS}


@dataclass(frozen=True, slots=True)
class Breach:
    """A target passed.

    Attributes:
        key: the target (``wait_p90_s``, ...).
        figure: what the period shows; target: what the lead set.
        where: ``queue`` or ``trigger`` (empty when no breakdown points anywhere); name: which.
    """

    key: str
    figure: float
    target: float
    where: str = ""
    name: str = ""

    @property
    def identity(self) -> tuple[str, str, str]:
        """The same breach across refreshes: the figure and what is behind it."""
        return (self.key, self.where, self.name)


def _hours(data: Mapping[str, Any]) -> float | None:
    """The period's length in hours, from its ``since``/``until`` (or its series)."""
    since, until = parse_ts(data.get("since")), parse_ts(data.get("until"))
    if since is not None and until is not None and until > since:
        return (until - since) / 3600
    return None


def _worst(data: Mapping[str, Any], field: str) -> tuple[str, str]:
    """The queue or trigger with the highest ``field`` (queues first on a tie)."""
    best: tuple[float, str, str] | None = None
    for where, key in (("queue", "by_queue"), ("trigger", "by_trigger")):
        entries = data.get(key)
        if not isinstance(entries, Mapping):
            continue
        for name, figures in entries.items():
            value = number(figures.get(field)) if isinstance(figures, Mapping) else None
            if value is not None and (best is None or value > best[0]):
                best = (value, where, str(name))
    return (best[1], best[2]) if best is not None else ("", "")


def find_breaches(data: Mapping[str, Any], targets: Mapping[str, float | None]) -> list[Breach]:
    """Every target the figures in ``data`` pass, in the order of :data:`TARGET_KEYS`."""
    found: list[Breach] = []
    checks: Sequence[tuple[str, Callable[[], float | None], str]] = (
        ("time_to_escalation_s", lambda: number(data.get("time_to_escalation_s")), "time_to_escalation_s"),
        ("wait_p90_s", lambda: number(data.get("wait_p90_s")), "wait_p90_s"),
        ("sla_breaches_per_hour", lambda: _per_hour(data), "sla_breaches"),
        ("handoff_rate_spike", lambda: _spike(data), "handoff_rate"),
    )
    for key, figure_of, field in checks:
        target = targets.get(key)
        figure = figure_of()
        if target is None or figure is None or figure <= target:
            continue
        where, name = _worst(data, field)
        found.append(Breach(key, figure, target, where, name))
    return found


def _per_hour(data: Mapping[str, Any]) -> float | None:
    breaches, hours = number(data.get("sla_breaches")), _hours(data)
    if breaches is None or not hours:
        return None
    return breaches / hours


def _spike(data: Mapping[str, Any]) -> float | None:
    now, usual = number(data.get("handoff_rate_hour")), number(data.get("handoff_rate_hour_weekly_avg"))
    if now is None or not usual:
        return None
    return now / usual


def target_title(key: str) -> str:
    return {
        "time_to_escalation_s": "Time to escalation",
        "wait_p90_s": "Wait p90",
        "sla_breaches_per_hour": "SLA breaches per hour",
        "handoff_rate_spike": "Handoff-rate spike",
    }.get(key, key)


def format_target(key: str, value: float) -> str:
    if key in ("time_to_escalation_s", "wait_p90_s"):
        return format_seconds(value)
    if key == "handoff_rate_spike":
        return f"{value:.1f}\u00d7"
    return f"{value:.1f}"


def describe(breach: Breach) -> str:
    """One line: the figure, against its target, and what is behind it."""
    text = (
        f"{target_title(breach.key)} {format_target(breach.key, breach.figure)}"
        f" (target {format_target(breach.key, breach.target)})"
    )
    if breach.where == "queue":
        text += f" · worst queue: {breach.name}"
    elif breach.where == "trigger":
        text += f" · worst trigger: {labels.trigger_label(breach.name)}"
    return text


class TargetsEditor(QFrame):
    """A small inline editor of the team's targets; 0 turns one off.

    Signals:
        saveRequested(object): the targets to keep (key -> number or None).
    """

    saveRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TargetsEditor")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(4)
        layout.addWidget(plain_label(self.tr("Targets"), "SectionLabel"), 0, 0)
        self.fields: dict[str, QDoubleSpinBox] = {}
        specs = {
            "time_to_escalation_s": (self.tr("Escalation ≤"), self.tr(" min"), 60.0, 1),
            "wait_p90_s": (self.tr("Wait p90 ≤"), self.tr(" min"), 60.0, 1),
            "sla_breaches_per_hour": (self.tr("Breaches/h ≤"), "", 1.0, 1),
            "handoff_rate_spike": (self.tr("Spike ≤"), "\u00d7", 1.0, 1),
        }
        self._scale: dict[str, float] = {}
        for place, (key, (caption, suffix, scale, decimals)) in enumerate(specs.items()):
            label = plain_label(caption, "MetricLabel")
            spin = QDoubleSpinBox()
            spin.setDecimals(decimals)
            spin.setRange(0.0, 9999.0)
            spin.setSuffix(suffix)
            spin.setSpecialValueText(self.tr("off"))
            spin.setKeyboardTracking(False)
            spin.setMaximumWidth(96)
            set_tip(spin, self.tr("%1: 0 turns it off").replace("%1", target_title(key)), target_title(key))
            label.setBuddy(spin)
            self.fields[key] = spin
            self._scale[key] = scale
            row, column = place // 2, 1 + (place % 2) * 2
            layout.addWidget(label, row, column, Qt.AlignmentFlag.AlignRight)
            layout.addWidget(spin, row, column + 1)
        self.save_button = QPushButton(self.tr("Save targets"))
        set_tip(self.save_button, self.tr("Keep these targets on the hub for the whole team"), self.tr("Save targets"))
        self.save_button.clicked.connect(self.on_save_clicked)
        layout.addWidget(self.save_button, 1, 5)
        layout.setColumnStretch(6, 1)

    def set_targets(self, targets: Mapping[str, float | None]) -> None:
        """Show ``targets``, unless the lead is editing one now (a refresh must not undo it)."""
        if any(spin.hasFocus() for spin in self.fields.values()):
            return
        for key, spin in self.fields.items():
            value = targets.get(key)
            spin.setValue(0.0 if value is None else value / self._scale[key])

    def targets(self) -> dict[str, float | None]:
        return {
            key: (spin.value() * self._scale[key] if spin.value() > 0 else None) for key, spin in self.fields.items()
        }

    def on_save_clicked(self) -> None:
        self.saveRequested.emit(self.targets())


class BreachBanner(QFrame):
    """The targets passed, in words, with a link to the handoffs behind the worst one.

    Signals:
        openRequested(str, str): ``queue`` or ``trigger``, and its name.
    """

    openRequested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AttentionBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.text = plain_label("", None, wrap=True)
        self.text.setAccessibleName(self.tr("Targets passed"))
        layout.addWidget(self.text, 1)
        self.link = QLabel()
        self.link.setTextFormat(Qt.TextFormat.RichText)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.link.linkActivated.connect(self.on_link)
        layout.addWidget(self.link)
        self.breaches: list[Breach] = []
        self.hide()

    def show_breaches(self, breaches: list[Breach]) -> None:
        self.breaches = list(breaches)
        if not breaches:
            self.hide()
            return
        self.text.setText("⚠ " + "\n".join(describe(b) for b in breaches))
        first = next((b for b in breaches if b.where), None)
        if first is None:
            self.link.clear()
        else:
            label = first.name if first.where == "queue" else labels.trigger_label(first.name)
            self.link.setText(
                f'<a href="{first.where}">{self.tr("Open %1 handoffs").replace("%1", _escape(label))}</a>'
            )
        self.link.setVisible(first is not None)
        self.show()

    def on_link(self, _href: str) -> None:
        first = next((b for b in self.breaches if b.where), None)
        if first is not None:
            self.openRequested.emit(first.where, first.name)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
