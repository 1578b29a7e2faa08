"""The learned signal model: per message, how likely each signal is (a person wanted, anger...).

A linear model over character n-grams (:mod:`agent_desk.triage.features`), one logistic head per
label, trained by ``python -m agent_desk.triage.train`` on the labelled corpus the repository
keeps. Inference is a dictionary look-up per n-gram and a sum per head, in plain Python: no
numerical library is needed at run time.

The file (``resources/triage_model.bin``)::

    b"ADTM1\\n"
    one line of JSON: labels, n-gram spec, per-head bias and scale, feature count, provenance
    the features, UTF-8, separated by NUL
    for each feature, one byte per head: the weight / scale, plus 128 (0..255)

Weights are quantised to one byte per head; each head's scale keeps its largest weight exact.

Scoring. A message's feature vector holds, for each n-gram, the number of its words that have
it divided by ``sqrt(n)``, ``n`` being how many n-grams its words have in all; each head's score
is its bias plus the weighted sum. In memory each feature's bytes are packed into one integer, a
20-bit lane per head, so adding integers adds every head at once (a message has far fewer than
4,096 n-grams, so no lane overflows). A word's integer is the sum of its n-grams' and is
remembered, so a word seen before costs one look-up and one addition.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent_desk.triage.features import FeatureSpec, read, word_grams
from agent_desk.triage.lexicon import Lexicon

MAGIC = b"ADTM2\n"
OFFSET = 128
LANE = 20
LANE_MASK = (1 << LANE) - 1
#: Words remembered per model before the memory is cleared and starts again.
WORD_MEMORY = 200_000
MODEL_NAME = "triage_model.bin"
AREA_PREFIX = "area:"


@dataclass(frozen=True)
class _Part:
    """Some of a model's heads, packed on their own."""

    packed: Mapping[str, int]
    bias: tuple[float, ...]
    scale: tuple[float, ...]
    shifts: tuple[int, ...]
    #: Word -> (packed sum, known n-grams, all n-grams), remembered.
    words: dict[str, tuple[int, int, int]] = field(default_factory=dict)


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class SignalModel:
    """Scores a message for every label at once.

    Attributes:
        labels: the head names, in column order (signals, then ``area:<category>`` heads).
        spec: which n-grams the model reads.
        info: provenance from the training run (corpus size, date, settings).
    """

    labels: tuple[str, ...]
    spec: FeatureSpec
    bias: tuple[float, ...]
    scale: tuple[float, ...]
    packed: Mapping[str, int] = field(repr=False)
    info: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: Concept words the model reads as features (None: none).
    lexicon: Lexicon | None = field(default=None, repr=False)

    _words: dict[str, tuple[frozenset[str], int]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @staticmethod
    def pack(row: Sequence[int]) -> int:
        """One feature's weight bytes (0..255 per head) as lanes of one integer."""
        value = 0
        for lane, byte in enumerate(row):
            value |= byte << (LANE * lane)
        return value

    @property
    def signal_heads(self) -> tuple[tuple[str, int], ...]:
        """(label, column) of the heads that are signals."""
        return self._heads[0]

    @property
    def area_heads(self) -> tuple[tuple[str, int], ...]:
        """(area, column) of the heads that score the conversation's area (``area:<name>``)."""
        return self._heads[1]

    @functools.cached_property
    def _heads(self) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
        signals = tuple((label, i) for i, label in enumerate(self.labels) if not label.startswith(AREA_PREFIX))
        areas = tuple(
            (label[len(AREA_PREFIX) :], i) for i, label in enumerate(self.labels) if label.startswith(AREA_PREFIX)
        )
        return signals, areas

    def _word(self, word: str) -> tuple[frozenset[str], int]:
        """A word's n-grams that the model knows, and how many n-grams it has in all."""
        found = self._words.get(word)
        if found is None:
            grams = word_grams(word, self.spec)
            packed = self.packed
            found = (frozenset(g for g in grams if g in packed), len(grams))
            if len(self._words) >= WORD_MEMORY:
                self._words.clear()
            self._words[word] = found
        return found

    def _word_sum(self, part: _Part, word: str) -> tuple[int, int, int]:
        """A word's packed sum over ``part``'s heads, its count of known n-grams, of all n-grams."""
        found = part.words.get(word)
        if found is None:
            grams, count = self._word(word)
            packed = part.packed
            found = (sum(map(packed.__getitem__, grams)), len(grams), count)
            if len(part.words) >= WORD_MEMORY:
                part.words.clear()
            part.words[word] = found
        return found

    def row(self, feature: str) -> tuple[int, ...] | None:
        """A feature's weight bytes per head (weight / scale + 128), or None if it has none."""
        value = self.packed.get(feature)
        if value is None:
            return None
        return tuple((value >> (LANE * lane)) & LANE_MASK for lane in range(len(self.labels)))

    def logits(self, text: str, normalised: str | None = None) -> list[float]:
        """The raw score of every head for one message (before the logistic function).

        Args:
            normalised: the message as :func:`agent_desk.triage.text.normalise` gives it, when
                the caller has it already.
        """
        out = [0.0] * len(self.labels)
        found = read(text, self.spec, normalised, self.lexicon)
        for (_, column), value in zip(self.signal_heads, self._sum(found, self._signal_part), strict=True):
            out[column] = value
        for (_, column), value in zip(self.area_heads, self._sum(found, self._area_part), strict=True):
            out[column] = value
        return out

    def signal_logits(self, text: str, normalised: str | None = None) -> list[float]:
        """The raw scores of the signal heads only, in :attr:`signal_heads` order."""
        return self._sum(read(text, self.spec, normalised, self.lexicon), self._signal_part)

    def area_logits(self, text: str) -> list[float]:
        """The raw scores of the area heads only, in :attr:`area_heads` order."""
        return self._sum(read(text, self.spec, None, self.lexicon), self._area_part)

    def _sum(self, found: tuple[list[str], list[str]], part: _Part) -> list[float]:
        plain, marks = found
        total = known = count = 0
        word_sum = self._word_sum
        for word in plain:
            word_total, word_known, word_count = word_sum(part, word)
            total += word_total
            known += word_known
            count += word_count
        packed = part.packed
        marked = [packed[m] for m in marks if m in packed]
        if not known and not marked:
            return list(part.bias)
        marks_total = sum(marked)
        offset = OFFSET * known
        marks_offset = OFFSET * len(marked)
        norm = 1.0 / math.sqrt(count) if count else 0.0
        mark_value = self.spec.mark_value
        return [
            b
            + s
            * (
                (((total >> shift) & LANE_MASK) - offset) * norm
                + (((marks_total >> shift) & LANE_MASK) - marks_offset) * mark_value
            )
            for shift, b, s in zip(part.shifts, part.bias, part.scale, strict=True)
        ]

    @functools.cached_property
    def _signal_part(self) -> _Part:
        return self._part([column for _, column in self.signal_heads])

    @functools.cached_property
    def _area_part(self) -> _Part:
        return self._part([column for _, column in self.area_heads])

    def _part(self, columns: list[int]) -> _Part:
        """The heads in ``columns``, packed on their own (fewer lanes: faster sums)."""
        width = len(self.labels)
        packed = {}
        for feature, value in self.packed.items():
            row = [(value >> (LANE * lane)) & LANE_MASK for lane in range(width)]
            packed[feature] = self.pack([row[c] for c in columns])
        return _Part(
            packed,
            tuple(self.bias[c] for c in columns),
            tuple(self.scale[c] for c in columns),
            tuple(LANE * lane for lane in range(len(columns))),
        )

    def scores(self, text: str) -> dict[str, float]:
        """Probability of every label for one message, 0..1."""
        return self.scores_from_logits(self.logits(text))

    def scores_from_logits(self, logits: Sequence[float]) -> dict[str, float]:
        """Probabilities from :meth:`logits`."""
        return {label: sigmoid(x) for label, x in zip(self.labels, logits, strict=True)}

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<model>") -> SignalModel:
        """Read a model from the bytes of a model file.

        Raises:
            ModelError: the bytes are not a model file of this version, or are cut short.
        """
        if not data.startswith(MAGIC):
            raise ModelError(f"{source}: not an Agent Desk triage model (wrong header)")
        try:
            end = data.index(b"\n", len(MAGIC))
            header = json.loads(data[len(MAGIC) : end])
            labels = tuple(str(x) for x in header["labels"])
            count = int(header["features"])
            vocab_bytes = int(header["vocab_bytes"])
            spec = FeatureSpec(**header["spec"])
            bias = tuple(float(x) for x in header["bias"])
            scale = tuple(float(x) for x in header["scale"])
            concepts = header.get("lexicon")
            lexicon = Lexicon({k: tuple(map(str, v)) for k, v in concepts.items()}) if concepts else None
        except (ValueError, KeyError, TypeError) as error:
            raise ModelError(f"{source}: unreadable header: {error}") from None
        width = len(labels)
        if len(bias) != width or len(scale) != width or width == 0:
            raise ModelError(f"{source}: header lists {width} labels but other sizes differ")
        start = end + 1
        vocab_end = start + vocab_bytes
        weights = data[vocab_end:]
        if len(weights) != count * width:
            raise ModelError(f"{source}: cut short or padded ({len(weights)} weight bytes, {count * width} expected)")
        features = data[start:vocab_end].decode("utf-8").split("\x00") if count else []
        if len(features) != count:
            raise ModelError(f"{source}: {len(features)} features where the header says {count}")
        pack = cls.pack
        packed = {feature: pack(weights[i * width : (i + 1) * width]) for i, feature in enumerate(features)}
        return cls(labels, spec, bias, scale, packed, header.get("info", {}), lexicon)

    def to_bytes(self) -> bytes:
        """The model file's bytes (see the module's documentation for the layout)."""
        features = list(self.packed)
        vocab = "\x00".join(features).encode("utf-8")
        header = {
            "labels": list(self.labels),
            "features": len(features),
            "vocab_bytes": len(vocab),
            "spec": {
                "min_n": self.spec.min_n,
                "max_n": self.spec.max_n,
                "max_chars": self.spec.max_chars,
                "mark_value": self.spec.mark_value,
            },
            "bias": [round(b, 6) for b in self.bias],
            "scale": list(self.scale),
            "info": dict(self.info),
        }
        if self.lexicon is not None:
            header["lexicon"] = {concept: list(terms) for concept, terms in self.lexicon.concepts.items()}
        weights = b"".join(bytes(self.row(f) or ()) for f in features)
        return MAGIC + json.dumps(header, ensure_ascii=False, sort_keys=True).encode() + b"\n" + vocab + weights

    @classmethod
    def from_weights(
        cls,
        labels: Sequence[str],
        spec: FeatureSpec,
        bias: Sequence[float],
        features: Sequence[str],
        weights: Sequence[Sequence[float]],
        info: Mapping[str, Any] | None = None,
        lexicon: Lexicon | None = None,
    ) -> SignalModel:
        """Quantise trained weights (one row of ``len(labels)`` per feature) into a model."""
        width = len(labels)
        largest = [max((abs(row[k]) for row in weights), default=0.0) for k in range(width)]
        scale = tuple((m / 127.0) or 1.0 for m in largest)
        packed: dict[str, int] = {}
        for feature, row in zip(features, weights, strict=True):
            quantised = tuple(min(255, max(1, OFFSET + round(w / s))) for w, s in zip(row, scale, strict=True))
            if any(q != OFFSET for q in quantised):
                packed[feature] = cls.pack(quantised)
        return cls(tuple(labels), spec, tuple(float(b) for b in bias), scale, packed, dict(info or {}), lexicon)


def sigmoid(x: float) -> float:
    """The logistic function, 0..1."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def load_model(path: str | Path) -> SignalModel:
    """Read a model file.

    Raises:
        ModelError: the file is missing, unreadable or not a model of this version.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelError(f"{path}: cannot read: {error.strerror or error}") from None
    return SignalModel.from_bytes(data, str(path))


@lru_cache(maxsize=4)
def cached_model(path: str) -> SignalModel:
    """A model file read once per process (rules files name it; many rules may share it)."""
    return load_model(path)
