"""This agent's offers (routing by offers): the card above the queue, its keys, its alert.

Follows the handoffs the engine reports: a waiting handoff whose ``offer.to`` is this user is an
offer to answer. The most urgent one shows on the :class:`OfferCard` (the rest are counted on
it); a new one alerts once, with the platform's sound and a system notification when the window
is not the active one (never a modal). Accept is a claim, so an offer someone else took
meanwhile comes back refused like any claim; Decline asks the hub to move it on. A (accept) and
D (decline) work anywhere in the window except while typing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

from agent_desk.client.surface import Handoff, HandoffDelta
from agent_desk.protocol.timefmt import parse_time
from agent_desk.ui.bridge import Bridge
from agent_desk.ui.notify import Notifier
from agent_desk.ui.queue.offer_card import Offer, OfferCard
from agent_desk.ui.text import one_line

#: The offer's whole time when the hub's default is not known (seconds).
DEFAULT_OFFER_S = 30.0


def offer_of(handoff: Handoff, me: str, whole_s: float) -> Offer | None:
    """The offer ``handoff`` makes to ``me``, or None when it makes none (or none that is readable)."""
    offer = handoff.offer
    if not me or offer is None or offer.to != me or handoff.status != "waiting" or offer.expires_at is None:
        return None
    try:
        expires = parse_time(offer.expires_at)
    except ValueError:
        return None
    return Offer(
        handoff_id=handoff.id,
        customer=handoff.customer.name,
        tier=handoff.tier,
        priority=handoff.priority,
        queue=handoff.queue,
        brief=handoff.brief,
        expires_at=expires,
        seconds=whole_s,
    )


class OfferDesk(QObject):
    """The offers made to this user, shown one at a time on ``card``.

    Args:
        bridge: reports the handoffs; takes Accept (claim) and Decline.
        card: shows the offer at the head.
        notifier: alerts for a new offer.
        window: where A and D work; whether it is active decides the system notification.
        now: the hub's time (the desk's clock corrected by the hub's ``server_time``).

    Attributes:
        offers: handoff id -> the offer to this user, as last reported.
        me: this user's id.
    """

    def __init__(
        self,
        bridge: Bridge,
        card: OfferCard,
        notifier: Notifier,
        window: QWidget,
        now: Callable[[], datetime],
    ) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._card = card
        self._notifier = notifier
        self._window = window
        self._now = now
        self._answered: set[str] = set()  # accepted or declined here; hidden until the hub moves on
        self._alerted: set[tuple[str, str]] = set()  # (handoff id, expires_at) already announced
        self.offers: dict[str, Offer] = {}
        self.me = ""
        card.set_clock(now)
        card.acceptRequested.connect(self.accept)
        card.declineRequested.connect(self.decline)
        bridge.handoffsChanged.connect(self.on_handoffs)
        self.keys: dict[str, QShortcut] = {}
        for name, key, slot in (("accept", "A", self.accept_shown), ("decline", "D", self.decline_shown)):
            shortcut = QShortcut(QKeySequence(key), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.setEnabled(False)
            shortcut.activated.connect(slot)
            self.keys[name] = shortcut

    def set_user(self, user_id: str) -> None:
        """Who is signed in (every ``hello``; a reconnect of the same user keeps its offers)."""
        if user_id != self.me:
            self.me = user_id
            self.offers.clear()
        self._show()

    def on_handoffs(self, delta: HandoffDelta) -> None:
        if delta.reset:
            self.offers.clear()
        fresh: list[Offer] = []
        for handoff in delta.upserts:
            offer = offer_of(handoff, self.me, DEFAULT_OFFER_S)
            if offer is None:
                self.offers.pop(handoff.id, None)
                self._answered.discard(handoff.id)
                continue
            earlier = self.offers.get(handoff.id)
            if earlier is not None and earlier.expires_at == offer.expires_at:
                offer = earlier  # the same offer, reported again: its whole time stays
            else:  # a new offer: its whole time is what is left now (the hub sends no start)
                whole = max(1.0, (offer.expires_at - self._now()).total_seconds())
                offer = replace(offer, seconds=whole)
            self.offers[handoff.id] = offer
            key = (handoff.id, offer.expires_at.isoformat())
            if key not in self._alerted:
                self._alerted.add(key)
                self._answered.discard(handoff.id)
                fresh.append(offer)  # also one found at sign-in: it is counting down
        for handoff_id in delta.removed:
            self.offers.pop(handoff_id, None)
        self._show()
        if fresh:
            self._alert(fresh[0])

    def pending(self) -> list[Offer]:
        """The offers still to answer, most urgent first (priority, tier, then soonest expiry)."""
        tiers = {"vip": 0, "premium": 1, "standard": 2, "free": 3}
        now = self._now()
        waiting = [o for o in self.offers.values() if o.handoff_id not in self._answered and o.expires_at > now]
        return sorted(waiting, key=lambda o: (o.priority, tiers.get(o.tier, 2), o.expires_at))

    def _show(self) -> None:
        pending = self.pending()
        self._card.show_offer(pending[0] if pending else None, max(0, len(pending) - 1))
        for shortcut in self.keys.values():
            shortcut.setEnabled(bool(pending))

    def _alert(self, offer: Offer) -> None:
        active = self._window.isActiveWindow()
        title = self._notifier.tr("Offer: %1").replace("%1", one_line(offer.customer, 80) or "a customer")
        self._notifier.notify(title, one_line(offer.brief, 200), system=not active)

    # ---- answers ----------------------------------------------------------------------------

    def accept(self, handoff_id: str) -> None:
        """Take the offered handoff (a claim)."""
        self._answered.add(handoff_id)
        self._bridge.claim(handoff_id)
        self._show()

    def decline(self, handoff_id: str) -> None:
        """Let the hub offer it to the next agent."""
        self._answered.add(handoff_id)
        self._bridge.decline(handoff_id)
        self._show()

    def accept_shown(self) -> None:
        if self._card.offer is not None and not _typing():
            self._card.accept()

    def decline_shown(self) -> None:
        if self._card.offer is not None and not _typing():
            self._card.decline()


def _typing() -> bool:
    """Whether the keyboard is in a text field (A and D are letters there)."""
    focus = QApplication.focusWidget()
    return focus is not None and (focus.inherits("QLineEdit") or focus.inherits("QPlainTextEdit"))
