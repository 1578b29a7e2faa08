"""Deciding, message by message, whether a bot conversation needs a person.

There is one path. Every message, with the bot step that came with it, goes through
:meth:`ConversationTriage.add_message`: it is read once into a
:class:`~agent_desk.triage.signals.MessageRecord`, the conversation's evidence takes the record
in, and the decision (whether, priority, queue, category, reasons, sentiment, brief) is derived
from that evidence alone by :func:`agent_desk.triage.policy.decide`. The hub's ``observe`` and
``escalate``, ``agent-desk triage explain`` and the evaluation all call it the same way.

Each message costs one model scoring and one VADER reading (customer messages) and a few set
operations, however long the conversation grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from agent_desk.triage.model import Attempt, Customer, Decision, Message, Reason
from agent_desk.triage.policy import decide
from agent_desk.triage.rules import TOPIC_SIGNALS, Rules, default_rules
from agent_desk.triage.signals import MessageRecord, read_customer, read_words
from agent_desk.triage.text import similarity

#: Recent messages compared when looking for repeats (bounds the cost per message).
REPEAT_WINDOW = 8


@dataclass
class Evidence:
    """What a conversation has shown so far, each fact with the message that first showed it.

    Built only by :class:`ConversationTriage` from message records; read by the policy.
    """

    customer: Customer
    high_value_customer: bool
    reasons: dict[str, Reason] = field(default_factory=dict)  # key -> first evidence
    moods: dict[str, int] = field(default_factory=dict)  # distress/furious/frustration -> first index
    #: Bot turn -> failed steps on it (0 when it failed otherwise: a loop, the customer's word).
    failed_turns: dict[int, int] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    problem_at: int | None = None
    #: The problem outlived the bot's first answer (or was serious from the start).
    unsettled: bool = False
    largest_amount: float = 0.0
    #: The area heads of the customer's messages, read when a category is first asked for.
    area_rows: list[list[float]] = field(default_factory=list)
    customer_sentiments: list[float] = field(default_factory=list)
    language_hits: Counter[str] = field(default_factory=Counter)
    openings: list[tuple[int, str]] = field(default_factory=list)  # customer messages (index, text)

    def note(self, key: str, make: Callable[[], Reason]) -> None:
        """Keep the first evidence of a reason (``make`` builds it, only the first time)."""
        if key not in self.reasons:
            self.reasons[key] = make()


class ConversationTriage:
    """Incremental triage of one conversation. Feed messages in order."""

    def __init__(
        self, rules: Rules, customer: Customer, language: str | None = None, channel: str | None = None
    ) -> None:
        self.rules = rules
        self.customer = customer
        self.given_language = language
        self.channel = channel
        value = customer.lifetime_value or 0.0
        self.evidence = Evidence(
            customer=customer,
            high_value_customer=customer.tier in rules.high_value_tiers or value >= rules.high_value_lifetime,
        )
        self._records: list[MessageRecord] = []
        self._words: dict[str, list[tuple[int, frozenset[str]]]] = {"customer": [], "bot": []}
        self._escalated_at: int | None = None
        self._decision: Decision | None = None
        self._seen: tuple[int, ...] = ()
        self._held: list[MessageRecord] = []  # customer messages whose signals wait for the gate

    # -- feeding ---------------------------------------------------------------------------

    def add_message(self, message: Message, attempt: Attempt | None = None) -> Decision:
        """Take the next message and the bot step that came with it; returns the decision."""
        index = len(self._records)
        evidence = self.evidence
        if message.role == "customer":
            record = self._read_customer(index, message.text, attempt)
        else:
            repeats = self._repeat_of(message.role, index, read_words(message.text)) if message.role == "bot" else None
            if repeats is not None and any("resolved" in r.fired for r in self._records[repeats:]):
                repeats = None  # the customer said it is settled: a courtesy said twice, not a loop
            record = MessageRecord(index, message.role, message.text, repeats=repeats, attempt=attempt)
            if repeats is not None:  # a loop: the first answer did not help, nor does it again
                self._failed(repeats, "the bot's answer did not help", record)
                self._failed(index, "the bot gave the same answer again", record)
        self._records.append(record)
        if record.held:
            self._held.append(record)
            if self.evidence.reasons:
                self._promote()
        if attempt is not None:
            evidence.attempts.append(attempt)
            if attempt.result == "failed":
                step = attempt.step.replace("_", " ").replace("-", " ").strip()
                if step:
                    evidence.failed_steps.append(step)
                turn = index if message.role == "bot" else self._last_bot(index)
                self._failed(index if turn is None else turn, f"{step or 'a step'} failed", record, step=True)
        if self._held and self.evidence.reasons:
            self._promote()
        if message.role == "customer" or self._seen != self._state():
            self._decision = None  # otherwise nothing the decision rests on changed: it stands
        decision = self.decision
        self._seen = self._state()
        if decision.escalate and self._escalated_at is None:
            self._escalated_at = index
        return decision

    def _state(self) -> tuple[int, ...]:
        """A cheap fingerprint of what the decision rests on (the evidence only grows)."""
        evidence = self.evidence
        return (
            len(evidence.reasons),
            len(evidence.moods),
            sum(evidence.failed_turns.values()),
            len(evidence.failed_turns),
            len(evidence.failed_steps),
            len(evidence.customer_sentiments),
            evidence.problem_at is None,
        )

    def _read_customer(self, index: int, text: str, attempt: Attempt | None) -> MessageRecord:
        rules = self.rules
        evidence = self.evidence
        reading = read_customer(text, rules)
        repeats = self._repeat_of("customer", index, reading.words)
        record = MessageRecord(
            index=index,
            role="customer",
            text=text,
            scores=reading.scores,
            fired=reading.fired,
            held=reading.held,
            sentiment=reading.sentiment,
            vader=reading.vader,
            shouting=reading.shouting,
            repeats=repeats,
            attempt=attempt,
            amount=reading.amount,
            language=reading.language,
        )
        evidence.customer_sentiments.append(reading.sentiment)
        evidence.openings.append((index, text))
        name, hits = reading.language
        if name is not None:
            evidence.language_hits[name] += hits
        fired = reading.fired

        self._raise(record, fired)
        vader = reading.vader
        if vader is not None and vader <= rules.negative_message and "negative_sentiment" not in evidence.reasons:
            self._mood(record, "frustration", "Very negative")

        last_bot = self._last_bot(index)
        if last_bot is not None:
            if "failure_report" in fired:
                self._failed(last_bot, "the customer said it did not help", record)
            elif repeats is not None:
                self._failed(last_bot, "the customer had to repeat themselves", record)

        evidence.largest_amount = max(evidence.largest_amount, reading.amount)
        negative = reading.sentiment <= rules.problem_sentiment
        if evidence.problem_at is not None and "resolved" not in fired:
            evidence.unsettled = True  # the customer is still on it after the bot's answer
        shown = fired | reading.held
        if evidence.problem_at is None and (shown - {"resolved", "wants_person", "needs_person"} or negative):
            evidence.problem_at = index
            # Serious from the start: money at stake, or a reason of its own already.
            if reading.amount >= rules.high_value_amount or shown & {
                *TOPIC_SIGNALS,
                "frustration",
                "distress",
                "multi_issue",
                "wants_person",
            }:
                evidence.unsettled = True
        self._check_value(record)
        if evidence.reasons:  # the conversation needs a person: what it showed before counts now
            self._promote()
        return record

    def _raise(self, record: MessageRecord, signals: frozenset[str]) -> None:
        """The reasons ``signals`` of ``record`` raise (each kept with its first evidence)."""
        evidence = self.evidence
        scores = record.scores
        index = record.index
        if "wants_person" in signals:
            evidence.note(
                "explicit_request",
                lambda: Reason(
                    "explicit_request",
                    f'Asked for a person: "{record.quote}"',
                    scores.get("wants_person"),
                    index,
                    record.quote,
                ),
            )
        if "distress" in signals:
            self._mood(record, "distress", "In distress")
        if "frustration" in signals:
            if "furious" in record.fired | record.held or record.shouting:
                self._mood(record, "furious", "Angry")
            else:
                self._mood(record, "frustration", "Frustrated")
        for signal, topic in TOPIC_SIGNALS.items():
            if signal in signals:
                evidence.note(f"topic:{topic}", partial(self._topic_reason, record, signal, topic))
        if "multi_issue" in signals:
            evidence.note(
                "multi_issue",
                lambda: Reason(
                    "multi_issue",
                    f'Several issues at once: "{record.quote}"',
                    scores.get("multi_issue"),
                    index,
                    record.quote,
                ),
            )

    @staticmethod
    def _topic_reason(record: MessageRecord, signal: str, topic: str) -> Reason:
        return Reason(
            "sensitive_topic",
            f'{topic.replace("_", " ").capitalize()}: "{record.quote}"',
            record.scores.get(signal),
            record.index,
            record.quote,
            topic,
        )

    def _mood(self, record: MessageRecord, mood: str, word: str) -> None:
        evidence = self.evidence
        evidence.moods.setdefault(mood, record.index)
        sentiment = record.sentiment if record.sentiment is not None else 0.0
        evidence.note(
            "negative_sentiment",
            lambda: Reason(
                "negative_sentiment",
                f'{word} ({sentiment:+.2f}): "{record.quote}"',
                sentiment,
                record.index,
                record.quote,
            ),
        )

    def _promote(self) -> None:
        """Once a person is needed, the signals the gate held back (here or earlier) count too:
        the gate decides when to hand over; what the conversation showed decides why and how
        urgently."""
        pending = self._held
        while pending:
            record = pending.pop(0)
            self._raise(record, record.held)

    def _failed(self, turn: int, why: str, record: MessageRecord, step: bool = False) -> None:
        """Bot turn ``turn`` failed, as ``record`` shows.

        A turn counts once however many ways it shows its failure (a failed step the customer
        also reports, a loop they complain about), except that each failed step counts.
        """
        evidence = self.evidence
        before = evidence.failed_turns.get(turn)
        if before is not None and not step:
            return
        evidence.failed_turns[turn] = (before or 0) + step
        if evidence.problem_at is None:
            evidence.problem_at = record.index
        count = sum(max(1, steps) for steps in evidence.failed_turns.values())
        if count >= self.rules.failed_attempts:
            steps = list(dict.fromkeys(evidence.failed_steps))
            detail = f"{count} bot turns failed" + (f" ({', '.join(steps[:3])})" if steps else f": {why}")
            evidence.note(
                "repeated_failure", lambda: Reason("repeated_failure", detail, float(count), record.index, record.quote)
            )
        self._check_value(record)

    def _check_value(self, record: MessageRecord) -> None:
        """A high-value customer's problem (or a large amount at stake) that the bot's first
        answer did not settle, or that was serious from the start."""
        evidence = self.evidence
        if evidence.problem_at is None or not evidence.unsettled or "high_value" in evidence.reasons:
            return
        rules = self.rules
        customer = self.customer
        value = customer.lifetime_value or 0.0
        if customer.tier in rules.high_value_tiers:
            detail = f"{'VIP' if customer.tier == 'vip' else customer.tier.capitalize()} customer with a problem"
        elif value >= rules.high_value_lifetime:
            detail = f"Customer's lifetime value is {value:,.0f}"
        elif evidence.largest_amount >= rules.high_value_amount:
            detail = f"Amount at stake: {evidence.largest_amount:,.0f}"
        else:
            return
        evidence.note("high_value", lambda: Reason("high_value", detail, None, record.index, record.quote))

    def _repeat_of(self, role: str, index: int, bag: frozenset[str]) -> int | None:
        """Index of a recent message of the same role that says (nearly) the same words."""
        earlier = self._words[role]
        found = None
        if len(bag) >= self.rules.repeat_min_words:
            threshold = self.rules.repeat_similarity
            for other, words in earlier[-REPEAT_WINDOW:]:
                if similarity(bag, words) >= threshold:
                    found = other
                    break
        earlier.append((index, bag))
        return found

    def _last_bot(self, before: int) -> int | None:
        for record in reversed(self._records[:before]):
            if record.role == "bot":
                return record.index
        return None

    # -- reading ---------------------------------------------------------------------------

    @property
    def records(self) -> Sequence[MessageRecord]:
        """Every message's record, in order."""
        return tuple(self._records)

    @property
    def language(self) -> str:
        hits = self.evidence.language_hits
        if hits:
            language = max(hits, key=hits.__getitem__)
            if hits[language] >= 2:
                return language
        return self.given_language or (self.customer.locale or "en").split("-")[0]

    @property
    def decision(self) -> Decision:
        if self._decision is None:
            self._decision = decide(self.evidence, self.rules, self.language)
        return self._decision

    @property
    def escalated_at_message(self) -> int | None:
        return self._escalated_at


class Triage:
    """Triage with one set of rules, for many conversations."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or default_rules()
        self.queues: tuple[str, ...] = self.rules.all_queues

    def conversation(
        self, customer: Customer, language: str | None = None, channel: str | None = None
    ) -> ConversationTriage:
        return ConversationTriage(self.rules, customer, language, channel)

    def assess(
        self,
        customer: Customer,
        messages: Sequence[Message],
        attempts: Sequence[Attempt] = (),
        language: str | None = None,
        channel: str | None = None,
    ) -> ConversationTriage:
        """Triage a whole conversation at once, on the same path as message by message.

        Attempts given apart from the messages (as ``escalate`` sends them) go with the last
        message at or before their time (see :func:`pair_attempts`).
        """
        session = self.conversation(customer, language, channel)
        for message, attempt in pair_attempts(messages, attempts):
            session.add_message(message, attempt)
        return session


def pair_attempts(messages: Sequence[Message], attempts: Iterable[Attempt]) -> list[tuple[Message, Attempt | None]]:
    """Each message with the bot step that belongs to it.

    A step belongs to the last bot message at or before its time (or, with none, to the last
    message at or before it); a step without a usable time, or earlier than every message, goes
    with the first bot message. A message takes one step: further ones move on to the messages
    after it, where they still count for the bot turn they belong to.
    """
    slots: list[list[Attempt]] = [[] for _ in messages]
    if not messages:
        return []
    first_bot = next((i for i, m in enumerate(messages) if m.role == "bot"), 0)
    for attempt in sorted(attempts, key=lambda a: a.at or ""):
        target = None
        last_bot = None
        if attempt.at:
            for index, message in enumerate(messages):
                if message.at and message.at > attempt.at:
                    break
                target = index
                if message.role == "bot":
                    last_bot = index
        slots[last_bot if last_bot is not None else target if target is not None else first_bot].append(attempt)
    out: list[tuple[Message, Attempt | None]] = []
    carry: list[Attempt] = []
    for message, own in zip(messages, slots, strict=True):
        carry.extend(own)
        out.append((message, carry.pop(0) if carry else None))
    return out
