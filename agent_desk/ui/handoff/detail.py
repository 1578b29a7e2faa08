"""The handoff in focus: brief, reasons, customer, what the bot tried, the live transcript, actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from agent_desk.client.handoff_view import MessageView
from agent_desk.client.surface import Handoff, SyncState
from agent_desk.ui import labels
from agent_desk.ui.handoff.composer import Composer
from agent_desk.ui.handoff.outcome import OutcomeCard
from agent_desk.ui.handoff.transcript import TranscriptModel, TranscriptView
from agent_desk.ui.icons import Icons
from agent_desk.ui.marks import reason_tooltip
from agent_desk.ui.text import format_clock, format_money, one_line, parse_ts
from agent_desk.ui.theme import ThemeManager
from agent_desk.ui.widgets import FlowLayout, chip, plain_label, rule, set_tip

MAX_ATTEMPTS_SHOWN = 4
MAX_HISTORY_SHOWN = 2


class DetailPane(QWidget):
    """Shows one handoff and offers its actions.

    Signals:
        claimRequested(str), releaseRequested(str), resolveRequested(str),
        reassignRequested(str): the person asked for an action on a handoff id.

    Attributes:
        handoff_id: the handoff shown ("" when none).
    """

    claimRequested = Signal(str)
    releaseRequested = Signal(str)
    resolveRequested = Signal(str)
    reassignRequested = Signal(str)

    def __init__(self, themes: ThemeManager, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DetailPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._themes = themes
        self._icons = icons
        self.handoff_id = ""
        self._handoff: Handoff | None = None
        self._me = ""
        self._lead = False
        #: handoff id -> (mode, text) typed and not sent (kept by the engine across restarts)
        self.drafts: dict[str, tuple[str, str]] = {}
        #: handoff id -> messages the hub refused, with why ("needs attention" items)
        self.failed: dict[str, list[tuple[MessageView, str]]] = {}
        #: the suggested first message to the customer of a handoff (set by the conversation)
        self.opening_line: Callable[[Handoff], str] | None = None
        self._build()
        self._connect_signals()
        self.setAccessibleName(self.tr("Handoff details"))

    # ---- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        self._stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

        self._empty = plain_label(
            self.tr("Select a handoff to see its conversation.\nUp and Down move through the queue."),
            "DetailEmpty",
            wrap=True,
        )
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack.addWidget(self._empty)

        page = QWidget()
        self._stack.addWidget(page)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        header = QWidget()
        header.setObjectName("DetailHeader")
        head = QVBoxLayout(header)
        head.setContentsMargins(16, 14, 16, 10)
        head.setSpacing(6)
        self.brief = plain_label("", "Brief", wrap=True)
        self.brief.setAccessibleName(self.tr("Brief"))
        self.meta = plain_label("", "Meta", wrap=True)
        self.meta.setAccessibleName(self.tr("Handoff facts"))
        self._chips_box = QWidget()
        self.chips = FlowLayout(self._chips_box)
        self.sync_label = plain_label("", "SyncLabel")
        self.sync_label.setAccessibleName(self.tr("Sync state"))
        self.sync_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        meta_row = QHBoxLayout()
        meta_row.setSpacing(10)
        meta_row.addWidget(self.meta, 1)
        meta_row.addWidget(self.sync_label, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.brief)
        head.addLayout(meta_row)
        head.addWidget(self._chips_box)
        layout.addWidget(header)
        layout.addWidget(rule())

        card = QWidget()
        card.setObjectName("CustomerCard")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 10, 16, 10)
        card_layout.setSpacing(3)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.customer_name = plain_label("", "CardName")
        self.customer_name.setAccessibleName(self.tr("Customer name"))
        self.tier = plain_label("", "TierBadge")
        self.tier.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        top.addWidget(plain_label(self.tr("Customer"), "SectionLabel"))
        top.addWidget(self.customer_name)
        top.addWidget(self.tier)
        top.addStretch(1)
        card_layout.addLayout(top)
        self.customer_facts = plain_label("", "CardLine", wrap=True)
        self.customer_facts.setAccessibleName(self.tr("Customer facts"))
        self.history = plain_label("", "CardLine", wrap=True)
        self.history.setAccessibleName(self.tr("Customer history"))
        card_layout.addWidget(self.customer_facts)
        card_layout.addWidget(self.history)
        tried = QHBoxLayout()
        tried.setSpacing(8)
        tried_label = plain_label(self.tr("Bot tried"), "SectionLabel")
        tried_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.attempts = plain_label("", "AttemptLine", wrap=True)
        self.attempts.setAccessibleName(self.tr("What the bot tried"))
        tried.addWidget(tried_label, 0, Qt.AlignmentFlag.AlignTop)
        tried.addWidget(self.attempts, 1)
        card_layout.addLayout(tried)
        layout.addWidget(card)
        self.outcome = OutcomeCard()
        layout.addWidget(self.outcome)

        self.transcript_model = TranscriptModel(self)
        self.transcript = TranscriptView(self._themes)
        self.transcript.setModel(self.transcript_model)
        set_tip(
            self.transcript, self.tr("The conversation so far; Ctrl+C copies selected messages"), self.tr("Transcript")
        )
        layout.addWidget(self.transcript, 1)
        self.composer = Composer()
        layout.addWidget(self.composer)

        actions = QWidget()
        actions.setObjectName("ActionBar")
        bar = QHBoxLayout(actions)
        bar.setContentsMargins(12, 8, 12, 8)
        bar.setSpacing(8)
        self.claim_button = QPushButton(self._icons.icon("claim", "text"), self.tr("Claim"))
        self.claim_button.setProperty("primary", True)
        set_tip(self.claim_button, self.tr("Take this handoff (C)"), self.tr("Claim"))
        self.resolve_button = QPushButton(self._icons.icon("resolve", "text"), self.tr("Resolve…"))
        set_tip(self.resolve_button, self.tr("Record the outcome (R)"), self.tr("Resolve"))
        self.release_button = QPushButton(self._icons.icon("release", "text"), self.tr("Release"))
        set_tip(self.release_button, self.tr("Put it back in the queue for someone else"), self.tr("Release"))
        self.reassign_button = QPushButton(self._icons.icon("reassign", "text"), self.tr("Reassign…"))
        set_tip(self.reassign_button, self.tr("Give it to a person or another queue"), self.tr("Reassign"))
        self.done_label = plain_label("", "Meta")
        self.done_label.setAccessibleName(self.tr("Outcome"))
        self.done_label.hide()
        bar.addWidget(self.done_label)
        for button in (self.claim_button, self.resolve_button, self.release_button, self.reassign_button):
            button.setAutoDefault(False)
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(button.sizeHint().width() + 8)  # room for the ellipsis glyph
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addWidget(actions)

        self.setTabOrder(self.transcript, self.claim_button)
        self.setTabOrder(self.claim_button, self.resolve_button)
        self.setTabOrder(self.resolve_button, self.release_button)
        self.setTabOrder(self.release_button, self.reassign_button)

    def _connect_signals(self) -> None:
        self.claim_button.clicked.connect(self.on_claim_clicked)
        self.release_button.clicked.connect(self.on_release_clicked)
        self.resolve_button.clicked.connect(self.on_resolve_clicked)
        self.reassign_button.clicked.connect(self.on_reassign_clicked)
        self._themes.changed.connect(self.on_theme_changed)

    # ---- slots ----------------------------------------------------------------------------

    def on_claim_clicked(self) -> None:
        if self.handoff_id:
            self.claimRequested.emit(self.handoff_id)

    def on_release_clicked(self) -> None:
        if self.handoff_id:
            self.releaseRequested.emit(self.handoff_id)

    def on_resolve_clicked(self) -> None:
        if self.handoff_id:
            self.resolveRequested.emit(self.handoff_id)

    def on_reassign_clicked(self) -> None:
        if self.handoff_id:
            self.reassignRequested.emit(self.handoff_id)

    def on_theme_changed(self, _theme: Any) -> None:
        for button, name in (
            (self.claim_button, "claim"),
            (self.resolve_button, "resolve"),
            (self.release_button, "release"),
            (self.reassign_button, "reassign"),
        ):
            button.setIcon(self._icons.icon(name, "text"))
        if self._handoff is not None:
            self._show_sync(self._handoff)

    # ---- showing --------------------------------------------------------------------------

    def set_user(self, user_id: str, lead: bool) -> None:
        self._me = user_id
        self._lead = lead
        if self._handoff is not None:
            self._update_actions(self._handoff)

    def can(self, action: str) -> bool:
        """Whether ``action`` (claim, release, resolve, reassign) applies to what is shown."""
        h = self._handoff
        if h is None:
            return False
        status = h.status
        holder = h.assignee == self._me
        if action == "claim":
            return status == "waiting"
        if action in ("release", "resolve"):
            return status == "claimed" and (holder or self._lead)
        if action == "reassign":
            return status != "resolved" and (self._lead or (status == "claimed" and holder))
        return False

    def show_handoff(self, handoff: Handoff | None) -> None:
        """Show ``handoff`` (None: the empty state). Same id: refresh in place."""
        if handoff is None:
            self._handoff = None
            self.handoff_id = ""
            self.transcript_model.show("", ())
            self.composer.set_handoff("", False, None)
            self._stack.setCurrentWidget(self._empty)
            return
        self._handoff = handoff
        self.handoff_id = handoff.id
        self._stack.setCurrentIndex(1)
        self._show_header(handoff)
        self._show_customer(handoff)
        self.outcome.show_handoff(handoff, self._me)
        self.transcript_model.show(
            self.handoff_id,
            handoff.transcript,
            self._me,
            self.failed.get(self.handoff_id, ()),
        )
        self._show_composer(handoff)
        self._update_actions(handoff)
        self._show_sync(handoff)

    def _show_header(self, h: Handoff) -> None:
        self.brief.setText(one_line(h.brief, 500) or self.tr("No brief"))
        parts = [labels.priority_name(h.priority)]
        queue = one_line(h.queue, 60)
        category = one_line(h.category, 80)
        parts.append(f"{queue} / {category}" if category and category != queue else queue)
        if h.language:
            parts.append(one_line(h.language, 20))
        status = labels.status_label(h.status)
        assignee = h.assignee
        if assignee:
            who = self.tr("you") if assignee == self._me else one_line(assignee, 60)
            status = self.tr("%1 by %2").replace("%1", status).replace("%2", who)
        parts.append(status)
        escalated = format_clock(parse_ts(h.escalated_at))
        if escalated:
            parts.append(self.tr("handed over %1").replace("%1", escalated))
        self.meta.setText(" · ".join(p for p in parts if p))
        self.chips.clear()
        value = h.sentiment
        reasons = h.reasons
        triggers = {r.trigger for r in reasons}
        for reason in reasons:
            trigger = reason.trigger
            text = labels.trigger_label(trigger)
            if trigger == "negative_sentiment":  # the reading that raised it, not today's mood
                shown = reason.score if reason.score is not None else value
                if shown is not None:
                    text = f"{text} {shown:+.2f}"
            self.chips.addWidget(chip(text, reason_tooltip(reason, h)))
        if value is not None and "negative_sentiment" not in triggers:
            # No word for it ("negative"): triage did not find the mood a reason, and the brief
            # says so ("customer is calm"); a word here would contradict it.
            self.chips.addWidget(
                chip(
                    self.tr("sentiment %1").replace("%1", f"{value:+.2f}"),
                    self.tr(
                        "Overall sentiment of the customer's messages, from -1 (angry) to +1 (happy); "
                        "not a reason to hand over"
                    ),
                )
            )
        self._chips_box.updateGeometry()

    def _show_customer(self, h: Handoff) -> None:
        customer = h.customer
        self.customer_name.setText(one_line(customer.name, 120) or self.tr("Unknown customer"))
        tier = h.tier
        self.tier.setText(labels.tier_label(tier) if tier in ("vip", "premium") else "")
        self.tier.setProperty("tier", tier)
        self.tier.setVisible(tier in ("vip", "premium"))
        self.tier.style().unpolish(self.tier)
        self.tier.style().polish(self.tier)
        set_tip(self.tier, labels.tier_name(tier))
        facts = []
        money = format_money(customer.lifetime_value)
        if money:
            facts.append(self.tr("lifetime value %1").replace("%1", money))
        if customer.email:
            facts.append(one_line(customer.email, 120))
        if customer.locale:
            facts.append(one_line(customer.locale, 40))
        if not facts:
            facts.append(labels.tier_name(tier))
        self.customer_facts.setText(" · ".join(facts))
        history = customer.history
        lines = []
        if history:
            for item in history[:MAX_HISTORY_SHOWN]:
                lines.append("· " + self._history_line(item))
            if len(history) > MAX_HISTORY_SHOWN:
                lines.append(self.tr("and %1 earlier").replace("%1", str(len(history) - MAX_HISTORY_SHOWN)))
        self.history.setText("\n".join(lines))
        self.history.setVisible(bool(lines))
        attempts = h.attempts
        shown = []
        for number, attempt in enumerate(attempts[:MAX_ATTEMPTS_SHOWN], start=1):
            result = attempt.result or "unknown"
            mark = {"succeeded": "✓", "failed": "✗"}.get(result, "?")
            step = one_line(attempt.step, 120).replace("_", " ")  # bots name steps in code
            step = step[:1].upper() + step[1:]
            shown.append(f"{number}. {step} {mark} {labels.attempt_result_label(result)}")
        if len(attempts) > MAX_ATTEMPTS_SHOWN:
            shown.append(self.tr("and %1 more").replace("%1", str(len(attempts) - MAX_ATTEMPTS_SHOWN)))
        self.attempts.setText("\n".join(shown) if shown else self.tr("Nothing recorded"))

    @staticmethod
    def _history_line(item: Any) -> str:
        if isinstance(item, Mapping):
            when = item.get("at") or item.get("date") or ""
            what = item.get("summary") or item.get("text") or item.get("subject") or item.get("type") or ""
            parts = [one_line(when, 30)[:10], one_line(what, 160)]
            return " ".join(p for p in parts if p) or one_line(item, 160)
        return one_line(item, 160)

    def _update_actions(self, h: Handoff) -> None:
        """Show only the actions that apply now (a calmer bar than a row of disabled buttons)."""
        text = self.tr("Reassign…") if self._lead else self.tr("Transfer…")
        if self.reassign_button.text() != text:
            self.reassign_button.setText(text)
            self.reassign_button.setMinimumWidth(self.reassign_button.sizeHint().width() + 8)
        for button, action in (
            (self.claim_button, "claim"),
            (self.resolve_button, "resolve"),
            (self.release_button, "release"),
            (self.reassign_button, "reassign"),
        ):
            allowed = self.can(action)
            button.setEnabled(allowed)
            button.setVisible(allowed)
        # The first action takes the accent: Claim while waiting, Resolve once held.
        for button, primary in ((self.claim_button, True), (self.resolve_button, not self.can("claim"))):
            if button.property("primary") != primary:
                button.setProperty("primary", primary)
                button.style().unpolish(button)
                button.style().polish(button)
        self.done_label.hide()  # a resolved handoff's outcome has its own card (self.outcome)

    @property
    def handoff(self) -> Handoff | None:
        """The handoff shown (None: none)."""
        return self._handoff

    @property
    def me(self) -> str:
        return self._me

    def refresh(self) -> None:
        """Show the same handoff again (its drafts or refused messages changed)."""
        if self._handoff is not None:
            self.show_handoff(self._handoff)

    def opening_due(self) -> bool:
        """Whether the person holds the handoff and has not written to the customer yet."""
        h = self._handoff
        if h is None or h.status != "claimed" or h.assignee != self._me:
            return False
        return not any(m.role == "agent" for m in h.transcript)

    def _show_composer(self, h: Handoff) -> None:
        """The composer for a handoff the person holds (reply or note), or that a lead watches
        (notes); none for a waiting or resolved one."""
        holder = h.status == "claimed" and h.assignee == self._me
        shown = holder or (self._lead and h.status == "claimed")
        self.composer.setVisible(shown)
        self.composer.set_handoff(self.handoff_id if shown else "", holder, self.drafts.get(self.handoff_id))
        due = self.opening_line is not None and self.opening_due()
        self.composer.suggest(self.opening_line(h) if due and self.opening_line is not None else None)

    def _show_sync(self, h: Handoff) -> None:
        sync = h.sync
        text = {
            SyncState.SYNCED: "✓ " + labels.sync_label(SyncState.SYNCED),
            SyncState.PENDING: "◷ " + labels.sync_label(SyncState.PENDING),
            SyncState.ATTENTION: "⚠ " + labels.sync_label(SyncState.ATTENTION),
        }[sync]
        self.sync_label.setText(text)
        self.sync_label.setProperty("sync", sync.value)
        self.sync_label.style().unpolish(self.sync_label)
        self.sync_label.style().polish(self.sync_label)
        tips = {
            SyncState.SYNCED: self.tr("The hub has everything recorded here."),
            SyncState.PENDING: self.tr("Recorded on this computer; it goes to the hub as soon as it can."),
            SyncState.ATTENTION: self.tr("The hub refused a change; see Needs attention."),
        }
        set_tip(self.sync_label, tips[sync], text)
