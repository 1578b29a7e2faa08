"""The Resolve sheet: resolution, CSAT, disposition, notes, and whether the handoff was timely.

Small and keyboard-first: Enter records it from any field (Shift+Enter starts a new line in the
notes), Esc cancels. Recording never waits for the hub; the engine keeps it until it is synced.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.surface import Handoff
from agent_desk.protocol.codes import MAX_TEXT_CHARS
from agent_desk.ui import labels
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip

RESOLUTIONS = ("resolved", "unresolved", "follow_up", "transferred")
FEEDBACK = ("appropriate", "premature", "late")
MAX_DISPOSITION_CHARS = 200


class NotesEdit(QPlainTextEdit):
    """Notes: Enter records the outcome, Shift+Enter adds a line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)
        if len(self.toPlainText()) > MAX_TEXT_CHARS:
            cursor = self.textCursor()
            self.setPlainText(self.toPlainText()[:MAX_TEXT_CHARS])
            cursor.movePosition(cursor.MoveOperation.End)
            self.setTextCursor(cursor)


class ResolveDialog(QDialog):
    """Collects an outcome for one handoff.

    Signals:
        recorded(str, dict): the handoff id and the outcome, as the protocol shapes it.
    """

    recorded = Signal(str, dict)

    def __init__(self, handoff: Handoff, dispositions: tuple[str, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.handoff_id = handoff.id
        self.setWindowTitle(self.tr("Resolve handoff"))
        self.setObjectName("ResolveDialog")
        self.setModal(True)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        title = plain_label(one_line(handoff.customer.name, 120) or self.tr("Resolve"), "PanelTitle")
        brief = plain_label(one_line(handoff.brief, 300), "DialogInfo", wrap=True)
        layout.addWidget(title)
        layout.addWidget(brief)

        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.resolution = QComboBox()
        for value in RESOLUTIONS:
            self.resolution.addItem(labels.resolution_label(value), value)
        set_tip(self.resolution, self.tr("How it ended for the customer"), self.tr("Resolution"))
        form.addRow(self.tr("&Resolution"), self.resolution)

        csat_row = QHBoxLayout()
        csat_row.setSpacing(10)
        self.csat_group = QButtonGroup(self)
        self._csat_buttons: dict[int, QRadioButton] = {}
        none = QRadioButton(self.tr("Not asked"))
        set_tip(none, self.tr("No satisfaction score from the customer"), self.tr("CSAT not asked"))
        none.setChecked(True)
        self.csat_group.addButton(none, 0)
        csat_row.addWidget(none)
        for score in range(1, 6):
            button = QRadioButton(str(score))
            set_tip(
                button,
                self.tr("Customer satisfaction %1 of 5").replace("%1", str(score)),
                self.tr("CSAT %1").replace("%1", str(score)),
            )
            self.csat_group.addButton(button, score)
            self._csat_buttons[score] = button
            csat_row.addWidget(button)
        csat_row.addStretch(1)
        csat_box = QWidget()
        csat_box.setLayout(csat_row)
        csat_row.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("CSAT"), csat_box)

        self.disposition = QComboBox()
        self.disposition.setEditable(True)
        self.disposition.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.disposition.addItem("")
        for value in dispositions or self.default_dispositions():
            self.disposition.addItem(value)
        disposition_edit = self.disposition.lineEdit()
        assert disposition_edit is not None  # an editable combo box always has one
        self._disposition_edit = disposition_edit
        disposition_edit.setMaxLength(MAX_DISPOSITION_CHARS)
        disposition_edit.setPlaceholderText(self.tr("e.g. refund issued"))
        set_tip(self.disposition, self.tr("What was done, in a few words"), self.tr("Disposition"))
        form.addRow(self.tr("&Disposition"), self.disposition)

        self.notes = NotesEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText(self.tr("Notes for the team (Shift+Enter for a new line)"))
        self.notes.setFixedHeight(84)
        set_tip(self.notes, self.tr("Anything the next person should know"), self.tr("Notes"))
        form.addRow(self.tr("&Notes"), self.notes)

        feedback_row = QHBoxLayout()
        feedback_row.setContentsMargins(0, 0, 0, 0)
        feedback_row.setSpacing(10)
        self.feedback_group = QButtonGroup(self)
        unsure = QRadioButton(self.tr("Not sure"))
        unsure.setChecked(True)
        set_tip(unsure, self.tr("No feedback on the timing"), self.tr("Escalation timing not rated"))
        self.feedback_group.addButton(unsure, 0)
        feedback_row.addWidget(unsure)
        for number, value in enumerate(FEEDBACK, start=1):
            button = QRadioButton(labels.feedback_label(value))
            set_tip(
                button,
                self.tr("The bot handed over: %1").replace("%1", labels.feedback_label(value).lower()),
                labels.feedback_label(value),
            )
            self.feedback_group.addButton(button, number)
            feedback_row.addWidget(button)
        feedback_row.addStretch(1)
        feedback_box = QWidget()
        feedback_box.setLayout(feedback_row)
        form.addRow(self.tr("Handover was"), feedback_box)
        layout.addLayout(form)

        hint = plain_label(self.tr("Enter records it · Esc cancels · it syncs on its own"), "DialogInfo")
        buttons = self._buttons = QDialogButtonBox()
        self.record_button = buttons.addButton(self.tr("Record"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.record_button.setDefault(True)
        self.record_button.setProperty("primary", True)
        set_tip(self.record_button, self.tr("Record the outcome (Enter)"), self.tr("Record"))
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        set_tip(cancel, self.tr("Close without recording (Esc)"), self.tr("Cancel"))
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)

        self._connect_signals()
        self.resolution.setFocus()

    def _connect_signals(self) -> None:
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self.notes.submitted.connect(self.accept)
        self._disposition_edit.returnPressed.connect(self.accept)

    @staticmethod
    def default_dispositions() -> tuple[str, ...]:
        return (
            QCoreApplication.translate("ResolveDialog", "refund issued"),
            QCoreApplication.translate("ResolveDialog", "charge corrected"),
            QCoreApplication.translate("ResolveDialog", "replacement sent"),
            QCoreApplication.translate("ResolveDialog", "fixed on a call"),
            QCoreApplication.translate("ResolveDialog", "explained policy"),
            QCoreApplication.translate("ResolveDialog", "passed to specialist team"),
        )

    def set_csat(self, score: int | None) -> None:
        button = self.csat_group.button(score or 0)
        if button is not None:
            button.setChecked(True)

    def set_feedback(self, value: str | None) -> None:
        number = FEEDBACK.index(value) + 1 if value in FEEDBACK else 0
        self.feedback_group.button(number).setChecked(True)

    def outcome(self) -> dict[str, Any]:
        """The outcome as the protocol wants it; empty optional fields left out."""
        outcome: dict[str, Any] = {"resolution": self.resolution.currentData() or "resolved"}
        score = self.csat_group.checkedId()
        outcome["csat"] = score if 1 <= score <= 5 else None
        disposition = self.disposition.currentText().strip()[:MAX_DISPOSITION_CHARS]
        if disposition:
            outcome["disposition"] = disposition
        notes = self.notes.toPlainText().strip()[:MAX_TEXT_CHARS]
        if notes:
            outcome["notes"] = notes
        feedback = self.feedback_group.checkedId()
        outcome["escalation_feedback"] = FEEDBACK[feedback - 1] if 1 <= feedback <= len(FEEDBACK) else None
        return outcome

    def accept(self) -> None:
        self.recorded.emit(self.handoff_id, self.outcome())
        super().accept()
