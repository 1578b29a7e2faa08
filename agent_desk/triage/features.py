"""What the signal model reads in a message: character n-grams and a few marks of tone.

The same functions feed training (``python -m agent_desk.triage.train``) and inference, so the
model sees exactly what it was trained on. A message is read as its words, each padded with a
space and cut into n-grams of 2 to 5 characters. Character n-grams read any script and survive
typos, missing accents and inflection ("Mitarbeiter", "mitarbeiterin", "mitarbeiterinnen" share
most of their n-grams), which is why they carry to phrasings the training corpus never had.
Because a message's features come word by word, inference remembers each word's n-grams (see
:class:`agent_desk.triage.classifier.SignalModel`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent_desk.triage.lexicon import MARK, Lexicon
from agent_desk.triage.text import normalise

#: Anything that is not a letter, a digit, a space or ``!``/``?`` becomes a space; digits become 0.
_JUNK = re.compile(r"[^\w\s!?]|_")
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
#: Marks of tone, spelled so no n-gram of real text can equal them.
SHOUTING = "\x01caps"
EXCLAIMING = "\x01excl"
LONG = "\x01long"


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which n-grams a model reads; stored in the model file."""

    min_n: int = 2
    max_n: int = 5
    #: Longer messages are read at their start and end (the ask is often the last line).
    max_chars: int = 600
    #: The value of a mark in a message's vector (n-grams have 1/sqrt(their count)).
    mark_value: float = 0.2


def clip(text: str, limit: int) -> str:
    """The first two thirds and the last third of ``limit`` characters of a long text."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[: limit - tail] + " " + text[-tail:]


def fold(text: str, normalised: str | None = None) -> str:
    """Lower case, accents dropped, punctuation as spaces, digits as 0, spaces squeezed."""
    text = normalise(text) if normalised is None else normalised
    return _SPACES.sub(" ", _DIGITS.sub("0", _JUNK.sub(" ", text))).strip()


def shouting(text: str) -> bool:
    """Mostly capitals, over enough letters to mean it ("I WANT MY MONEY BACK")."""
    if text.lower() == text:
        return False
    upper = sum(map(str.isupper, text))
    return upper >= 10 and upper >= 2 * sum(map(str.islower, text))


def read(
    text: str, spec: FeatureSpec, normalised: str | None = None, lexicon: Lexicon | None = None
) -> tuple[list[str], list[str]]:
    """The folded words of a message, and its marks: of tone, and of the lexicon's concepts.

    Args:
        normalised: the message as :func:`agent_desk.triage.text.normalise` gives it, if known.
        lexicon: concept words to mark (see :mod:`agent_desk.triage.lexicon`).
    """
    head = clip(text, spec.max_chars)
    if normalised is not None and len(text) > spec.max_chars:
        normalised = None
    folded = fold(head, normalised)
    found = folded.split()
    marks = [MARK + concept for concept in sorted(lexicon.find(folded, found))] if lexicon is not None else []
    if shouting(head):
        marks.append(SHOUTING)
    if "!!" in head:
        marks.append(EXCLAIMING)
    if len(head) > 400:
        marks.append(LONG)
    return found, marks


def words(text: str, spec: FeatureSpec, normalised: str | None = None, lexicon: Lexicon | None = None) -> list[str]:
    """The folded words of a message, then its marks (see :func:`read`)."""
    found, marks = read(text, spec, normalised, lexicon)
    return found + marks


def word_grams(word: str, spec: FeatureSpec) -> list[str]:
    """The n-grams of one word, padded with a space each side."""
    padded = f" {word} "
    size = len(padded)
    return [padded[i : i + n] for n in range(spec.min_n, spec.max_n + 1) for i in range(size - n + 1)]


def is_mark(feature: str) -> bool:
    """Whether a feature is a mark (of tone, or of a lexicon concept) rather than an n-gram."""
    return feature[0] in "\x01\x02"


def features(text: str, spec: FeatureSpec, lexicon: Lexicon | None = None) -> tuple[dict[str, int], int, set[str]]:
    """In how many of a message's words each n-gram occurs, how many n-grams its words have in
    all, and its marks.

    A message's feature vector has ``count / sqrt(total)`` for each n-gram and
    ``spec.mark_value`` for each mark (what training reads, and what
    :class:`agent_desk.triage.classifier.SignalModel` computes): a mark weighs the same in a
    long message as in a short one. An n-gram twice in one word counts once.
    """
    found: dict[str, int] = {}
    total = 0
    plain, marks = read(text, spec, None, lexicon)
    for word in plain:
        grams = word_grams(word, spec)
        for gram in set(grams):
            found[gram] = found.get(gram, 0) + 1
        total += len(grams)
    return found, total, set(marks)
