"""Which period the figures cover: today, the last 7 or 30 days, or two dates; and the bucket.

An hour is the bucket for today and for custom ranges of up to two days; a day otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QWidget

from agent_desk.protocol.timefmt import format_time
from agent_desk.ui.widgets import plain_label, set_tip

HOUR_S = 3600
DAY_S = 86400
#: Custom ranges up to this many days are charted by the hour.
HOURLY_UP_TO_DAYS = 2


@dataclass(frozen=True, slots=True)
class Period:
    """What to ask the hub: ``since``/``until`` as protocol times and the bucket in seconds."""

    since: str
    until: str
    bucket_s: int


def period_for(choice: str, now: datetime, first: date | None = None, last: date | None = None) -> Period:
    """The period ``choice`` (``today``, ``7d``, ``30d``, ``custom``) means at ``now`` (aware).

    ``custom`` runs from the start of ``first`` to the end of ``last`` (local days), or to
    ``now`` when ``last`` is today or later.
    """
    local = now.astimezone()
    if choice == "custom" and first is not None and last is not None:
        if last < first:
            first, last = last, first
        start = datetime.combine(first, time(0), local.tzinfo)
        end = min(datetime.combine(last + timedelta(days=1), time(0), local.tzinfo), local)
        days = (last - first).days + 1
        bucket = HOUR_S if days <= HOURLY_UP_TO_DAYS else DAY_S
        return Period(format_time(start.astimezone(UTC)), format_time(end.astimezone(UTC)), bucket)
    if choice in ("7d", "30d"):
        days = 7 if choice == "7d" else 30
        return Period(format_time(now - timedelta(days=days)), format_time(now), DAY_S)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return Period(format_time(midnight.astimezone(UTC)), format_time(now), HOUR_S)


class PeriodPicker(QWidget):
    """Today, 7 days, 30 days or custom (two date edits, shown for custom).

    Signals:
        changed(): the period changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.choice = QComboBox()
        self.choice.addItem(self.tr("Today"), "today")
        self.choice.addItem(self.tr("Last 7 days"), "7d")
        self.choice.addItem(self.tr("Last 30 days"), "30d")
        self.choice.addItem(self.tr("Custom"), "custom")
        set_tip(self.choice, self.tr("Which handoffs count: by when they were handed over"), self.tr("Period"))
        layout.addWidget(self.choice)
        today = QDate.currentDate()
        self.first = QDateEdit(today.addDays(-1))
        self.last = QDateEdit(today)
        self.dash = plain_label("\u2013", "MetricLabel")
        for edit, name in ((self.first, self.tr("From")), (self.last, self.tr("To"))):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMaximumDate(today)
            set_tip(edit, name, name)
        layout.addWidget(self.first)
        layout.addWidget(self.dash)
        layout.addWidget(self.last)
        self._show_dates()
        self.choice.currentIndexChanged.connect(self.on_choice_changed)
        self.first.dateChanged.connect(self.on_date_changed)
        self.last.dateChanged.connect(self.on_date_changed)

    def _show_dates(self) -> None:
        custom = self.choice.currentData() == "custom"
        for widget in (self.first, self.dash, self.last):
            widget.setVisible(custom)

    def on_choice_changed(self) -> None:
        self._show_dates()
        self.changed.emit()

    def on_date_changed(self, _date: QDate) -> None:
        self.changed.emit()

    def select(self, choice: str) -> None:
        self.choice.setCurrentIndex(self.choice.findData(choice))

    def period(self, now: datetime | None = None) -> Period:
        moment = now if now is not None else datetime.now(UTC)
        first, last = self.first.date(), self.last.date()
        return period_for(
            str(self.choice.currentData()),
            moment,
            date(first.year(), first.month(), first.day()),
            date(last.year(), last.month(), last.day()),
        )
