"""What each cell of the queue says, in words: its text (also read aloud) and its tooltip.

The delegate paints the cells; these are the words it draws and the model's ``data()`` answers
with, so a screen reader hears what the eye sees.
"""

from __future__ import annotations

import re
from typing import Protocol

from PySide6.QtCore import QCoreApplication

from agent_desk.client.surface import SyncState
from agent_desk.protocol.timefmt import parse_time
from agent_desk.ui import labels
from agent_desk.ui.queue.rows import Column, Row, Sla
from agent_desk.ui.text import format_duration, one_line, sentiment_word


class Waits(Protocol):
    """What the texts need from the queue: who is signed in and how long rows have waited."""

    me: str

    def now(self) -> float: ...

    def wait_seconds(self, record: Row) -> float | None: ...

    def sla_of(self, record: Row) -> Sla: ...

    def target_for(self, priority: int) -> float: ...


def header_text(section: int) -> str:
    return (
        QCoreApplication.translate("QueueModel", "P"),
        QCoreApplication.translate("QueueModel", "Tier"),
        QCoreApplication.translate("QueueModel", "Customer"),
        QCoreApplication.translate("QueueModel", "Queue"),
        QCoreApplication.translate("QueueModel", "Brief"),
        QCoreApplication.translate("QueueModel", "Signals"),
        QCoreApplication.translate("QueueModel", "Lang"),
        QCoreApplication.translate("QueueModel", "Status"),
        QCoreApplication.translate("QueueModel", "Wait"),
    )[section]


def header_tip(section: int) -> str:
    return (
        QCoreApplication.translate("QueueModel", "Priority, 1 is most urgent"),
        QCoreApplication.translate("QueueModel", "Customer tier"),
        QCoreApplication.translate("QueueModel", "Customer"),
        QCoreApplication.translate("QueueModel", "Queue"),
        QCoreApplication.translate("QueueModel", "What the customer needs"),
        QCoreApplication.translate("QueueModel", "Sentiment and why the bot handed over"),
        QCoreApplication.translate("QueueModel", "Conversation language"),
        QCoreApplication.translate("QueueModel", "Status and sync"),
        QCoreApplication.translate("QueueModel", "Time waiting, against the target"),
    )[section]


#: A tier mark a brief may put after the customer's name: "Dana Whitfield (VIP) ...".
_TIER_MARK = re.compile(r"\s*\((?:vip|premium|standard|free)\)", re.IGNORECASE)
#: What may join the name to the rest: "Dana Whitfield: ...", "Dana Whitfield - ...".
_JOINER = re.compile(r"^[\s:,;\-\u2013\u2014]+")


def brief_text(record: Row) -> str:
    """The brief as the Brief column shows it: without the customer's name and tier in front,
    which the row already shows ("Dana Whitfield (VIP) was charged twice" -> "Was charged twice")."""
    if record.brief is None:
        record.brief = _without_customer(one_line(record.handoff.brief, 300), record)
    return record.brief


def _without_customer(brief: str, record: Row) -> str:
    name = " ".join(record.handoff.customer.name.split())
    folded = brief.casefold()
    for who in (name, name.split(" ", 1)[0] if name else "", "The customer", "Customer"):
        if not who or not folded.startswith(who.casefold()):
            continue
        rest = brief[len(who) :]
        if rest and rest[0].isalnum():
            continue  # "Dan" is not "Dana"
        rest = _JOINER.sub("", _TIER_MARK.sub("", rest, count=1) if _TIER_MARK.match(rest) else rest)
        return rest[0].upper() + rest[1:] if rest else brief
    return brief


def customer_name(record: Row) -> str:
    return one_line(record.handoff.customer.name, 120) or QCoreApplication.translate("QueueModel", "Unknown customer")


def offer_left(waits: Waits, record: Row) -> float | None:
    """Seconds left on the offer of a waiting handoff (routing by offers), or None when none."""
    offer = record.handoff.offer
    if record.status != "waiting" or offer is None or offer.expires_at is None:
        return None
    try:
        expires = parse_time(offer.expires_at).timestamp()
    except ValueError:
        return None
    return max(0.0, expires - waits.now())


def offered_to(record: Row, me: str) -> str:
    offer = record.handoff.offer
    who = offer.to if offer is not None else ""
    return QCoreApplication.translate("QueueModel", "you") if who == me else one_line(who, 60)


def status_text(waits: Waits, record: Row) -> str:
    """The status in words ("You" for the user's own claims; whom a waiting handoff is offered
    to and for how long), with the sync state when not synced."""
    me = waits.me
    h = record.handoff
    status = record.status
    assignee = h.assignee
    left = offer_left(waits, record)
    if left is not None:
        text = f"→ {offered_to(record, me)} · {format_duration(left)}"
    elif status == "claimed":
        text = (
            QCoreApplication.translate("QueueModel", "You")
            if assignee == me
            else one_line(assignee, 60) or labels.status_label(status)
        )
    else:
        text = labels.status_label(status)
    sync = h.sync
    if sync != SyncState.SYNCED:
        text = f"{text} · {labels.sync_label(sync)}"
    return text


def display_text(waits: Waits, record: Row, column: int) -> str:
    h = record.handoff
    if column == Column.PRIORITY:
        return str(h.priority)
    if column == Column.TIER:
        return labels.tier_label(h.tier)
    if column == Column.CUSTOMER:
        return customer_name(record)
    if column == Column.QUEUE:
        return one_line(h.queue, 60)
    if column == Column.BRIEF:
        return brief_text(record)
    if column == Column.SIGNALS:
        word = labels.sentiment_label(sentiment_word(h.sentiment))
        triggers = ", ".join(labels.trigger_label(r.trigger) for r in h.reasons)
        return f"{word}; {triggers}" if triggers else word
    if column == Column.LANGUAGE:
        return one_line(h.language, 20)
    if column == Column.STATUS:
        return status_text(waits, record)
    if column == Column.WAIT:
        wait = waits.wait_seconds(record)
        return format_duration(wait) if wait is not None else ""
    return ""


def tooltip(waits: Waits, record: Row, column: int) -> str:
    h = record.handoff
    if column == Column.PRIORITY:
        return labels.priority_name(h.priority)
    if column == Column.TIER:
        return labels.tier_name(h.tier)
    if column == Column.QUEUE:
        category = one_line(h.category, 80)
        return (
            QCoreApplication.translate("QueueModel", "Queue %1, category %2")
            .replace("%1", one_line(h.queue, 60))
            .replace("%2", category)
            if category
            else one_line(h.queue, 60)
        )
    if column == Column.WAIT:
        return wait_tooltip(waits, record)
    if column == Column.STATUS and (left := offer_left(waits, record)) is not None:
        offer = record.handoff.offer
        return (
            QCoreApplication.translate("QueueModel", "Offered to %1 (round %2); %3 left to answer")
            .replace("%1", offered_to(record, waits.me))
            .replace("%2", str(offer.round if offer is not None else 1))
            .replace("%3", format_duration(left))
        )
    return display_text(waits, record, column)


def wait_tooltip(waits: Waits, record: Row) -> str:
    """How long it has waited against its target, or how long it waited before it was taken."""
    wait = waits.wait_seconds(record)
    if wait is None:
        return ""
    target = waits.target_for(record.handoff.priority)
    sla = waits.sla_of(record)
    if sla == Sla.BREACHED:
        return (
            QCoreApplication.translate("QueueModel", "Waiting %1; target %2, passed by %3")
            .replace("%1", format_duration(wait))
            .replace("%2", format_duration(target))
            .replace("%3", format_duration(wait - target))
        )
    if sla in (Sla.OK, Sla.NEAR):
        return (
            QCoreApplication.translate("QueueModel", "Waiting %1; target %2, %3 left")
            .replace("%1", format_duration(wait))
            .replace("%2", format_duration(target))
            .replace("%3", format_duration(target - wait))
        )
    return QCoreApplication.translate("QueueModel", "Waited %1 before someone took it").replace(
        "%1", format_duration(wait)
    )
