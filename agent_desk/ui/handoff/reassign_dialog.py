"""Reassign a handoff to a person or a queue (leads), or transfer it to a queue (agents)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.surface import Handoff, UserInfo
from agent_desk.ui import labels
from agent_desk.ui.text import one_line
from agent_desk.ui.widgets import plain_label, set_tip


class ReassignDialog(QDialog):
    """Picks a person or a queue for one handoff.

    Signals:
        chosen(str, object, object): handoff id, user id (or None), queue (or None).
    """

    chosen = Signal(str, object, object)

    def __init__(
        self,
        handoff: Handoff,
        users: Sequence[UserInfo],
        queues: Sequence[str],
        lead: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.handoff_id = handoff.id
        self.setWindowTitle(self.tr("Reassign handoff") if lead else self.tr("Transfer handoff"))
        self.setModal(True)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(plain_label(one_line(handoff.customer.name, 120) or self.windowTitle(), "PanelTitle"))
        layout.addWidget(plain_label(one_line(handoff.brief, 300), "DialogInfo", wrap=True))

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        self.group = QButtonGroup(self)
        self.to_person = QRadioButton(self.tr("To a &person"))
        set_tip(self.to_person, self.tr("They hold it at once, claimed in their name"), self.tr("Reassign to a person"))
        self.person = QComboBox()
        set_tip(self.person, self.tr("Who takes it; presence and handoffs held now are shown"), self.tr("Person"))
        for user in sorted(users, key=lambda u: (u.presence != "available", u.active, u.name.lower())):
            if user.role not in ("agent", "lead"):
                continue
            text = f"{one_line(user.name, 60)} · {labels.presence_label(user.presence)} · " + self.tr(
                "%1 active"
            ).replace("%1", str(user.active))
            self.person.addItem(text, user.id)
        self.to_queue = QRadioButton(self.tr("To a &queue"))
        set_tip(self.to_queue, self.tr("It waits in that queue for whoever is free"), self.tr("Move to a queue"))
        self.queue = QComboBox()
        set_tip(self.queue, self.tr("The queue it moves to"), self.tr("Queue"))
        current = handoff.queue
        for queue in queues:
            if queue != current:
                self.queue.addItem(one_line(queue, 60), queue)
        self.group.addButton(self.to_person, 1)
        self.group.addButton(self.to_queue, 2)
        row = 0
        if lead and self.person.count():
            grid.addWidget(self.to_person, row, 0)
            grid.addWidget(self.person, row, 1)
            row += 1
        else:
            self.to_person.hide()
            self.person.hide()
        grid.addWidget(self.to_queue, row, 0)
        grid.addWidget(self.queue, row, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        (self.to_person if self.to_person.isVisibleTo(self) else self.to_queue).setChecked(True)

        buttons = self._buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(
            self.tr("Reassign") if lead else self.tr("Transfer"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setDefault(True)
        self.ok_button.setProperty("primary", True)
        set_tip(self.ok_button, self.tr("Do it (Enter)"), self.ok_button.text())
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        set_tip(cancel, self.tr("Close without changing anything (Esc)"), self.tr("Cancel"))
        layout.addWidget(buttons)
        self._connect_signals()
        self.on_choice_toggled(0, True)

    def _connect_signals(self) -> None:
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self.group.idToggled.connect(self.on_choice_toggled)

    def on_choice_toggled(self, _id: int, _checked: bool) -> None:
        self.person.setEnabled(self.to_person.isChecked())
        self.queue.setEnabled(self.to_queue.isChecked())
        self._update_ok()

    def _update_ok(self) -> None:
        combo = self.person if self.to_person.isChecked() else self.queue
        self.ok_button.setEnabled(combo.count() > 0)

    def accept(self) -> None:
        if self.to_person.isChecked() and self.person.currentData():
            self.chosen.emit(self.handoff_id, self.person.currentData(), None)
        elif self.to_queue.isChecked() and self.queue.currentData():
            self.chosen.emit(self.handoff_id, None, self.queue.currentData())
        else:
            return
        super().accept()
