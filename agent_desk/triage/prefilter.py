"""A word index in front of many regular expressions, so a message only meets the few that
could match it.

Most rule patterns start with a word alternation (``\\b(sue|lawyer|court)...``). The leading
words are read from the parsed pattern; a message is then checked against the patterns whose
leading word it contains, and against the rest (patterns with no such word) always.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

try:  # Python 3.11+: the parser moved under re; sre_parse stays as a deprecated alias
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

_LITERAL = sre_parse.LITERAL
_BRANCH = sre_parse.BRANCH
_SUBPATTERN = sre_parse.SUBPATTERN
_AT = sre_parse.AT
_WORD_CHARS = re.compile(r"[a-z0-9']+")
_ENDS_WORD = {sre_parse.AT, sre_parse.IN, sre_parse.LITERAL}


def _literal_run(items: list) -> tuple[str, int]:
    """The literal characters at the start of a parsed sequence, and how many items they took."""
    chars = []
    for op, arg in items:
        if op is not _LITERAL:
            break
        chars.append(chr(arg))
    return "".join(chars), len(chars)


def _alternatives(items: list, bounded: bool = False) -> list[tuple[str, bool]] | None:
    """Leading literal of every way the sequence can start, each with "is a whole word".

    A literal is a whole word only when a boundary (``\\b``, ``^``) comes before it and a
    non-word character, a boundary or the end after it; otherwise it may sit inside a word.
    """
    index = 0
    while index < len(items) and items[index][0] is _AT:  # \b, ^
        bounded = True
        index += 1
    if index >= len(items):
        return None
    op, arg = items[index]
    rest = items[index + 1 :]
    if op is _LITERAL:
        text, taken = _literal_run(items[index:])
        follow = items[index + taken : index + taken + 1]
        return [(text, bounded and _word_ends(text, follow))]
    if op is _SUBPATTERN:
        inner = list(arg[-1])
        if len(inner) == 1 and inner[0][0] is _BRANCH:
            out = []
            for branch in inner[0][1][1]:
                branch_items = list(branch)
                text, taken = _literal_run(branch_items)
                if not text:
                    return None
                follow = branch_items[taken : taken + 1] or rest[:1]
                out.append((text, bounded and _word_ends(text, follow)))
            return out
        return _alternatives(inner + rest, bounded)
    if op is _BRANCH:
        return _alternatives([(_SUBPATTERN, (None, 0, 0, [(op, arg)]))] + rest, bounded)
    return None


def _word_ends(text: str, follow: list) -> bool:
    """Whether the literal's first word is complete (followed by a space, a boundary or the end)."""
    if " " in text:  # the first word ends inside the literal
        return True
    if not follow:
        return True
    op, arg = follow[0]
    if op is _AT:
        return True
    if op is _LITERAL:
        return not _WORD_CHARS.fullmatch(chr(arg))
    if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
        low, _high, sub = arg
        if low == 0:
            return False
        return _word_ends(text, list(sub))
    if op is sre_parse.IN:
        return all(o is sre_parse.CATEGORY and "SPACE" in str(a) for o, a in arg)
    return False


def leading_words(pattern: str) -> list[tuple[str, bool]] | None:
    """First word of each way ``pattern`` can start, with whether it is a whole word; None if unknown."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    alternatives = _alternatives(list(parsed))
    if not alternatives:
        return None
    out = []
    for text, whole in alternatives:
        first = text.split(" ", 1)[0]
        if not first or not _WORD_CHARS.fullmatch(first):
            return None
        out.append((first, whole))
    return out


@dataclass
class IndexedPatterns:
    """Patterns with a word index: ``search`` tries only those a message could match."""

    patterns: list[re.Pattern[str]] = field(default_factory=list)
    languages: list[str | None] = field(default_factory=list)  # None: any language
    by_word: dict[str, list[int]] = field(default_factory=dict)
    prefixes: list[tuple[str, int]] = field(default_factory=list)
    always: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, sources: Iterable[str | tuple[str | None, str]]) -> IndexedPatterns:
        """Index patterns, each given alone or as (language, pattern)."""
        built = cls()
        for item in sources:
            language, source = item if isinstance(item, tuple) else (None, item)
            for part in _split_top_level(source):
                index = len(built.patterns)
                built.patterns.append(re.compile(part))
                built.languages.append(language)
                words = leading_words(part)
                if words is None:
                    built.always.append(index)
                    continue
                for word, whole in words:
                    if whole:
                        built.by_word.setdefault(word, []).append(index)
                    else:
                        built.prefixes.append((word, index))
        return built

    def search(self, text: str, words: set[str], language: str | None = None) -> re.Match[str] | None:
        """First match in ``text`` (normalised), given its words as :func:`index_words` makes them.

        With ``language`` (the message's language, when it is clear), only that language's
        patterns, English ones and language-free ones are tried.
        """
        hits = self.by_word.keys() & words
        candidates = [index for word in hits for index in self.by_word[word]]
        candidates.extend(index for prefix, index in self.prefixes if prefix in text)
        if not candidates and not self.always:
            return None
        languages = self.languages
        for index in sorted({*candidates, *self.always}):
            if language is not None and languages[index] not in (None, "en", language):
                continue
            found = self.patterns[index].search(text)
            if found:
                return found
        return None

    def __bool__(self) -> bool:
        return bool(self.patterns)


def index_words(normalised: str) -> set[str]:
    """The words of a message as the index knows them: whole tokens, and their apostrophe parts."""
    tokens = set(_WORD_CHARS.findall(normalised))
    for token in [t for t in tokens if "'" in t]:
        tokens.update(part for part in token.split("'") if part)
    return tokens


def _split_top_level(pattern: str) -> list[str]:
    """Split ``a|b|c`` at top-level bars, so each alternative gets its own index entry."""
    parts, depth, start, escaped, in_class = [], 0, 0, False, False
    for position, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:position])
            start = position + 1
    parts.append(pattern[start:])
    return [p for p in parts if p]
