"""The composer under a held handoff's transcript: a reply to the customer, or a team note.

Enter sends, Shift+Enter starts a new line, Ctrl+Enter sends and opens Resolve; Ctrl+Shift+N
switches between reply and note; ``/`` at the start (or Ctrl+K) opens the saved replies. What
is typed is kept as a draft per handoff (the engine stores it), so switching handoffs or
restarting loses nothing. Sending only records: the engine's outbox sends it exactly once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from agent_desk.protocol.codes import MAX_TEXT_CHARS
from agent_desk.ui.widgets import plain_label, set_tip

#: How long typing rests before the draft is saved.
DRAFT_SAVE_MS = 600
#: From how many characters on the composer counts them.
COUNT_FROM = MAX_TEXT_CHARS - 1000
REPLY, NOTE = "reply", "note"


class ComposerEdit(QPlainTextEdit):
    """The text field: Enter sends, Shift+Enter is a new line, ``/`` first opens saved replies.

    Signals:
        submitted(bool): send; True when Resolve should open after it (Ctrl+Enter).
        pickRequested(): show the saved replies.
    """

    submitted = Signal(bool)
    pickRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit(bool(mods & Qt.KeyboardModifier.ControlModifier))
            return
        if event.text() == "/" and not self.toPlainText():
            self.pickRequested.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """Reply or note for the handoff shown; hidden when the person may do neither.

    Signals:
        sendRequested(str, str, str, bool): handoff id, ``reply`` or ``note``, the text, and
            whether Resolve should open after it.
        draftChanged(str, str, str): handoff id, mode, text ("" : forget the draft).
        pickRequested(): the person asked for the saved replies.
        refused(str): why nothing was sent (an empty message, one that is too long).

    Attributes:
        handoff_id: whose reply is typed ("" when none).
    """

    sendRequested = Signal(str, str, str, bool)
    draftChanged = Signal(str, str, str)
    pickRequested = Signal()
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Composer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.handoff_id = ""
        self._suggested = ""
        self._can_reply = False
        self._saved: tuple[str, str] = (REPLY, "")  # what the engine last heard, for this handoff
        self._build()
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.submitted.connect(self.send)
        self.edit.pickRequested.connect(self.pickRequested)
        self.send_button.clicked.connect(lambda: self.send(False))
        self.saved_button.clicked.connect(self.pickRequested)
        self._modes.idToggled.connect(self._on_mode_toggled)
        for keys, slot in (("Ctrl+Shift+N", self.toggle_note), ("Ctrl+K", self.pickRequested.emit)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(6)
        top = QHBoxLayout()
        top.setSpacing(4)
        self.reply_mode = QPushButton(self.tr("Reply"))
        set_tip(self.reply_mode, self.tr("Write to the customer"), self.tr("Reply mode"))
        self.note_mode = QPushButton(self.tr("Note"))
        set_tip(self.note_mode, self.tr("Write a note only the team sees (Ctrl+Shift+N)"), self.tr("Note mode"))
        self._modes = QButtonGroup(self)
        self._modes.setExclusive(True)
        for number, button in enumerate((self.reply_mode, self.note_mode)):
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setProperty("segment", True)
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self._modes.addButton(button, number)
            top.addWidget(button)
        self.reply_mode.setChecked(True)
        self.mode_hint = plain_label("", "ComposerHint")
        self.mode_hint.setAccessibleName(self.tr("Who will read it"))
        top.addSpacing(8)
        top.addWidget(self.mode_hint, 1)
        self.count = plain_label("", "ComposerCount")
        self.count.setAccessibleName(self.tr("Characters"))
        top.addWidget(self.count)
        layout.addLayout(top)
        suggestion = QHBoxLayout()
        suggestion.setSpacing(8)
        self.suggestion_text = plain_label("", "SuggestionText", wrap=True)
        self.suggestion_text.setAccessibleName(self.tr("Suggested opening line"))
        self.suggestion = QPushButton(self.tr("Use it"))
        self.suggestion.setObjectName("Suggestion")
        self.suggestion.setFlat(True)
        self.suggestion.setAutoDefault(False)
        self.suggestion.setCursor(Qt.CursorShape.PointingHandCursor)
        self.suggestion.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        set_tip(self.suggestion, self.tr("Start with this line, then edit it"), self.tr("Use the suggested opening"))
        self.suggestion.clicked.connect(self._use_suggestion)
        suggestion.addWidget(self.suggestion_text, 1)
        suggestion.addWidget(self.suggestion, 0, Qt.AlignmentFlag.AlignTop)
        self._suggestion_row = QWidget()
        self._suggestion_row.setLayout(suggestion)
        suggestion.setContentsMargins(0, 0, 0, 0)
        self._suggestion_row.hide()
        layout.addWidget(self._suggestion_row)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.edit = ComposerEdit()
        self.edit.setObjectName("ComposerEdit")
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(66)
        set_tip(
            self.edit,
            self.tr("Enter sends, Shift+Enter starts a new line, Ctrl+Enter sends and resolves, / saved replies"),
            self.tr("Message"),
        )
        row.addWidget(self.edit, 1)
        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setProperty("primary", True)
        self.send_button.setAutoDefault(False)
        set_tip(self.send_button, self.tr("Send (Enter); Ctrl+Enter sends and opens Resolve"), self.tr("Send"))
        self.saved_button = QPushButton(self.tr("Saved…"))
        self.saved_button.setAutoDefault(False)
        set_tip(self.saved_button, self.tr("Insert a saved reply (/ or Ctrl+K)"), self.tr("Saved replies"))
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.saved_button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        layout.addLayout(row)
        self._show_mode()

    # ---- what it is for ---------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return NOTE if self.note_mode.isChecked() else REPLY

    def set_handoff(self, handoff_id: str, can_reply: bool, draft: tuple[str, str] | None) -> None:
        """Compose for ``handoff_id`` ("" : nothing); the draft kept for it is restored.

        Args:
            handoff_id: the handoff shown.
            can_reply: the person holds it (else only a note can be written).
            draft: the (mode, text) kept for it, if any.
        """
        if handoff_id == self.handoff_id:
            if can_reply != self._can_reply:
                self._can_reply = can_reply
                self._show_mode()
            return
        self.save_draft()
        self.handoff_id = handoff_id
        self._can_reply = can_reply
        mode, text = draft if draft is not None else (REPLY, "")
        self._saved = (mode, text)
        self.edit.blockSignals(True)
        self.edit.setPlainText(text)
        self.edit.blockSignals(False)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        (self.note_mode if mode == NOTE or not can_reply else self.reply_mode).setChecked(True)
        self._show_mode()
        self._show_count()

    def insert(self, text: str) -> None:
        """Put ``text`` (a saved reply, filled in) where the cursor is, for the agent to edit."""
        self.edit.insertPlainText(text)
        self.edit.setFocus()

    def suggest(self, text: str | None) -> None:
        """Offer ``text`` as the first message (None: no offer), shown while nothing is typed."""
        self._suggested = text or ""
        self._show_suggestion()

    def _show_suggestion(self) -> None:
        offer = bool(self._suggested) and not self.edit.toPlainText() and self.mode == REPLY
        if offer:
            self.suggestion_text.setText(self.tr("Suggested opening: %1").replace("%1", self._suggested))
        self._suggestion_row.setVisible(offer)

    def _use_suggestion(self) -> None:
        self.insert(self._suggested)

    def toggle_note(self) -> None:
        """Switch between reply and note (a note only, when the person does not hold it)."""
        if self.note_mode.isChecked() and self._can_reply:
            self.reply_mode.setChecked(True)
        else:
            self.note_mode.setChecked(True)
        self.edit.setFocus()

    # ---- sending ------------------------------------------------------------------------------

    def send(self, then_resolve: bool = False) -> None:
        """Record what is typed; the field clears and the draft is forgotten."""
        text = self.edit.toPlainText().strip()
        if not self.handoff_id:
            return
        if not text:
            self.refused.emit(self.tr("Type a message first."))
            return
        if len(text) > MAX_TEXT_CHARS:
            self.refused.emit(
                self.tr("The message is %1 characters long; the most is %2.")
                .replace("%1", f"{len(text):,}")
                .replace("%2", f"{MAX_TEXT_CHARS:,}")
            )
            return
        mode = self.mode if self._can_reply else NOTE
        self.sendRequested.emit(self.handoff_id, mode, text, then_resolve)
        self.edit.clear()
        self.save_draft()

    # ---- drafts -------------------------------------------------------------------------------

    def save_draft(self) -> None:
        """Tell the engine what is typed now, if it changed since it was last told."""
        self._draft_timer.stop()
        if not self.handoff_id:
            return
        now = (self.mode, self.edit.toPlainText())
        if now != self._saved and (now[1] or self._saved[1]):
            self._saved = now
            self.draftChanged.emit(self.handoff_id, now[0], now[1])

    def _on_text_changed(self) -> None:
        self._show_count()
        self._show_suggestion()
        self._draft_timer.start()

    def _on_mode_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self._show_mode()
            self._show_suggestion()
            if self.edit.toPlainText():
                self._draft_timer.start()

    # ---- looks --------------------------------------------------------------------------------

    def _show_mode(self) -> None:
        self.reply_mode.setEnabled(self._can_reply)
        self.reply_mode.setToolTip(
            self.tr("Write to the customer")
            if self._can_reply
            else self.tr("Only the person holding the handoff writes to the customer; claim it first")
        )
        note = self.note_mode.isChecked()
        self.setProperty("note", note)
        self.mode_hint.setText(
            self.tr("Not sent to the customer") if note else self.tr("To the customer · / saved replies")
        )
        self.edit.setPlaceholderText(
            self.tr("A note only the team sees…")
            if note
            else self.tr("Type a reply… Enter sends, Shift+Enter starts a new line, Ctrl+Enter sends and resolves")
        )
        self.send_button.setText(self.tr("Add note") if note else self.tr("Send"))
        for widget in (self, self.edit, self.mode_hint):
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def _show_count(self) -> None:
        length = len(self.edit.toPlainText())
        self.count.setVisible(length >= COUNT_FROM)
        self.count.setText(f"{length:,} / {MAX_TEXT_CHARS:,}")
        self.count.setProperty("over", length > MAX_TEXT_CHARS)
        self.count.style().unpolish(self.count)
        self.count.style().polish(self.count)
