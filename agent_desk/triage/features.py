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


def words(text: str, spec: FeatureSpec, normalised: str | None = None) -> list[str]:
    """The folded words of a message, then its marks of tone (each a word of its own).

    Args:
        normalised: the message as :func:`agent_desk.triage.text.normalise` gives it, if known.
    """
    head = clip(text, spec.max_chars)
    if normalised is not None and len(text) > spec.max_chars:
        normalised = None
    out = fold(head, normalised).split()
    if shouting(head):
        out.append(SHOUTING)
    if "!!" in head:
        out.append(EXCLAIMING)
    if len(head) > 400:
        out.append(LONG)
    return out


def word_grams(word: str, spec: FeatureSpec) -> list[str]:
    """The n-grams of one word, padded with a space each side (a mark is its own only gram)."""
    if word.startswith("\x01"):
        return [word]
    padded = f" {word} "
    size = len(padded)
    return [padded[i : i + n] for n in range(spec.min_n, spec.max_n + 1) for i in range(size - n + 1)]


def features(text: str, spec: FeatureSpec) -> tuple[set[str], int]:
    """The distinct n-grams of a message's words, and how many n-grams its words have in all.

    A message's feature vector has ``1 / sqrt(total)`` for each distinct n-gram (what training
    reads, and what :class:`agent_desk.triage.classifier.SignalModel` computes).
    """
    found: set[str] = set()
    total = 0
    for word in words(text, spec):
        grams = word_grams(word, spec)
        found.update(grams)
        total += len(grams)
    return found, total
