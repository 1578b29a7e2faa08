"""Concept words in many languages, as features the signal model weighs.

A lexicon (``resources/triage_lexicon.json``, written from general knowledge of each language,
not from the corpus) lists for each concept ("legal", "danger", "money_back"...) the words and
phrases that name it: "lawyer", "anwal*", "avocat", "弁護士". A message that holds one gets the
feature ``\\x02legal``. The model learns how much each concept counts for each signal from all
languages at once: the corpus has few legal threats in any one language, but many across them,
so one feature shared by every language learns what n-grams of one language cannot. The lexicon
decides nothing by itself.

Terms are folded like messages (lower case, no accents). A term ending in ``*`` matches any word
that starts with it; a term of several words matches those words in a row; a term in a script
written without spaces (Chinese, Japanese, Thai) matches anywhere in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MARK = "\x02"
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Lexicon:
    """Concept terms, indexed for look-up word by word.

    Attributes:
        concepts: concept -> folded terms, as given (kept so a model file can carry them).
    """

    concepts: Mapping[str, tuple[str, ...]]
    _words: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _prefixes: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: Phrases by their first two words; and those of two words whose second is a prefix, by the first.
    _phrases: dict[tuple[str, str], tuple[tuple[tuple[str, ...], bool, str], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _open_phrases: dict[str, tuple[tuple[tuple[str, ...], bool, str], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _unspaced: tuple[tuple[str, str], ...] = field(default=(), init=False, repr=False, compare=False)
    _longest_prefix: int = field(default=0, init=False, repr=False, compare=False)
    _shortest_prefix: int = field(default=1, init=False, repr=False, compare=False)
    _seen: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words: dict[str, set[str]] = {}
        prefixes: dict[str, set[str]] = {}
        phrases: dict[tuple[str, str], list[tuple[tuple[str, ...], bool, str]]] = {}
        open_phrases: dict[str, list[tuple[tuple[str, ...], bool, str]]] = {}
        unspaced: list[tuple[str, str]] = []
        for concept, terms in self.concepts.items():
            for term in terms:
                prefix = term.endswith("*")
                body = term.rstrip("*").strip()
                if not body:
                    continue
                if _UNSPACED.search(body):
                    unspaced.append((body, concept))
                    continue
                parts = tuple(body.split())
                if len(parts) == 2 and prefix:
                    open_phrases.setdefault(parts[0], []).append((parts, prefix, concept))
                elif len(parts) > 1:
                    phrases.setdefault((parts[0], parts[1]), []).append((parts, prefix, concept))
                elif prefix:
                    prefixes.setdefault(body, set()).add(concept)
                else:
                    words.setdefault(body, set()).add(concept)
        set_ = object.__setattr__
        set_(self, "_words", {w: frozenset(c) for w, c in words.items()})
        set_(self, "_prefixes", {p: frozenset(c) for p, c in prefixes.items()})
        set_(self, "_phrases", {w: tuple(p) for w, p in phrases.items()})
        set_(self, "_open_phrases", {w: tuple(p) for w, p in open_phrases.items()})
        set_(self, "_unspaced", tuple(unspaced))
        set_(self, "_longest_prefix", max(map(len, prefixes), default=0))
        set_(self, "_shortest_prefix", min(map(len, prefixes), default=1))

    @classmethod
    def build(cls, raw: Mapping[str, Mapping[str, Iterable[str]] | Iterable[str]], fold: object) -> Lexicon:
        """A lexicon from ``{concept: {language: [terms]}}`` (or ``{concept: [terms]}``).

        Args:
            fold: the function that folds messages (terms are folded the same way; a final
                ``*`` is kept).
        """
        concepts: dict[str, tuple[str, ...]] = {}
        for concept, by_language in raw.items():
            terms = by_language.values() if isinstance(by_language, Mapping) else [by_language]
            folded = []
            for group in terms:
                for term in group:
                    star = term.rstrip().endswith("*")
                    text = fold(term.rstrip().rstrip("*"))  # type: ignore[operator]
                    if text:
                        folded.append(text + ("*" if star else ""))
            concepts[concept] = tuple(sorted(set(folded)))
        return cls(concepts)

    def find(self, folded: str, words: list[str]) -> set[str]:
        """The concepts a folded message names (``words``: its words, in order)."""
        found: set[str] = set()
        seen = self._seen
        phrases = self._phrases
        open_phrases = self._open_phrases
        for position, word in enumerate(words):
            hit = seen.get(word)
            if hit is None:
                hit = self._word(word)
            if hit:
                found |= hit
            if position + 1 < len(words):
                candidates = phrases.get((word, words[position + 1]), ()) + open_phrases.get(word, ())
                for parts, prefix, concept in candidates:
                    tail = words[position : position + len(parts)]
                    if len(tail) == len(parts) and (
                        tail[:-1] == list(parts[:-1])
                        and (tail[-1].startswith(parts[-1]) if prefix else tail[-1] == parts[-1])
                    ):
                        found.add(concept)
        if self._unspaced and _UNSPACED.search(folded):
            found.update(concept for term, concept in self._unspaced if term in folded)
        return found

    def _word(self, word: str) -> frozenset[str]:
        """The concepts one word names, whole or by a prefix (remembered)."""
        hits = set(self._words.get(word, ()))
        prefixes = self._prefixes
        for end in range(min(len(word), self._longest_prefix), self._shortest_prefix - 1, -1):
            hit = prefixes.get(word[:end])
            if hit:
                hits |= hit
        found = frozenset(hits)
        if len(self._seen) >= 200_000:
            self._seen.clear()
        self._seen[word] = found
        return found
