"""Deciding, message by message, whether a bot conversation needs a person.

:class:`ConversationTriage` keeps what it learnt from earlier messages, so each new message
costs about one sentiment reading and one pass of the compiled patterns, however long the
conversation grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agent_desk.triage.brief import compose_brief, find_situation
from agent_desk.triage.model import Attempt, Customer, Decision, Message, Reason, Sentiment
from agent_desk.triage.prefilter import index_words
from agent_desk.triage.rules import Rules, default_rules
from agent_desk.triage.text import (
    amounts,
    guess_language,
    normalise,
    order_number,
    similarity,
    words,
)

_ANALYZER: SentimentIntensityAnalyzer | None = None
#: Recent messages compared when looking for repeats (bounds the cost per message).
REPEAT_WINDOW = 8
#: Characters of a message that sentiment reads: VADER's cost grows with length, and the mood
#: of a 10,000-character paste is set in its opening.
SENTIMENT_CHARS = 2_000
STRONGLY_NEGATIVE = -0.75


def _analyzer() -> SentimentIntensityAnalyzer:
    global _ANALYZER
    if _ANALYZER is None:
        _ANALYZER = SentimentIntensityAnalyzer()
    return _ANALYZER


def _quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _score(
    text: str,
    norm: str,
    word_list: list[str],
    rules: Rules,
    guess: tuple[str | None, int] | None = None,
    keys: set[str] | None = None,
) -> float:
    # VADER reads other languages as English ("die" is a negative English word), so for text
    # that is clearly in another language only the lexicon speaks.
    language, hits = guess or guess_language(word_list)
    english = language in (None, "en") or hits < 2
    compound = float(_analyzer().polarity_scores(text[:SENTIMENT_CHARS])["compound"]) if english else 0.0
    if rules.lexicon:
        keys = keys if keys is not None else index_words(norm)
        found = [rules.lexicon[w] for w in rules.lexicon.keys() & keys]
        found += [score for phrase, score in rules.lexicon_phrases if phrase in norm]
        if found:
            strongest = min(found) - 0.1 * (len(found) - 1)
            if "!" in text:
                strongest -= 0.05
            compound = min(compound, max(-1.0, strongest))
    return compound


def message_sentiment(text: str, rules: Rules | None = None) -> float:
    """Sentiment of one customer message, -1 (angry) .. 1 (happy).

    VADER reads English well; for words it does not know (other languages, and a few English
    ones it underrates) the rules' lexicon gives a reading, and the more negative one counts.
    """
    rules = rules or default_rules()
    norm = normalise(text)
    return _score(text, norm, words(norm), rules)


@dataclass(slots=True)
class _Found:
    reason: Reason
    priority: int
    category: str | None = None


class ConversationTriage:
    """Incremental triage of one conversation. Feed messages in order."""

    def __init__(
        self, rules: Rules, customer: Customer, language: str | None = None, channel: str | None = None
    ) -> None:
        self.rules = rules
        self.customer = customer
        self.given_language = language
        self.channel = channel
        self._messages: list[Message] = []
        self._sentiments: list[float | None] = []
        self._customer_scores: list[float] = []
        self._customer_words: list[frozenset[str]] = []
        self._bot_words: list[frozenset[str]] = []
        self._language_hits: Counter[str] = Counter()
        self._areas: Counter[str] = Counter()
        self._problem_areas: set[str] = set()
        self._report_turns: set[int] = set()  # bot turns the customer said failed, or loops
        self._attempt_turns: set[int] = set()  # bot turns that came with a failed attempt
        self._failed_attempts: list[Attempt] = []
        self._attempts: list[Attempt] = []
        self._found: dict[str, _Found] = {}  # trigger or topic -> first evidence
        self._problem = False
        self._max_amount = 0.0
        self._customer_texts: list[tuple[str, str]] = []  # (as written, normalised)
        self._escalated_at: int | None = None
        self._decision: Decision | None = None

    # -- feeding ---------------------------------------------------------------------------

    def add_attempt(self, attempt: Attempt) -> None:
        """Record a bot troubleshooting step (not tied to a message)."""
        self._attempts.append(attempt)
        if attempt.result == "failed":
            self._failed_attempts.append(attempt)
            self._check_failures(len(self._messages) - 1 if self._messages else 0)
        self._decision = None

    def add_message(self, message: Message, attempt: Attempt | None = None) -> Decision:
        """Take the next message (and the bot step that came with it); returns the decision."""
        index = len(self._messages)
        self._messages.append(message)
        if message.role == "customer":
            self._customer_message(index, message.text)
        else:
            self._sentiments.append(None)
            if message.role == "bot":
                self._bot_message(index, message.text)
        if attempt is not None:
            self._attempts.append(attempt)
            if attempt.result == "failed":
                self._failed_attempts.append(attempt)
                turn = index if message.role == "bot" else self._last_bot_index()
                if turn is not None:
                    self._attempt_turns.add(turn)
                self._check_failures(index)
        self._decision = None
        decision = self.decision
        if decision.escalate and self._escalated_at is None:
            self._escalated_at = index
        return decision

    def _last_bot_index(self) -> int | None:
        for index in range(len(self._messages) - 1, -1, -1):
            if self._messages[index].role == "bot":
                return index
        return None

    def _note(self, key: str, reason: Reason, priority: int, category: str | None = None) -> None:
        if key not in self._found:
            self._found[key] = _Found(reason, priority, category)

    def _bot_message(self, index: int, text: str) -> None:
        bag = frozenset(words(normalise(text)))
        rules = self.rules
        if len(bag) >= rules.repeat_min_words:
            for earlier in self._bot_words[-REPEAT_WINDOW:]:
                score = similarity(bag, earlier)
                if score >= rules.repeat_similarity:
                    self._report_turns.add(index)
                    self._note(
                        "repeated_failure",
                        Reason(
                            "repeated_failure",
                            f'The bot gave the same answer again: "{_quote(text, 70)}"',
                            round(score, 2),
                            index,
                        ),
                        rules.priorities["repeated_failure"],
                    )
                    break
        self._bot_words.append(bag)

    def _customer_message(self, index: int, text: str) -> None:
        rules = self.rules
        norm = normalise(text)
        bag_list = words(norm)
        bag = frozenset(bag_list)
        keys = index_words(norm)
        language, hits = guess_language(bag_list)
        if language is not None:
            self._language_hits[language] += hits

        score = _score(text, norm, bag_list, rules, (language, hits), keys)
        self._sentiments.append(score)
        self._customer_scores.append(score)

        # Explicit request for a person.
        if rules.explicit.search(norm, keys):
            self._note(
                "explicit_request",
                Reason("explicit_request", f'Customer asked for a person: "{_quote(text)}"', None, index),
                rules.priorities["explicit_request"],
            )

        # Sentiment: one very negative message, or a worsening run.
        answered = self._last_bot_index() is not None
        if score <= (rules.negative_message if answered else rules.negative_opening):
            key_priority = (
                rules.priorities["strongly_negative"] if score <= STRONGLY_NEGATIVE else rules.priorities["negative_sentiment"]
            )
            self._note(
                "negative_sentiment",
                Reason("negative_sentiment", f'Very negative message ({score:+.2f}): "{_quote(text)}"', score, index),
                key_priority,
            )
        else:
            window = self._customer_scores[-rules.trend_window :]
            if len(window) >= rules.trend_window:
                mean = sum(window) / len(window)
                if mean <= rules.negative_mean and window[-1] < window[0] and window[-1] < 0:
                    self._note(
                        "negative_sentiment",
                        Reason(
                            "negative_sentiment",
                            f"Mood worsening over the last {len(window)} messages (mean {mean:+.2f}, now {score:+.2f})",
                            mean,
                            index,
                        ),
                        rules.priorities["negative_sentiment"],
                    )

        # Sensitive topics.
        for topic in rules.topics:
            found = topic.patterns.search(norm, keys)
            if found:
                self._note(
                    f"topic:{topic.name}",
                    Reason(
                        "sensitive_topic",
                        f'{topic.name.replace("_", " ").capitalize()}: "{_quote(text)}"',
                        None,
                        index,
                    ),
                    topic.priority,
                    topic.category,
                )

        # Areas and problems (routing, multi-issue, high value).
        # A problem: said in words, or an unhappy customer after the bot has had its turn.
        is_problem = bool(rules.areas["problem"].search(norm, keys)) or (answered and score <= -0.3)
        areas_here = {
            name for name in ("billing", "orders", "technical", "account") if rules.areas[name].search(norm, keys)
        }
        for area in areas_here:
            self._areas[area] += 1
        if is_problem:
            self._problem = True
            self._problem_areas.update(areas_here)
        if rules.areas["multi"].search(norm, keys) or (len(areas_here) >= rules.multi_issue_areas and is_problem):
            self._note(
                "multi_issue",
                Reason("multi_issue", f'Several issues at once: "{_quote(text)}"', None, index),
                rules.priorities["multi_issue"],
            )
        elif len(self._problem_areas) >= rules.multi_issue_areas:
            self._note(
                "multi_issue",
                Reason(
                    "multi_issue",
                    "Problems with " + ", ".join(sorted(self._problem_areas)) + " in one conversation",
                    None,
                    index,
                ),
                rules.priorities["multi_issue"],
            )
        self._customer_texts.append((text, norm))
        mentioned = amounts(text)
        if mentioned:
            self._max_amount = max(self._max_amount, *mentioned)

        # Repeated failure: the customer says a step did not work, or says the same again.
        last_bot = self._last_bot_index()
        if last_bot is not None and rules.failure_report.search(norm, keys):
            self._report_turns.add(last_bot)
        if len(bag) >= rules.repeat_min_words:
            for earlier in self._customer_words[-REPEAT_WINDOW:]:
                overlap = similarity(bag, earlier)
                if overlap >= rules.repeat_similarity:
                    self._note(
                        "repeated_failure",
                        Reason(
                            "repeated_failure",
                            f'Customer had to repeat themselves: "{_quote(text, 70)}"',
                            round(overlap, 2),
                            index,
                        ),
                        rules.priorities["repeated_failure"],
                    )
                    break
        self._customer_words.append(bag)
        self._check_failures(index)
        self._check_value(index, text)

    def _check_failures(self, index: int) -> None:
        # Failed attempts, plus bot turns that failed without an attempt saying so.
        failures = len(self._failed_attempts) + len(self._report_turns - self._attempt_turns)
        if failures >= self.rules.failed_attempts:
            steps = [a.step.replace("_", " ") for a in self._failed_attempts]
            detail = f"{failures} bot attempts failed" + (f" ({', '.join(dict.fromkeys(steps))})" if steps else "")
            self._note(
                "repeated_failure",
                Reason("repeated_failure", detail, float(failures), max(index, 0)),
                self.rules.priorities["repeated_failure"],
            )

    def _check_value(self, index: int, text: str) -> None:
        rules = self.rules
        if not self._problem:
            return
        tier = self.customer.tier
        value = self.customer.lifetime_value or 0.0
        detail = None
        if tier in ("vip", "premium"):
            detail = f"{tier.upper() if tier == 'vip' else tier.capitalize()} customer with a problem"
        elif value >= rules.high_value_amount:
            detail = f"Customer's lifetime value is {value:,.0f}"
        elif self._max_amount >= rules.high_value_amount:
            detail = f"Amount at stake: {self._max_amount:,.0f}"
        if detail is not None:
            self._note(
                "high_value",
                Reason("high_value", detail, None, index),
                rules.priorities["high_value"],
            )

    # -- deciding --------------------------------------------------------------------------

    @property
    def language(self) -> str:
        if self._language_hits:
            language = max(self._language_hits, key=self._language_hits.__getitem__)
            if self._language_hits[language] >= 2:
                return language
        return self.given_language or (self.customer.locale or "en").split("-")[0]

    def _facts(self, upto: int) -> tuple[int | None, str | None]:
        """For the brief: the most telling situation and the first order number, in the first
        ``upto`` customer messages."""
        situation: int | None = None
        order: str | None = None
        for text, norm in self._customer_texts[:upto]:
            found = find_situation(norm)
            if found is not None and (situation is None or found < situation):
                situation = found
            if order is None:
                order = order_number(text)
        return situation, order

    def _category(self) -> str:
        for found in self._found.values():
            if found.category:
                return found.category  # topics are noted in TOPIC_ORDER within a message
        if self._areas:
            ranked = sorted(self._areas.items(), key=lambda kv: (-kv[1], ("billing", "orders", "technical", "account").index(kv[0])))
            return ranked[0][0]
        return "general"

    def _sentiment(self) -> Sentiment:
        scores = self._customer_scores
        if not scores:
            return Sentiment(0.0, 0.0)
        window = scores[-max(2, self.rules.trend_window) :]
        trend = (window[-1] - window[0]) / (len(window) - 1) if len(window) > 1 else 0.0
        return Sentiment(scores[-1], trend)

    @property
    def decision(self) -> Decision:
        if self._decision is None:
            self._decision = self._decide()
        return self._decision

    def _decide(self) -> Decision:
        rules = self.rules
        found = list(self._found.values())
        reasons = tuple(f.reason for f in found)
        escalate = bool(found)
        priority = min((f.priority for f in found), default=4)
        if len({r.trigger for r in reasons}) >= 3:
            priority = min(priority, rules.priorities["many_triggers"]) - 1
        priority -= rules.tier_steps.get(self.customer.tier, 0)
        priority = max(1, min(4, priority))
        category = self._category()
        sentiment = self._sentiment()
        upto = len(self._customer_texts)
        failed = self._failed_attempts or [a for a in self._attempts if a.result != "succeeded"]
        low = min(self._customer_scores[-rules.trend_window :], default=0.0)
        customer = self.customer

        def brief() -> str:
            situation, order = self._facts(upto)
            opening = next((t for t, _ in self._customer_texts[:upto] if len(t.split()) >= 3), None)
            return compose_brief(customer, category, reasons, situation, order, failed, sentiment, low, opening)

        return Decision(
            escalate=escalate,
            priority=priority,
            queue=rules.queue_for(category, self.customer.tier),
            category=category,
            reasons=reasons,
            sentiment=sentiment,
            compose_brief=brief,
            language=self.language,
            sentiment_source=self._sentiments,
            sentiment_count=len(self._sentiments),
        )

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
    ) -> Decision:
        """Triage a whole conversation at once."""
        session = self.conversation(customer, language, channel)
        for message in messages:
            session.add_message(message)
        for attempt in attempts:
            session.add_attempt(attempt)
        return session.decision

