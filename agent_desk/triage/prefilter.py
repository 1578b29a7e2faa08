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
from typing import Any

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


def _non_word_repeat(op: Any, arg: Any) -> bool:
    """``\\W*``, ``\\s+`` and the like: a run of characters that cannot be part of a word."""
    if op not in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
        return False
    sub = list(arg[2])
    return len(sub) == 1 and sub[0][0] is sre_parse.IN and all(
        o is sre_parse.CATEGORY and ("NOT_WORD" in str(a) or "SPACE" in str(a) and "NOT" not in str(a))
        for o, a in sub[0][1]
    )


def _branches(op: Any, arg: Any) -> list[list] | None:
    """The branches of a BRANCH item, or of a group holding only a BRANCH."""
    if op is _BRANCH:
        return [list(b) for b in arg[1]]
    if op is _SUBPATTERN:
        inner = list(arg[-1])
        if len(inner) == 1 and inner[0][0] is _BRANCH:
            return [list(b) for b in inner[0][1][1]]
    return None


def _alternatives(items: list, bounded: bool = False) -> list[tuple[str, bool]] | None:
    """Leading literal of every way the sequence can start, each with "is a whole word".

    A literal is a whole word only when a boundary (``\\b``, ``^``, a run of non-word
    characters) comes before it and a non-word character, a boundary or the end after it;
    otherwise it may sit inside a word. None when some way to start has no leading literal.
    """
    index = 0
    while index < len(items):
        op, arg = items[index]
        if op is _AT or _non_word_repeat(op, arg):
            bounded = True
            index += 1
            continue
        break
    if index >= len(items):
        return None
    op, arg = items[index]
    rest = items[index + 1 :]
    if op is _LITERAL:
        text, taken = _literal_run(items[index:])
        after = items[index + taken :]
        branches = _branches(*after[0]) if after else None
        if branches is not None and _WORD_CHARS.fullmatch(text):  # e.g. j(e veux|'aimerais)
            out = []
            for branch in branches:
                more, more_taken = _literal_run(branch)
                follow = branch[more_taken : more_taken + 1] or after[1:2]
                out.append((text + more, bounded and _word_ends(text + more, follow)))
            return out
        return [(text, bounded and _word_ends(text, after[:1]))]
    branches = _branches(op, arg)
    if branches is not None:
        out = []
        for branch in branches:
            found = _alternatives(branch + rest, bounded)
            if found is None:
                return None
            out.extend(found)
        return out
    if op is _SUBPATTERN:
        return _alternatives(list(arg[-1]) + rest, bounded)
    if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
        low, _high, sub = arg
        taken = _alternatives(list(sub) + rest, bounded)
        if low > 0:
            return taken
        skipped = _alternatives(rest, bounded)
        return None if taken is None or skipped is None else taken + skipped
    return None


def _word_ends(text: str, follow: list) -> bool:
    """Whether the literal's first word is complete (followed by a space, a boundary or the end)."""
    if " " in text:  # the first word ends inside the literal
        return True
    if not follow:  # the pattern ends here, but a match may still sit inside a longer word
        return False
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
        run = _WORD_CHARS.match(text)
        if run is None:
            return None
        first = run.group(0)
        out.append((first, whole))
    return out


@dataclass
class IndexedPatterns:
    """Patterns with a word index: ``search`` tries only those a message could match."""

    patterns: list[re.Pattern[str]] = field(default_factory=list)
    by_word: dict[str, list[int]] = field(default_factory=dict)
    prefixes: list[tuple[str, int]] = field(default_factory=list)
    always: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, sources: Iterable[str]) -> IndexedPatterns:
        """Index patterns; an alternation at the top level is indexed alternative by alternative."""
        built = cls()
        for source in sources:
            for part in _split_top_level(source):
                index = len(built.patterns)
                built.patterns.append(re.compile(part))
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

    def search(self, text: str, words: set[str]) -> re.Match[str] | None:
        """First match in ``text`` (normalised), given its words as :func:`index_words` makes them."""
        hits = self.by_word.keys() & words
        candidates = [index for word in hits for index in self.by_word[word]]
        candidates.extend(index for prefix, index in self.prefixes if prefix in text)
        if not candidates and not self.always:
            return None
        for index in sorted({*candidates, *self.always}):
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
