"""Reading one message into the record every later judgement is made from.

A customer message is read once: the learned model scores every signal, the operator's
overrides may force or silence one, VADER reads English sentiment, and the message's words are
kept for spotting repeats. Nothing downstream looks at the text again, except to quote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agent_desk.triage.classifier import sigmoid
from agent_desk.triage.features import clip, shouting
from agent_desk.triage.model import Attempt
from agent_desk.triage.rules import GATED, SIGNALS, Rules
from agent_desk.triage.text import amounts, guess_language, normalise, words

#: Characters of a message that VADER reads (its start and its end): its cost grows with
#: length, and the mood of a long message is set where it opens and where it ends.
SENTIMENT_CHARS = 400
#: Negative signals set a message's sentiment to at most this (so a message that fired
#: frustration or distress never reads as neutral or positive).
NEGATIVE_CEILING = -0.3

#: When only ``needs_person`` fires, the signal nearest its threshold is the reason if it
#: reaches this share of it.
CLOSEST = 0.5
#: Marks, inside read_customer, that an operator override made a gated signal fire.
_FORCED = "\x00forced"

_ANALYZER: SentimentIntensityAnalyzer | None = None


def _analyzer() -> SentimentIntensityAnalyzer:
    global _ANALYZER
    if _ANALYZER is None:
        _ANALYZER = SentimentIntensityAnalyzer()
    return _ANALYZER


#: Control characters (line breaks, tabs...) as spaces, in one C-speed pass.
_CONTROLS = {code: " " for code in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029)}


def quote(text: str, limit: int = 90) -> str:
    """The message on one line, cut at a word boundary to ``limit`` characters."""
    text = text[: limit * 4].translate(_CONTROLS)
    if not text.isprintable():  # rarer invisible characters (zero-width, bidi controls)
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """What one message showed. Customer messages carry scores; others only their facts.

    Attributes:
        index: position in the conversation (0-based), as the transcript numbers it.
        scores: the model's probability of every signal (customer messages only).
        fired: the signals at or over their threshold, after the operator's overrides.
        held: signals at or over their threshold that raise a reason only once the conversation
            needs a person (the model's ``needs_person`` did not agree on this message).
        sentiment: compound sentiment, -1 (angry) .. 1 (happy); None for non-customer messages.
        repeats: index of the earlier message of the same role that this one says again.
        language: the language its common words suggest, and how many of them it had.
    """

    index: int
    role: str
    text: str
    scores: Mapping[str, float] = field(default_factory=dict)
    fired: frozenset[str] = frozenset()
    held: frozenset[str] = frozenset()
    sentiment: float | None = None
    vader: float | None = None
    shouting: bool = False
    repeats: int | None = None
    attempt: Attempt | None = None
    amount: float = 0.0
    language: tuple[str | None, int] = (None, 0)

    @property
    def quote(self) -> str:
        return quote(self.text)


@dataclass(frozen=True, slots=True)
class CustomerReading:
    scores: dict[str, float]
    fired: frozenset[str]
    held: frozenset[str]
    sentiment: float
    vader: float | None
    shouting: bool
    amount: float
    language: tuple[str | None, int]
    words: frozenset[str]


def read_customer(text: str, rules: Rules) -> CustomerReading:
    """Everything triage needs from one customer message."""
    model = rules.model
    norm = normalise(text)
    logits = model.signal_logits(text, norm)
    scores = {label: sigmoid(x) for (label, _), x in zip(model.signal_heads, logits, strict=True)}
    thresholds = rules.signals
    over = {name for name in SIGNALS if scores.get(name, 0.0) >= thresholds[name]}
    if rules.overrides:
        for name, override in rules.overrides.items():
            if override.exclude is not None and override.exclude.search(norm):
                over.discard(name)
            elif override.match is not None and override.match.search(norm):
                over.add(name)
                if name in GATED:  # an operator's word is final: it needs no gate
                    over.add(_FORCED)
    held: set[str] = set()
    if "needs_person" not in over and _FORCED not in over:
        held = over & set(GATED)  # a reason only once the conversation needs a person
    elif "needs_person" in over and not over & set(GATED):
        # The conversation needs a person now, and no one reason cleared its bar: the one that
        # came closest is why.
        best = max(GATED, key=lambda name: scores.get(name, 0.0) / thresholds[name])
        if scores.get(best, 0.0) >= CLOSEST * thresholds[best]:
            over.add(best)
    over.discard(_FORCED)
    fired = over - held
    word_set = frozenset(words(norm))
    language = guess_language(word_set)
    loud = shouting(text)
    vader, sentiment = _sentiment(text, scores, over, language)
    return CustomerReading(
        scores=scores,
        fired=frozenset(fired),
        held=frozenset(held),
        sentiment=sentiment,
        vader=vader,
        shouting=loud,
        amount=max(amounts(text), default=0.0),
        language=language,
        words=word_set,
    )


def _sentiment(
    text: str, scores: Mapping[str, float], over: set[str], language: tuple[str | None, int]
) -> tuple[float | None, float]:
    """VADER's reading of an English message (None otherwise), and the message's sentiment.

    VADER reads English well and other languages badly ("die" is a negative English word), so
    it speaks only for text that reads as English. The model's frustration and distress
    scores speak for every language; a message that shows either reads at most -0.3.
    """
    name, hits = language
    english = name in (None, "en") or hits < 2
    vader = float(_analyzer().polarity_scores(clip(text, SENTIMENT_CHARS))["compound"]) if english else None
    compound = vader or 0.0
    negative = max(scores.get("frustration", 0.0), scores.get("distress", 0.0))
    if over & {"frustration", "distress"}:
        compound = min(compound, NEGATIVE_CEILING + (-1 - NEGATIVE_CEILING) * negative)
    elif not english and scores.get("resolved", 0.0) >= 0.5:
        compound = max(compound, 0.5 * scores["resolved"])
    return vader, max(-1.0, min(1.0, compound))


def read_words(text: str) -> frozenset[str]:
    """The words of a non-customer message, for spotting a bot that repeats itself (a bot says
    the same thing the same way, so case is enough to fold)."""
    return frozenset(words(text.lower()))


def message_sentiment(text: str, rules: Rules | None = None) -> float:
    """Sentiment of one customer message on its own, -1 (angry) .. 1 (happy)."""
    from agent_desk.triage.rules import default_rules

    return read_customer(text, rules or default_rules()).sentiment
