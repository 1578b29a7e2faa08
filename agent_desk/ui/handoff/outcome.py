"""A resolved handoff's outcome, as it was recorded: result, CSAT, disposition, feedback, notes,
who recorded it and when (the time the person recorded it, not the time it reached the hub)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from agent_desk.client.handoff_view import OutcomeView
from agent_desk.client.surface import Handoff
from agent_desk.ui import labels
from agent_desk.ui.text import format_clock, one_line, parse_ts, safe_text
from agent_desk.ui.widgets import plain_label, set_tip

#: Notes longer than this are cut in the card (all of them show in its tooltip).
NOTES_SHOWN_CHARS = 400
MAX_NOTES_CHARS = 10_000


def format_when(timestamp: float | None, now: float | None = None) -> str:
    """``10:05`` today, ``20 Nov 10:05`` on another day ("" when unknown)."""
    if timestamp is None:
        return ""
    moment = datetime.fromtimestamp(timestamp)
    today = datetime.fromtimestamp(now) if now is not None else datetime.now()
    if moment.date() == today.date():
        return format_clock(timestamp)
    return f"{moment.day} {moment.strftime('%b')} {format_clock(timestamp)}"


class OutcomeCard(QWidget):
    """What was recorded when the handoff was resolved; hidden for one that is not.

    Attributes:
        result, csat, disposition, feedback, notes, recorded: one line each, hidden when the
            outcome does not say.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OutcomeCard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName(self.tr("Outcome"))
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 10, 16, 10)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        self.result = self._row(grid, 0, self.tr("Outcome"), "OutcomeResult")
        self.csat = self._row(grid, 1, self.tr("CSAT"), "CardLine")
        self.disposition = self._row(grid, 2, self.tr("Disposition"), "CardLine")
        self.feedback = self._row(grid, 3, self.tr("Handover was"), "CardLine")
        self.notes = self._row(grid, 4, self.tr("Notes"), "OutcomeNotes")
        self.recorded = self._row(grid, 5, self.tr("Recorded"), "CardLine")
        grid.setColumnStretch(1, 1)
        self.hide()

    def _row(self, grid: QGridLayout, row: int, title: str, name: str) -> QLabel:
        heading = plain_label(title, "SectionLabel")
        heading.setAlignment(Qt.AlignmentFlag.AlignTop)
        value = plain_label("", name, wrap=True)
        value.setAccessibleName(title)
        value.setProperty("heading", heading)
        grid.addWidget(heading, row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(value, row, 1)
        return value

    @staticmethod
    def _say(value: QLabel, text: str) -> None:
        value.setText(text)
        value.setVisible(bool(text))
        heading = value.property("heading")
        if isinstance(heading, QLabel):
            heading.setVisible(bool(text))

    def show_handoff(self, handoff: Handoff | None, me: str = "") -> None:
        """Show the outcome of ``handoff`` when it is resolved (hide otherwise).

        Args:
            me: the signed-in user, named "you" when they recorded it.
        """
        if handoff is None or handoff.status != "resolved":
            self.hide()
            return
        outcome = handoff.outcome or OutcomeView()
        resolution = outcome.resolution
        self._say(self.result, labels.resolution_label(resolution) if resolution else labels.status_label("resolved"))
        csat = outcome.csat
        self._say(self.csat, self.tr("%1 of 5").replace("%1", str(csat)) if csat is not None else "")
        self._say(self.disposition, one_line(outcome.disposition, 200))
        feedback = outcome.escalation_feedback
        self._say(self.feedback, labels.feedback_label(feedback) if feedback else "")
        notes = safe_text(outcome.notes, MAX_NOTES_CHARS) if outcome.notes else ""
        cut = notes if len(notes) <= NOTES_SHOWN_CHARS else notes[: NOTES_SHOWN_CHARS - 1].rstrip() + "…"
        self._say(self.notes, cut)
        set_tip(self.notes, notes, self.tr("Notes"))
        self._say(self.recorded, self._recorded(outcome, handoff, me))
        self.show()

    def _recorded(self, outcome: OutcomeView, handoff: Handoff, me: str) -> str:
        by = one_line(outcome.recorded_by, 60)
        who = self.tr("you") if by and by == me else by
        # The time the person recorded it; a hub that keeps only its own time has resolved_at.
        when = format_when(parse_ts(outcome.recorded_at) or parse_ts(handoff.resolved_at))
        if who and when:
            return self.tr("by %1 at %2").replace("%1", who).replace("%2", when)
        if who:
            return self.tr("by %1").replace("%1", who)
        return self.tr("at %1").replace("%1", when) if when else ""
