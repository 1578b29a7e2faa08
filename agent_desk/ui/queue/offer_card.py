"""An offer as a card above the queue: who, how urgent, the brief, and a countdown ring.

Under routing by offers the hub offers a waiting handoff to one agent at a time. The card cannot
be missed (it sits above the queue in the accent colour) and is never a modal: the agent keeps
working and answers with Accept (A, or Enter on the card) or Decline (D). The ring shows the
time left; when it runs out the hub offers the handoff to someone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from agent_desk.ui import labels
from agent_desk.ui.text import one_line
from agent_desk.ui.theme import ThemeManager
from agent_desk.ui.widgets import plain_label, set_tip

#: How often the ring and the clock are redrawn.
TICK_MS = 250


@dataclass(frozen=True, slots=True)
class Offer:
    """What the card shows of an offered handoff."""

    handoff_id: str
    customer: str
    tier: str
    priority: int
    queue: str
    brief: str
    expires_at: datetime
    seconds: float  # the offer's whole time, for the ring's proportion


def clock_text(seconds: float) -> str:
    """``0:24`` for what is left (never below 0:00)."""
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


class CountdownRing(QWidget):
    """A ring that empties as the offer's time runs out, with the time left in its middle."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._themes = themes
        self.left_s = 0.0
        self.total_s = 1.0
        self.setFixedSize(46, 46)

    def set_time(self, left_s: float, total_s: float) -> None:
        self.left_s, self.total_s = max(0.0, left_s), max(0.001, total_s)
        self.setAccessibleName(self.tr("%1 left to answer").replace("%1", clock_text(self.left_s)))
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(4, 4, self.width() - 8, self.height() - 8)
        themes = self._themes
        painter.setPen(QPen(themes.color("divider"), 4))
        painter.drawEllipse(rect)
        share = min(1.0, self.left_s / self.total_s)
        urgent = self.left_s <= 10
        ring = QPen(themes.color("danger" if urgent else "accent"), 4)
        ring.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(ring)
        painter.drawArc(rect, 90 * 16, int(share * 360 * 16))
        painter.setPen(themes.color("text"))
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), clock_text(self.left_s))
        painter.end()


class OfferCard(QFrame):
    """The offer at the head of this agent's offers, above the queue.

    Signals:
        acceptRequested(str), declineRequested(str): the person answered the offer of this id.

    Attributes:
        offer: the offer shown (None: the card is hidden).
    """

    acceptRequested = Signal(str)
    declineRequested = Signal(str)

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OfferCard")
        self.setAccessibleName(self.tr("Offer"))
        self.offer: Offer | None = None
        self._now: Callable[[], datetime] = lambda: datetime.now(UTC)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(12)
        self.ring = CountdownRing(themes)
        layout.addWidget(self.ring)
        words = QVBoxLayout()
        words.setSpacing(2)
        self.title = plain_label("", "OfferTitle")
        self.title.setAccessibleName(self.tr("Offered handoff"))
        self.brief = plain_label("", "OfferBrief", wrap=True)
        self.brief.setAccessibleName(self.tr("Brief"))
        self.more = plain_label("", "Meta")
        self.more.setAccessibleName(self.tr("More offers"))
        words.addWidget(self.title)
        words.addWidget(self.brief)
        words.addWidget(self.more)
        layout.addLayout(words, 1)
        self.accept_button = QPushButton(self.tr("Accept"))
        self.accept_button.setProperty("primary", True)
        self.accept_button.setDefault(True)
        set_tip(self.accept_button, self.tr("Take this handoff (A, or Enter here)"), self.tr("Accept the offer"))
        self.decline_button = QPushButton(self.tr("Decline"))
        set_tip(self.decline_button, self.tr("Let the hub offer it to someone else (D)"), self.tr("Decline the offer"))
        for button in (self.accept_button, self.decline_button):
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.accept_button.clicked.connect(self.accept)
        self.decline_button.clicked.connect(self.decline)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self.hide()

    def set_clock(self, now: Callable[[], datetime]) -> None:
        """Use ``now()`` (an aware datetime) instead of the system clock (the hub's time, tests)."""
        self._now = now

    def show_offer(self, offer: Offer | None, more: int = 0) -> None:
        """Show ``offer`` (None: hide the card); ``more`` offers wait behind it."""
        self.offer = offer
        if offer is None:
            self._timer.stop()
            self.hide()
            return
        tier = labels.tier_label(offer.tier) if offer.tier in ("vip", "premium") else ""
        parts = [
            self.tr("Offer: %1").replace("%1", one_line(offer.customer, 80) or self.tr("a customer")),
            tier,
            f"P{offer.priority}",
            one_line(offer.queue, 40),
        ]
        self.title.setText("  ·  ".join(p for p in parts if p))
        self.brief.setText(one_line(offer.brief, 240))
        self.more.setText(self.tr("%1 more offer(s) after this one").replace("%1", str(more)) if more else "")
        self.more.setVisible(bool(more))
        self._tick()
        self._timer.start()
        self.show()

    def left_s(self) -> float:
        """Seconds left to answer the offer shown (0 when none)."""
        if self.offer is None:
            return 0.0
        return max(0.0, (self.offer.expires_at - self._now()).total_seconds())

    def _tick(self) -> None:
        if self.offer is None:
            return
        left = self.left_s()
        self.ring.set_time(left, self.offer.seconds)
        self.accept_button.setEnabled(left > 0)
        self.decline_button.setEnabled(left > 0)
        if left <= 0:
            self.brief.setText(self.tr("Time is up: the hub is offering it to someone else."))

    def accept(self) -> None:
        if self.offer is not None and self.left_s() > 0:
            self.acceptRequested.emit(self.offer.handoff_id)

    def decline(self) -> None:
        if self.offer is not None and self.left_s() > 0:
            self.declineRequested.emit(self.offer.handoff_id)
